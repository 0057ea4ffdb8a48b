import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AlarmSpec, alarmStates, type MetricSource } from "../components/deployment-alarms/alarm-evaluator";
import { metricMathProblems } from "../components/deployment-alarms/alarm-math";
import { errorRateAlarm } from "../components/deployment-alarms/kinds/error-rate";
import { latencyAlarm } from "../components/deployment-alarms/kinds/p99-latency";
import { unhealthyHostsAlarm } from "../components/deployment-alarms/kinds/unhealthy-hosts";
import { alarmSensitivity, firstShiftPercent, type SensitivityInputs, trafficLevels } from "../components/deployment-alarms/alarm-sensitivity";
import { evaluateExpression } from "../components/deployment-alarms/metric-math";
import { policyResources } from "../policy/from-synth";
import { alarmSensitivityRule, serviceSensitivity } from "../policy/rules/alarm-sensitivity";
import type { PolicyResource, StackContext } from "../policy/rules/types";
import type { SynthDocument } from "../src/synth/capture";
import { resource, setPath, shippedConfig, synth } from "./helpers";

const series = (...values: (number | undefined)[]) => values;

describe("metric math", () => {
  const data: Record<string, (number | undefined)[]> = { a: series(1, undefined, 3), b: series(2, 2, undefined) };
  const run = (expression: string) => evaluateExpression(expression, 3, (id) => data[id]);

  it("arithmetic has a datapoint only where every operand has one; FILL gives one everywhere", () => {
    expect(run("a + b")).toEqual([3, undefined, undefined]);
    expect(run("FILL(a, 0) + FILL(b, 0)")).toEqual([3, 2, 3]);
    expect(run("100 * a / b")).toEqual([50, undefined, undefined]);
  });

  it("IF picks per minute and drops the datapoint without a false value; MAX of an array takes what is there", () => {
    expect(run("IF(FILL(a, 0) >= 2, 1, 0)")).toEqual([0, 0, 1]);
    expect(run("IF(FILL(a, 0) >= 2, 1)")).toEqual([undefined, undefined, 1]);
    expect(run("MAX([a, b])")).toEqual([2, 2, 3]);
    expect(run("IF(FILL(a, 0) > 0 AND FILL(b, 0) > 0, 1, 0)")).toEqual([1, 0, 0]);
  });

  it("refuses what it does not model instead of guessing", () => {
    expect(() => run("RATE(a)")).toThrow("RATE is not modelled");
    expect(() => run("MAX(a)")).toThrow("only MAX([a, b, ...]) is modelled");
    expect(() => run("a +")).toThrow("unexpected end");
  });
});

describe("alarm evaluation", () => {
  const alarm = (overrides: Partial<AlarmSpec>): AlarmSpec => ({
    name: "a",
    comparison: "GreaterThanThreshold",
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
    metricQueries: [{ id: "m", returnData: true, metric: { namespace: "X", metricName: "M", dimensions: {}, period: 60, stat: "Sum" } }],
    ...overrides,
  });
  const source =
    (...values: (number | undefined)[]): MetricSource =>
    () =>
      values;

  it("a minute's datapoint is judged two evaluations later (published a minute after it closes)", () => {
    const states = alarmStates(alarm({}), source(0, 5, 0, 0), 4);
    expect(states).toEqual(["OK", "OK", "OK", "ALARM", "OK", "OK"]);
  });

  it("M of N: two breaching minutes of three", () => {
    const states = alarmStates(alarm({ evaluationPeriods: 3, datapointsToAlarm: 2 }), source(5, 0, 5, 0, 0, 0), 6);
    expect(states.slice(2)).toEqual(["OK", "OK", "ALARM", "OK", "OK", "OK"]);
  });

  it("missing data: notBreaching is good, breaching is bad, ignore keeps the state, missing goes to INSUFFICIENT_DATA", () => {
    const gaps = source(5, undefined, undefined);
    expect(alarmStates(alarm({ treatMissingData: "notBreaching" }), gaps, 3).slice(2)).toEqual(["ALARM", "OK", "OK"]);
    expect(alarmStates(alarm({ treatMissingData: "breaching" }), gaps, 3).slice(2)).toEqual(["ALARM", "ALARM", "ALARM"]);
    expect(alarmStates(alarm({ treatMissingData: "ignore" }), gaps, 3).slice(2)).toEqual(["ALARM", "ALARM", "ALARM"]);
    expect(alarmStates(alarm({ treatMissingData: "missing" }), gaps, 3).slice(2)).toEqual(["ALARM", "INSUFFICIENT_DATA", "INSUFFICIENT_DATA"]);
  });
});

