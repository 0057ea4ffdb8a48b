import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentContract } from "../components/environment/contract";
import { routeSchema } from "../components/release-environment/schema";
import { UsageError } from "../src/errors";
import { migrationPlan, parseStackName, type MigrationPlan } from "../src/migrate/plan";
import { renderPlan } from "../src/migrate/render";
import { diffDocuments } from "../src/synth/diff/diff-documents";
import { makeUrn, parseUrn, readStackState, ROOT_STACK_TYPE, type StackState } from "../src/migrate/state";
import { readServiceSettings } from "../src/migrate/stack-files";
import type { SynthDocument, SynthResource } from "../src/synth/capture";
import { PROJECT_ROOT, synthesizeStack } from "../src/synth/run";
import { shippedConfig, synth } from "./helpers";

/**
 * What `pulumi stack export` would hold after `pulumi up` of a synthesized stack: the engine's URNs (mock URNs carry only
 * the immediate parent's type, the engine's the whole chain), the root stack first, every resource after its parent,
 * provider and dependencies, provider references as `<urn>::<id>`.
 */
export function stateExport(document: SynthDocument): { version: 3; deployment: { manifest: object; resources: object[] } } {
  const { stack, project } = document;
  const root = makeUrn(stack, project, "", ROOT_STACK_TYPE, `${project}-${stack}`);
  const byMock = new Map(document.resources.map((resource) => [resource.urn, resource]));
  const engine = new Map<string, string>();
  const engineUrn = (resource: SynthResource): string => {
    const known = engine.get(resource.urn);
    if (known) return known;
    const parent = resource.parent ? byMock.get(resource.parent) : undefined;
    const urn = makeUrn(stack, project, parent ? parseUrn(engineUrn(parent))!.qualifiedType : "", resource.type, resource.name);
    engine.set(resource.urn, urn);
    return urn;
  };
  const providerMock = (reference: string) => reference.slice(0, reference.lastIndexOf("::"));
  const ordered: SynthResource[] = [];
  const placed = new Set<string>();
  const place = (resource: SynthResource) => {
    if (placed.has(resource.urn)) return;
    placed.add(resource.urn);
    const before = [resource.parent, resource.provider ? providerMock(resource.provider) : undefined, ...resource.dependencies];
    for (const urn of before) if (urn && byMock.has(urn)) place(byMock.get(urn)!);
    ordered.push(resource);
  };
  document.resources.forEach(place);
  const resources = ordered.map((resource) => ({
    urn: engineUrn(resource),
    custom: resource.custom,
    ...(resource.custom ? { id: String(resource.outputs.id ?? `${resource.name}-id`) } : {}),
    type: resource.type,
    inputs: resource.inputs,
    parent: resource.parent ? engineUrn(byMock.get(resource.parent)!) : root,
    ...(resource.options.protect ? { protect: true } : {}),
    dependencies: resource.dependencies.filter((urn) => byMock.has(urn)).map((urn) => engineUrn(byMock.get(urn)!)),
    ...(resource.provider ? { provider: `${engineUrn(byMock.get(providerMock(resource.provider))!)}::${resource.provider.slice(resource.provider.lastIndexOf("::") + 2)}` } : {}),
  }));
  return {
    version: 3,
    deployment: { manifest: { time: "2026-12-07T00:00:00Z", magic: "", version: "v3.230.0" }, resources: [{ urn: root, custom: false, type: ROOT_STACK_TYPE }, ...resources] },
  };
}

const DEST = parseStackName("dest", "acme/checkout/production");
const SOURCE = parseStackName("source", "acme/release-platform/production");
const fromExport = (value: unknown): StackState => readStackState(JSON.stringify(value), "production.json");

