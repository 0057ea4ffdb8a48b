// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const bucket = res("aws:s3/bucket:Bucket", {}, { protect: true }, "production-access-logs");
  // A deleted resource that is neither protected nor holds data: production may let it go.
  const topic = res("aws:sns/topic:Topic", {}, {}, "production-old-alerts");
  return { compliant: [[topic, { tier: "production", resources: [], deleted: [topic] }]], nonCompliant: [[bucket, { tier: "production", resources: [], deleted: [bucket] }]] };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: (() => {
    // Outside production, and in production a resource the change keeps.
    const bucket = res("aws:s3/bucket:Bucket", {}, { protect: true }, "staging-access-logs");
    return [[bucket, { tier: "staging", resources: [], deleted: [bucket] }], [bucket, { tier: "production", resources: [bucket], deleted: [] }]] as const;
  })(),
};