const targets = { loadBalancerArnSuffix: "app/lb/1", targetGroupArnSuffixes: ["targetgroup/blue/1", "targetgroup/green/2"] };
const checkout: SensitivityInputs = { errorRatePercent: 1, p99LatencyMs: 800, minRequests: 50, newVersionPercent: 10, tasks: 3, targetGroups: targets.targetGroupArnSuffixes };
const spec = (definition: ReturnType<typeof errorRateAlarm>, evaluationPeriods = 1, datapointsToAlarm = 1): AlarmSpec => ({
  name: definition.kind,
  comparison: definition.comparison,
  threshold: definition.threshold,
  evaluationPeriods: Math.max(evaluationPeriods, definition.minimumEvaluation?.evaluationPeriods ?? 0),
  datapointsToAlarm: Math.max(datapointsToAlarm, definition.minimumEvaluation?.datapointsToAlarm ?? 0),
  treatMissingData: definition.treatMissingData,
  metricQueries: definition.metricQueries,
});
const productionAlarms = [spec(errorRateAlarm(targets, 1, 50, 60)), spec(latencyAlarm(targets, 800, 60)), spec(unhealthyHostsAlarm(targets, 1, 60))];

describe("CloudWatch's metric-math limits", () => {
  it("three target groups fit in 10 metrics per alarm; four are refused before anything is created", () => {
    const groups = (n: number) => ({ loadBalancerArnSuffix: "app/lb/1", targetGroupArnSuffixes: Array.from({ length: n }, (_, i) => `targetgroup/t${i}/1`) });
    expect(metricMathProblems(errorRateAlarm(groups(3), 1, 50, 60))).toEqual([]);
    expect(metricMathProblems(errorRateAlarm(groups(4), 1, 50, 60))).toEqual(["the error-rate alarm would read 12 metrics; CloudWatch allows 10 per alarm"]);
  });
});

