/**
 * Argo Rollouts' analysis metrics as plain data, built from the ECS alarm math: the CloudWatch queries, failure
 * conditions and lookback of each metric, the same metrics read back as the alarm evaluator runs them, and the script
 * of the canary's precondition job.
 */
import type { AnalysisSpec } from "../deployment-alarms/alarm-evaluator";
import { analysisDetector, detectorSensitivity, type ScenarioResult, type SensitivityInputs } from "../deployment-alarms/alarm-sensitivity";
import { type AlarmDefinition, type AlarmTiming, type MetricQuery, PUBLISH_AND_EVALUATE_SECONDS } from "../deployment-alarms/alarm-math";
import { ALARM_KINDS, type Thresholds } from "../deployment-alarms/kinds";

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

/** GetMetricData's query back in the alarms' form, with each `{{args.name}}` replaced as Argo does. */
export function fromArgoQuery(query: ArgoMetricDataQuery, args: Readonly<Record<string, string>>): MetricQuery {
  const resolve = (text: string) => text.replace(/\{\{args\.([\w-]+)\}\}/g, (_, name: string) => {
    if (args[name] === undefined) throw new Error(`argument ${name} has no value`);
    return args[name];
  });
  return {
    id: query.id,
    ...(query.expression !== undefined ? { expression: resolve(query.expression) } : {}),
    ...(query.label !== undefined ? { label: query.label } : {}),
    returnData: query.returnData ?? true,
    ...(query.metricStat
      ? {
          metric: {
            namespace: query.metricStat.metric.namespace,
            metricName: query.metricStat.metric.metricName,
            dimensions: Object.fromEntries(query.metricStat.metric.dimensions.map(({ name, value }) => [name, resolve(value)])),
            period: query.metricStat.period,
            stat: query.metricStat.stat,
          },
        }
      : {}),
  };
}

const COMPARISONS: Readonly<Record<string, string>> = { ">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold", "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold" };

const seconds = (duration: unknown): number => {
  const match = /^(\d+)(s|m)$/.exec(String(duration));
  if (!match) throw new Error(`duration ${String(duration)} is not whole seconds or minutes`);
  return Number(match[1]) * (match[2] === "m" ? 60 : 1);
};

/**
 * An AnalysisTemplate's CloudWatch metric, as written to the cluster, in the form the evaluator runs: its queries with
 * the run's arguments, its failure condition, interval and count. Refuses what the evaluator cannot model faithfully.
 */
