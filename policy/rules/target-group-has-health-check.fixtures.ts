// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, unrelated } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:lb/targetGroup:TargetGroup", { healthCheck: { enabled: true, path: "/healthz" } }), production()]],
  nonCompliant: [[res("aws:lb/targetGroup:TargetGroup", { healthCheck: { enabled: false } }), production()]],
  notApplicable: [unrelated()],
};
