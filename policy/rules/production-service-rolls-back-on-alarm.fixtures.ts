// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, dev, unrelated } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:ecs/service:Service", { deploymentConfiguration: { strategy: "CANARY" }, alarms: { alarmNames: ["a"], enable: true, rollback: true } }), production()]],
  nonCompliant: [[res("aws:ecs/service:Service", { deploymentConfiguration: { strategy: "ROLLING" } }), production()]],
  notApplicable: [
    [res("aws:ecs/service:Service", { deploymentConfiguration: { strategy: "ROLLING" } }), dev()], unrelated(),
  ],
};
