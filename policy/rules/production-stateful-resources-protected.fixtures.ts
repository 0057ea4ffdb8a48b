// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, dev, unrelated } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:appconfig/application:Application", {}, { protect: true }), production()]],
  nonCompliant: [[res("aws:s3/bucket:Bucket", {}), production()]],
  notApplicable: [
    [res("aws:s3/bucket:Bucket", {}), dev()], unrelated(),
  ],
};
