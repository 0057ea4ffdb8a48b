import { describe, expect, it } from "vitest";
import { BlueGreenService, type BlueGreenServiceArgs } from "../components/blue-green-service/blue-green-service";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { resource, resourcesOf, setPath, shippedConfig, synth, testEnvironment } from "./helpers";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";

/**
 * What the AWS provider does with the service's guards on `pulumi up`, from terraform-provider-aws
 * internal/service/ecs/service.go, resourceServiceUpdate:
 * - hooks: `if hooks := config["lifecycle_hook"].(*schema.Set).List(); len(hooks) > 0 {
 *   input.DeploymentConfiguration.LifecycleHooks = expandLifecycleHooks(hooks) }`: an empty list is never sent, and ECS
 *   keeps the hooks it has ("ECS requires an explicit empty lifecycle hook list to clear existing hooks", PR #47096,
 *   open). A non-empty list replaces them.
 * - alarms: `if v, ok := d.GetOk("alarms"); ok && len(v.([]any)) > 0 && v.([]any)[0] != nil {
 *   input.DeploymentConfiguration.Alarms = expandAlarms(...) }`: a removed block is never sent, and ECS keeps the alarms.
 * So after any change the service's state in ECS is the target's inputs only if the target's list is non-empty and its
 * alarms block is set; and then it must name only what exists in the target (Pulumi deletes the rest after the update).
 */

type Hook = { hookTargetArn: string; roleArn: string; lifecycleStages: string[]; hookDetails: string };
type Alarms = { alarmNames: string[]; enable: boolean; rollback: boolean };

function serviceGuards(document: SynthDocument, service: string): { hooks: Hook[] | undefined; alarms: Alarms | undefined } {
  const inputs = resource(document, "aws:ecs/service:Service", `${service}-service`).inputs;
  return { hooks: (inputs.deploymentConfiguration as { lifecycleHooks?: Hook[] }).lifecycleHooks, alarms: inputs.alarms as Alarms | undefined };
}

/** Every ARN the service's hooks name is a function or role this same document creates. */
function namedThingsExist(document: SynthDocument, hooks: readonly Hook[]): void {
  const functions = new Set(resourcesOf(document, "aws:lambda/function:Function").map((fn) => fn.outputs.arn ?? fn.inputs.arn));
  const roles = new Set(resourcesOf(document, "aws:iam/role:Role").map((role) => role.outputs.arn ?? role.inputs.arn));
  for (const hook of hooks) {
    expect(functions, `hook target ${hook.hookTargetArn}`).toContain(hook.hookTargetArn);
    expect(roles, `hook role ${hook.roleArn}`).toContain(hook.roleArn);
  }
}

const STATES = {
  "both on": { smokeTest: { enabled: true }, alarmGate: { enabled: true } },
  "both off": { smokeTest: { enabled: false }, alarmGate: { enabled: false } },
  "smoke only": { smokeTest: { enabled: true }, alarmGate: { enabled: false } },
  "gate only": { smokeTest: { enabled: false }, alarmGate: { enabled: true } },
} as const;
type State = keyof typeof STATES;

async function synthState(state: State): Promise<SynthDocument> {
  const config = shippedConfig("staging");
  setPath(config, "release:services.catalog.smokeTest.enabled", STATES[state].smokeTest.enabled);
  setPath(config, "release:services.catalog.alarmGate", STATES[state].alarmGate);
  return synth(config);
}

describe("hooks switched off and on in any order leave ECS calling only what exists", () => {
  it("every transition between both on, both off, smoke only and gate only sends a non-empty list naming only live functions", async () => {
    const documents = Object.fromEntries(await Promise.all((Object.keys(STATES) as State[]).map(async (state) => [state, await synthState(state)] as const))) as Record<State, SynthDocument>;
    const stagesOf = (state: State) => serviceGuards(documents[state], "catalog").hooks?.map((hook) => `${hook.lifecycleStages.join()} ${JSON.parse(hook.hookDetails).enabled === false ? "passing" : "on"}`);
    expect(stagesOf("both on")).toEqual(["POST_TEST_TRAFFIC_SHIFT on", "PRE_SCALE_UP on"]);
    expect(stagesOf("smoke only")).toEqual(["POST_TEST_TRAFFIC_SHIFT on", "PRE_SCALE_UP passing"]);
    expect(stagesOf("gate only")).toEqual(["PRE_SCALE_UP on"]);
    expect(stagesOf("both off")).toEqual(["PRE_SCALE_UP passing"]);
    for (const from of Object.keys(STATES) as State[]) {
      for (const to of Object.keys(STATES) as State[]) {
        if (from === to) continue;
        const { hooks } = serviceGuards(documents[to], "catalog");
        // Non-empty: the provider sends it and ECS replaces the hooks `from` left with exactly these.
        expect(hooks?.length, `${from} -> ${to}`).toBeGreaterThan(0);
        namedThingsExist(documents[to], hooks!);
      }
    }
    // The gate's function, role and invoke role are the same resources in every state: switching never deletes them.
    const gateFunction = (state: State) => resourcesOf(documents[state], "aws:lambda/function:Function").find((fn) => fn.name === "catalog-hooks-alarm-gate")?.urn;
    expect(new Set((Object.keys(STATES) as State[]).map(gateFunction)).size).toBe(1);
    expect(gateFunction("both off")).toBeDefined();
  });

  it("a switched-off gate passes without reading alarms, and the synth tree says it is off", async () => {
    const document = await synthState("both off");
    const [gate] = serviceGuards(document, "catalog").hooks!;
    expect(JSON.parse(gate.hookDetails)).toEqual({ enabled: false });
    expect(resource(document, "release:aws:LifecycleHooks", "catalog-hooks").outputs.summary).toBe("alarm gate off (kept at PRE_SCALE_UP, passes every deployment)");
  });
});

