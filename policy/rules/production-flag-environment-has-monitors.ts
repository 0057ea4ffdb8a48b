import { inProduction, list } from "./props";
import type { Rule } from "./types";

export const productionFlagEnvironmentHasMonitors: Rule = {
  id: "production-flag-environment-has-monitors",
  description: "Production flag environments have alarm monitors, so AppConfig rolls a bad flag change back",
  enforcement: "mandatory",
  check(resource, stack) {
    if (resource.type !== "aws:appconfig/environment:Environment" || !inProduction(stack)) return [];
    return list(resource.props.monitors).length > 0 ? [] : ["has no monitors: add the services' composite alarms"];
  },
};
