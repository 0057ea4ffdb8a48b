// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, unrelated } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:lambda/function:Function", { timeout: 30 }), production()]],
  nonCompliant: [[res("aws:lambda/function:Function", {}), production()]],
  notApplicable: [unrelated()],
};
