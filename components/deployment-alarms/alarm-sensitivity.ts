/**
 * How fast a service's rollback alarms catch a bad new version, and whether they stay quiet for a good one: synthetic
 * ALB metrics per target group, minute by minute, judged by the alarms themselves (alarm-evaluator.ts).
 */
import { type AlarmSpec, type AnalysisSpec, alarmStates, analysisFailureSecond, type MetricSource } from "./alarm-evaluator";
import type { Series } from "./metric-math";
import { ALARM_KINDS } from "./kinds";
import type { SensitivityScenario } from "./kinds/kind";

/** What the scenarios need to know about a service; everything else comes from its alarms. */
export interface SensitivityInputs {
  readonly errorRatePercent: number;
  readonly p99LatencyMs: number;
  /** The service's configured request minimum per minute. */
  readonly minRequests: number;
  /** Share of production traffic the new version gets first: the first canary or linear step, 100 for blue/green. */
  readonly newVersionPercent: number;
  /** Running tasks, for the realistic load. */
  readonly tasks: number;
  /** ARN suffixes of the service's target groups: the new version is put in each in turn. */
  readonly targetGroups: readonly string[];
  /** The groups the new version can be in (indexes into targetGroups). @default every group in turn (ECS blue/green alternates) */
  readonly newVersionGroups?: readonly number[];
}

/** The share of production traffic a deployment gives the new version first, from the ECS deploymentConfiguration. */
export function firstShiftPercent(configuration: unknown): number {
  const field = (value: unknown, key: string): unknown => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined);
  const strategy = field(configuration, "strategy");
  const percent =
    strategy === "CANARY"
      ? field(field(configuration, "canaryConfiguration"), "canaryPercent")
      : strategy === "LINEAR"
        ? field(field(configuration, "linearConfiguration"), "stepPercent")
        : 100;
  return typeof percent === "number" && percent > 0 && percent <= 100 ? percent : 100;
}

/** Realistic load: 10 requests per second per running task (an assumption, stated in the synth line). */
export const REQUESTS_PER_TASK_MINUTE = 600;
/** A healthy version returns a tenth of the error-rate threshold as 5xx and answers p99 in half the latency threshold. */
const HEALTHY_ERROR_SHARE = 0.1;
const HEALTHY_LATENCY_SHARE = 0.5;
/** Minutes of the old version alone before the shift, and minutes watched after it. */
const WARMUP_MINUTES = 10;
export const WATCH_MINUTES = 30;
/** ECS shifts traffic at an arbitrary second: mid-minute, so the first minute carries half the new version's requests. */
export const SHIFT_SECOND = WARMUP_MINUTES * 60 + 30;

/**
 * What decides a rollback: a CloudWatch alarm (ECS), or an Argo analysis run (Kubernetes). `phase` moves a detector's
 * own clock (an analysis run measures at its own start plus multiples of its interval, not on minute boundaries).
 */
export interface Detector {
  readonly name: string;
  /** The second, counted from minute 0 of the series, at which it first decides for a rollback after the shift. */
  firstFiringSecond(source: MetricSource, minutes: number, phase: number): number | undefined;
}

/** A CloudWatch alarm: ALARM at an evaluation after the shift. */
export function alarmDetector(alarm: AlarmSpec): Detector {
  return {
    name: alarm.name,
    firstFiringSecond(source, minutes) {
      const states = alarmStates(alarm, source, minutes);
      const evaluation = states.findIndex((state, index) => state === "ALARM" && index * 60 > SHIFT_SECOND);
      return evaluation === -1 ? undefined : evaluation * 60;
    },
  };
}

/** An Argo analysis metric whose run starts `phase` seconds after the shift (Argo's clock, not the minute's). */
export function analysisDetector(spec: AnalysisSpec): Detector {
  return { name: spec.name, firstFiringSecond: (source, minutes, phase) => analysisFailureSecond(spec, source, minutes, SHIFT_SECOND + phase) };
}

/** A healthy new version: every alarm must stay quiet for it. */
const HEALTHY: SensitivityScenario = { id: "healthy", label: "healthy", expect: "quiet", newVersion: {} };

/** The alarm kinds' bad versions in the kinds' order, then the healthy version, then the kinds' other good ones. */
export const SCENARIOS: readonly SensitivityScenario[] = [
  ...ALARM_KINDS.flatMap((kind) => kind.scenarios ?? []).filter((scenario) => scenario.expect === "alarm"),
  HEALTHY,
  ...ALARM_KINDS.flatMap((kind) => kind.scenarios ?? []).filter((scenario) => scenario.expect === "quiet"),
];