describe("migrating a service out of the environment stack", () => {
  let production: SynthDocument;
  let state: StackState;
  let plan: MigrationPlan;
  beforeAll(async () => {
    production = await synth(shippedConfig("production"), "production");
    state = fromExport(stateExport(production));
    plan = migrationPlan(state, { service: "checkout", dest: DEST, source: SOURCE });
  }, 60_000);

  it("moves exactly the service's component and everything under it, no other service's and nothing of the environment", () => {
    const subtree = production.resources.filter((resource) => resource.name === "checkout" || resource.name.startsWith("checkout-"));
    expect(subtree.length).toBeGreaterThan(30);
    expect(plan.moved.map((resource) => parseUrn(resource.urn)!.name).sort()).toEqual(subtree.map((resource) => resource.name).sort());
    expect(plan.moved.some((resource) => /catalog|production-/.test(resource.urn))).toBe(false);
    expect(plan.componentUrn).toBe("urn:pulumi:production::release-platform::release:aws:ReleaseEnvironment$release:aws:BlueGreenService::checkout");
    // The component first: state move keeps the source's order, parents before children.
    expect(plan.moved[0].urn).toBe(plan.componentUrn);
  });

  it("re-parents the service to the destination's root and rewrites every URN's type chain, as state move does since 3.224", () => {
    const after = new Map(plan.moved.map((resource) => [parseUrn(resource.urn)!.name, resource.afterMove]));
    expect(after.get("checkout")).toBe("urn:pulumi:production::checkout::release:aws:BlueGreenService::checkout");
    expect(after.get("checkout-blue")).toBe("urn:pulumi:production::checkout::release:aws:BlueGreenService$aws:lb/targetGroup:TargetGroup::checkout-blue");
    expect(after.get("checkout-alarms-error-rate")).toBe(
      "urn:pulumi:production::checkout::release:aws:BlueGreenService$release:aws:DeploymentAlarms$aws:cloudwatch/metricAlarm:MetricAlarm::checkout-alarms-error-rate",
    );
  });

  it("each URN the service stack's program registers finds the moved resource through ReleaseEnvironment's alias {parent: root stack}", () => {
    for (const resource of plan.moved) {
      // The alias drops the ReleaseEnvironment from the chain; children inherit their parent's alias (the engine's rule).
      const program = parseUrn(resource.afterUp)!;
      expect(program.qualifiedType.startsWith("release:aws:ReleaseEnvironment$")).toBe(true);
      const alias = makeUrn(program.stack, program.project, "", program.qualifiedType.replace(/^release:aws:ReleaseEnvironment\$/, ""), program.name);
      expect(alias, resource.urn).toBe(resource.afterMove);
    }
  });

  it("names the service stack's URNs under a root ReleaseEnvironment even when a platform team's component held the environment's", () => {
    const exported = JSON.parse(JSON.stringify(stateExport(production)).replaceAll("::release:aws:ReleaseEnvironment", "::acme:index:Platform$release:aws:ReleaseEnvironment"));
    const platform = "urn:pulumi:production::release-platform::acme:index:Platform::shop";
    const resources = exported.deployment.resources as { urn: string; type: string; parent?: string }[];
    resources.find((resource) => resource.type === "release:aws:ReleaseEnvironment")!.parent = platform;
    resources.splice(1, 0, { urn: platform, type: "acme:index:Platform", parent: resources[0].urn });
    const nested = migrationPlan(fromExport(exported), { service: "checkout", dest: DEST, source: SOURCE });
    expect(nested.moved.map((resource) => resource.afterUp)).toEqual(plan.moved.map((resource) => resource.afterUp));
    expect(nested.moved.map((resource) => resource.afterMove)).toEqual(plan.moved.map((resource) => resource.afterMove));
  });

  it("copies the environment's aws provider to the destination's root and names the dependencies the move cuts", () => {
    expect(plan.providers).toEqual([
      {
        urn: "urn:pulumi:production::release-platform::release:aws:ReleaseEnvironment$release:aws:Environment$pulumi:providers:aws::production-aws",
        afterMove: "urn:pulumi:production::checkout::pulumi:providers:aws::production-aws",
      },
    ]);
    const moved = new Set(plan.moved.map((resource) => resource.urn));
    for (const cut of plan.dependsOnEnvironment) expect(moved.has(cut.from) && !moved.has(cut.on)).toBe(true);
    for (const cut of plan.environmentDependsOn) expect(!moved.has(cut.from) && moved.has(cut.on)).toBe(true);
    // The environment's flag store watches the service's alarms: that edge is cut and listed.
    expect(plan.environmentDependsOn.some((cut) => cut.from.includes("FeatureFlagStore") && cut.on.includes("checkout"))).toBe(true);
  });

  it("reads the deployed route from the production listener rule, in the shape release:routes takes", () => {
    expect(plan.route).toEqual({ pathPatterns: ["/checkout/*"], priority: 10 });
    expect(routeSchema.safeParse(plan.route).success).toBe(true);
    const catalog = migrationPlan(state, { service: "catalog", dest: DEST, source: SOURCE });
    expect(catalog.route).toEqual({ pathPatterns: ["/catalog/*", "/products/*"], priority: 20 });
  });

  it("prints the state move with every URN, no --include-parents, and the route and settings to move", () => {
    const settings = readServiceSettings(readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8"), "Pulumi.production.yaml", "checkout");
    const text = renderPlan(plan, { settings, stackFile: "Pulumi.production.yaml" });
    expect(text).toContain("pulumi state move --source acme/release-platform/production --dest acme/checkout/production \\\n");
    for (const resource of plan.moved) expect(text).toContain(`'${resource.urn}'`);
    expect(text).not.toMatch(/state move[^\n]*--include-parents/);
    const route = parse(/release:routes:\n(?:    .*\n)+/.exec(text)![0].replace(/^ {4}/gm, ""));
    // Reserved for the service stack: no other stack may release checkout.
    expect(route).toEqual({ "release:routes": { checkout: { pathPatterns: ["/checkout/*"], priority: 10, stack: "acme/checkout/production" } } });
    const serviceFile = parse(/ {4}config:\n(?: {4}.*\n)+/.exec(text)![0].replace(/^ {4}/gm, "")).config;
    expect(serviceFile["release:environment"]).toEqual({ stackReference: "acme/release-platform/production" });
    expect(serviceFile["aws:region"]).toBe("eu-west-1");
    expect(Object.keys(serviceFile["release:services"].checkout)).not.toContain("pathPatterns");
    expect(serviceFile["release:services"].checkout.image).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2");
    // The first up of the service stack is a release: its task definition reads the service stack's own flag store.
    expect(text).toContain("+- replace of its task definition (checkout-task)");
    expect(text).toContain("    express-shipping (owner fulfilment), depends on new-checkout\n");
    expect(plan.remainingServices).toEqual(["catalog"]);
    expect(text).not.toContain("last service");
    const state2 = fromExport(stateExport(production));
    const lastOne = migrationPlan({ ...state2, resources: state2.resources.filter((resource) => !resource.urn.includes("::catalog")) }, { service: "checkout", dest: DEST });
    expect(renderPlan(lastOne, { settings, stackFile: "Pulumi.production.yaml" })).toContain("checkout is the environment stack's last service");
    expect(text.indexOf("\n(a) ")).toBeLessThan(text.indexOf("\n(b) "));
    expect(text.indexOf("\n(b) ")).toBeLessThan(text.indexOf("\n(c) "));
    expect(text.indexOf("\n(c) ")).toBeLessThan(text.indexOf("\n(d) "));
    // (d): the environment stack's up first (its contract stops marking checkout as released by it), then the service stack's.
    const d = text.slice(text.indexOf("\n(d) "));
    expect(d.indexOf("pulumi up --stack acme/release-platform/production")).toBeGreaterThan(0);
    expect(d.indexOf("pulumi up --stack acme/release-platform/production")).toBeLessThan(d.indexOf("pulumi preview --stack acme/checkout/production"));
    expect(d.indexOf("pulumi preview --stack acme/checkout/production")).toBeLessThan(d.indexOf("pulumi up --stack acme/checkout/production"));
  });

  it("says what is protected: the move keeps the flag", async () => {
    const exported = stateExport(production);
    const target = exported.deployment.resources.find((resource) => (resource as { urn: string }).urn.endsWith("::checkout-logs")) as { protect?: boolean };
    target.protect = true;
    const protectedPlan = migrationPlan(fromExport(exported), { service: "checkout", dest: DEST });
    expect(protectedPlan.moved.filter((resource) => resource.protect).map((resource) => parseUrn(resource.urn)!.name)).toEqual(["checkout-logs"]);
    expect(renderPlan(protectedPlan, { stackFile: "Pulumi.production.yaml" })).toMatch(/Protected, and still protected after the move[^\n]*\n\s+urn:\S+::checkout-logs\n/);
    expect(renderPlan(plan, { stackFile: "Pulumi.production.yaml" })).toContain("Nothing of checkout is protected");
  });

  it("refuses a service that is not in the state, naming those that are", () => {
    expect(() => migrationPlan(state, { service: "payments", dest: DEST })).toThrow(new UsageError("payments: no such service in the state of stack production (services there: catalog, checkout)"));
    // The Environment and the flag store are children of the ReleaseEnvironment too, but no service.
    expect(() => migrationPlan(state, { service: "production", dest: DEST })).toThrow(/no such service/);
  });

  it("refuses a file that is not a stack export, a synth document, another stack's export and a destination that is the source", () => {
    expect(() => readStackState("{", "x.json")).toThrow(/--state x.json: not JSON .*pulumi stack export --stack/);
    expect(() => readStackState(JSON.stringify(production), "synth.json")).toThrow(/this is a synth document/);
    expect(() => readStackState(JSON.stringify({ checkpoint: {} }), "x.json")).toThrow(/not the JSON of `pulumi stack export`/);
    expect(() => readStackState(JSON.stringify({ version: 3, deployment: { resources: [] } }), "x.json")).toThrow(/the stack has no resources/);
    expect(() => migrationPlan(state, { service: "checkout", dest: DEST, source: parseStackName("source", "acme/release-platform/staging") })).toThrow(
      /the exported state is of stack production in project release-platform/,
    );
    expect(() => migrationPlan(state, { service: "checkout", dest: SOURCE })).toThrow(/is the environment stack itself/);
    expect(() => parseStackName("dest", "checkout/production")).toThrow(/expected org\/project\/stack/);
  });
});

describe("migrating a Kubernetes service", () => {
  it("moves the KubernetesService and copies the cluster's provider with the environment's", async () => {
    const config = parse(readFileSync(join(PROJECT_ROOT, "examples", "kubernetes", "Pulumi.eks.yaml"), "utf8")).config;
    const eks = await synth(config, "eks");
    const plan = migrationPlan(fromExport(stateExport(eks)), { service: "catalog", dest: parseStackName("dest", "acme/catalog/eks") });
    expect(plan.componentType).toBe("release:kubernetes:KubernetesService");
    expect(plan.moved.every((resource) => /::catalog(-|$)|::catalog[^:]*$/.test(resource.urn))).toBe(true);
    expect(plan.providers.map((provider) => parseUrn(provider.afterMove)!.qualifiedType).sort()).toEqual(["pulumi:providers:aws", "pulumi:providers:kubernetes"]);
    const settings = readServiceSettings(readFileSync(join(PROJECT_ROOT, "examples", "kubernetes", "Pulumi.eks.yaml"), "utf8"), "Pulumi.eks.yaml", "catalog");
    const text = renderPlan(plan, { settings, stackFile: "Pulumi.eks.yaml" });
    expect(text).toContain(`pulumi config set --stack acme/catalog/eks --secret --path 'release:cluster.kubeconfig' "$(cat kubeconfig)"`);
    expect(text).toContain("~ update of its Rollout's pod template");
  }, 60_000);
});

describe("npm run migrate", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "migrate", ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });
  let file: string;
  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), "migrate-")), "production.json");
    writeFileSync(file, JSON.stringify(stateExport(await synth(shippedConfig("production"), "production"))));
  }, 60_000);

  it("prints the steps for a service of an exported state, reading the service's settings from the stack file", () => {
    const result = run("checkout", "--state", file, "--dest", "acme/checkout/production");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("(the source's organisation acme is --dest's");
    expect(result.stdout).toContain("pulumi state move --source acme/release-platform/production --dest acme/checkout/production");
    expect(result.stdout).toContain("Remove from Pulumi.production.yaml, under release:services:");
  });

  it("exits 2 with what to do for a missing service, a missing option, a route changed but not deployed and a service stack's file", () => {
    const missing = run("payments", "--state", file, "--dest", "acme/checkout/production");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("payments: no such service in the state of stack production (services there: catalog, checkout)");
    expect(run("checkout", "--state", file).stderr).toContain("--dest is required");
    const moved = join(mkdtempSync(join(tmpdir(), "migrate-")), "Pulumi.production.yaml");
    writeFileSync(moved, readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8").replace("priority: 10", "priority: 15"));
    const undeployed = run("checkout", "--state", file, "--dest", "acme/checkout/production", "--config-file", moved);
    expect(undeployed.status).toBe(2);
    expect(undeployed.stderr).toContain("has a route that is not deployed (priority: the stack file says 15, the deployed listener rule 10)");
    const serviceStack = join(mkdtempSync(join(tmpdir(), "migrate-")), "Pulumi.production.yaml");
    writeFileSync(serviceStack, "config:\n  release:environment: { stackReference: acme/release-platform/production }\n  release:services:\n    checkout: { image: x, port: 8080 }\n");
    expect(run("checkout", "--state", file, "--dest", "acme/checkout/production", "--config-file", serviceStack).stderr).toContain("a service stack's file (it has release:environment)");
  });
});

