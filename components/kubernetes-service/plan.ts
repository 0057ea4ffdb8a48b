/** The release plan of a Kubernetes service as plain data: Argo Rollouts steps and analysis built from the ECS alarm math. */
import type { ArgumentProblem } from "../arguments";
import type { DeploymentStrategy } from "../blue-green-service/strategy";
import { allowedFailures, DEFAULT_EXPECTED_STATUSES, parseStatusMatcher } from "../lifecycle-hooks/handlers/smoke-decision";
import {
  type AlarmDefinition,
  type AlarmTiming,
  errorRateAlarm,
  latencyAlarm,
  type MetricQuery,
  unhealthyHostsAlarm,
} from "../deployment-alarms/alarm-math";

/** One stage of a staged rollout: the share of traffic the new version gets, then a pause with analysis running. */
export interface RolloutStep {
  /** Whole percent, 1-100: Argo's `setWeight` is an integer. */
  readonly percent: number;
  readonly pauseMinutes: number;
}

/** A step as the stack file may write it: a bare percent (paused by `stepPauseMinutes`) or `{percent, pauseMinutes}`. */
export type StepInput = number | { readonly percent: number; readonly pauseMinutes?: number };

const wholeMinutes = (value: number) => Number.isInteger(value) && value >= 0 && value <= 1440;

/** @internal */
/** Everything wrong with a list of steps: each percent a whole number from 1 to 100, each above the one before. */
export function stepsProblems(steps: readonly StepInput[], stepPauseMinutes?: number): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  if (steps.length === 0) problems.push({ field: ["steps"], message: "must list at least one step", got: steps });
  if (stepPauseMinutes !== undefined && !wholeMinutes(stepPauseMinutes)) {
    problems.push({ field: ["stepPauseMinutes"], message: "must be a whole number of minutes from 0 to 1440", got: stepPauseMinutes });
  }
  let previous = 0;
  steps.forEach((step, index) => {
    const percent = typeof step === "number" ? step : step.percent;
    const field = typeof step === "number" ? ["steps", index] : ["steps", index, "percent"];
    if (!Number.isInteger(percent) || percent < 1) {
      problems.push({ field, message: "must be a whole percent from 1 to 100 (Argo Rollouts' setWeight is an integer)", got: percent });
    } else if (percent > 100) {
      problems.push({ field, message: "must be at most 100", got: percent });
    } else if (percent <= previous) {
      problems.push({ field, message: `must be greater than the step before it (${previous}): steps only increase`, got: percent });
    }
    if (Number.isFinite(percent)) previous = Math.max(previous, percent);
    if (typeof step !== "number" && step.pauseMinutes !== undefined && !wholeMinutes(step.pauseMinutes)) {
      problems.push({ field: ["steps", index, "pauseMinutes"], message: "must be a whole number of minutes from 0 to 1440", got: step.pauseMinutes });
    }
  });
  return problems;
}

/** What Argo cannot do with an ECS strategy: fractional weights (ECS takes 0.1% steps, Argo whole percents). */
export function kubernetesStrategyProblems(strategy: DeploymentStrategy): ArgumentProblem[] {
  if (strategy.strategy === "rolling") {
    return [{ field: ["strategy"], message: "rolling is ECS-only; use blue-green, canary, linear or steps on kubernetes", got: "rolling" }];
  }
  if (strategy.strategy === "canary" && !Number.isInteger(strategy.canaryPercent)) {
    return [{ field: ["canaryPercent"], message: "must be a whole percent on kubernetes (Argo Rollouts' setWeight is an integer)", got: strategy.canaryPercent }];
  }
  if (strategy.strategy === "linear" && !Number.isInteger(strategy.stepPercent)) {
    return [{ field: ["stepPercent"], message: "must be a whole percent on kubernetes (Argo Rollouts' setWeight is an integer)", got: strategy.stepPercent }];
  }
  return [];
}

