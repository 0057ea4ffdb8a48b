// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, unrelated } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }), production()]],
  nonCompliant: [[res("aws:cloudwatch/logGroup:LogGroup", {}), production()]],
  notApplicable: [unrelated()],
};
