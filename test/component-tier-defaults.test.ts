import { describe, expect, it } from "vitest";
import { BlueGreenService } from "../components/blue-green-service/blue-green-service";
import { DeploymentAlarms, type DeploymentAlarmsArgs } from "../components/deployment-alarms/deployment-alarms";
import { FeatureFlagStore } from "../components/feature-flag-store/backends/appconfig/store";
import { type FeatureFlagStoreArgs } from "../components/feature-flag-store/backends/appconfig/args";
import { KubernetesService } from "../components/kubernetes-service/kubernetes-service";
import { LifecycleHooks, type LifecycleHooksArgs, smokeTestTimeoutSeconds } from "../components/lifecycle-hooks/lifecycle-hooks";
import type { Tier } from "../components/tiers";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { resource, resourcesOf, testEnvironment, testKubernetesServiceArgs } from "./helpers";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";

/** Runs a program under mocks: what it threw, every registered resource, and the stack outputs it returned. */
async function run(program: () => Record<string, unknown>): Promise<{ thrown: string; document: SynthDocument }> {
  let thrown = "";
  const document = await synthesizeProgram({ stack: "shop", tier: "production", region: "eu-west-1" }, async () => {
    try {
      return program();
    } catch (error) {
      thrown = (error as Error).message;
      return {};
    }
  });
  return { thrown, document };
}

/** The CloudWatch inputs of one alarm that decide when it fires. */
function firing(document: SynthDocument, name: string) {
  const { threshold, evaluationPeriods, datapointsToAlarm, metricQueries } = resource(document, ALARM, name).inputs as Record<string, unknown>;
  return { threshold, evaluationPeriods, datapointsToAlarm, math: JSON.stringify(metricQueries) };
}

const alarmArgs = (tier?: Tier): DeploymentAlarmsArgs => ({
  serviceName: "api",
  namePrefix: "shop",
  loadBalancerArnSuffix: "app/shop/0123456789abcdef",
  targetGroupArnSuffixes: ["targetgroup/shop-api-b/0123456789abcdef", "targetgroup/shop-api-g/fedcba9876543210"],
  alertTopicArn: TOPIC,
  ...(tier ? { tier } : {}),
});

describe("DeploymentAlarms built directly with only its required arguments takes its tier's thresholds and timing", () => {
  const cases: [Tier | undefined, { errorRate: number; minRequests: number; latencySeconds: number; of: number }][] = [
    ["dev", { errorRate: 5, minRequests: 10, latencySeconds: 2, of: 3 }],
    ["staging", { errorRate: 2, minRequests: 20, latencySeconds: 1, of: 2 }],
    ["production", { errorRate: 1, minRequests: 50, latencySeconds: 0.8, of: 1 }],
    // No tier: the production thresholds the component had before it took one.
    [undefined, { errorRate: 1, minRequests: 50, latencySeconds: 0.8, of: 1 }],
  ];
  it.each(cases)("%s", async (tier, expected) => {
    let settings: unknown;
    const { thrown, document } = await run(() => {
      settings = new DeploymentAlarms("api-alarms", alarmArgs(tier)).settings;
      return {};
    });
    expect(thrown).toBe("");
    // What a dashboard drawing the thresholds reads.
    expect(settings).toMatchObject({ errorRatePercent: expected.errorRate, minRequests: expected.minRequests, p99LatencyMs: expected.latencySeconds * 1000 });
    const errorRate = firing(document, "api-alarms-error-rate");
    expect(errorRate).toMatchObject({ threshold: expected.errorRate, evaluationPeriods: expected.of, datapointsToAlarm: expected.of });
    expect(errorRate.math).toContain(`IF(FILL(requests0, 0) >= ${expected.minRequests},`);
    expect(errorRate.math).toContain(`IF(FILL(requests1, 0) >= ${expected.minRequests},`);
    expect(firing(document, "api-alarms-p99-latency")).toMatchObject({ threshold: expected.latencySeconds, evaluationPeriods: expected.of, datapointsToAlarm: expected.of });
    // A slow-starting task may fail a few checks: the unhealthy-hosts alarm never judges on fewer than 2 of 3 minutes.
    expect(firing(document, "api-alarms-unhealthy-hosts")).toMatchObject({ threshold: 1, evaluationPeriods: 3, datapointsToAlarm: Math.max(expected.of, 2) });
  });

  it("the caller's values win over the tier's, each on its own", async () => {
    const { document } = await run(() => {
      new DeploymentAlarms("api-alarms", { ...alarmArgs("dev"), errorRatePercent: 0.5, timing: { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 4 } });
      return {};
    });
    const errorRate = firing(document, "api-alarms-error-rate");
    expect(errorRate).toMatchObject({ threshold: 0.5, evaluationPeriods: 5, datapointsToAlarm: 4 });
    expect(errorRate.math).toContain(">= 10,");
    expect(firing(document, "api-alarms-p99-latency").threshold).toBe(2);
  });
});

