import { describe, expect, it } from "vitest";
import { BlueGreenService, type BlueGreenServiceArgs } from "../components/blue-green-service/blue-green-service";
import { Environment } from "../components/environment/environment";
import { FeatureFlagStore } from "../components/feature-flag-store/backends/appconfig/store";
import { KubernetesService, type KubernetesServiceArgs } from "../components/kubernetes-service/kubernetes-service";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { resource, resourcesOf, testEnvironment, testKubernetesServiceArgs } from "./helpers";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";

const SERVICE = "aws:ecs/service:Service";

function stagingEnvironment(): Environment {
  return testEnvironment("staging", { alertEmails: ["oncall@example.com"] });
}

const service = (environment: Environment): BlueGreenServiceArgs => ({
  environment,
  image: "nginx:1.27",
  port: 8080,
  hostHeaders: ["*.shop.example", "api.shop.example"],
  priority: 1,
  healthCheck: { path: "/healthz" },
  deployment: { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 },
});

/** Builds the program; returns what it threw (if anything) and every registered resource. */
async function build(program: (environment: Environment) => void): Promise<{ thrown: string; document: SynthDocument }> {
  let thrown = "";
  const document = await synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1" }, async () => {
    const environment = stagingEnvironment();
    try {
      program(environment);
    } catch (error) {
      thrown = (error as Error).message;
    }
    return {};
  });
  return { thrown, document };
}

describe("a service owns its guards, from data", () => {
  it("creates its alarms and hooks as its children; ECS rolls back on the alarms and calls the hooks", async () => {
    const { document } = await build((environment) => {
      new BlueGreenService("api", { ...service(environment), alarms: { errorRatePercent: 2 }, hooks: { smokeTest: { samples: 30 }, alarmGate: {} } }, { providers: [environment.provider] });
    });
    const api = resource(document, "release:aws:BlueGreenService", "api");
    expect(resource(document, "release:aws:DeploymentAlarms", "api-alarms").parent).toBe(api.urn);
    expect(resource(document, "release:aws:LifecycleHooks", "api-hooks").parent).toBe(api.urn);
    const errorRate = resource(document, "aws:cloudwatch/metricAlarm:MetricAlarm", "api-alarms-error-rate");
    // Both target groups are watched: blue and green error rates, each over their own request counts.
    expect(JSON.stringify(errorRate.inputs.metricQueries)).toContain(resource(document, "aws:lb/targetGroup:TargetGroup", "api-green").outputs.arnSuffix as string);
    const ecs = resource(document, SERVICE, "api-service");
    expect(ecs.inputs.alarms).toEqual({
      alarmNames: [...builtInAlarmNames("env", "api"), "env-api-task-start-impaired"],
      enable: true,
      rollback: true,
    });
    const hooks = (ecs.inputs.deploymentConfiguration as { lifecycleHooks: { lifecycleStages: string[]; hookDetails: string }[] }).lifecycleHooks;
    expect(hooks.map((hook) => hook.lifecycleStages)).toEqual([["POST_TEST_TRAFFIC_SHIFT"], ["PRE_SCALE_UP"]]);
    const smoke = JSON.parse(hooks[0].hookDetails) as Record<string, unknown>;
    expect(smoke).toMatchObject({
      url: expect.stringMatching(/^http:\/\/.*:9000$/),
      paths: ["/healthz"],
      samples: 30,
      hostHeader: "api.shop.example",
      headers: { "x-release-service": "api" },
    });
    expect(JSON.parse(hooks[1].hookDetails)).toMatchObject({ alarmNames: [...builtInAlarmNames("env", "api"), "env-api-task-start-impaired"] });
  });

  it("without alarms or hooks, the service has neither: alarms switched off and a gate that passes stay on ECS", async () => {
    const { document } = await build((environment) => {
      new BlueGreenService("api", { ...service(environment), alarms: false, hooks: { smokeTest: false, alarmGate: false } }, { providers: [environment.provider] });
    });
    expect(resourcesOf(document, "release:aws:DeploymentAlarms")).toEqual([]);
    // The provider never sends an empty hook list or a removed alarms block (guard-transitions.test.ts).
    const ecs = resource(document, SERVICE, "api-service");
    expect((ecs.inputs.alarms as { enable: boolean; rollback: boolean })).toMatchObject({ enable: false, rollback: false });
    const hooks = (ecs.inputs.deploymentConfiguration as { lifecycleHooks: { hookDetails: string }[] }).lifecycleHooks;
    expect(hooks.map((hook) => JSON.parse(hook.hookDetails))).toEqual([{ enabled: false }]);
  });

  it("a bad threshold or smoke setting registers nothing of the service, not even its target groups", async () => {
    const { thrown, document } = await build((environment) => {
      new BlueGreenService(
        "api",
        {
          ...service(environment),
          alarms: { errorRatePercent: 0, timing: { periodSeconds: 45, evaluationPeriods: 1, datapointsToAlarm: 1 } },
          hooks: { smokeTest: { samples: 1 }, alarmGate: { override: " " } },
        },
        { providers: [environment.provider] },
      );
    });
    expect(thrown).toBe(
      "BlueGreenService api: alarms.timing.periodSeconds must be 10, 20, 30 or a multiple of 60 (got 45); alarms.errorRatePercent must be in (0, 100] (got 0); " +
        "hooks.smokeTest.samples too few to decide: 1 requests at minSuccessRate 0.95 pass a version failing half of them 100.0% of the time; use at least 11 samples per path (11 requests) (got 1); " +
        'hooks.alarmGate.override must give a reason (got " ")',
    );
    expect(document.resources.filter((r) => r.name.startsWith("api"))).toEqual([]);
  });

  it("a smoke test on a rolling service is refused: it has no test listener rule", async () => {
    const { thrown } = await build((environment) => {
      new BlueGreenService("api", { ...service(environment), deployment: { strategy: "rolling" }, hooks: { smokeTest: {} } }, { providers: [environment.provider] });
    });
    expect(thrown).toContain("hooks.smokeTest needs the test listener");
  });
});

