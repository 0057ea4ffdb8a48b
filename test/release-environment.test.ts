import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { ReleaseEnvironment } from "../components/release-environment/release-environment";
import type { ReleaseEnvironmentArgs } from "../components/release-environment/args";
import type { Tier } from "../components/tiers";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { diffDocuments } from "../src/synth/diff";
import { PROJECT_ROOT, synthesizeStack } from "../src/synth/run";
import { loadReleaseConfig } from "../src/config/load";
import { toConfigValues } from "../src/synth/stack-file";
import { resource, setPath, shippedConfig, type StackConfig, TEST_CERTIFICATE, TEST_NETWORK } from "./helpers";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";
import { ALARM_KINDS } from "../components/deployment-alarms/kinds";


/** What a platform team must give: the tier, the Region, the network and each service's image, port, route and priority. */
function requiredArgs(tier: Tier): ReleaseEnvironmentArgs {
  return {
    tier,
    region: "eu-west-1",
    network: TEST_NETWORK,
    ...(tier === "dev" ? {} : { ingress: { certificateArn: TEST_CERTIFICATE }, notifications: { emails: ["oncall@example.com"] } }),
    services: { api: { image: "nginx:1.27", port: 8080, pathPatterns: ["/*"], priority: 1 } },
  };
}

function build(name: string, args: ReleaseEnvironmentArgs): Promise<SynthDocument> {
  return synthesizeProgram({ stack: name, tier: args.tier, region: args.region }, async () => new ReleaseEnvironment(name, args).outputs);
}

const ecsService = (document: SynthDocument) => resource(document, "aws:ecs/service:Service", "api-service").inputs;
const hookStages = (document: SynthDocument) =>
  (((ecsService(document).deploymentConfiguration as Record<string, unknown>).lifecycleHooks ?? []) as { lifecycleStages: string[] }[]).map((hook) => hook.lifecycleStages[0]);

describe("a ReleaseEnvironment built from only its required arguments gets its tier's defaults", () => {
  it("production: a canary with bakes, 3 tasks, rollback alarms, both hooks, a guarded flag store, protected history and access logs", async () => {
    const document = await build("shop", requiredArgs("production"));
    expect(ecsService(document)).toMatchObject({
      desiredCount: 3,
      waitForSteadyState: true,
      deploymentConfiguration: { strategy: "CANARY", bakeTimeInMinutes: "15", canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" } },
    });
    expect((ecsService(document).alarms as { alarmNames: string[] }).alarmNames).toEqual([...builtInAlarmNames("shop", "api"), "shop-api-task-start-impaired"]);
    expect(hookStages(document)).toEqual(["POST_TEST_TRAFFIC_SHIFT", "PRE_SCALE_UP"]);
    expect(resource(document, "aws:appconfig/deploymentStrategy:DeploymentStrategy", "shop-flags-strategy").inputs).toMatchObject({
      growthType: "LINEAR",
      growthFactor: 20,
      deploymentDurationInMinutes: 20,
      finalBakeTimeInMinutes: 10,
    });
    // AppConfig rolls flags back on the service's composite alarm.
    const monitors = resource(document, "aws:appconfig/environment:Environment", "shop-flags-env").inputs.monitors as { alarmArn: string }[];
    expect(monitors.map((monitor) => monitor.alarmArn)).toEqual([expect.stringMatching(/:alarm:shop-api-any$/)]);
    expect(resource(document, "aws:lb/loadBalancer:LoadBalancer", "shop-lb").inputs).toMatchObject({ enableDeletionProtection: true, accessLogs: { enabled: true } });
    // History: the application and profile cannot be deleted by a stack change; replaced flag versions stay in AppConfig.
    expect(resource(document, "aws:appconfig/application:Application", "shop-flags-app").options.protect).toBe(true);
    expect(resource(document, "aws:appconfig/configurationProfile:ConfigurationProfile", "shop-flags-profile").options.protect).toBe(true);
    expect(resource(document, "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion", "shop-flags-version").options.retainOnDelete).toBe(true);
    expect(resource(document, "aws:s3/bucket:Bucket", "shop-access-logs").options.protect).toBe(true);
  });

  it("staging: blue/green with a bake, 2 tasks, both hooks, flags in 50% steps", async () => {
    const document = await build("stage", requiredArgs("staging"));
    expect(ecsService(document)).toMatchObject({ desiredCount: 2, deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: "5" } });
    expect(hookStages(document)).toEqual(["POST_TEST_TRAFFIC_SHIFT", "PRE_SCALE_UP"]);
    expect(resource(document, "aws:appconfig/deploymentStrategy:DeploymentStrategy", "stage-flags-strategy").inputs).toMatchObject({ growthFactor: 50, finalBakeTimeInMinutes: 5 });
    expect(resource(document, "aws:lb/loadBalancer:LoadBalancer", "stage-lb").inputs.enableDeletionProtection).toBe(false);
  });

  it("dev: blue/green without bake or hooks, 1 task, HTTP without a certificate, flags all at once, nothing protected", async () => {
    const document = await build("sandbox", requiredArgs("dev"));
    expect(ecsService(document)).toMatchObject({ desiredCount: 1, waitForSteadyState: false, deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: "0" } });
    // Only the switched-off alarm gate, which passes every deployment: a hook list never becomes empty (guard-transitions.test.ts).
    expect(hookStages(document)).toEqual(["PRE_SCALE_UP"]);
    expect(resource(document, "aws:lb/listener:Listener", "sandbox-production").inputs).toMatchObject({ port: 80, protocol: "HTTP" });
    expect(resource(document, "aws:appconfig/deploymentStrategy:DeploymentStrategy", "sandbox-flags-strategy").inputs).toMatchObject({ growthFactor: 100, deploymentDurationInMinutes: 0 });
    expect(document.resources.some((r) => r.options.protect)).toBe(false);
  });
});