describe("scenarios against the per-target-group alarms", () => {
  const results = alarmSensitivity(productionAlarms, checkout);
  const byId = Object.fromEntries(results.map((result) => [result.id, result]));

  it("traffic: the new version's group gets its minimum (and 100 / threshold%) at the floor, 10 req/s per task at the realistic level", () => {
    expect(trafficLevels(checkout)).toEqual({ floor: 1000, realistic: 1800 });
    expect(firstShiftPercent({ strategy: "LINEAR", linearConfiguration: { stepPercent: 20 } })).toBe(20);
    expect(firstShiftPercent({ strategy: "BLUE_GREEN" })).toBe(100);
  });

  it("a 10% canary at 2x the error rate, in blue or in green, is caught by the error-rate alarm within 3 minutes", () => {
    expect(byId["error-rate-2x"].cases.map((c) => [c.newGroup, c.requestsPerMinute, c.seconds, c.alarm])).toEqual([
      [0, 1000, 150, "error-rate"],
      [0, 1800, 150, "error-rate"],
      [1, 1000, 150, "error-rate"],
      [1, 1800, 150, "error-rate"],
    ]);
  });

  it("slow and crashing new versions are caught within 3 minutes; healthy ones and a stray error stay quiet for 30", () => {
    expect(byId["p99-2x"].seconds).toBe(90);
    expect(byId["crashing-tasks"]).toMatchObject({ seconds: 90, alarm: "error-rate" });
    expect(byId.healthy.cases.every((c) => c.seconds === undefined)).toBe(true);
    expect(byId["stray-error"].cases.map((c) => [c.requestsPerMinute, c.seconds])).toEqual([
      [49, undefined],
      [49, undefined],
    ]);
  });

  it("one failed request is never a verdict: a stray 5xx among 60 requests rolls back only without the two-failure guard", () => {
    const stray: MetricSource = (metric) => {
      const group = metric.dimensions.TargetGroup === targets.targetGroupArnSuffixes[0];
      if (!group) return [];
      if (metric.metricName === "RequestCount") return [60, 60, 60, 60];
      return metric.metricName === "HTTPCode_Target_5XX_Count" ? [undefined, 1, undefined, undefined] : [];
    };
    const guarded = spec(errorRateAlarm(targets, 1, 50, 60));
    const unguarded = {
      ...guarded,
      metricQueries: guarded.metricQueries.map((query) => (query.expression ? { ...query, expression: query.expression.replace(/ >= 2,/g, " >= 1,") } : query)),
    };
    expect(alarmStates(guarded, stray, 4)).not.toContain("ALARM");
    expect(alarmStates(unguarded, stray, 4)).toContain("ALARM");
  });

  it("the same alarms summed over both groups (today's) never catch the 2x canary", () => {
    const summed: AlarmSpec = {
      ...productionAlarms[0],
      metricQueries: [
        ...productionAlarms[0].metricQueries.filter((query) => query.metric && query.metric.metricName !== "TargetConnectionErrorCount"),
        { id: "requests", expression: "FILL(requests0, 0) + FILL(requests1, 0)", returnData: false },
        { id: "errors", expression: "FILL(errors0, 0) + FILL(errors1, 0)", returnData: false },
        { id: "errorRate", expression: "IF(requests >= 50, 100 * errors / requests, 0)", returnData: true },
      ],
    };
    const result = alarmSensitivity([summed, ...productionAlarms.slice(1)], checkout).find((r) => r.id === "error-rate-2x");
    expect(result?.seconds).toBeUndefined();
  });

  it("services with the same alarm settings share a run, each still named by its own alarms; other settings run anew", () => {
    const renamed = productionAlarms.map((alarm) => ({ ...alarm, name: `other-${alarm.name}` }));
    const shared = alarmSensitivity(renamed, checkout);
    expect(shared.map((r) => [r.id, r.seconds, r.alarm])).toEqual(results.map((r) => [r.id, r.seconds, r.alarm === undefined ? undefined : `other-${r.alarm}`]));
    expect(shared.find((r) => r.id === "error-rate-2x")?.cases.map((c) => c.alarm)).toEqual(Array(4).fill("other-error-rate"));
    // The first run's results are the caller's own: the second caller's names never reach them.
    expect(byId["error-rate-2x"].alarm).toBe("error-rate");
    // Ten times the error-rate threshold: the 2x canary is no longer caught (the same settings' run would say 150 s).
    const lenient = [{ ...productionAlarms[0], threshold: productionAlarms[0].threshold * 10 }, ...productionAlarms.slice(1)];
    expect(alarmSensitivity(lenient, checkout).find((r) => r.id === "error-rate-2x")?.cases.map((c) => c.alarm)).not.toContain("error-rate");
    // Traffic is part of the key too: a 10% canary's floor differs from a 100% blue/green's.
    const blueGreen = alarmSensitivity(productionAlarms, { ...checkout, newVersionPercent: 100 }).find((r) => r.id === "error-rate-2x");
    expect(blueGreen?.cases.map((c) => c.requestsPerMinute)).toEqual([100, 1800, 100, 1800]);
  });
});

