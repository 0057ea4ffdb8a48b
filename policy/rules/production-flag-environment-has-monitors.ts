import { inProduction, list } from "./props";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const productionFlagEnvironmentHasMonitors: Rule = defineRule({
  id: "production-flag-environment-has-monitors",
  description: "Production flag environments have alarm monitors, so AppConfig rolls a bad flag change back",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== "aws:appconfig/environment:Environment" || !inProduction(stack)) return NOT_APPLICABLE;
    return list(resource.props.monitors).length > 0 ? COMPLIANT : nonCompliant("has no monitors: add the services' composite alarms");
  },
});