const smokeArgs = (tier?: Tier): LifecycleHooksArgs => ({
  serviceName: "api",
  namePrefix: "shop",
  ...(tier ? { tier } : {}),
  smokeTest: { url: "http://test.shop.example:9000", paths: ["/healthz"], subnetIds: ["subnet-0123456789abcdef3"], securityGroupIds: ["sg-0123456789abcdef0"] },
});

describe("LifecycleHooks built directly with only its required arguments takes its tier's smoke test and log retention", () => {
  const cases: [Tier | undefined, { samples: number; minSuccessRate: number; retention: number }][] = [
    ["dev", { samples: 30, minSuccessRate: 0.8, retention: 7 }],
    ["staging", { samples: 20, minSuccessRate: 0.95, retention: 30 }],
    ["production", { samples: 20, minSuccessRate: 0.95, retention: 90 }],
    // No tier: the staging settings the component had before it took one.
    [undefined, { samples: 20, minSuccessRate: 0.95, retention: 30 }],
  ];
  it.each(cases)("%s", async (tier, expected) => {
    const { thrown, document } = await run(() => {
      const hooks = new LifecycleHooks("api-hooks", smokeArgs(tier));
      // What ECS hands the function on each invocation: the service's deploymentConfiguration carries it.
      return { hookDetails: hooks.lifecycleHooks.map((hook) => (hook as { hookDetails: unknown }).hookDetails) };
    });
    expect(thrown).toBe("");
    const [details] = (document.outputs.hookDetails as string[]).map((json) => JSON.parse(json) as Record<string, unknown>);
    expect(details).toMatchObject({ paths: ["/healthz"], samples: expected.samples, minSuccessRate: expected.minSuccessRate, timeoutMs: 2000, expectedStatuses: "200-299" });
    expect(resource(document, "aws:lambda/function:Function", "api-hooks-smoke-test").inputs.timeout).toBe(smokeTestTimeoutSeconds(1, expected.samples, 2000));
    expect(resource(document, "aws:cloudwatch/logGroup:LogGroup", "api-hooks-smoke-test").inputs.retentionInDays).toBe(expected.retention);
  });

  it("the caller's values win over the tier's", async () => {
    const { document } = await run(() => {
      const base = smokeArgs("dev");
      const hooks = new LifecycleHooks("api-hooks", { ...base, logRetentionDays: 14, smokeTest: { ...base.smokeTest!, samples: 40, timeoutMs: 1000 } });
      return { hookDetails: hooks.lifecycleHooks.map((hook) => (hook as { hookDetails: unknown }).hookDetails) };
    });
    expect(JSON.parse((document.outputs.hookDetails as string[])[0])).toMatchObject({ samples: 40, minSuccessRate: 0.8, timeoutMs: 1000 });
    expect(resource(document, "aws:cloudwatch/logGroup:LogGroup", "api-hooks-smoke-test").inputs.retentionInDays).toBe(14);
  });
});

