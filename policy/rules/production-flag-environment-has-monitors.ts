import { inProduction, list } from "./props";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const productionFlagEnvironmentHasMonitors: Rule = defineRule({
  id: "production-flag-environment-has-monitors",
  description: "Production flag environments have alarm monitors, so AppConfig rolls a bad flag change back",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== "aws:appconfig/environment:Environment" || !inProduction(stack)) return NOT_APPLICABLE;
    if (list(resource.props.monitors).length > 0) return COMPLIANT;
    // An environment stack's own store: the services are in service stacks, whose alarms watch their own stores.
    return stack.environment?.role === "environment"
      ? nonCompliant("has no monitors: the environment stack's flags roll out unguarded (the alarms of service stacks watch their own stores); give this store alarms of its own, or keep environment-wide flags out of production")
      : nonCompliant("has no monitors: add the services' composite alarms");
  },
});
