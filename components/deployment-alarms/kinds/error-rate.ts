/** The error-rate alarm: 5xx and refused connections as a share of each target group's requests. */
import { type AlarmDefinition, type MetricQuery, perLoadBalancer, perTargetGroup, type TrafficTargets } from "../alarm-math";
import { alarmKind } from "./kind";

/** Failed requests a target group needs in a minute before its error rate counts: one is a stray error, never a verdict. */
export const MIN_FAILED_REQUESTS = 2;

/**
 * `failed` as a percentage of `requests` (query ids), counted as 0 below `minRequests` requests or
 * MIN_FAILED_REQUESTS failures in the period: a quiet minute's stray error is never a verdict.
 */
function gatedRate(failed: string, requests: string, minRequests: number): string {
  return `IF(FILL(${requests}, 0) >= ${minRequests}, IF(${failed} >= ${MIN_FAILED_REQUESTS}, 100 * ${failed} / FILL(${requests}, 0), 0), 0)`;
}

/**
 * Failed requests as a percentage of requests, per target group, and the worse group: the new version is judged on its
 * own traffic, never diluted by the old version's. Failed means a 5xx from the target or a connection the target refused
 * (a crashed task: ALB answers those 502/503 itself, and HTTPCode_ELB_5XX_Count has no TargetGroup dimension).
 * A group's rate counts as 0 below `minRequests` requests or MIN_FAILED_REQUESTS failures in the minute.
 * @internal
 */
export function errorRateAlarm(targets: TrafficTargets, errorRatePercent: number, minRequests: number, period: number): AlarmDefinition {
  const requests = perTargetGroup(targets, "requests", "RequestCount", "Sum", period);
  const errors = perTargetGroup(targets, "errors", "HTTPCode_Target_5XX_Count", "Sum", period);
  // A request whose target refused the connection still counts in RequestCount: a target had been chosen for it.
  // "Metrics for Application Load Balancers exclude health check requests": an idle group's failing checks add nothing.
  const refused = perTargetGroup(targets, "refused", "TargetConnectionErrorCount", "Sum", period);
  const perGroup = targets.targetGroupArnSuffixes.flatMap((_, index): MetricQuery[] => [
    { id: `failed${index}`, expression: `FILL(errors${index}, 0) + FILL(refused${index}, 0)`, returnData: false },
    { id: `rate${index}`, expression: gatedRate(`failed${index}`, `requests${index}`, minRequests), returnData: false },
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

/**
 * The error rate of a whole load balancer: 5xx from its targets and 5xx it answers itself (no target, a refused or
 * timed-out connection) over its requests, with the service alarms' gate (`minRequests`, MIN_FAILED_REQUESTS). What
 * watches an environment-wide change (an environment stack's own flags), which no one service's alarms judge. The
 * load balancer's own 5xx are not all in RequestCount ("Requests that are rejected before a target is chosen are not
 * reflected in this metric", ALB CloudWatch metrics), so the rate can pass 100: a load balancer with no healthy
 * target alarms all the more.
 * @internal
 */
export function loadBalancerErrorRateAlarm(loadBalancerArnSuffix: string, errorRatePercent: number, minRequests: number, period: number): AlarmDefinition {
  return {
    kind: "load-balancer-error-rate",
    description: `5xx of the targets and of the load balancer itself over ${errorRatePercent}% of its requests (judged from ${minRequests} requests and ${MIN_FAILED_REQUESTS} failures a minute)`,
    comparison: "GreaterThanThreshold",
    threshold: errorRatePercent,
    // "Elastic Load Balancing reports metrics to CloudWatch only when requests are flowing through the load balancer": no data, no errors.
    treatMissingData: "notBreaching",
    metricQueries: [
      perLoadBalancer(loadBalancerArnSuffix, "requests", "RequestCount", "Sum", period),
      perLoadBalancer(loadBalancerArnSuffix, "targetErrors", "HTTPCode_Target_5XX_Count", "Sum", period),
      perLoadBalancer(loadBalancerArnSuffix, "loadBalancerErrors", "HTTPCode_ELB_5XX_Count", "Sum", period),
      { id: "failed", expression: "FILL(targetErrors, 0) + FILL(loadBalancerErrors, 0)", returnData: false },
      { id: "errorRate", expression: gatedRate("failed", "requests", minRequests), label: "Load balancer's error rate (%)", returnData: true },
    ],
  };
}

export const errorRate = alarmKind({
  name: "error-rate",
  settings: {
    /** Percent of a target group's requests answered 5xx or refused. */
    errorRatePercent: { min: 0.01, max: 100 },
    /** Requests a target group needs in a period before its own error rate counts (0 below). */
    minRequests: { min: 1, max: 1_000_000, integer: true },
  },
  define: (targets, { errorRatePercent, minRequests }, period) => errorRateAlarm(targets, errorRatePercent, minRequests, period),
  problems: ({ errorRatePercent }) => (errorRatePercent > 0 && errorRatePercent <= 100 ? [] : [{ field: ["errorRatePercent"], message: "must be in (0, 100]", got: errorRatePercent }]),
  scenarios: [
    { id: "error-rate-2x", label: "5xx at 2x threshold", expect: "alarm", newVersion: { errorRateFactor: 2 } },
    { id: "stray-error", label: "quiet hours + stray 5xx", expect: "quiet", newVersion: { strayErrorAfterMinutes: 5 }, quietHours: true },
  ],
});