/**
 * Requests per minute of the whole service the scenarios run at. `floor`: the new version's group gets the configured
 * minimum, and at least 100 / errorRatePercent requests, the fewest at which a 2x error rate is two failed requests a
 * minute and so tells a bad version from a stray error. `realistic`: every task at 10 requests per second.
 */
export function trafficLevels(inputs: SensitivityInputs): { readonly floor: number; readonly realistic: number } {
  const newVersion = Math.max(inputs.minRequests, Math.ceil(100 / inputs.errorRatePercent));
  return { floor: Math.ceil((newVersion * 100) / inputs.newVersionPercent), realistic: inputs.tasks * REQUESTS_PER_TASK_MINUTE };
}

interface GroupMinute {
  requests: number;
  targetErrors: number;
  connectionErrors: number;
  p99Seconds: number;
  unhealthy: number;
  healthy: number;
}

/** Whole counts from fractional rates: each minute gets what the running total adds, so 0.5 a minute is 1 every 2. */
function counts(rates: readonly number[]): number[] {
  let total = 0;
  return rates.map((rate) => {
    const before = Math.floor(total + 1e-9);
    total += rate;
    return Math.floor(total + 1e-9) - before;
  });
}

interface Case {
  readonly newGroup: number;
  readonly requestsPerMinute: number;
  readonly scenario: SensitivityScenario;
}

/** Per-target-group minutes of one case: the old version alone, then the new version's share from SHIFT_SECOND on. */
function syntheticTraffic(inputs: SensitivityInputs, c: Case): GroupMinute[][] {
  const minutes = WARMUP_MINUTES + WATCH_MINUTES + 1;
  const share = inputs.targetGroups.length === 1 ? 1 : inputs.newVersionPercent / 100;
  const threshold = inputs.errorRatePercent / 100;
  const latency = inputs.p99LatencyMs / 1000;
  const shiftMinute = Math.floor(SHIFT_SECOND / 60);
  const newShare = (minute: number) => (minute < shiftMinute ? 0 : minute === shiftMinute ? (share * (60 - (SHIFT_SECOND % 60))) / 60 : share);
  return inputs.targetGroups.map((_, group) => {
    const isNew = group === c.newGroup;
    const rate = Array.from({ length: minutes }, (_, minute) => {
      const shareHere = inputs.targetGroups.length === 1 ? 1 : isNew ? newShare(minute) : 1 - newShare(minute);
      return c.requestsPerMinute * shareHere;
    });
    const serving = (minute: number) => isNew && minute >= shiftMinute;
    const bad = c.scenario.newVersion;
    const errorShare = (minute: number) => (serving(minute) && bad.errorRateFactor !== undefined ? bad.errorRateFactor * threshold : HEALTHY_ERROR_SHARE * threshold);
    const requests = counts(rate);
    const targetErrors = counts(rate.map((r, minute) => r * errorShare(minute)));
    if (isNew && bad.strayErrorAfterMinutes !== undefined) targetErrors[shiftMinute + bad.strayErrorAfterMinutes] += 1;
    const refusedOneIn = bad.refusedOneIn;
    const connectionErrors = counts(rate.map((r, minute) => (serving(minute) && refusedOneIn !== undefined ? r / refusedOneIn : 0)));
    return requests.map((count, minute) => ({
      requests: count,
      targetErrors: Math.min(targetErrors[minute], count),
      connectionErrors: Math.min(connectionErrors[minute], count),
      p99Seconds: (serving(minute) && bad.p99Factor !== undefined ? bad.p99Factor : HEALTHY_LATENCY_SHARE) * latency,
      unhealthy: isNew && bad.unhealthyTargets !== undefined && minute > shiftMinute ? bad.unhealthyTargets : 0,
      healthy: inputs.tasks,
    }));
  });
}

const MODELLED = new Set(["RequestCount", "HTTPCode_Target_5XX_Count", "TargetConnectionErrorCount", "TargetResponseTime", "UnHealthyHostCount", "HealthyHostCount"]);
const onlyNonZero = (values: readonly number[]): Series => values.map((value) => (value > 0 ? value : undefined));

/**
 * ALB's datapoints for the synthetic minutes: counts only when non-zero, response time only while requests flow, host
 * counts every minute. Other metrics have no data (an alarm on them catches nothing here); a statistic this model does
 * not know is refused.
 */
