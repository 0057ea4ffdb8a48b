import type { AlarmSpec } from "../../components/deployment-alarms/alarm-evaluator";
import type { MetricQuery, TreatMissingData } from "../../components/deployment-alarms/alarm-math";
import { alarmSensitivity, firstShiftPercent, type ScenarioResult, sensitivityProblems } from "../../components/deployment-alarms/alarm-sensitivity";
import { references } from "../../components/deployment-alarms/metric-math";
import { analysisSensitivity, measurementIntervalSeconds, parseFailureCondition } from "../../components/kubernetes-service/analysis-metrics";
import { at, inProduction, list } from "./props";
import type { PolicyResource, Rule, StackContext } from "./types";
import { defineRule, judged, NOT_APPLICABLE, nonCompliant } from "./result";

/** Production promises a bad new version is rolled back within 3 minutes of its first production traffic. */
const PRODUCTION_DETECTION_SECONDS = 180;

/** A MetricAlarm's inputs as the evaluator reads them; a single-metric alarm becomes one metric query. */
function alarmSpec(alarm: PolicyResource): AlarmSpec {
  const props = alarm.props;
  const queries = list(props.metricQueries) as MetricQuery[];
  const metricQueries: MetricQuery[] =
    queries.length > 0
      ? queries
      : [
          {
            id: "m",
            returnData: true,
            metric: {
              namespace: String(props.namespace),
              metricName: String(props.metricName),
              dimensions: (at(props, "dimensions") as Record<string, string> | undefined) ?? {},
              period: Number(props.period),
              stat: String(props.statistic ?? props.extendedStatistic),
            },
          },
        ];
  return {
    name: String(props.name ?? alarm.name),
    comparison: String(props.comparisonOperator),
    threshold: Number(props.threshold),
    evaluationPeriods: Number(props.evaluationPeriods),
    datapointsToAlarm: Number(props.datapointsToAlarm ?? props.evaluationPeriods),
    treatMissingData: (props.treatMissingData as TreatMissingData | undefined) ?? "missing",
    metricQueries,
  };
}

/** Metric names an alarm reads. */
const metricsOf = (alarm: AlarmSpec) => alarm.metricQueries.flatMap((query) => (query.metric ? [query.metric.metricName] : []));

/** The request minimum an alarm applies: `x >= N` in its math where x is built from RequestCount alone. */
function requestFloor(alarm: AlarmSpec): number | undefined {
  const byId = new Map(alarm.metricQueries.map((query) => [query.id, query]));
  const onlyRequests = (id: string, seen: readonly string[] = []): boolean => {
    const query = byId.get(id);
    if (!query || seen.includes(id)) return false;
    if (query.metric) return query.metric.metricName === "RequestCount";
    return references(query.expression ?? "").every((ref) => onlyRequests(ref, [...seen, id]));
  };
  for (const query of alarm.metricQueries) {
    for (const match of (query.expression ?? "").matchAll(/(?:FILL\(\s*(\w+)\s*,\s*0\s*\)|(\w+))\s*>=\s*(\d+(?:\.\d+)?)/g)) {
      if (onlyRequests(match[1] ?? match[2])) return Number(match[3]);
    }
  }
  return undefined;
}

/**
 * The scenarios run against the alarms an ECS service rolls back on, or why they cannot run (no error-rate or latency
 * alarm among them); undefined when the service has no target group to judge.
 */
export function serviceSensitivity(service: PolicyResource, stack: StackContext): { results: ScenarioResult[] } | { missing: string } | undefined {
  const arns = [at(service.props, "loadBalancers", 0, "targetGroupArn"), at(service.props, "loadBalancers", 0, "advancedConfiguration", "alternateTargetGroupArn")];
  const targetGroups = arns
    .filter((arn) => arn !== undefined)
    .map((arn) => stack.resources.find((candidate) => candidate.type === "aws:lb/targetGroup:TargetGroup" && candidate.props.arn === arn)?.props.arnSuffix)
    .filter((suffix): suffix is string => typeof suffix === "string");
  if (targetGroups.length === 0) return undefined;
  const rollback = at(service.props, "alarms", "rollback") === true && at(service.props, "alarms", "enable") === true;
  const names = rollback ? list(at(service.props, "alarms", "alarmNames")) : [];
  // ECS rolls back on exactly the alarms the service names: any other alarm is no rollback.
  const alarms = stack.resources
    .filter((candidate) => candidate.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && names.includes(candidate.props.name))
    .map(alarmSpec);
  const errorRate = alarms.find((alarm) => metricsOf(alarm).includes("HTTPCode_Target_5XX_Count"));
  const latency = alarms.find((alarm) => metricsOf(alarm).includes("TargetResponseTime"));
  if (!errorRate || !latency) return { missing: "no rollback alarm reads HTTPCode_Target_5XX_Count and TargetResponseTime per target group: a bad version's errors and latency go unnoticed" };
  const inputs = {
    errorRatePercent: errorRate.threshold,
    p99LatencyMs: latency.threshold * 1000,
    minRequests: requestFloor(errorRate) ?? 1,
    newVersionPercent: firstShiftPercent(at(service.props, "deploymentConfiguration")),
    tasks: typeof service.props.desiredCount === "number" ? service.props.desiredCount : 1,
    targetGroups,
  };
  return { results: alarmSensitivity(alarms, inputs) };
}

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";

