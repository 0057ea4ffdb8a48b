import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import type { EnvironmentContract } from "../components/environment/contract";
import { synthesize } from "../src/synth/capture";
import { loadReleaseConfig, type ReleaseConfig } from "../src/config/load";
import { ConfigError } from "../src/config/problems";
import { loadStack, PROJECT_ROOT, synthesizeStack } from "../src/synth/run";
import { toConfigValues } from "../src/synth/stack-file";
import { resource, resourcesOf, setPath, type StackConfig } from "./helpers";

/* A service stack (release:environment): its config judged against the contract of the environment it joins, and its services placed on that environment's listeners. */

const FIXTURES = join(PROJECT_ROOT, "test/fixtures/service-stacks");
const REFERENCE = "acme/platform/production";
const STACK_OUTPUTS = join(FIXTURES, "stack-outputs.json");
/** The contract the environment stack fixture exports (test/fixtures/service-stacks/environment), as --stack-outputs holds it. */
const CONTRACT = (JSON.parse(readFileSync(STACK_OUTPUTS, "utf8")) as Record<string, { environment: EnvironmentContract }>)[REFERENCE].environment;

const serviceStackFile = (): StackConfig => (parse(readFileSync(join(FIXTURES, "checkout/Pulumi.production.yaml"), "utf8")) as { config: StackConfig }).config;

/** Loads a service stack's settings as the program does, the contract read beforehand, as the project `checkout`. */
function loadService(config: StackConfig, stack = "production", environment: { output: unknown } = { output: CONTRACT }): ReleaseConfig {
  const environmentOutput = environment.output;
  const { values, secretKeys } = toConfigValues(config, "checkout");
  return loadReleaseConfig({ stack, stackFile: `Pulumi.${stack}.yaml`, values, secretKeys, project: "checkout", stackName: `acme/checkout/${stack}`, environmentOutput });
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split("\n");
    throw error;
  }
  return [];
}