describe("the flag store takes services as monitors and readers", () => {
  it("watches each service's composite alarm and lets its task role read, whatever order the code builds them in", async () => {
    const { document } = await build((environment) => {
      const checkout = new BlueGreenService("checkout", { ...service(environment), alarms: {} }, { providers: [environment.provider] });
      const search = new BlueGreenService("search", { ...service(environment), priority: 2, alarms: false }, { providers: [environment.provider] });
      new FeatureFlagStore(
        "flags",
        { applicationName: "shop", environmentName: "staging", document: "{}", monitors: [checkout, search], readers: [checkout, search] },
        { providers: [environment.provider] },
      );
    });
    const flagEnvironment = resource(document, "aws:appconfig/environment:Environment", "flags-env");
    expect((flagEnvironment.inputs.monitors as { alarmArn: string }[]).map((monitor) => monitor.alarmArn)).toEqual([
      resource(document, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "checkout-alarms-any").outputs.arn,
    ]);
    const grants = resourcesOf(document, "aws:iam/rolePolicy:RolePolicy").filter((policy) => policy.name.startsWith("flags-read-"));
    expect(grants.map((grant) => [grant.name, grant.inputs.role])).toEqual([
      ["flags-read-checkout", "env-checkout-task"],
      ["flags-read-search", "env-search-task"],
    ]);
  });
});

describe("a Kubernetes service reads the same alarms and hooks", () => {
  const kubernetes = (environment: Environment, extra: Partial<KubernetesServiceArgs>): KubernetesServiceArgs =>
    testKubernetesServiceArgs(environment, { healthCheck: { path: "/healthz" }, ...extra });

  it("a smoke test from hooks runs before promotion on the health check path; alarmGate false drops the gate", async () => {
    const { document } = await build((environment) => {
      new KubernetesService("web", kubernetes(environment, { alarms: { errorRatePercent: 2 }, hooks: { smokeTest: { samples: 30 }, alarmGate: false } }), { providers: [environment.provider] });
    });
    const rollout = resource(document, "kubernetes:argoproj.io/v1alpha1:Rollout", "web-rollout");
    const analysis = (rollout.inputs.spec as { strategy: { blueGreen: { prePromotionAnalysis: { templates: { templateName: string }[] } } } }).strategy.blueGreen.prePromotionAnalysis;
    expect(analysis.templates.map((template) => template.templateName)).toEqual(["web-smoke"]);
    expect(JSON.stringify(resource(document, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", "web-smoke").inputs)).toContain("/healthz");
    expect(resource(document, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-alarms-error-rate").inputs.alarmDescription).toContain("over 2% of requests");
  });

  it("a bad smoke setting, or an ECS-only hook, registers nothing of the service", async () => {
    const { thrown, document } = await build((environment) => {
      new KubernetesService("web", kubernetes(environment, { hooks: { smokeTest: { timeoutMs: 0 }, alarmGate: { override: "INC-1" } } }), { providers: [environment.provider] });
    });
    expect(thrown).toBe(
      "KubernetesService web: hooks.smokeTest.timeoutMs must be positive (got 0); hooks.alarmGate.override does not apply on kubernetes: abort or promote the Rollout instead (got \"INC-1\")",
    );
    expect(document.resources.filter((r) => r.name.startsWith("web"))).toEqual([]);
  });
});
