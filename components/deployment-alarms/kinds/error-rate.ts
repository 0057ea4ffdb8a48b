/** The error-rate alarm: 5xx and refused connections as a share of each target group's requests. */
import { type AlarmDefinition, type MetricQuery, perTargetGroup, type TrafficTargets } from "../alarm-math";
import { alarmKind } from "./kind";

/** Failed requests a target group needs in a minute before its error rate counts: one is a stray error, never a verdict. */
export const MIN_FAILED_REQUESTS = 2;

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
