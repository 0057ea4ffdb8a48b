/** Alarm definitions as plain data: the metric math, thresholds and timing behind each deployment alarm. */

import type { ArgumentProblem } from "../arguments";

export interface AlarmTiming {
  /** Seconds per datapoint; ALB metrics have 60-second resolution. */
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

export interface TrafficTargets {
  readonly loadBalancerArnSuffix: string;
  /** One target group for a rolling service, two (blue, green) when traffic shifts between them. */
  readonly targetGroupArnSuffixes: readonly string[];
}

export interface MetricQuery {
  readonly id: string;
  readonly expression?: string;
  readonly label?: string;
  readonly returnData?: boolean;
  readonly metric?: {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, string>;
    readonly period: number;
    readonly stat: string;
  };
}

export type TreatMissingData = "notBreaching" | "breaching" | "ignore" | "missing";

export interface AlarmDefinition {
  /** Short kind used in the alarm name: error-rate, p99-latency, unhealthy-hosts or a custom name. */
  readonly kind: string;
  readonly description: string;
  readonly comparison: string;
  readonly threshold: number;
  readonly treatMissingData: TreatMissingData;
  readonly metricQueries: readonly MetricQuery[];
  /** Evaluation this alarm needs at least, whatever the shared timing says. */
  readonly minimumEvaluation?: { readonly evaluationPeriods: number; readonly datapointsToAlarm: number };
}

const ALB = "AWS/ApplicationELB";

function perTargetGroup(
  targets: TrafficTargets,
  prefix: string,
  metricName: string,
  stat: string,
  period: number,
): MetricQuery[] {
  return targets.targetGroupArnSuffixes.map((targetGroup, index) => ({
    id: `${prefix}${index}`,
    returnData: false,
    metric: {
      namespace: ALB,
      metricName,
      // Dimensions are ARN suffixes, never names: app/<lb>/<id> and targetgroup/<tg>/<id>.
      dimensions: { LoadBalancer: targets.loadBalancerArnSuffix, TargetGroup: targetGroup },
      period,
      stat,
    },
  }));
}

/** The worst of several series: each gap-filled with 0 first, so an idle target group cannot hide the other. */
function worstOf(queries: readonly MetricQuery[], id: string, label: string): MetricQuery[] {
  const filled = queries.map((query) => ({ id: `${query.id}f`, expression: `FILL(${query.id}, 0)`, returnData: false }));
  const expression = filled.length === 1 ? filled[0].id : `MAX([${filled.map((query) => query.id).join(", ")}])`;
  return [...filled, { id, expression, label, returnData: true }];
}

/** Failed requests a target group needs in a minute before its error rate counts: one is a stray error, never a verdict. */
export const MIN_FAILED_REQUESTS = 2;

/** @internal */
/**
 * Failed requests as a percentage of requests, per target group, and the worse group: the new version is judged on its
 * own traffic, never diluted by the old version's. Failed means a 5xx from the target or a connection the target refused
 * (a crashed task: ALB answers those 502/503 itself, and HTTPCode_ELB_5XX_Count has no TargetGroup dimension).
 * A group's rate counts as 0 below `minRequests` requests or MIN_FAILED_REQUESTS failures in the minute.
 */
export function errorRateAlarm(targets: TrafficTargets, errorRatePercent: number, minRequests: number, period: number): AlarmDefinition {
  const requests = perTargetGroup(targets, "requests", "RequestCount", "Sum", period);
  const errors = perTargetGroup(targets, "errors", "HTTPCode_Target_5XX_Count", "Sum", period);
  // A request whose target refused the connection still counts in RequestCount: a target had been chosen for it.
  // "Metrics for Application Load Balancers exclude health check requests": an idle group's failing checks add nothing.
  const refused = perTargetGroup(targets, "refused", "TargetConnectionErrorCount", "Sum", period);
  const perGroup = targets.targetGroupArnSuffixes.flatMap((_, index): MetricQuery[] => [
    { id: `failed${index}`, expression: `FILL(errors${index}, 0) + FILL(refused${index}, 0)`, returnData: false },
    {
      id: `rate${index}`,
      expression: `IF(FILL(requests${index}, 0) >= ${minRequests}, IF(failed${index} >= ${MIN_FAILED_REQUESTS}, 100 * failed${index} / FILL(requests${index}, 0), 0), 0)`,
      returnData: false,
    },
  ]);
  const rates = perGroup.filter((query) => query.id.startsWith("rate")).map((query) => query.id);
  return {
    kind: "error-rate",
    description: `5xx and refused connections over ${errorRatePercent}% of requests on either target group (each judged from ${minRequests} requests and ${MIN_FAILED_REQUESTS} failures a minute)`,
    comparison: "GreaterThanThreshold",
    threshold: errorRatePercent,
    // ALB publishes request and 5xx counts only while requests flow: no data means no errors.
    treatMissingData: "notBreaching",
    metricQueries: [
      ...requests,
      ...errors,
      ...refused,
      ...perGroup,
      { id: "errorRate", expression: rates.length === 1 ? rates[0] : `MAX([${rates.join(", ")}])`, label: "Worst target group's error rate (%)", returnData: true },
    ],
  };
}

/** CloudWatch's limits on a metric-math alarm: at most 10 metrics and 10 expressions (PutMetricAlarm, "Metrics"). */
export function metricMathProblems(definition: AlarmDefinition): string[] {
  const metrics = definition.metricQueries.filter((query) => query.metric).length;
  const expressions = definition.metricQueries.filter((query) => query.expression).length;
  return [
    ...(metrics > 10 ? [`the ${definition.kind} alarm would read ${metrics} metrics; CloudWatch allows 10 per alarm`] : []),
    ...(expressions > 10 ? [`the ${definition.kind} alarm would need ${expressions} expressions; CloudWatch allows 10 per alarm`] : []),
  ];
}

/** @internal */
/** p99 of target response time, the worse of the target groups, in seconds as ALB reports it. */
export function latencyAlarm(targets: TrafficTargets, p99LatencyMs: number, period: number): AlarmDefinition {
  const latency = perTargetGroup(targets, "latency", "TargetResponseTime", "p99", period);
  return {
    kind: "p99-latency",
    description: `p99 target response time above ${p99LatencyMs} ms on either target group`,
    comparison: "GreaterThanThreshold",
    threshold: p99LatencyMs / 1000,
    // No requests means no latency datapoints; that is not slowness.
    treatMissingData: "notBreaching",
    metricQueries: [...latency, ...worstOf(latency, "p99", "p99 latency (s)")],
  };
}

/** @internal */
/** Unhealthy targets, the worse of the target groups. */
export function unhealthyHostsAlarm(targets: TrafficTargets, unhealthyHosts: number, period: number): AlarmDefinition {
  const unhealthy = perTargetGroup(targets, "unhealthy", "UnHealthyHostCount", "Maximum", period);
  return {
    kind: "unhealthy-hosts",
    description: `${unhealthyHosts} or more unhealthy targets in either target group`,
    comparison: "GreaterThanOrEqualToThreshold",
    threshold: unhealthyHosts,
    // The idle colour's target group has no targets and publishes nothing; missing is not unhealthy.
    treatMissingData: "notBreaching",
    // A new task that starts slowly fails a few health checks; it takes two minutes of three to mean a bad version.
    minimumEvaluation: { evaluationPeriods: 3, datapointsToAlarm: 2 },
    metricQueries: [...unhealthy, ...worstOf(unhealthy, "unhealthy", "Unhealthy hosts")],
  };
}

export interface CustomAlarm {
  readonly name: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly statistic: string;
  readonly comparison: string;
  readonly threshold: number;
  readonly periodSeconds?: number;
}

export function customAlarm(alarm: CustomAlarm, period: number): AlarmDefinition {
  return {
    kind: alarm.name,
    description: `${alarm.namespace} ${alarm.metric} ${alarm.statistic} ${alarm.comparison} ${alarm.threshold}`,
    comparison: alarm.comparison,
    threshold: alarm.threshold,
    // Unknown metric semantics: keep the alarm's state through gaps rather than guess.
    treatMissingData: "missing",
    metricQueries: [
      {
        id: "custom",
        returnData: true,
        metric: {
          namespace: alarm.namespace,
          metricName: alarm.metric,
          dimensions: { ...alarm.dimensions },
          period: alarm.periodSeconds ?? period,
          stat: alarm.statistic,
        },
      },
    ],
  };
}

/** Seconds CloudWatch takes to publish an ALB datapoint and evaluate the alarm on it, at most. */
export const PUBLISH_AND_EVALUATE_SECONDS = 60;

/** @internal */
/**
 * Worst case from the start of a sustained breach to the alarm firing: the period in which the breach starts may not
 * breach on its own, then `datapointsToAlarm` full breaching periods, then publication and evaluation.
 */
export function detectionSeconds(timing: AlarmTiming): number {
  return timing.periodSeconds * (timing.datapointsToAlarm + 1) + PUBLISH_AND_EVALUATE_SECONDS;
}

/** Problems with alarm timing CloudWatch would refuse, each naming its field. */
export function timingProblems(timing: AlarmTiming): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const { periodSeconds, evaluationPeriods, datapointsToAlarm } = timing;
  if (![10, 20, 30].includes(periodSeconds) && !(periodSeconds >= 60 && periodSeconds % 60 === 0)) {
    problems.push({ field: ["periodSeconds"], message: "must be 10, 20, 30 or a multiple of 60", got: periodSeconds });
  }
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) problems.push({ field: ["evaluationPeriods"], message: "must be at least 1", got: evaluationPeriods });
  if (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
    problems.push({ field: ["datapointsToAlarm"], message: `must be 1-${evaluationPeriods}`, got: datapointsToAlarm });
  }
  if (periodSeconds * evaluationPeriods > 86400) {
    problems.push({ field: ["evaluationPeriods"], message: "times periodSeconds must be at most one day", got: evaluationPeriods });
  }
  return problems;
}
