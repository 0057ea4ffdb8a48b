import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_OUTPUT } from "../components/environment/contract";
import { judgeStack } from "../policy/evaluate";
import { environmentOfStack, policyResources } from "../policy/from-synth";
import { renderJson } from "../src/synth/render";
import { PROJECT_ROOT, readStackOutputs, synthesizeStack } from "../src/synth/run";

/*
 * examples/service-stacks: the platform team's environment stack and two teams' service stacks, as a user runs them
 * offline (`npm run synth|check -- production --config-file ... --stack-outputs stack-outputs.json`). What the issue
 * promised: they synthesize and pass check, and one stack's change leaves another's plan byte-identical.
 */

const EXAMPLES = join(PROJECT_ROOT, "examples/service-stacks");
const ENVIRONMENT_REFERENCE = "acme/shop-platform/production";
const STACKS = ["platform", "checkout", "catalog"] as const;
type Stack = (typeof STACKS)[number];

/** A copy of the examples folder, so a test can change one stack file (the project name is the Pulumi.yaml beside it). */
function copyOfExamples(): string {
  const directory = mkdtempSync(join(tmpdir(), "service-stacks-"));
  cpSync(EXAMPLES, directory, { recursive: true });
  return directory;
}

function editStackFile(directory: string, stack: Stack, edit: (config: Record<string, any>) => void): void {
  const path = join(directory, stack, "Pulumi.production.yaml");
  const document = parse(readFileSync(path, "utf8")) as { config: Record<string, any> };
  edit(document.config);
  writeFileSync(path, stringify(document));
}

async function synth(directory: string, stack: Stack) {
  const stackOutputsFile = join(directory, "stack-outputs.json");
  const document = await synthesizeStack({ stack: "production", configFile: join(directory, stack, "Pulumi.production.yaml"), stackOutputsFile });
  return { document, json: renderJson(document), stackOutputsFile };
}

/** Writes the environment stack's synthesized contract into the stack outputs the service stacks read, as its `pulumi up` would. */
async function publishContract(directory: string): Promise<void> {
  const { document, stackOutputsFile } = await synth(directory, "platform");
  const outputs = readStackOutputs(stackOutputsFile);
  outputs[ENVIRONMENT_REFERENCE] = { [ENVIRONMENT_OUTPUT]: document.outputs[ENVIRONMENT_OUTPUT] };
  writeFileSync(stackOutputsFile, `${JSON.stringify(outputs, null, 2)}\n`);
}