describe("a ReleaseEnvironment exposes what it built", () => {
  it("services, the flag store and the stack outputs, every one registered on the component", async () => {
    let built: ReleaseEnvironment | undefined;
    const document = await synthesizeProgram({ stack: "shop", tier: "production", region: "eu-west-1" }, async () => {
      built = new ReleaseEnvironment("shop", requiredArgs("production"));
      return built.outputs;
    });
    expect(Object.keys(built!.services)).toEqual(["api"]);
    expect(built!.flagStore).toBeDefined();
    const component = resource(document, "release:aws:ReleaseEnvironment", "shop");
    expect(component.outputs).toMatchObject({ tier: "production", services: { api: { strategy: "canary 10% -> bake 5m -> 100%, bake 15m" } } });
    expect(Object.keys(component.outputs ?? {}).sort()).toEqual(Object.keys(document.outputs ?? {}).sort());
    // The children the program used to create at the stack's root are the component's now.
    for (const [type, name] of [
      ["release:aws:Environment", "shop"],
      ["release:aws:BlueGreenService", "api"],
      ["release:aws:FeatureFlagStore", "shop-flags"],
    ]) {
      expect(resource(document, type, name).parent).toBe(component.urn);
    }
  });
});

describe("a bad argument anywhere in a ReleaseEnvironment registers nothing", () => {
  async function refused(args: ReleaseEnvironmentArgs): Promise<{ message: string; registered: string[] }> {
    let message = "";
    const document = await synthesizeProgram({ stack: "shop", tier: args.tier, region: args.region }, async () => {
      try {
        new ReleaseEnvironment("shop", args);
      } catch (error) {
        message = (error as Error).message;
      }
      return {};
    });
    return { message, registered: document.resources.map((resource) => resource.name) };
  }

  it("every problem at once, each at its path in the args: a service's alarm and smoke test, a priority, the alerts", async () => {
    const base = requiredArgs("production");
    const api = base.services.api;
    const { message, registered } = await refused({
      ...base,
      notifications: {},
      services: {
        api: { ...api, alarms: { errorRatePercent: 0 }, smokeTest: { samples: 0 } },
        web: { ...api, pathPatterns: ["/web/*"], alarms: { custom: [{ name: "any", namespace: "Shop", metric: "Orders", statistic: "Sum", comparison: "LessThanThreshold", threshold: 1 }] } },
      },
    });
    expect(registered).toEqual([]);
    expect(message).toMatch(/^ReleaseEnvironment shop: /);
    for (const field of ["notifications ", "services.api.alarms.errorRatePercent ", "services.api.smokeTest.samples ", "services.web.priority ", "services.web.alarms.custom[0].name "]) {
      expect(message).toContain(field);
    }
  });

  it("a Kubernetes service without a cluster", async () => {
    const base = requiredArgs("dev");
    const { message, registered } = await refused({ ...base, services: { api: { ...base.services.api, runtime: "kubernetes" } } });
    expect(registered).toEqual([]);
    expect(message).toContain("services.api.runtime kubernetes needs");
  });
});

