import { at, inProduction, list } from "./props";
import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

export const productionServiceRollsBackOnAlarm: Rule = defineRule({
  id: "production-service-rolls-back-on-alarm",
  description: "Production ECS services deploy by blue/green, canary or linear steps and roll back when their alarms fire",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== "aws:ecs/service:Service" || !inProduction(stack)) return NOT_APPLICABLE;
    const problems: string[] = [];
    const strategy = at(resource.props, "deploymentConfiguration", "strategy");
    if (!["BLUE_GREEN", "CANARY", "LINEAR"].includes(String(strategy))) {
      problems.push(`deploymentConfiguration.strategy is ${String(strategy ?? "ROLLING")}; production needs BLUE_GREEN, CANARY or LINEAR`);
    }
    const alarms = at(resource.props, "alarms");
    if (at(alarms, "enable") !== true || at(alarms, "rollback") !== true || list(at(alarms, "alarmNames")).length === 0) {
      problems.push("alarms must list the service's alarms with enable: true and rollback: true");
    }
    return judged(problems);
  },
});