const fixture = (file: string): StackContext => {
  const document = JSON.parse(readFileSync(join(__dirname, "fixtures", file), "utf8")) as SynthDocument;
  return { tier: "production", resources: policyResources(document) };
};
const serviceOf = (stack: StackContext): PolicyResource => {
  const service = stack.resources.find((candidate) => candidate.type === "aws:ecs/service:Service");
  if (!service) throw new Error("no service");
  return service;
};

describe("alarm-sensitivity rule", () => {
  it("fails today's summed alarms: a 2x canary is never caught, crashing tasks take 3m30s", () => {
    const today = fixture("alarms-main-checkout.json");
    expect(alarmSensitivityRule.check(serviceOf(today), today)).toEqual([
      "5xx at 2x threshold: no rollback alarm in ALARM within 30m, needs 3m (new version in target group 1, 1000 req/min)",
      "crashing tasks: first rollback alarm after 3m30s, needs 3m (new version in target group 1, 1000 req/min)",
    ]);
  });

  it("passes the per-target-group alarms", () => {
    const fixed = fixture("alarms-per-group-checkout.json");
    expect(alarmSensitivityRule.check(serviceOf(fixed), fixed)).toEqual([]);
  });

  it("counts only the alarms the ECS service rolls back on", () => {
    const fixed = fixture("alarms-per-group-checkout.json");
    const service = serviceOf(fixed);
    const alarms = service.props.alarms as { alarmNames: string[] };
    const narrowed = { ...service, props: { ...service.props, alarms: { ...alarms, alarmNames: alarms.alarmNames.filter((n) => !n.endsWith("error-rate")) } } };
    const stack = { ...fixed, resources: fixed.resources.map((r) => (r === service ? narrowed : r)) };
    expect(alarmSensitivityRule.check(narrowed, stack)).toEqual([
      "no rollback alarm reads HTTPCode_Target_5XX_Count and TargetResponseTime per target group: a bad version's errors and latency go unnoticed",
    ]);
  });

  it("outside production only the quiet scenarios are required", () => {
    const today = fixture("alarms-main-checkout.json");
    expect(alarmSensitivityRule.check(serviceOf(today), { ...today, tier: "staging" })).toEqual([]);
  });
});

describe("synthesized stacks", () => {
  let document: SynthDocument;
  const load = async () => (document ??= await synth(shippedConfig("production"), "production"));

  it("every production service's rollback alarms meet the scenarios, with the new version in either group", async () => {
    const d = await load();
    const stack: StackContext = { tier: "production", resources: policyResources(d) };
    for (const name of ["checkout-service", "catalog-service"]) {
      const service = stack.resources.find((r) => r.name === name) as PolicyResource;
      const sensitivity = serviceSensitivity(service, stack);
      if (!sensitivity || !("results" in sensitivity)) throw new Error(name);
      for (const result of sensitivity.results) {
        expect(new Set(result.cases.map((c) => c.newGroup))).toEqual(new Set([0, 1]));
        if (result.expect === "alarm") expect(result.seconds, `${name} ${result.id}`).toBeLessThanOrEqual(180);
        else expect(result.seconds, `${name} ${result.id}`).toBeUndefined();
      }
    }
  });

  it("synth prints each service's detection time per scenario", async () => {
    const d = await load();
    expect(resource(d, "release:aws:DeploymentAlarms", "checkout-alarms").outputs.detection).toBe(
      "detects 5xx at 2x threshold 2m30s, p99 at 2x threshold 1m30s, crashing tasks 1m30s, healthy quiet 30m, quiet hours + stray 5xx quiet 30m (new version at 10%, 1000 and 1800 req/min)",
    );
    expect(resource(d, "release:aws:DeploymentAlarms", "catalog-alarms").outputs.detection).toContain("(new version at 20%, 250 and 2400 req/min)");
  });

  it("a blue/green service is judged at 100% after the shift", async () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.deployment", { strategy: "blue-green", bakeMinutes: 5 });
    const d = await synth(config);
    expect(String(resource(d, "release:aws:DeploymentAlarms", "checkout-alarms").outputs.detection)).toContain("(new version at 100%,");
  });
});