describe("a stack deployed by the root-level program upgrades in place", () => {
  // What the program synthesized before ReleaseEnvironment (commit 755069f): its Environment, services and flag store at
  // the stack's root. The plan diff pairs resources as the engine does (aliases), so this is what `pulumi preview` shows.
  const deployed = (file: string): SynthDocument => JSON.parse(gunzipSync(readFileSync(join(PROJECT_ROOT, "test/fixtures", file))).toString("utf8"));

  // The eks example's steps service (search) has since got a host of its own, its DNS record, and alarms on the
  // controller's load balancer, which join the dashboard and the flag monitors (issue 22): added and changed on purpose.
  const searchWatched = {
    added: [
      "aws:cloudwatch/compositeAlarm:CompositeAlarm search-alarms-any",
      ...ALARM_KINDS.map((kind) => `aws:cloudwatch/metricAlarm:MetricAlarm search-alarms-${kind.name}`),
      "aws:route53/record:Record search-search.shop.example.com",
      "release:aws:DeploymentAlarms search-alarms",
    ],
    changed: [
      "aws:appconfig/environment:Environment eks-flags-env",
      "aws:cloudwatch/dashboard:Dashboard eks-dashboard",
      "kubernetes:networking.k8s.io/v1:Ingress search-ingress",
    ],
  };
  it.each([
    ["production", "production-root-program.json.gz", {}, ["release:aws:BlueGreenService catalog", "release:aws:BlueGreenService checkout", "release:aws:Environment production", "release:aws:FeatureFlagStore production-flags"], { added: [], changed: [] }],
    ["eks", "eks-root-program.json.gz", { configFile: join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml") }, ["pulumi:providers:kubernetes cluster", "kubernetes:core/v1:Namespace namespace", "release:kubernetes:KubernetesService catalog"], searchWatched],
  ] as const)("%s: one resource added (the ReleaseEnvironment), nothing removed or replaced, the root components moved by alias", async (stack, file, source, moved, since) => {
    const whole = diffDocuments(deployed(file), await synthesizeStack({ stack, ...source }));
    // Issue 22 changed how a Kubernetes release runs (analysis, its precondition, the waiter, notifications, draining):
    // those objects of the two Kubernetes services differ from the root program's by design; nothing else may.
    const releaseSafety = /^(catalog|search)-(alarm-gate|alarms|bake|smoke|promotion-check|analysis-precondition|rollout|release-waiter|readiness-gates|release-reader|release-events)$/;
    const diff = { ...whole, resources: whole.resources.filter((change) => !(stack === "eks" && releaseSafety.test(change.name) && change.type !== "release:aws:DeploymentAlarms")) };
    const of = (kind: string) => diff.resources.filter((change) => change.kind === kind).map((change) => `${change.type} ${change.name}`);
    // An alarm kind the root program did not have adds its alarm to every service, and to the composite that joins them.
    const newKinds = ALARM_KINDS.map((kind) => kind.name).filter((name) => !["error-rate", "p99-latency", "unhealthy-hosts"].includes(name));
    const newKindAlarm = (change: string) => newKinds.some((name) => change.startsWith("aws:cloudwatch/metricAlarm:MetricAlarm ") && change.endsWith(`-alarms-${name}`));
    expect(of("removed")).toEqual([]);
    expect(of("replaced")).toEqual([]);
    // Added since on purpose: each ECS service's watch of SERVICE_TASK_START_IMPAIRED (issue 23).
    const sinceAdded = since.added.filter((added) => !newKindAlarm(added));
    expect(of("added").filter((added) => !/^aws:cloudwatch\/(eventRule:EventRule|eventTarget:EventTarget|metricAlarm:MetricAlarm) \w+-task-start-impaired$/.test(added) && !newKindAlarm(added)).sort()).toEqual([`release:aws:ReleaseEnvironment ${stack}`, ...sinceAdded].sort());
    expect(diff.resources.filter((change) => change.moved).map((change) => `${change.type} ${change.name}`)).toEqual(expect.arrayContaining([...moved]));
    // Besides the move, components register outputs they did not before (state only: nothing in AWS changes). Changed
    // since that commit on purpose: the hooks' code, and the alarm gate's policy (it reads alarm history and the
    // deployment, issue 23).
    const later = (change: (typeof diff.resources)[number], path: string) =>
      (change.type === "aws:lambda/function:Function" && /-hooks-(alarm-gate|smoke-test)$/.test(change.name) && path === "inputs.code.[archive].index.js") ||
      (change.type === "aws:iam/rolePolicy:RolePolicy" && change.name.endsWith("-hooks-alarm-gate") && path.startsWith("inputs.policy.Statement[")) ||
      (change.kind === "added" && change.name.endsWith("-task-start-impaired")) ||
      (change.kind === "added" && newKindAlarm(`${change.type} ${change.name}`)) ||
      (newKinds.length > 0 && change.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm" && path === "inputs.alarmRule") ||
      (newKinds.length > 0 && change.type === "aws:cloudwatch/dashboard:Dashboard" && /\.properties\.alarms\[\d+\]$/.test(path)) ||
      (change.type === "aws:ecs/service:Service" && (path.startsWith("inputs.alarms.alarmNames") || /^inputs\.deploymentConfiguration\.lifecycleHooks\[\d\]\.hookDetails\.alarmNames/.test(path))) ||
      (change.type === "aws:lambda/function:Function" && change.name.endsWith("-hooks-alarm-gate") && path === "inputs.code.[archive].index.js") ||
      // Issue 23 too: the service ignores its whole loadBalancers set, the execution role may decrypt secrets through
      // Secrets Manager, and the NAT list holds the hooks' subnets' egress (marked as such).
      path.startsWith("options.ignoreChanges") ||
      // A Kubernetes service's alarms say that Argo's analysis, not they, aborts a release (ECS's say ECS rolls back).
      (change.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && /^(catalog|search)-alarms-/.test(change.name) && path === "inputs.alarmDescription") ||
      (change.name.endsWith("-execution") && path.startsWith("inputs.policy.Statement[4]")) ||
      (change.name.endsWith("-nat") && path.startsWith("inputs.entries"));
    // The eks example's search service changed on purpose (its host, alarms and monitors: issue 22); it does change.
    const onPurpose = new Set<string>([...since.added, ...since.changed]);
    expect(since.changed.filter((name) => !diff.resources.some((change) => change.kind === "changed" && `${change.type} ${change.name}` === name))).toEqual([]);
    expect(diff.resources.flatMap((change) => onPurpose.has(`${change.type} ${change.name}`) ? [] : change.changes.filter((property) => (change.kind !== "changed" || !property.path.startsWith("outputs.")) && !later(change, property.path)))).toEqual([]);
  });
});

describe("settings a ReleaseEnvironment would drop are refused, at the stack file's path", () => {
  const eks = () => (parseYaml(readFileSync(join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml"), "utf8")) as { config: StackConfig }).config;
  const refusal = (config: StackConfig, stack: string, secretLeaves: string[] = []) => {
    const { values, secretKeys } = toConfigValues(config, "release-platform");
    for (const leaf of secretLeaves) secretKeys.add(leaf.split(/[.[]/)[0]);
    try {
      loadReleaseConfig({ stack, stackFile: `Pulumi.${stack}.yaml`, values, secretKeys, secretPaths: new Set(secretLeaves) });
      return "";
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("a secret environment value on a Kubernetes service (no pod would get it), kept secret in the message", () => {
    const config = setPath(eks(), "release:services.search.environment", { API_KEY: "k-0123456789", LOG_LEVEL: "info" });
    const message = refusal(config, "eks", ["release:services.search.environment.API_KEY"]);
    expect(message).toContain("release:services.search.environment.API_KEY: secret values are ECS-only");
    expect(message).not.toContain("k-0123456789");
    expect(refusal(config, "eks")).toBe("");
  });

  it("a smoke test on a rolling service, which has no test listener to run it against", () => {
    const config = setPath(shippedConfig("dev"), "release:services.checkout.deployment", { strategy: "rolling" });
    setPath(config, "release:services.checkout.smokeTest", { samples: 10 });
    expect(refusal(config, "dev")).toContain("release:services.checkout.smokeTest: does not apply to strategy rolling");
  });

  it("a misspelt flag store key is its own problem only: no rule that only the AppConfig Agent brings speaks for it", () => {
    const config = setPath(eks(), "release:flagStore", { backend: "flagd", agnet: false });
    delete (config["release:cluster"] as Record<string, unknown>).name;
    const lines = refusal(config, "eks").split("\n");
    expect(lines).toEqual([expect.stringContaining("release:flagStore.agnet: unknown key")]);
  });
});

describe("two ReleaseEnvironments in one stack", () => {
  const second = (service: string): ReleaseEnvironmentArgs => ({ ...requiredArgs("dev"), services: { [service]: { image: "nginx:1.27", port: 8080, pathPatterns: ["/*"], priority: 1 } } });

  it("live side by side when their services' names differ", async () => {
    const document = await synthesizeProgram({ stack: "dev", tier: "dev", region: "eu-west-1" }, async () => {
      new ReleaseEnvironment("shop", second("api"));
      new ReleaseEnvironment("blog", second("web"));
      return {};
    });
    expect(document.resources.filter((r) => r.type === "release:aws:ReleaseEnvironment").map((r) => r.name)).toEqual(["blog", "shop"]);
  });

  it("with a service name in common are refused offline, as pulumi up refuses their duplicate URNs", async () => {
    const run = synthesizeProgram({ stack: "dev", tier: "dev", region: "eu-west-1" }, async () => {
      new ReleaseEnvironment("shop", second("api"));
      new ReleaseEnvironment("blog", second("api"));
      return {};
    });
    await expect(run).rejects.toThrow(/Duplicate resource URN .*release:aws:ReleaseEnvironment\$release:aws:BlueGreenService::api/);
  });
});
