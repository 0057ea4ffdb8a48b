// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, unrelated } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  // Today's wiring for an 84-character stack name: release-platform-<stack>, 101 characters.
  compliant: [[res("aws:appconfig/application:Application", { name: "release-platform-production" }), production()]],
  nonCompliant: [[res("aws:appconfig/application:Application", { name: `release-platform-production-eu-central-with-a-very-long-descriptive-stack-name-for-testing-0123456789` }), production()]],
  notApplicable: [
    // AWS names it (no name set), and a type whose names are not bounded here.
    [res("aws:appconfig/application:Application", {}), production()], unrelated(),
  ],
};
