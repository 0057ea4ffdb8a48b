/** The unhealthy-hosts alarm: targets failing their health checks, the worse target group. */
import { type AlarmDefinition, perTargetGroup, type TrafficTargets, worstOf } from "../alarm-math";
import { alarmKind } from "./kind";

/** Unhealthy targets, the worse of the target groups. @internal */
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

export const unhealthyHosts = alarmKind({
  name: "unhealthy-hosts",
  settings: {
    /** Unhealthy targets in one target group that mean a bad version. */
    unhealthyHosts: { min: 1, max: 1000, integer: true },
  },
  define: (targets, { unhealthyHosts }, period) => unhealthyHostsAlarm(targets, unhealthyHosts, period),
  // A crashing task refuses connections until ECS deregisters it (one task of three down); its replacement fails its
  // first health checks from the minute after the first crash.
  scenarios: [{ id: "crashing-tasks", label: "crashing tasks", expect: "alarm", newVersion: { refusedOneIn: 3, unhealthyTargets: 1 } }],
});
