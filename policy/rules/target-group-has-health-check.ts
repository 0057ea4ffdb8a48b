import { at } from "./props";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const targetGroupHasHealthCheck: Rule = defineRule({
  id: "target-group-has-health-check",
  description: "Target groups health-check their targets on a path",
  enforcement: "mandatory",
  judge(resource) {
    if (resource.type !== "aws:lb/targetGroup:TargetGroup") return NOT_APPLICABLE;
    const healthCheck = at(resource.props, "healthCheck");
    if (healthCheck === undefined || at(healthCheck, "enabled") === false) return nonCompliant("has no health check: set healthCheck with a path");
    return typeof at(healthCheck, "path") === "string" ? COMPLIANT : nonCompliant("health check has no path");
  },
});