describe("a service stack's config is judged against the environment it joins, every problem at once", () => {
  it("the fixture loads: tier and Region from the contract, each service at its route, named after its project", () => {
    const config = loadService(serviceStackFile());
    expect(config.tier).toBe("production");
    expect(config.name).toBe("checkout");
    expect(config.joins?.stackReference).toBe(REFERENCE);
    const checkout = config.services.find((service) => service.name === "checkout");
    expect(checkout).toMatchObject({ pathPatterns: ["/checkout/*"], priority: 20, loadBalancer: "main" });
    expect(config.services.find((service) => service.name === "catalog")).toMatchObject({ pathPatterns: ["/catalog/*"], priority: 30, loadBalancer: "second" });
  });

  it("the environment's settings, a route's fields, a missing or reserved route, another tier or Region: each at its stack-file path, in one run", () => {
    const config = serviceStackFile();
    setPath(config, "aws:region", "us-east-1");
    setPath(config, "release:tier", "staging");
    setPath(config, "release:network", { stackReference: "acme/network/production" });
    setPath(config, "release:ingress", { allowedCidrs: ["10.0.0.0/8"] });
    setPath(config, "release:notifications", { emails: ["team@example.com"] });
    setPath(config, "release:routes", { checkout: { pathPatterns: ["/c/*"], priority: 5 } });
    setPath(config, "release:cluster", { namespace: "shop" });
    setPath(config, "release:services.checkout.priority", 7);
    setPath(config, "release:services.checkout.pathPatterns", ["/mine/*"]);
    setPath(config, "release:services.chekout", { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2", port: 8080 });
    setPath(config, "release:services.search", { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/search:1.0.0", port: 8080 });
    const paths = problemsOf(() => loadService(config)).map((line) => line.split(": ").slice(0, 2).join(": "));
    expect(paths).toEqual([
      "Pulumi.production.yaml: aws:region",
      "Pulumi.production.yaml: release:cluster.namespace",
      "Pulumi.production.yaml: release:ingress",
      "Pulumi.production.yaml: release:network",
      "Pulumi.production.yaml: release:notifications",
      "Pulumi.production.yaml: release:routes",
      "Pulumi.production.yaml: release:services.checkout.pathPatterns",
      "Pulumi.production.yaml: release:services.checkout.priority",
      "Pulumi.production.yaml: release:services.chekout",
      "Pulumi.production.yaml: release:services.search",
      "Pulumi.production.yaml: release:tier",
    ]);
    const text = problemsOf(() => loadService(config)).join("\n");
    expect(text).toContain(`aws:region: must be the Region of the environment it joins: ${REFERENCE} is in eu-west-1 (got "us-east-1")`);
    expect(text).toContain(`release:tier: must be the tier of the environment it joins: ${REFERENCE} is production (got "staging")`);
    expect(text).toContain(`release:network: is the environment stack's (${REFERENCE})`);
    expect(text).toContain("release:services.chekout: has no route in the environment");
    expect(text).toContain("did you mean checkout?");
    expect(text).toContain("release:services.search: its route is reserved for stack acme/search/production");
    expect(text).toContain("this stack is acme/checkout/production");
  });

  it("a route reserved for this very stack admits it", () => {
    const contract = { ...CONTRACT, routes: { ...CONTRACT.routes, checkout: { ...CONTRACT.routes.checkout, stack: "acme/checkout/production" } } };
    expect(problemsOf(() => loadService(serviceStackFile(), "production", { output: contract }))).toEqual([]);
  });

  it("an environment output that is no contract: each wrong field at release:environment.stackReference, naming the stack", () => {
    const { vpcId: _vpc, ...broken } = CONTRACT;
    expect(problemsOf(() => loadService(serviceStackFile(), "production", { output: { ...broken, version: 2 } }))).toEqual([
      `Pulumi.production.yaml: release:environment.stackReference: ${REFERENCE} output environment.version: expected version 1 of the environment contract (got "${REFERENCE}")`,
      `Pulumi.production.yaml: release:environment.stackReference: ${REFERENCE} output environment.vpcId: expected a string (got "${REFERENCE}")`,
    ]);
    expect(problemsOf(() => loadService(serviceStackFile(), "production", { output: undefined }))).toEqual([
      `Pulumi.production.yaml: release:environment.stackReference: ${REFERENCE} exports no environment output: name an environment stack (a stack file with release:routes, deployed with this release-platform) (got "${REFERENCE}")`,
    ]);
  });

  it("the tier is the contract's; a stack name naming another tier is refused unless release:tier says so", () => {
    expect(loadService(serviceStackFile(), "shop").tier).toBe("production");
    expect(problemsOf(() => loadService(serviceStackFile(), "dev"))).toEqual([
      `Pulumi.dev.yaml: release:tier: stack "dev" names tier dev, but it joins ${REFERENCE}, a production environment: join a dev environment, or set release:tier: production to say this stack is meant to be production (got nothing)`,
    ]);
    expect(loadService(setPath(serviceStackFile(), "release:tier", "production"), "dev").tier).toBe("production");
  });

  it("offline, the contract comes from --stack-outputs; without it, a usage error saying what to pass", () => {
    const configFile = join(FIXTURES, "checkout/Pulumi.production.yaml");
    expect(loadStack({ stack: "production", configFile, stackOutputsFile: STACK_OUTPUTS }).name).toBe("checkout");
    expect(() => loadStack({ stack: "production", configFile })).toThrow(
      `a service stack needs --stack-outputs with ${REFERENCE}'s environment output offline (none given)`,
    );
  });
});

describe("a service stack synthesizes on its environment's listeners", () => {
  const synthService = (stackOutputs: Record<string, Record<string, unknown>> = { [REFERENCE]: { environment: CONTRACT } }) =>
    synthesize({ config: loadStack({ stack: "production", configFile: join(FIXTURES, "checkout/Pulumi.production.yaml"), stackOutputsFile: STACK_OUTPUTS }), stackOutputs });

  it("each service's production and test rules on its route's load balancer's listeners, at the route's priority; no load balancer of its own", async () => {
    const document = await synthService();
    const listeners = Object.fromEntries(CONTRACT.loadBalancers.map((balancer) => [balancer.name, balancer]));
    for (const [service, loadBalancer, priority] of [["checkout", "main", 20], ["catalog", "second", 30]] as const) {
      expect(resource(document, "aws:lb/listenerRule:ListenerRule", `${service}-production`).inputs).toMatchObject({ listenerArn: listeners[loadBalancer].productionListenerArn, priority });
      expect(resource(document, "aws:lb/listenerRule:ListenerRule", `${service}-test`).inputs).toMatchObject({ listenerArn: listeners[loadBalancer].testListenerArn, priority });
    }
    expect(resourcesOf(document, "aws:lb/loadBalancer:LoadBalancer")).toEqual([]);
    expect(resourcesOf(document, "aws:sns/topic:Topic")).toEqual([]);
    expect(resourcesOf(document, "aws:lb/targetGroup:TargetGroup").map((group) => group.inputs.vpcId)).toEqual(Array(4).fill(CONTRACT.vpcId));
  });

  it("its own flag store and dashboard are named after the environment and its project, apart from the environment stack's", async () => {
    const document = await synthService();
    expect(document.project).toBe("checkout");
    expect(resourcesOf(document, "aws:appconfig/application:Application").map((application) => application.inputs.name)).toEqual(["release-platform-production-checkout"]);
    expect(resourcesOf(document, "aws:cloudwatch/dashboard:Dashboard").map((dashboard) => dashboard.inputs.dashboardName)).toEqual(["production-checkout-release"]);
    expect(document.outputs.urls).toEqual({
      catalog: `https://${CONTRACT.loadBalancers[1].dnsName}`,
      checkout: `https://${CONTRACT.loadBalancers[0].dnsName}`,
    });
  });

  it("the program reads the contract through the StackReference under the mocks, as pulumi up does: what --stack-outputs answers there is what is built", async () => {
    const moved = { ...CONTRACT, routes: { ...CONTRACT.routes, checkout: { ...CONTRACT.routes.checkout, priority: 21 } } };
    const document = await synthService({ [REFERENCE]: { environment: moved } });
    expect(resource(document, "aws:lb/listenerRule:ListenerRule", "checkout-production").inputs.priority).toBe(21);
  });

  it("offline, it is in its environment stack's organization: a route reserved for acme/checkout/production admits it, another stack's refuses it", async () => {
    const reserve = (stack: string) => ({ ...CONTRACT, routes: { ...CONTRACT.routes, checkout: { ...CONTRACT.routes.checkout, stack } } });
    const withOutputs = (contract: EnvironmentContract) => {
      const file = join(mkdtempSync(join(tmpdir(), "service-stack-")), "stack-outputs.json");
      writeFileSync(file, JSON.stringify({ [REFERENCE]: { environment: contract } }));
      return { stack: "production", configFile: join(FIXTURES, "checkout/Pulumi.production.yaml"), stackOutputsFile: file };
    };
    const document = await synthesizeStack(withOutputs(reserve("acme/checkout/production")));
    expect(resource(document, "aws:lb/listenerRule:ListenerRule", "checkout-production").inputs.priority).toBe(20);
    expect(() => loadStack(withOutputs(reserve("other/checkout/production")))).toThrow("its route is reserved for stack other/checkout/production (release:routes.checkout.stack of the environment stack); this stack is acme/checkout/production");
  });

  it("a Kubernetes service runs in the environment's namespace on the cluster its contract names, and makes no namespace of its own", async () => {
    const routes = { ...CONTRACT.routes, checkout: { ...CONTRACT.routes.checkout, pathPatterns: [], hostHeaders: ["checkout.shop.example.com"] } };
    const contract = { ...CONTRACT, routes, hostedZone: "shop.example.com", cluster: { namespace: "shop", stackReference: "acme/eks/production", controllers: ["aws-load-balancer-controller", "argo-rollouts"] } };
    const cluster = { kubeconfig: "apiVersion: v1", clusterName: "shop-eks", clusterSecurityGroupId: "sg-0123456789abcdef0" };
    const config = setPath(serviceStackFile(), "release:services.checkout", {
      runtime: "kubernetes",
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2",
      port: 8080,
      deployment: { steps: [10, 50, 100] },
    });
    const document = await synthesize({ config: loadService(config, "production", { output: contract }), stackOutputs: { [REFERENCE]: { environment: contract }, "acme/eks/production": cluster } });
    expect(resourcesOf(document, "kubernetes:core/v1:Namespace")).toEqual([]);
    const rollout = resource(document, "kubernetes:argoproj.io/v1alpha1:Rollout", "checkout-rollout");
    expect((rollout.inputs.metadata as { namespace: string }).namespace).toBe("shop");
    expect(resourcesOf(document, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((association) => association.inputs.clusterName)).toEqual(["shop-eks"]);
  });
});