const storeArgs = (tier?: Tier): FeatureFlagStoreArgs => ({
  applicationName: "shop-flags",
  environmentName: "shop",
  document: JSON.stringify({ version: "1", flags: {}, values: {} }),
  ...(tier ? { tier } : {}),
});

describe("FeatureFlagStore built directly with only its required arguments takes its tier's rollout and history protection", () => {
  const cases: [Tier | undefined, { growthFactor: number; duration: number; bake: number; protect: boolean }][] = [
    ["dev", { growthFactor: 100, duration: 0, bake: 0, protect: false }],
    ["staging", { growthFactor: 50, duration: 4, bake: 5, protect: false }],
    ["production", { growthFactor: 20, duration: 20, bake: 10, protect: true }],
    // No tier: all at once and unprotected, as the store was before it took one.
    [undefined, { growthFactor: 100, duration: 0, bake: 0, protect: false }],
  ];
  it.each(cases)("%s", async (tier, expected) => {
    const { thrown, document } = await run(() => {
      new FeatureFlagStore("flags", storeArgs(tier));
      return {};
    });
    expect(thrown).toBe("");
    expect(resource(document, "aws:appconfig/deploymentStrategy:DeploymentStrategy", "flags-strategy").inputs).toMatchObject({
      growthType: "LINEAR",
      growthFactor: expected.growthFactor,
      deploymentDurationInMinutes: expected.duration,
      finalBakeTimeInMinutes: expected.bake,
      replicateTo: "NONE",
    });
    // The application and profile hold the flag history; old versions are kept when a new one replaces them.
    expect(resource(document, "aws:appconfig/application:Application", "flags-app").options.protect).toBe(expected.protect);
    expect(resource(document, "aws:appconfig/configurationProfile:ConfigurationProfile", "flags-profile").options.protect).toBe(expected.protect);
    expect(resource(document, "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion", "flags-version").options.retainOnDelete).toBe(expected.protect);
  });

  it("the caller's values win over the tier's, each on its own", async () => {
    const { document } = await run(() => {
      new FeatureFlagStore("flags", { ...storeArgs("production"), strategy: { growthFactor: 10 }, protectHistory: false });
      return {};
    });
    expect(resource(document, "aws:appconfig/deploymentStrategy:DeploymentStrategy", "flags-strategy").inputs).toMatchObject({
      growthFactor: 10,
      deploymentDurationInMinutes: 20,
      finalBakeTimeInMinutes: 10,
    });
    expect(resource(document, "aws:appconfig/application:Application", "flags-app").options.protect).toBe(false);
  });
});

describe("a bad argument, given or left to the tier, registers nothing at all", () => {
  it("DeploymentAlarms: a negative error rate", async () => {
    const { thrown, document } = await run(() => {
      new DeploymentAlarms("api-alarms", { ...alarmArgs("staging"), errorRatePercent: -1 });
      return {};
    });
    expect(thrown).toBe("DeploymentAlarms api-alarms: errorRatePercent must be in (0, 100] (got -1)");
    expect(document.resources).toEqual([]);
  });

  it("LifecycleHooks: no samples", async () => {
    const { thrown, document } = await run(() => {
      const base = smokeArgs("production");
      new LifecycleHooks("api-hooks", { ...base, smokeTest: { ...base.smokeTest!, samples: 0 } });
      return {};
    });
    expect(thrown).toMatch(/^LifecycleHooks api-hooks: smokeTest\.samples .*\(got 0\)$/);
    expect(document.resources).toEqual([]);
  });

  it("LifecycleHooks: the tier's samples are judged with the caller's success rate", async () => {
    // At 0.8, production's 20 samples pass a version failing half of its requests too often; dev's 30 do not.
    const build = (tier: Tier) =>
      run(() => {
        const base = smokeArgs(tier);
        new LifecycleHooks("api-hooks", { ...base, smokeTest: { ...base.smokeTest!, minSuccessRate: 0.8 } });
        return {};
      });
    const production = await build("production");
    expect(production.thrown).toMatch(/^LifecycleHooks api-hooks: smokeTest\.samples too few to decide: .*\(got 20\)$/);
    expect(production.document.resources).toEqual([]);
    const dev = await build("dev");
    expect(dev.thrown).toBe("");
    expect(resourcesOf(dev.document, "aws:lambda/function:Function")).toHaveLength(1);
  });

  it("FeatureFlagStore: a growth factor above 100", async () => {
    const { thrown, document } = await run(() => {
      new FeatureFlagStore("flags", { ...storeArgs("production"), strategy: { growthFactor: 500 } });
      return {};
    });
    expect(thrown).toBe("FeatureFlagStore flags: strategy.growthFactor must be 1-100 (got 500)");
    expect(document.resources).toEqual([]);
  });
});