/** @internal */
/**
 * The traffic stages of a canary, linear or stepped rollout, always ending at 100% for the final bake (with the old
 * version still running, as ECS's bake keeps the old tasks). Blue/green has no stages.
 */
export function rolloutSteps(strategy: DeploymentStrategy, steps?: readonly StepInput[], stepPauseMinutes = 0): RolloutStep[] {
  const bake = "bakeMinutes" in strategy ? strategy.bakeMinutes : 0;
  let stages: RolloutStep[];
  if (steps !== undefined) {
    // A bare 100 at the end is the final stage, whose pause is the bake.
    stages = steps.map((step, index) =>
      typeof step === "number"
        ? { percent: step, pauseMinutes: step === 100 && index === steps.length - 1 ? bake : stepPauseMinutes }
        : { percent: step.percent, pauseMinutes: step.pauseMinutes ?? stepPauseMinutes },
    );
  } else if (strategy.strategy === "canary") {
    stages = [{ percent: strategy.canaryPercent, pauseMinutes: strategy.canaryBakeMinutes }];
  } else if (strategy.strategy === "linear") {
    stages = [];
    for (let percent = strategy.stepPercent; percent < 100; percent += strategy.stepPercent) {
      stages.push({ percent, pauseMinutes: strategy.stepBakeMinutes });
    }
  } else {
    return [];
  }
  if (stages.length === 0 || stages[stages.length - 1].percent < 100) stages = [...stages, { percent: 100, pauseMinutes: bake }];
  return stages;
}

/** e.g. `steps 5% 10m -> 25% 10m -> 100% 15m (Argo Rollouts, ALB weights)` */
export function describeRolloutSteps(stages: readonly RolloutStep[]): string {
  return `steps ${stages.map((stage) => `${stage.percent}% ${stage.pauseMinutes}m`).join(" -> ")} (Argo Rollouts, ALB weights)`;
}

/** Argo's CloudWatch provider takes GetMetricData's MetricDataQuery with lower-case keys and dimensions as a list. */
export interface ArgoMetricDataQuery {
  readonly id: string;
  readonly expression?: string;
  readonly label?: string;
  readonly returnData?: boolean;
  readonly metricStat?: {
    readonly metric: { readonly namespace: string; readonly metricName: string; readonly dimensions: { name: string; value: string }[] };
    readonly period: number;
    readonly stat: string;
  };
}

export function toArgoQuery(query: MetricQuery): ArgoMetricDataQuery {
  return {
    id: query.id,
    ...(query.expression !== undefined ? { expression: query.expression } : {}),
    ...(query.label !== undefined ? { label: query.label } : {}),
    returnData: query.returnData ?? true,
    ...(query.metric
      ? {
          metricStat: {
            metric: {
              namespace: query.metric.namespace,
              metricName: query.metric.metricName,
              dimensions: Object.entries(query.metric.dimensions).map(([name, value]) => ({ name, value })),
            },
            period: query.metric.period,
            stat: query.metric.stat,
          },
        }
      : {}),
  };
}

const OPERATORS: Record<string, string> = {
  GreaterThanThreshold: ">",
  GreaterThanOrEqualToThreshold: ">=",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "<=",
};

/** Argo fills these from the AnalysisTemplate's args: the load balancer's and the judged target group's ARN suffixes. */
export const LOAD_BALANCER_ARG = "load-balancer";
export const TARGET_GROUP_ARG = "target-group";

export interface AlarmThresholds {
  readonly errorRatePercent: number;
  readonly minRequests: number;
  readonly p99LatencyMs: number;
  readonly unhealthyHosts: number;
}

/** The alarms a Kubernetes service is judged by: the ECS alarm definitions, on one target group (the new version's). */
export function analysisAlarms(thresholds: AlarmThresholds, period: number): AlarmDefinition[] {
  const targets = { loadBalancerArnSuffix: `{{args.${LOAD_BALANCER_ARG}}}`, targetGroupArnSuffixes: [`{{args.${TARGET_GROUP_ARG}}}`] };
  return [
    errorRateAlarm(targets, thresholds.errorRatePercent, thresholds.minRequests, period),
    latencyAlarm(targets, thresholds.p99LatencyMs, period),
    unhealthyHostsAlarm(targets, thresholds.unhealthyHosts, period),
  ];
}