/**
 * Step (a) as the user does it: the route the plan prints, added to the environment stack file. It must change no
 * resource of the environment stack (its outputs gain `environment`, and it gains its load balancer's search page); the contract it exports
 * is what the service stack joins.
 */
async function withPrintedRoute(text: string, stack: string, stackFile: Record<string, unknown>, before: SynthDocument): Promise<{ contract: EnvironmentContract; document: SynthDocument; stackFile: Record<string, unknown> }> {
  const route = parse(/release:routes:\n(?: {6}.*\n)+/.exec(text)![0].replace(/^ {4}/gm, ""));
  const withRoute = { ...stackFile, ...route };
  const after = await synth(withRoute, stack);
  // The only new resources are the environment stack's search pages of its load balancers (a dashboard each).
  const routePage = (resource: SynthDocument["resources"][number]) => resource.type === "aws:cloudwatch/dashboard:Dashboard" && /-routes-[a-z0-9]+$/.test(resource.name);
  const inputs = (document: SynthDocument) => document.resources.filter((resource) => !routePage(resource)).map((resource) => JSON.stringify([resource.urn, resource.inputs, resource.options]));
  expect(inputs(after)).toEqual(inputs(before));
  expect(after.resources.filter(routePage).map((resource) => resource.name)).toEqual([`${stack}-routes-main`]);
  expect(before.resources.filter(routePage)).toEqual([]);
  expect(before.outputs.environment).toBeUndefined();
  return { contract: after.outputs.environment as EnvironmentContract, document: after, stackFile: withRoute };
}

