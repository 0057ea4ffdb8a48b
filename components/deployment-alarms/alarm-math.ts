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
  /** Short kind used in the alarm name: an alarm kind's name (kinds/) or a custom alarm's. */
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

/** One metric per target group, `<prefix><index>`, not returned. @internal */
export function perTargetGroup(
  targets: TrafficTargets,
  prefix: string,
  metricName: string,
  stat: string,
  period: number,
): MetricQuery[] {
  return targets.targetGroupArnSuffixes.map((targetGroup, index) =>
    albMetric(`${prefix}${index}`, metricName, { LoadBalancer: targets.loadBalancerArnSuffix, TargetGroup: targetGroup }, stat, period),
  );
}

/** One metric of a whole load balancer (all its target groups, and what it answers itself), not returned. @internal */
export function perLoadBalancer(loadBalancerArnSuffix: string, id: string, metricName: string, stat: string, period: number): MetricQuery {
  return albMetric(id, metricName, { LoadBalancer: loadBalancerArnSuffix }, stat, period);
}

/** An AWS/ApplicationELB metric query, not returned. */
function albMetric(id: string, metricName: string, dimensions: Record<string, string>, stat: string, period: number): MetricQuery {
  // Dimensions are ARN suffixes, never names: app/<lb>/<id> and targetgroup/<tg>/<id>.
  return { id, returnData: false, metric: { namespace: ALB, metricName, dimensions, period, stat } };
}

/** The worst of several series: each gap-filled with 0 first, so an idle target group cannot hide the other. @internal */
export function worstOf(queries: readonly MetricQuery[], id: string, label: string): MetricQuery[] {
  const filled = queries.map((query) => ({ id: `${query.id}f`, expression: `FILL(${query.id}, 0)`, returnData: false }));
  const expression = filled.length === 1 ? filled[0].id : `MAX([${filled.map((query) => query.id).join(", ")}])`;
  return [...filled, { id, expression, label, returnData: true }];
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
