// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, dev } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:lb/loadBalancer:LoadBalancer", { enableDeletionProtection: true, dropInvalidHeaderFields: true }), production()]],
  nonCompliant: [[res("aws:lb/loadBalancer:LoadBalancer", { enableDeletionProtection: false, dropInvalidHeaderFields: true }), production()]],
  notApplicable: [
    [res("aws:lb/loadBalancer:LoadBalancer", { enableDeletionProtection: false, dropInvalidHeaderFields: false }), dev()],
  ],
};
