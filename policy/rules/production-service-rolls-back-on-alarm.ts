import { at, inProduction, list } from "./props";
import type { Rule } from "./types";

export const productionServiceRollsBackOnAlarm: Rule = {
  id: "production-service-rolls-back-on-alarm",
  description: "Production ECS services deploy by blue/green, canary or linear steps and roll back when their alarms fire",
  enforcement: "mandatory",
  check(resource, stack) {
    if (resource.type !== "aws:ecs/service:Service" || !inProduction(stack)) return [];
    const problems: string[] = [];
    const strategy = at(resource.props, "deploymentConfiguration", "strategy");
    if (!["BLUE_GREEN", "CANARY", "LINEAR"].includes(String(strategy))) {
      problems.push(`deploymentConfiguration.strategy is ${String(strategy ?? "ROLLING")}; production needs BLUE_GREEN, CANARY or LINEAR`);
    }
    const alarms = at(resource.props, "alarms");
    if (at(alarms, "enable") !== true || at(alarms, "rollback") !== true || list(at(alarms, "alarmNames")).length === 0) {
      problems.push("alarms must list the service's alarms with enable: true and rollback: true");
    }
    return problems;
  },
};