export function readAnalysisMetric(metric: Readonly<Record<string, unknown>>, args: Readonly<Record<string, string>>): AnalysisSpec {
  const name = String(metric.name);
  const condition = parseFailureCondition(String(metric.failureCondition ?? ""));
  if (!condition) throw new Error(`${name}: failureCondition is not one the evaluator reads: ${String(metric.failureCondition)}`);
  if (metric.successCondition !== undefined) throw new Error(`${name}: a successCondition is not modelled`);
  if (metric.failureLimit !== 0) throw new Error(`${name}: only failureLimit 0 (the first failed measurement fails the run) is modelled`);
  const cloudWatch = (metric.provider as { cloudWatch?: { metricDataQueries: ArgoMetricDataQuery[]; interval: string } } | undefined)?.cloudWatch;
  if (!cloudWatch) throw new Error(`${name}: not a CloudWatch metric`);
  const lookback = seconds(cloudWatch.interval);
  if (lookback < condition.completeAfterSeconds + condition.windowSeconds + 60) throw new Error(`${name}: the lookback ${lookback}s does not reach the condition's window`);
  return {
    name,
    metricQueries: cloudWatch.metricDataQueries.map((query) => fromArgoQuery(query, args)),
    comparison: COMPARISONS[condition.operator],
    threshold: condition.threshold,
    datapointsToAlarm: condition.datapointsToAlarm,
    completeAfterSeconds: condition.completeAfterSeconds,
    windowSeconds: condition.windowSeconds,
    intervalSeconds: seconds(metric.interval),
    ...(typeof metric.count === "number" ? { count: metric.count } : {}),
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

/** The alarms a Kubernetes service is judged by: the ECS alarm definitions, on one target group (the new version's). */
export function analysisAlarms(thresholds: Thresholds, period: number): AlarmDefinition[] {
  const targets = { loadBalancerArnSuffix: `{{args.${LOAD_BALANCER_ARG}}}`, targetGroupArnSuffixes: [`{{args.${TARGET_GROUP_ARG}}}`] };
  return ALARM_KINDS.map((kind) => kind.define(targets, thresholds, period));
}

/**
 * Seconds from the start of a datapoint's period until the analysis counts it: the period must be over and ALB's
 * datapoint published (PUBLISH_AND_EVALUATE_SECONDS, the delay the alarm evaluator models for CloudWatch alarms).
 */
export function completeAfterSeconds(periodSeconds: number): number {
  return periodSeconds + PUBLISH_AND_EVALUATE_SECONDS;
}

/**
 * How far back each measurement asks CloudWatch: the alarm's evaluation window of complete, published periods, the
 * period still open and the one not yet published, and one minute more because GetMetricData rounds the start time
 * down to the whole minute. Argo asks for `startTime := endTime.Add(-interval)` with endTime = now
 * (argo-rollouts metricproviders/cloudwatch/cloudwatch.go); the condition then keeps only the complete periods.
 */
export function lookbackSeconds(periodSeconds: number, evaluationPeriods: number): number {
  return completeAfterSeconds(periodSeconds) + periodSeconds * evaluationPeriods + 60;
}

/** The parameters of an analysis metric's failure condition, as `failureConditionOf` writes and `parseFailureCondition` reads them. */
export interface AnalysisCondition {
  readonly operator: ">" | ">=" | "<" | "<=";
  readonly threshold: number;
  readonly datapointsToAlarm: number;
  /** Datapoints whose period started at least this long ago count (complete and published)... */
  readonly completeAfterSeconds: number;
  /** ...and no longer ago than this: the alarm's `evaluationPeriods` complete periods. */
  readonly windowSeconds: number;
}

/**
 * Argo's failure condition for one alarm: at least `datapointsToAlarm` breaching values among the newest
 * `evaluationPeriods` complete periods, as the CloudWatch alarm counts them. GetMetricData returns the still-open minute
 * and a minute not yet fully published as well; their partial values are left out by their timestamps (expr's `now()`
 * and `duration()`, expr-lang/expr v1.17 in Argo Rollouts 1.9). No value in the window (no requests) counts as not
 * breaching, as the alarm's `treatMissingData: notBreaching`.
 */
export function failureConditionOf(condition: AnalysisCondition): string {
  const { operator, threshold, datapointsToAlarm, completeAfterSeconds: complete, windowSeconds } = condition;
  const at = "result[0].Timestamps[#]";
  return (
    `len(filter(0..(len(result[0].Values) - 1), {${at} <= now() - duration("${complete}s") && ${at} > now() - duration("${complete + windowSeconds}s")` +
    ` && result[0].Values[#] ${operator} ${threshold}})) >= ${datapointsToAlarm}`
  );
}

const CONDITION =
  /^len\(filter\(0\.\.\(len\(result\[0\]\.Values\) - 1\), \{result\[0\]\.Timestamps\[#\] <= now\(\) - duration\("(\d+)s"\) && result\[0\]\.Timestamps\[#\] > now\(\) - duration\("(\d+)s"\) && result\[0\]\.Values\[#\] (>=|<=|>|<) (-?[\d.]+(?:e[-+]?\d+)?)\}\)\) >= (\d+)$/;

/** A failure condition read back from a manifest; undefined when it is not one `failureConditionOf` writes. */
export function parseFailureCondition(text: string): AnalysisCondition | undefined {
  const match = CONDITION.exec(text);
  if (!match) return undefined;
  const complete = Number(match[1]);
  return {
    completeAfterSeconds: complete,
    windowSeconds: Number(match[2]) - complete,
    operator: match[3] as AnalysisCondition["operator"],
    threshold: Number(match[4]),
    datapointsToAlarm: Number(match[5]),
  };
}

/**
 * How often a measurement runs. A run's measurements are not on minute boundaries (it starts when Argo reaches its
 * step): at one per period, a period that became complete just after a measurement waits a whole period more. Every
 * 30 s at most, so a complete breaching minute is counted within 30 s, as an alarm's evaluation counts it on the minute.
 */
export function measurementIntervalSeconds(periodSeconds: number): number {
  return Math.min(periodSeconds, 30);
}

/** One Argo metric per alarm: it fails as the alarm would fire, on `datapointsToAlarm` breaching periods of `evaluationPeriods`. */
export function analysisMetric(alarm: AlarmDefinition, timing: AlarmTiming, count?: number): Record<string, unknown> {
  const evaluationPeriods = Math.max(timing.evaluationPeriods, alarm.minimumEvaluation?.evaluationPeriods ?? 0);
  const datapointsToAlarm = Math.max(timing.datapointsToAlarm, alarm.minimumEvaluation?.datapointsToAlarm ?? 0);
  const returned = alarm.metricQueries.filter((query) => query.returnData === true);
  const operator = OPERATORS[alarm.comparison];
  if (returned.length !== 1 || operator === undefined) throw new Error(`alarm ${alarm.kind} is not one returned series with a threshold`);
  const period = timing.periodSeconds;
  return {
    name: alarm.kind,
    interval: `${measurementIntervalSeconds(period)}s`,
    ...(count !== undefined ? { count } : {}),
    failureCondition: failureConditionOf({
      operator: operator as AnalysisCondition["operator"],
      threshold: alarm.threshold,
      datapointsToAlarm,
      completeAfterSeconds: completeAfterSeconds(period),
      windowSeconds: period * evaluationPeriods,
    }),
    failureLimit: 0,
    provider: {
      cloudWatch: {
        interval: `${lookbackSeconds(period, evaluationPeriods)}s`,
        metricDataQueries: alarm.metricQueries.map(toArgoQuery),
      },
    },
  };
}

/** The Argo Rollouts controller flag without which `status.alb` is never written (and the canary is not judged). */
export const VERIFY_TARGET_GROUP_FLAG = "--aws-verify-target-group";

/**
 * The precondition of a canary's analysis as a shell script for a `job` analysis: it reads the Rollout through the
 * Kubernetes API (the job's service account may get it) and fails, saying why, unless `status.alb` names a load
 * balancer and the canary's target group. Argo writes that status only with `--aws-verify-target-group`: "if
 * !r.getShouldVerifyWeightCfg() { r.cfg.Status.ALB = nil" (argo-rollouts rollout/trafficrouting/alb/alb.go). Without
 * it, a `fieldRef` to `status.alb...` cannot be resolved ("invalid path ... in rollout", utils/analysis/factory.go)
 * and the background analysis is never created: the Rollout would sit at its first weight, unjudged. This step runs
 * no fieldRef, so it fails (and aborts the release) instead.
 */
export function analysisPreconditionScript(namespace: string, rollout: string): string {
  const account = "/var/run/secrets/kubernetes.io/serviceaccount";
  const url = `https://kubernetes.default.svc/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts/${rollout}`;
  const fail = (why: string) => `{ echo '${why}'; exit 1; }`;
  return [
    // The API server pretty-prints for curl: whitespace is removed before matching.
    `status=$(curl -sS --fail --max-time 10 --cacert ${account}/ca.crt -H "Authorization: Bearer $(cat ${account}/token)" '${url}' | tr -d ' \\n\\t') || ${fail(`cannot read Rollout ${namespace}/${rollout}`)}`,
    `echo "$status" | grep -q '"alb":{' || ${fail(`Rollout ${namespace}/${rollout} has no status.alb: run the Argo Rollouts controller with ${VERIFY_TARGET_GROUP_FLAG}`)}`,
    `echo "$status" | grep -q '"loadBalancer":{[^}]*"fullName":"app/' || ${fail("status.alb.loadBalancer.fullName is empty: the controller has not found the Ingress load balancer")}`,
    `echo "$status" | grep -q '"canaryTargetGroup":{[^}]*"fullName":"targetgroup/' || ${fail("status.alb.canaryTargetGroup.fullName is empty: the canary target group was not verified")}`,
    `echo "status.alb names the load balancer and the canary target group"`,
  ].join("\n");
}

/** What the detection estimate of an analysis needs beyond its metrics. */
export interface AnalysisTraffic {
  readonly errorRatePercent: number;
  readonly p99LatencyMs: number;
  readonly minRequests: number;
  readonly newVersionPercent: number;
  readonly tasks: number;
  readonly blueGreen: boolean;
  readonly intervalSeconds: number;
}

/**
 * The alarm scenarios of the ECS services (alarm-sensitivity.ts) against the metrics that abort a Kubernetes release,
 * read back as Argo runs them (readAnalysisMetric): canary, the background run on the canary's own target group from
 * the first weight; blue/green, the bake on the active group after the switch. The run's clock is Argo's: measurements
 * start when it reaches the step, so every start phase within one interval (in 10 s steps) is a case.
 * @internal
 */
export function analysisSensitivity(metrics: readonly Record<string, unknown>[], traffic: AnalysisTraffic): { results: ScenarioResult[]; inputs: SensitivityInputs } {
  const loadBalancer = "app/k8s-analysis/0";
  const targetGroups = traffic.blueGreen ? ["targetgroup/active/0"] : ["targetgroup/stable/0", "targetgroup/canary/0"];
  const judged = targetGroups.length - 1;
  const specs = metrics.map((metric) => readAnalysisMetric(metric, { [LOAD_BALANCER_ARG]: loadBalancer, [TARGET_GROUP_ARG]: targetGroups[judged] }));
  const inputs: SensitivityInputs = {
    errorRatePercent: traffic.errorRatePercent,
    p99LatencyMs: traffic.p99LatencyMs,
    minRequests: traffic.minRequests,
    newVersionPercent: traffic.newVersionPercent,
    tasks: traffic.tasks,
    targetGroups,
    newVersionGroups: [judged],
  };
  const phases = Array.from({ length: Math.ceil(traffic.intervalSeconds / 10) }, (_, index) => index * 10);
  return { results: detectorSensitivity(specs.map(analysisDetector), inputs, phases), inputs };
}