/** The service stack file step (c) prints, synthesized against the environment's contract, as the engine would name it. */
async function serviceStackOf(text: string, project: string, stack: string, contract: EnvironmentContract, extra: Record<string, unknown> = {}) {
  const directory = mkdtempSync(join(tmpdir(), `${project}-`));
  writeFileSync(join(directory, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
  const file = parse(/( {4}config:\n(?: {4}.*\n)+)/.exec(text)![1].replace(/^ {4}/gm, ""));
  writeFileSync(join(directory, `Pulumi.${stack}.yaml`), JSON.stringify({ config: { ...file.config, ...extra } }));
  writeFileSync(join(directory, "outputs.json"), JSON.stringify({ [file.config["release:environment"].stackReference]: { environment: contract } }));
  const document = await synthesizeStack({ stack, configFile: join(directory, `Pulumi.${stack}.yaml`), stackOutputsFile: join(directory, "outputs.json") });
  expect(document.project).toBe(project);
  return Object.assign(stateExport(document).deployment.resources as { urn: string; type: string; parent?: string; inputs?: Record<string, unknown> }[], { document });
}

/** The resources at or under `urn`. */
function subtreeOf(resources: readonly { urn: string; parent?: string }[], urn: string) {
  const parentOf = new Map(resources.map((resource) => [resource.urn, resource.parent]));
  const under = (candidate: string): boolean => candidate === urn || (parentOf.get(candidate) !== undefined && under(parentOf.get(candidate)!));
  return resources.filter((resource) => under(resource.urn));
}

describe("the service stack the migration writes", () => {
  // Needs the svcstack branch's ReleaseEnvironment joining a contract (a service stack synthesizes end to end).
  it("registers the service under URNs that are exactly the plan's, with the inputs deployed but the flag store's path", async () => {
    const production = await synth(shippedConfig("production"), "production");
    const state = fromExport(stateExport(production));
    const plan = migrationPlan(state, { service: "checkout", dest: DEST, source: SOURCE });
    const settings = readServiceSettings(readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8"), "Pulumi.production.yaml", "checkout");
    const text = renderPlan(plan, { settings, stackFile: "Pulumi.production.yaml" });
    const environment = await withPrintedRoute(text, "production", shippedConfig("production"), production);
    expect(environment.contract.routes.checkout).toMatchObject({ stack: "acme/checkout/production", releasedByEnvironment: true });
    // (d) in its order: the service stack is refused while the environment stack's contract still marks checkout as its
    // own; the environment's file without checkout (step (c)), once up, exports the contract the service stack joins.
    await expect(serviceStackOf(text, "checkout", "production", environment.contract)).rejects.toThrow(
      "release:services.checkout: is still released by the environment stack acme/release-platform/production (its release:services.checkout): finish moving it first",
    );
    const { checkout: _moved, ...others } = environment.stackFile["release:services"] as Record<string, unknown>;
    const withoutCheckout = await synth({ ...environment.stackFile, "release:services": others }, "production");
    const contract = withoutCheckout.outputs.environment as EnvironmentContract;
    expect(contract.routes.checkout).toEqual({ pathPatterns: ["/checkout/*"], hostHeaders: [], priority: 10, loadBalancer: "main", stack: "acme/checkout/production" });
    const exported = await serviceStackOf(text, "checkout", "production", contract);
    const component = exported.find((resource) => resource.urn.endsWith("::checkout") && resource.type === "release:aws:BlueGreenService")!;
    const registered = subtreeOf(exported, component.urn) as typeof exported;
    expect(registered.map((resource) => resource.urn).sort()).toEqual(plan.moved.map((resource) => resource.afterUp).sort());
    // What state move leaves in the service stack (the service re-parented to its root) is what the program registers
    // under an alias: the component says it was the stack's child, and its children inherit that.
    const root = plan.moved.find((resource) => resource.type === "release:aws:BlueGreenService")!;
    const synthesized = exported.document.resources.find((resource) => resource.urn === root.afterUp)!;
    expect(synthesized.options.aliases).toEqual([{ noParent: true }]);
    expect(root.afterMove).toBe(root.afterUp.replace("::release:aws:ReleaseEnvironment$", "::"));

    // The provider changes (the copied production-aws -> the joined environment's): the AWS provider replaces its
    // resources only for another region (DiffConfig), and different default tags would update every resource's tags.
    const providerOf = (resources: typeof exported, urn: string) => {
      const reference = (resources.find((resource) => resource.urn === urn) as { provider?: string }).provider!;
      return resources.find((resource) => resource.urn === reference.slice(0, reference.lastIndexOf("::")))!;
    };
    const serviceUrn = plan.moved.find((resource) => resource.type === "aws:ecs/service:Service")!;
    const oldProvider = providerOf(stateExport(production).deployment.resources as typeof exported, serviceUrn.urn);
    const newProvider = providerOf(exported, serviceUrn.afterUp);
    expect(parseUrn(newProvider.urn)!.name).toBe("checkout-aws");
    expect({ region: newProvider.inputs?.region, tags: newProvider.inputs?.defaultTags }).toEqual({ region: oldProvider.inputs?.region, tags: oldProvider.inputs?.defaultTags });

    // What `pulumi preview` of the service stack compares: the same inputs, resource by resource.
    const deployed = new Map(stateExport(production).deployment.resources.map((resource) => [(resource as { urn: string }).urn, resource as { inputs?: Record<string, unknown> }]));
    const changed = plan.moved.filter((resource) => {
      const now = registered.find((candidate) => candidate.urn === resource.afterUp)!;
      return JSON.stringify(now.inputs ?? {}) !== JSON.stringify(deployed.get(resource.urn)?.inputs ?? {});
    });
    // One input changes: the task definition's AppConfig path names the service stack's own flag store (a new revision,
    // i.e. a release through the service's canary); nothing else of the service differs.
    expect(changed.map((resource) => parseUrn(resource.urn)!.name)).toEqual(["checkout-task"]);
    expect(readFileSync(join(PROJECT_ROOT, "docs/service-stacks.md"), "utf8").replace(/\s+/g, " ")).toContain(`All ${plan.moved.length} resources of \`checkout\` come back`);

    // The environment stack's side of (d): without checkout in its file (and its resources no longer in its state), what
    // changes is exactly what the move said depended on checkout; the read grant to checkout's role goes.
    const changes = diffDocuments(environment.document, withoutCheckout).resources.filter((change) => !change.type.startsWith("release:"));
    const gone = new Set(plan.moved.map((resource) => parseUrn(resource.urn)!.name));
    const named = (kinds: string[]) => changes.filter((change) => kinds.includes(change.kind) && !gone.has(change.name)).map((change) => change.name).sort();
    const warned = [...new Set(plan.environmentDependsOn.map((cut) => parseUrn(cut.from)!.name))].sort();
    expect([...named(["changed", "replaced"]), ...named(["removed"])].sort()).toEqual(warned);
    expect(named(["removed"])).toEqual(["production-flags-read-checkout"]);
    expect(named(["replaced", "added"])).toEqual([]);
    const task = changed[0];
    const lines = (inputs: Record<string, unknown> | undefined) => JSON.stringify(JSON.parse(String(inputs?.containerDefinitions)), null, 1).split("\n");
    const before = lines(deployed.get(task.urn)?.inputs);
    const after = lines(registered.find((candidate) => candidate.urn === task.afterUp)!.inputs);
    expect(after.filter((line, index) => line !== before[index])).toEqual([
      '    "value": "/applications/release-platform-production-checkout/environments/production-checkout/configurations/feature-flags"',
    ]);
    expect(JSON.stringify({ ...deployed.get(task.urn)?.inputs, containerDefinitions: 0 })).toBe(JSON.stringify({ ...registered.find((candidate) => candidate.urn === task.afterUp)!.inputs, containerDefinitions: 0 }));
  }, 120_000);
});

describe("the service stack the migration writes for a Kubernetes service", () => {
  it("registers the KubernetesService under the plan's URNs on the environment's cluster; only its Rollout's flag path changes", async () => {
    const stackFile = parse(readFileSync(join(PROJECT_ROOT, "examples", "kubernetes", "Pulumi.eks.yaml"), "utf8")).config;
    const eks = await synth(stackFile, "eks");
    const plan = migrationPlan(fromExport(stateExport(eks)), { service: "catalog", dest: parseStackName("dest", "acme/catalog/eks") });
    const settings = readServiceSettings(readFileSync(join(PROJECT_ROOT, "examples", "kubernetes", "Pulumi.eks.yaml"), "utf8"), "Pulumi.eks.yaml", "catalog");
    const text = renderPlan(plan, { settings, stackFile: "Pulumi.eks.yaml" });
    const environment = await withPrintedRoute(text, "eks", stackFile, eks);
    // The kubeconfig step (c) tells the team to set: the same cluster's, as the environment stack file has it.
    const cluster = { "release:cluster": { kubeconfig: stackFile["release:cluster"].kubeconfig } };
    await expect(serviceStackOf(text, "catalog", "eks", environment.contract, cluster)).rejects.toThrow("release:services.catalog: is still released by the environment stack");
    const { catalog: _moved, ...others } = environment.stackFile["release:services"] as Record<string, unknown>;
    const contract = (await synth({ ...environment.stackFile, "release:services": others }, "eks")).outputs.environment as EnvironmentContract;
    const exported = await serviceStackOf(text, "catalog", "eks", contract, cluster);
    const component = exported.find((resource) => resource.urn.endsWith("::catalog") && resource.type === "release:kubernetes:KubernetesService")!;
    const registered = subtreeOf(exported, component.urn) as typeof exported;
    expect(registered.map((resource) => resource.urn).sort()).toEqual(plan.moved.map((resource) => resource.afterUp).sort());
    const deployed = new Map(stateExport(eks).deployment.resources.map((resource) => [(resource as { urn: string }).urn, resource as { inputs?: Record<string, unknown> }]));
    const changed = plan.moved.filter((resource) => JSON.stringify(registered.find((candidate) => candidate.urn === resource.afterUp)!.inputs ?? {}) !== JSON.stringify(deployed.get(resource.urn)?.inputs ?? {}));
    // The Rollout's pods read the service stack's own store: an update Argo releases like any other, with the waiter Job
    // every release gets (named after the pod template).
    expect(changed.map((resource) => `${resource.type} ${parseUrn(resource.urn)!.name}`)).toEqual(["kubernetes:argoproj.io/v1alpha1:Rollout catalog-rollout", "kubernetes:batch/v1:Job catalog-release-waiter"]);
    expect(readFileSync(join(PROJECT_ROOT, "docs/service-stacks.md"), "utf8").replace(/\s+/g, " ")).toContain(`finds its ${plan.moved.length} resources under the plan's URNs`);
    const lines = (inputs: unknown) => JSON.stringify(inputs, null, 1).split("\n");
    const rollout = changed[0];
    const before = lines(deployed.get(rollout.urn)?.inputs);
    expect(lines(registered.find((candidate) => candidate.urn === rollout.afterUp)!.inputs).filter((line, index) => line !== before[index])).toEqual([
      '        "value": "/applications/release-platform-eks-catalog/environments/eks-catalog/configurations/feature-flags"',
    ]);
  }, 120_000);
});