/**
 * The scenarios against the analysis that aborts an Argo Rollout's release under user traffic (canary: the background
 * run; blue/green: the post-promotion bake), read from its AnalysisTemplates as synthesized; undefined when the Rollout
 * has none the evaluator can read (kubernetes-service-has-analysis speaks for a missing one).
 */
export function rolloutSensitivity(rollout: PolicyResource, stack: StackContext): { results: ScenarioResult[] } | { missing: string } | undefined {
  const strategy = at(rollout.props, "spec", "strategy");
  const blueGreen = at(strategy, "blueGreen") !== undefined;
  const analysis = blueGreen ? at(strategy, "blueGreen", "postPromotionAnalysis") : at(strategy, "canary", "analysis");
  const namespace = at(rollout.props, "metadata", "namespace");
  const metrics = list(at(analysis, "templates")).flatMap((reference) => {
    const template = stack.resources.find(
      (candidate) => candidate.type === TEMPLATE && at(candidate.props, "metadata", "namespace") === namespace && at(candidate.props, "metadata", "name") === at(reference, "templateName"),
    );
    return list(at(template?.props, "spec", "metrics")) as Record<string, unknown>[];
  });
  const cloudWatch = metrics.filter((metric) => at(metric, "provider", "cloudWatch") !== undefined);
  const byMetric = (name: string) => cloudWatch.find((metric) => JSON.stringify(at(metric, "provider", "cloudWatch", "metricDataQueries") ?? []).includes(`"metricName":"${name}"`));
  const errorRate = byMetric("HTTPCode_Target_5XX_Count");
  const latency = byMetric("TargetResponseTime");
  if (!errorRate || !latency) return undefined;
  const threshold = (metric: Record<string, unknown>) => parseFailureCondition(String(metric.failureCondition ?? ""))?.threshold;
  const errorThreshold = threshold(errorRate);
  const latencyThreshold = threshold(latency);
  if (errorThreshold === undefined || latencyThreshold === undefined) return { missing: "the analysis's failure conditions are not ones the evaluator reads: its detection cannot be shown" };
  const floor = /FILL\(requests0, 0\) >= (\d+(?:\.\d+)?)/.exec(JSON.stringify(at(errorRate, "provider", "cloudWatch", "metricDataQueries")));
  const firstWeight = list(at(strategy, "canary", "steps")).map((step) => at(step, "setWeight")).find((weight) => typeof weight === "number");
  const interval = parseInt(String(at(cloudWatch[0], "interval") ?? "60"), 10);
  try {
    return {
      results: analysisSensitivity(cloudWatch, {
        errorRatePercent: errorThreshold,
        p99LatencyMs: latencyThreshold * 1000,
        minRequests: floor ? Number(floor[1]) : 1,
        newVersionPercent: blueGreen ? 100 : typeof firstWeight === "number" ? firstWeight : 100,
        tasks: typeof at(rollout.props, "spec", "replicas") === "number" ? Number(at(rollout.props, "spec", "replicas")) : 1,
        blueGreen,
        intervalSeconds: Number.isFinite(interval) ? interval : measurementIntervalSeconds(60),
      }).results,
    };
  } catch (error) {
    return { missing: `the analysis cannot be evaluated: ${(error as Error).message}` };
  }
}

export const alarmSensitivityRule: Rule = defineRule({
  id: "alarm-sensitivity",
  description:
    "A service's rollback alarms (an Argo Rollout's aborting analysis, read from its AnalysisTemplates), evaluated minute by minute over synthetic ALB metrics, catch a new version at 2x the error-rate or p99 threshold or with crashing tasks within 3 minutes in production, and stay quiet for a healthy version and a stray error in quiet hours",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== "aws:ecs/service:Service" && resource.type !== ROLLOUT) return NOT_APPLICABLE;
    const sensitivity = resource.type === ROLLOUT ? rolloutSensitivity(resource, stack) : serviceSensitivity(resource, stack);
    const production = inProduction(stack);
    // No target group (an ECS service) or no analysis the evaluator reads (a Rollout): nothing to judge.
    if (!sensitivity) return NOT_APPLICABLE;
    // Outside production a service may do without the alarms this rule times.
    if ("missing" in sensitivity) return production ? nonCompliant(sensitivity.missing) : NOT_APPLICABLE;
    return judged(sensitivityProblems(sensitivity.results, production ? PRODUCTION_DETECTION_SECONDS : undefined));
  },
});