describe("examples/service-stacks", () => {
  it("the stack outputs shipped beside the examples are the environment stack's own contract (they cannot drift)", async () => {
    const { document, stackOutputsFile } = await synth(EXAMPLES, "platform");
    expect(readStackOutputs(stackOutputsFile)[ENVIRONMENT_REFERENCE]).toEqual({ [ENVIRONMENT_OUTPUT]: document.outputs[ENVIRONMENT_OUTPUT] });
  });

  it.each(STACKS)("%s synthesizes and passes check (no mandatory or advisory violation)", async (stack) => {
    const { document, stackOutputsFile } = await synth(EXAMPLES, stack);
    const reference = (parse(readFileSync(join(EXAMPLES, stack, "Pulumi.production.yaml"), "utf8")) as { config: Record<string, any> }).config["release:environment"]
      ?.stackReference as string | undefined;
    const environment = environmentOfStack(document, reference, readStackOutputs(stackOutputsFile));
    expect(environment?.role).toBe(stack === "platform" ? "environment" : "service");
    const result = judgeStack(policyResources(document), "production", [], undefined, [], environment);
    expect(result.violations).toEqual([]);
  });

  it("checkout is an ECS canary and catalog a Kubernetes service with steps, each only its own service on the environment's listeners", async () => {
    const contract = readStackOutputs(join(EXAMPLES, "stack-outputs.json"))[ENVIRONMENT_REFERENCE][ENVIRONMENT_OUTPUT] as { loadBalancers: { productionListenerArn: string }[] };
    const checkout = (await synth(EXAMPLES, "checkout")).document;
    const service = checkout.resources.find((resource) => resource.type === "aws:ecs/service:Service");
    expect((service?.inputs as { deploymentConfiguration?: { strategy?: string } }).deploymentConfiguration?.strategy).toBe("CANARY");
    const rule = checkout.resources.find((resource) => resource.type === "aws:lb/listenerRule:ListenerRule" && resource.name === "checkout-production");
    expect(rule?.inputs).toMatchObject({ listenerArn: contract.loadBalancers[0].productionListenerArn, priority: 10 });
    const catalog = (await synth(EXAMPLES, "catalog")).document;
    const rollout = catalog.resources.find((resource) => resource.type === "kubernetes:argoproj.io/v1alpha1:Rollout");
    expect(JSON.stringify(rollout?.inputs)).toContain("setWeight");
    for (const document of [checkout, catalog]) {
      expect(document.resources.filter((resource) => resource.type === "aws:lb/loadBalancer:LoadBalancer")).toEqual([]);
      expect(document.resources.some((resource) => resource.type === "aws:sns/topic:Topic")).toBe(false);
    }
  });

  it("catalog's canary load balancer serves as the environment's listeners do: its Ingress is a single stack's, certificate, sources and idle timeout", async () => {
    const directory = copyOfExamples();
    const ingress = { allowedCidrs: ["10.0.0.0/8", "192.168.0.0/16"], idleTimeoutSeconds: 120 };
    editStackFile(directory, "platform", (config) => Object.assign(config["release:ingress"], ingress));
    await publishContract(directory);
    const annotations = (document: Awaited<ReturnType<typeof synthesizeStack>>) =>
      (document.resources.find((resource) => resource.type === "kubernetes:networking.k8s.io/v1:Ingress")?.inputs as { metadata: { annotations: Record<string, string> } })
        .metadata.annotations;
    const joined = annotations((await synth(directory, "catalog")).document);

    // The same service in one stack with the environment.
    const platform = parse(readFileSync(join(directory, "platform", "Pulumi.production.yaml"), "utf8")) as { config: Record<string, any> };
    const catalog = parse(readFileSync(join(directory, "catalog", "Pulumi.production.yaml"), "utf8")) as { config: Record<string, any> };
    const { "release:routes": routes, ...single } = platform.config;
    const { stack: _stack, ...route } = routes.catalog;
    single["release:services"] = { catalog: { ...catalog.config["release:services"].catalog, ...route } };
    single["release:flags"] = catalog.config["release:flags"];
    mkdirSync(join(directory, "single"));
    writeFileSync(join(directory, "single", "Pulumi.production.yaml"), stringify({ config: single }));
    const alone = annotations(await synthesizeStack({ stack: "production", configFile: join(directory, "single", "Pulumi.production.yaml"), stackOutputsFile: join(directory, "stack-outputs.json") }));

    expect(joined["alb.ingress.kubernetes.io/certificate-arn"]).toBe(platform.config["release:ingress"].certificateArn);
    expect(joined["alb.ingress.kubernetes.io/inbound-cidrs"]).toBe("10.0.0.0/8,192.168.0.0/16");
    expect(joined["alb.ingress.kubernetes.io/load-balancer-attributes"]).toContain("idle_timeout.timeout_seconds=120");
    // Only the controller's group differs: offline, a single stack's project is this program's (release-platform).
    const GROUP = "alb.ingress.kubernetes.io/group.name";
    expect({ ...joined, [GROUP]: undefined }).toEqual({ ...alone, [GROUP]: undefined });
  });

  it("the environment stack's dashboards find every service stack's target groups: a search page per load balancer", async () => {
    const { document } = await synth(EXAMPLES, "platform");
    const contract = document.outputs[ENVIRONMENT_OUTPUT] as { loadBalancers: { name: string; arnSuffix: string }[] };
    expect(contract.loadBalancers.map((loadBalancer) => loadBalancer.name)).toEqual(["main", "b"]);
    for (const loadBalancer of contract.loadBalancers) {
      const page = document.resources.find((resource) => resource.type === "aws:cloudwatch/dashboard:Dashboard" && resource.name === `production-routes-${loadBalancer.name}`);
      const body = String((page?.inputs as { dashboardBody?: string } | undefined)?.dashboardBody);
      expect(body).toContain(`SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} LoadBalancer=\\"${loadBalancer.arnSuffix}\\"`);
    }
  });

  it("two service stacks' plans are independent: a change to one, or to another service's route, leaves the other's synth byte-identical", async () => {
    const before = { checkout: (await synth(EXAMPLES, "checkout")).json, catalog: (await synth(EXAMPLES, "catalog")).json };
    const directory = copyOfExamples();

    // checkout's team releases a new image with another strategy: catalog's plan does not move.
    editStackFile(directory, "checkout", (config) => {
      config["release:services"].checkout.image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.5.0";
      config["release:services"].checkout.deployment = { strategy: "linear", stepPercent: 25, stepBakeMinutes: 2 };
    });
    const changed = await synth(directory, "checkout");
    expect(changed.json).not.toBe(before.checkout);
    expect((await synth(directory, "catalog")).json).toBe(before.catalog);

    // The platform team moves checkout's route to another priority and adds a route: catalog's plan does not move,
    // checkout's does (so the comparison can fail).
    editStackFile(directory, "platform", (config) => {
      config["release:routes"].checkout.priority = 15;
      config["release:routes"].orders = { pathPatterns: ["/orders/*"], priority: 40 };
    });
    await publishContract(directory);
    expect((await synth(directory, "catalog")).json).toBe(before.catalog);
    const moved = (await synth(directory, "checkout")).document;
    expect(moved.resources.find((resource) => resource.name === "checkout-production")?.inputs).toMatchObject({ priority: 15 });
  });
});