describe("alarms switched off and on leave ECS watching nothing deleted", () => {
  async function service(alarms: BlueGreenServiceArgs["alarms"]): Promise<SynthDocument> {
    return synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1" }, async () => {
      const environment = testEnvironment("staging");
      new BlueGreenService("api", { environment, image: "nginx:1.27", port: 80, pathPatterns: ["/*"], priority: 1, alarms, hooks: { smokeTest: false, alarmGate: false } }, { providers: [environment.provider] });
      return {};
    });
  }

  it("on -> off keeps the block, switched off (enable and rollback false), so the provider sends it; off -> on switches it back", async () => {
    const on = await service({});
    const off = await service(false);
    expect(serviceGuards(on, "api").alarms).toEqual({
      alarmNames: [...builtInAlarmNames("env", "api"), "env-api-task-start-impaired"],
      enable: true,
      rollback: true,
    });
    // The provider sends `alarms` only while the block is set: off must be a block, not nothing.
    expect(serviceGuards(off, "api").alarms).toEqual({ alarmNames: builtInAlarmNames("env", "api"), enable: false, rollback: false });
    expect(resourcesOf(off, "aws:cloudwatch/metricAlarm:MetricAlarm")).toEqual([]);
    // With alarms on, the names ECS watches are the alarms this document creates.
    const created = resourcesOf(on, "aws:cloudwatch/metricAlarm:MetricAlarm").map((alarm) => alarm.inputs.name);
    for (const name of serviceGuards(on, "api").alarms!.alarmNames) expect(created).toContain(name);
  });
});

describe("new tasks that never start fail the deployment and notify, whatever the strategy", () => {
  it.each([
    ["blue-green", { strategy: "blue-green", bakeMinutes: 5 }],
    ["canary", { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 }],
    ["linear", { strategy: "linear", stepPercent: 25, stepBakeMinutes: 2, bakeMinutes: 5 }],
  ])("%s: ECS's SERVICE_TASK_START_IMPAIRED reaches the alert topic and an alarm ECS rolls back on", async (_label, deployment) => {
    const d = await synth(setPath(shippedConfig("staging"), "release:services.catalog.deployment", deployment));
    const service = resource(d, "aws:ecs/service:Service", "catalog-service");
    const topic = resource(d, "aws:sns/topic:Topic", "staging-alerts").outputs.arn;
    const rule = resource(d, "aws:cloudwatch/eventRule:EventRule", "catalog-task-start-impaired");
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Service Action"],
      resources: [service.outputs.arn],
      detail: { eventName: ["SERVICE_TASK_START_IMPAIRED"] },
    });
    expect(resource(d, "aws:cloudwatch/eventTarget:EventTarget", "catalog-task-start-impaired").inputs).toMatchObject({ rule: rule.inputs.name, arn: topic });
    const alarm = resource(d, "aws:cloudwatch/metricAlarm:MetricAlarm", "catalog-task-start-impaired").inputs;
    expect(alarm).toMatchObject({ namespace: "AWS/Events", metricName: "TriggeredRules", dimensions: { RuleName: rule.inputs.name }, threshold: 1, alarmActions: [topic] });
    // ECS fails (and rolls back) the deployment on it, and the alarm gate reads it like the others.
    expect(service.inputs.alarms).toMatchObject({ enable: true, rollback: true, alarmNames: expect.arrayContaining([alarm.name]) });
    const gate = (service.inputs.deploymentConfiguration as { lifecycleHooks: Hook[] }).lifecycleHooks.find((hook) => hook.lifecycleStages[0] === "PRE_SCALE_UP")!;
    expect(JSON.parse(gate.hookDetails).alarmNames).toContain(alarm.name);
    // The circuit breaker is documented for rolling (and blue/green) only, never set on a traffic-shifting service.
    expect(service.inputs.deploymentCircuitBreaker).toBeUndefined();
  });
});