export function albSource(targetGroups: readonly string[], traffic: readonly GroupMinute[][]): MetricSource {
  return (metric) => {
    const length = traffic[0]?.length ?? 0;
    const none = Array.from({ length }, () => undefined);
    // Per load balancer, a metric cannot tell the new version from the old (nor this service from others): no data here.
    if (metric.namespace !== "AWS/ApplicationELB" || metric.dimensions.TargetGroup === undefined || !MODELLED.has(metric.metricName)) return none;
    if (metric.period !== 60) throw new Error(`${metric.metricName}: only 60-second periods are modelled (got ${metric.period})`);
    const group = targetGroups.indexOf(metric.dimensions.TargetGroup);
    const minutes = group === -1 ? traffic[0].map(() => undefined) : traffic[group];
    const pick = (field: keyof GroupMinute) => minutes.map((minute) => minute?.[field] ?? 0);
    const stat = metric.stat;
    switch (metric.metricName) {
      case "RequestCount":
      case "HTTPCode_Target_5XX_Count":
      case "TargetConnectionErrorCount": {
        if (stat !== "Sum") throw new Error(`${metric.metricName} ${stat} is not modelled (only Sum)`);
        const field = metric.metricName === "RequestCount" ? "requests" : metric.metricName === "TargetConnectionErrorCount" ? "connectionErrors" : "targetErrors";
        return onlyNonZero(pick(field));
      }
      case "TargetResponseTime":
        if (!/^p\d+(\.\d+)?$/.test(stat) && stat !== "Average") throw new Error(`TargetResponseTime ${stat} is not modelled`);
        return minutes.map((minute) => (minute && minute.requests > 0 ? minute.p99Seconds : undefined));
      case "UnHealthyHostCount":
      case "HealthyHostCount":
        if (!["Maximum", "Minimum", "Average"].includes(stat)) throw new Error(`${metric.metricName} ${stat} is not modelled`);
        return group === -1 ? minutes.map(() => undefined) : pick(metric.metricName === "UnHealthyHostCount" ? "unhealthy" : "healthy");
      default:
        return none;
    }
  };
}

/** @internal */
export interface CaseResult {
  readonly newGroup: number;
  readonly requestsPerMinute: number;
  /** Seconds after the shift at which the detectors' clock starts (0 for alarms, which evaluate on the minute). */
  readonly phase: number;
  /** Seconds from the shift to the first rollback alarm in ALARM, or undefined if none within WATCH_MINUTES. */
  readonly seconds: number | undefined;
  readonly alarm: string | undefined;
}

/** @internal */
export interface ScenarioResult {
  /** e.g. `error-rate-2x`: an alarm kind's scenario, or `healthy`. */
  readonly id: string;
  readonly label: string;
  readonly expect: "alarm" | "quiet";
  /** Every case: the new version in each target group, at each traffic level. */
  readonly cases: readonly CaseResult[];
  /** The slowest detection (alarm scenarios) or the first false alarm (quiet ones); undefined: none. */
  readonly seconds: number | undefined;
  readonly alarm: string | undefined;
}

function runCase(detectors: readonly Detector[], inputs: SensitivityInputs, c: Case, phase: number): CaseResult {
  const traffic = syntheticTraffic(inputs, c);
  const source = albSource(inputs.targetGroups, traffic);
  let first: { seconds: number; alarm: string } | undefined;
  for (const detector of detectors) {
    const second = detector.firstFiringSecond(source, traffic[0].length, phase);
    if (second === undefined || second <= SHIFT_SECOND) continue;
    const seconds = second - SHIFT_SECOND;
    if (seconds <= WATCH_MINUTES * 60 && (!first || seconds < first.seconds)) first = { seconds, alarm: detector.name };
  }
  return { newGroup: c.newGroup, requestsPerMinute: c.requestsPerMinute, phase, seconds: first?.seconds, alarm: first?.alarm };
}

/**
 * Results by alarm set and traffic, with each alarm named by its index: services with the same alarm settings (most
 * services of an environment, which differ only in their names) share one run of the scenarios.
 */
const sensitivityRuns = new Map<string, ScenarioResult[]>();

/** A key that tells every string from every number (JSON alone writes NaN, Infinity and null alike). */
const runKey = (alarms: readonly AlarmSpec[], inputs: SensitivityInputs): string =>
  JSON.stringify([alarms.map(({ name: _name, ...alarm }) => alarm), inputs], (_key, value: unknown) =>
    typeof value === "number" ? `n:${Object.is(value, -0) ? "-0" : String(value)}` : typeof value === "string" ? `s:${value}` : value,
  );