/** One Argo metric per alarm: it fails as the alarm would fire, on `datapointsToAlarm` breaching minutes of `evaluationPeriods`. */
export function analysisMetric(alarm: AlarmDefinition, timing: AlarmTiming, count?: number): Record<string, unknown> {
  const evaluationPeriods = Math.max(timing.evaluationPeriods, alarm.minimumEvaluation?.evaluationPeriods ?? 0);
  const datapointsToAlarm = Math.max(timing.datapointsToAlarm, alarm.minimumEvaluation?.datapointsToAlarm ?? 0);
  const returned = alarm.metricQueries.filter((query) => query.returnData === true);
  const operator = OPERATORS[alarm.comparison];
  if (returned.length !== 1 || operator === undefined) throw new Error(`alarm ${alarm.kind} is not one returned series with a threshold`);
  return {
    name: alarm.kind,
    interval: `${timing.periodSeconds}s`,
    ...(count !== undefined ? { count } : {}),
    // A gap (no requests) returns no values: not breaching, as the alarm's treatMissingData says.
    failureCondition: `len(filter(result[0].Values, {# ${operator} ${alarm.threshold}})) >= ${datapointsToAlarm}`,
    failureLimit: 0,
    provider: {
      cloudWatch: {
        interval: `${timing.periodSeconds * evaluationPeriods}s`,
        metricDataQueries: alarm.metricQueries.map(toArgoQuery),
      },
    },
  };
}

export interface SmokeTest {
  readonly paths: readonly string[];
  readonly samples: number;
  readonly minSuccessRate: number;
  readonly timeoutMs: number;
  /** Statuses that count as answered, as the ECS smoke-test hook reads them. @default "200-299" */
  readonly expectedStatuses?: string;
  readonly hostHeader?: string;
}

/** A pinned curl image for the smoke-test job. */
export const SMOKE_IMAGE = "curlimages/curl:8.11.1";

/**
 * The smoke test as a shell script for a `job` analysis: `samples` GETs per path to the new version's Service, passing
 * with at most the failures the ECS smoke-test hook allows (its exact binomial bound) and its expected statuses.
 */
export function smokeScript(baseUrl: string, smoke: SmokeTest): string {
  const total = smoke.samples * smoke.paths.length;
  const allowed = allowedFailures(total, smoke.minSuccessRate);
  const matcher = parseStatusMatcher(smoke.expectedStatuses ?? DEFAULT_EXPECTED_STATUSES);
  if ("problem" in matcher) throw new Error(`smokeTest.expectedStatuses: ${matcher.problem}`);
  const seconds = (smoke.timeoutMs / 1000).toFixed(3);
  const host = smoke.hostHeader ? ` -H 'Host: ${smoke.hostHeader}'` : "";
  return [
    `expected() { ${matcher.ranges.map(([low, high]) => `{ [ "$1" -ge ${low} ] && [ "$1" -le ${high} ]; }`).join(" || ")}; }`,
    "failed=0",
    `for path in ${smoke.paths.map((path) => `'${path}'`).join(" ")}; do`,
    "  i=0",
    `  while [ $i -lt ${smoke.samples} ]; do`,
    // A connection that never answers reports 000: a failure, as the hook counts it.
    `    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time ${seconds}${host} "${baseUrl}$path" || true)`,
    '    expected "${code:-0}" || failed=$((failed+1))',
    "    i=$((i+1))",
    "  done",
    "done",
    `echo "smoke test: $failed of ${total} requests failed, at most ${allowed} allowed"`,
    `[ "$failed" -le ${allowed} ]`,
  ].join("\n");
}