const environmentOf = (tier: Tier) => testEnvironment(tier);

describe("a BlueGreenService passes its environment's tier to the alarms and hooks it creates", () => {
  /** The service's smoke-test hookDetails, given only its required arguments (and a smoke test where the tier has none). */
  async function service(tier: Tier): Promise<{ document: SynthDocument; smoke: Record<string, unknown> }> {
    const { thrown, document } = await run(() => {
      const environment = environmentOf(tier);
      const api = new BlueGreenService(
        "api",
        { environment, image: "nginx:1.27", port: 8080, pathPatterns: ["/*"], priority: 1, ...(tier === "dev" ? { hooks: { smokeTest: {} } } : {}) },
        { providers: [environment.provider] },
      );
      return { hookDetails: api.hooks!.lifecycleHooks.map((hook) => (hook as { hookDetails: unknown }).hookDetails) };
    });
    expect(thrown).toBe("");
    const smoke = JSON.parse((document.outputs.hookDetails as string[])[0]) as Record<string, unknown>;
    return { document, smoke };
  }

  it("dev: the smoke test asked for takes dev's 30 samples at 0.8; alarms judge 3 of 3 minutes at 5%", async () => {
    const { document, smoke } = await service("dev");
    expect(smoke).toMatchObject({ samples: 30, minSuccessRate: 0.8, timeoutMs: 2000, expectedStatuses: "200-299" });
    expect(firing(document, "api-alarms-error-rate")).toMatchObject({ threshold: 5, evaluationPeriods: 3, datapointsToAlarm: 3 });
    expect(resource(document, "aws:cloudwatch/logGroup:LogGroup", "api-hooks-smoke-test").inputs.retentionInDays).toBe(7);
  });

  it("production: 20 samples at 0.95; alarms fire on one minute at 1%", async () => {
    const { document, smoke } = await service("production");
    expect(smoke).toMatchObject({ samples: 20, minSuccessRate: 0.95 });
    expect(firing(document, "api-alarms-error-rate")).toMatchObject({ threshold: 1, evaluationPeriods: 1, datapointsToAlarm: 1 });
    expect(resourcesOf(document, "release:aws:LifecycleHooks")).toHaveLength(1);
  });
});

describe("a KubernetesService judges by its environment's tier, as the ECS hooks and alarms do", () => {
  it.each([
    ["dev", 30, 5],
    ["staging", 20, 2],
  ] as const)("%s: the smoke job sends the tier's samples per path; the alarms take the tier's error rate", async (tier, samples, errorRate) => {
    const { thrown, document } = await run(() => {
      const environment = environmentOf(tier);
      new KubernetesService(
        "web",
        // dev runs no smoke test unless asked for one; staging runs it by default.
        testKubernetesServiceArgs(environment, tier === "dev" ? { hooks: { smokeTest: {} } } : {}),
        { providers: [environment.provider] },
      );
      return {};
    });
    expect(thrown).toBe("");
    const smoke = JSON.stringify(resource(document, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "web-smoke").inputs);
    expect(smoke).toContain(`while [ $i -lt ${samples} ]`);
    expect(firing(document, "web-alarms-error-rate").threshold).toBe(errorRate);
  });
});