/** @internal */
/** Every scenario against the given rollback alarms (the alarms ECS rolls back on, nothing else). */
export function alarmSensitivity(alarms: readonly AlarmSpec[], inputs: SensitivityInputs): ScenarioResult[] {
  const key = runKey(alarms, inputs);
  let run = sensitivityRuns.get(key);
  if (!run) {
    run = detectorSensitivity(
      alarms.map((alarm, index) => alarmDetector({ ...alarm, name: String(index) })),
      inputs,
    );
    sensitivityRuns.set(key, run);
  }
  const named = (alarm: string | undefined) => (alarm === undefined ? undefined : alarms[Number(alarm)].name);
  return run.map((result) => ({ ...result, alarm: named(result.alarm), cases: result.cases.map((c) => ({ ...c, alarm: named(c.alarm) })) }));
}

/**
 * Every scenario against any detectors: each case puts the new version in each of its possible groups, at each traffic
 * level, with each detector clock phase. Alarm scenarios report the slowest case, quiet ones the first false alarm.
 * @internal
 */
export function detectorSensitivity(detectors: readonly Detector[], inputs: SensitivityInputs, phases: readonly number[] = [0]): ScenarioResult[] {
  const levels = trafficLevels(inputs);
  const quietHours = Math.max(1, inputs.minRequests - 1);
  const groups = inputs.newVersionGroups ?? inputs.targetGroups.map((_, index) => index);
  return SCENARIOS.map((scenario) => {
    const rates = scenario.quietHours ? [quietHours] : [levels.floor, levels.realistic];
    const cases = groups.flatMap((newGroup) =>
      rates.flatMap((requestsPerMinute) => phases.map((phase) => runCase(detectors, inputs, { newGroup, requestsPerMinute, scenario }, phase))),
    );
    const decisive =
      scenario.expect === "alarm"
        ? (cases.find((c) => c.seconds === undefined) ?? cases.reduce((slowest, c) => ((c.seconds ?? 0) > (slowest.seconds ?? 0) ? c : slowest)))
        : cases.filter((c) => c.seconds !== undefined).sort((a, b) => (a.seconds ?? 0) - (b.seconds ?? 0))[0];
    return { id: scenario.id, label: scenario.label, expect: scenario.expect, cases, seconds: decisive?.seconds, alarm: decisive?.alarm };
  });
}

export const formatSeconds = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60}m` : `${Math.floor(seconds / 60)}m${seconds % 60}s`);

/** @internal */
/** e.g. `5xx at 2x threshold 2m30s, ..., healthy quiet 30m, ... (new version at 10%, 1000 and 1800 req/min)` */
export function describeSensitivity(results: readonly ScenarioResult[], inputs: SensitivityInputs): string {
  const levels = trafficLevels(inputs);
  const parts = results.map((result) => {
    if (result.expect === "alarm") return `${result.label} ${result.seconds === undefined ? `not caught in ${WATCH_MINUTES}m` : formatSeconds(result.seconds)}`;
    return `${result.label} ${result.seconds === undefined ? `quiet ${WATCH_MINUTES}m` : `ALARM at ${formatSeconds(result.seconds)}`}`;
  });
  return `detects ${parts.join(", ")} (new version at ${inputs.newVersionPercent}%, ${levels.floor} and ${levels.realistic} req/min)`;
}

/** What a rollback alarm set fails to do: detection within `detectWithinSeconds`, and quiet for healthy versions. @internal */
export function sensitivityProblems(results: readonly ScenarioResult[], detectWithinSeconds: number | undefined): string[] {
  return results.flatMap((result) => {
    const where = (c: CaseResult | undefined) => (c ? ` (new version in target group ${c.newGroup + 1}, ${c.requestsPerMinute} req/min)` : "");
    if (result.expect === "quiet") {
      const noisy = result.cases.find((c) => c.seconds !== undefined);
      return noisy ? [`${result.label}: ${noisy.alarm} goes to ALARM ${formatSeconds(noisy.seconds ?? 0)} after the shift${where(noisy)}`] : [];
    }
    if (detectWithinSeconds === undefined) return [];
    const slow = result.cases.find((c) => c.seconds === undefined || c.seconds > detectWithinSeconds);
    if (!slow) return [];
    const took = slow.seconds === undefined ? `no rollback alarm in ALARM within ${WATCH_MINUTES}m` : `first rollback alarm after ${formatSeconds(slow.seconds)}`;
    return [`${result.label}: ${took}, needs ${formatSeconds(detectWithinSeconds)}${where(slow)}`];
  });
}
