import { at } from "./props";
import type { Rule } from "./types";

export const targetGroupHasHealthCheck: Rule = {
  id: "target-group-has-health-check",
  description: "Target groups health-check their targets on a path",
  enforcement: "mandatory",
  check(resource) {
    if (resource.type !== "aws:lb/targetGroup:TargetGroup") return [];
    const healthCheck = at(resource.props, "healthCheck");
    if (healthCheck === undefined || at(healthCheck, "enabled") === false) return ["has no health check: set healthCheck with a path"];
    return typeof at(healthCheck, "path") === "string" ? [] : ["health check has no path"];
  },
};
