// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, dev } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:appconfig/environment:Environment", { monitors: [{ alarmArn: "a", alarmRoleArn: "r" }] }), production()]],
  nonCompliant: [[res("aws:appconfig/environment:Environment", { monitors: [] }), production()]],
  notApplicable: [
    [res("aws:appconfig/environment:Environment", { monitors: [] }), dev()],
  ],
};
