import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readEnvironmentContract } from "../components/environment/contract";
import { synthesize } from "../src/synth/capture";
import { loadStack, PROJECT_ROOT, synthesizeStack } from "../src/synth/run";
import { configError, load, resourcesOf, setPath, shippedConfig, type StackConfig, synth } from "./helpers";

/* An environment stack (release:routes): the environment and its routing table, exported as the contract service stacks join. */

const FIXTURES = join(PROJECT_ROOT, "test/fixtures/service-stacks");
const ENVIRONMENT_FILE = join(FIXTURES, "environment/Pulumi.production.yaml");
const environmentStackFile = (): StackConfig => (parse(readFileSync(ENVIRONMENT_FILE, "utf8")) as { config: StackConfig }).config;

describe("an environment stack exports its contract", () => {
  it("a contract readEnvironmentContract accepts, whose routes are the file's with their defaults, its load balancers main first", async () => {
    const document = await synthesizeStack({ stack: "production", configFile: ENVIRONMENT_FILE });
    const read = readEnvironmentContract(document.outputs.environment);
    expect("problems" in read ? read.problems : []).toEqual([]);
    const contract = "contract" in read ? read.contract : undefined;
    expect(contract?.routes).toEqual({
      catalog: { pathPatterns: ["/catalog/*"], hostHeaders: [], priority: 30, loadBalancer: "second" },
      checkout: { pathPatterns: ["/checkout/*"], hostHeaders: [], priority: 20, loadBalancer: "main" },
      search: { pathPatterns: [], hostHeaders: ["search.example.com"], priority: 40, loadBalancer: "main", stack: "acme/search/production" },
    });
    expect(contract?.loadBalancers.map((balancer) => balancer.name)).toEqual(["main", "second"]);
    expect(contract).toMatchObject({ tier: "production", namePrefix: "production", region: "eu-west-1", productionProtocol: "HTTPS", flagStore: { backend: "appconfig" } });
    // One load balancer for each distinct name among the routes.
    expect(resourcesOf(document, "aws:lb/loadBalancer:LoadBalancer").map((balancer) => balancer.inputs.name)).toEqual(["production", "production-second"]);
  });

  it("the contract the fixture's --stack-outputs holds is the environment fixture's own (regenerate it when the contract changes)", async () => {
    const document = await synthesizeStack({ stack: "production", configFile: ENVIRONMENT_FILE });
    const outputs = JSON.parse(readFileSync(join(FIXTURES, "stack-outputs.json"), "utf8")) as Record<string, { environment: unknown }>;
    expect(outputs["acme/platform/production"].environment).toEqual(document.outputs.environment);
  });

  it("with release:cluster, it makes the namespace the service stacks' Kubernetes services run in, though it has none itself", async () => {
    const config = setPath(environmentStackFile(), "release:cluster", { stackReference: "acme/eks/production", namespace: "shop", controllers: ["aws-load-balancer-controller", "argo-rollouts"] });
    const document = await synth(config, "production");
    expect(resourcesOf(document, "kubernetes:core/v1:Namespace").map((namespace) => (namespace.inputs.metadata as { name: string }).name)).toEqual(["shop"]);
    expect((document.outputs.environment as { cluster: unknown }).cluster).toEqual({
      namespace: "shop",
      stackReference: "acme/eks/production",
      controllers: ["aws-load-balancer-controller", "argo-rollouts"],
    });
  });

  it("with neither flags nor services of its own it makes no flag store (nothing to serve, no alarm to guard it); with flags, one", async () => {
    const bare = await synthesizeStack({ stack: "production", configFile: ENVIRONMENT_FILE });
    expect(resourcesOf(bare, "aws:appconfig/application:Application")).toEqual([]);
    expect((bare.outputs.environment as { flagStore: unknown }).flagStore).toEqual({ backend: "appconfig" });
    const flags = { "maintenance-banner": { description: "Banner", owner: "platform", expires: "2027-03-01", enabled: false } };
    const flagged = await synth(setPath(environmentStackFile(), "release:flags", flags), "production");
    expect(resourcesOf(flagged, "aws:appconfig/application:Application").map((application) => application.inputs.name)).toEqual(["release-platform-production"]);
    expect(Object.keys((flagged.outputs.environment as { flagStore: object }).flagStore).sort()).toEqual(["applicationId", "backend", "environmentId", "profileId"]);
  });

  it("a single-stack file exports no contract: its outputs stay as they were", async () => {
    const document = await synth(shippedConfig("production"), "production");
    expect(Object.keys(document.outputs)).not.toContain("environment");
    expect(resourcesOf(document, "aws:lb/loadBalancer:LoadBalancer")).toHaveLength(1);
  });

  it("more load balancers than the routes may name is said at release:routes, before anything is built", () => {
    const routes = Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`s${index}`, { pathPatterns: [`/${index}/*`], priority: index + 1, loadBalancer: `lb${index}` }]));
    expect(configError(setPath(environmentStackFile(), "release:routes", routes), "production")).toMatch(/^Pulumi\.production\.yaml: release:routes: lists 12 load balancers besides main; at most \d+/);
  });

  it("its routes are judged beside its own services (a service moving out keeps its rule)", () => {
    const config = setPath(environmentStackFile(), "release:services", {
      checkout: { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2", port: 8080, pathPatterns: ["/checkout/*"], priority: 21 },
    });
    expect(configError(config, "production")).toContain("release:routes.checkout.priority: differs from services.checkout.priority (21)");
    expect(load(setPath(config, "release:services.checkout.priority", 20), "production").routes.checkout.priority).toBe(20);
  });
});

describe("a service both stacks would release", () => {
  it("the environment stack marks the route of a service it still holds; a service stack joining it is refused until its up drops the service", async () => {
    const checkout = { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2", port: 8080, pathPatterns: ["/checkout/*"], priority: 20 };
    // The move in progress: checkout's route is reserved for its service stack while the environment stack still releases it.
    const moving = setPath(setPath(environmentStackFile(), "release:services", { checkout }), "release:routes.checkout.stack", "acme/checkout/production");
    const during = await synthesize({ config: load(moving, "production") });
    const routes = (during.outputs.environment as { routes: Record<string, object> }).routes;
    expect(routes.checkout).toEqual({ pathPatterns: ["/checkout/*"], hostHeaders: [], priority: 20, loadBalancer: "main", stack: "acme/checkout/production", releasedByEnvironment: true });
    expect(routes.catalog).not.toHaveProperty("releasedByEnvironment");
    expect(readEnvironmentContract(during.outputs.environment)).toHaveProperty("contract");

    const directory = mkdtempSync(join(tmpdir(), "checkout-"));
    writeFileSync(join(directory, "Pulumi.yaml"), "name: checkout\nruntime: nodejs\n");
    const serviceFile = join(directory, "Pulumi.production.yaml");
    writeFileSync(serviceFile, JSON.stringify({ config: { "aws:region": "eu-west-1", "release:environment": { stackReference: "acme/platform/production" }, "release:services": { checkout: { image: checkout.image, port: 8080 } } } }));
    const joining = (environment: unknown) => {
      writeFileSync(join(directory, "outputs.json"), JSON.stringify({ "acme/platform/production": { environment } }));
      return () => loadStack({ stack: "production", configFile: serviceFile, stackOutputsFile: join(directory, "outputs.json") });
    };
    expect(joining(during.outputs.environment)).toThrow(
      "release:services.checkout: is still released by the environment stack acme/platform/production (its release:services.checkout): finish moving it first (npm run migrate, step (c) and the environment stack's pulumi up)",
    );
    // The environment stack's file without checkout (step (c)), then its up: the contract no longer marks it.
    const after = await synthesize({ config: load(setPath(moving, "release:services", {}), "production") });
    expect((after.outputs.environment as { routes: Record<string, object> }).routes.checkout).not.toHaveProperty("releasedByEnvironment");
    expect(joining(after.outputs.environment)().services.map((service) => service.name)).toEqual(["checkout"]);
  });
});

describe("where the environment is made here, its network and each service's priority are required", () => {
  it("release:network, a service's priority and release:services (unless routes) each said at its path, in one run", () => {
    const config = shippedConfig("staging");
    delete config["release:network"];
    setPath(config, "release:services.checkout.priority", undefined);
    const lines = (configError(config) ?? "").split("\n");
    expect(lines).toEqual(["Pulumi.staging.yaml: release:network: required (got nothing)", "Pulumi.staging.yaml: release:services.checkout.priority: required (got nothing)"]);
    const empty = shippedConfig("staging");
    delete empty["release:services"];
    expect(configError(empty)).toBe("Pulumi.staging.yaml: release:services: required (only an environment stack, with release:routes, may hold no service) (got nothing)");
    expect(loadStack({ stack: "production", configFile: ENVIRONMENT_FILE }).services).toEqual([]);
  });
});

describe("the environment stack and a service stack together", () => {
  it("the environment's contract, read back by the service stack, puts its services on the environment's listeners", async () => {
    const environment = await synthesizeStack({ stack: "production", configFile: ENVIRONMENT_FILE });
    const service = loadStack({ stack: "production", configFile: join(FIXTURES, "checkout/Pulumi.production.yaml"), stackOutputsFile: join(FIXTURES, "stack-outputs.json") });
    const document = await synthesize({ config: service, stackOutputs: { "acme/platform/production": { environment: environment.outputs.environment } } });
    const listeners = resourcesOf(environment, "aws:lb/listener:Listener").map((listener) => listener.outputs.arn ?? listener.outputs.id);
    const rules = resourcesOf(document, "aws:lb/listenerRule:ListenerRule").map((rule) => rule.inputs.listenerArn);
    expect(rules.length).toBe(4);
    for (const arn of rules) expect(listeners).toContain(arn);
  });
});
