/** The p99-latency alarm: target response time, the worse target group. */
import { type AlarmDefinition, perTargetGroup, type TrafficTargets, worstOf } from "../alarm-math";
import { alarmKind } from "./kind";

/** p99 of target response time, the worse of the target groups, in seconds as ALB reports it. @internal */
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

export const p99Latency = alarmKind({
  name: "p99-latency",
  settings: {
    /** Milliseconds; ALB reports seconds, so the alarm's threshold is this / 1000. */
    p99LatencyMs: { min: 1, max: 600_000, integer: true },
  },
  define: (targets, { p99LatencyMs }, period) => latencyAlarm(targets, p99LatencyMs, period),
  scenarios: [{ id: "p99-2x", label: "p99 at 2x threshold", expect: "alarm", newVersion: { p99Factor: 2 } }],
});
