// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, unrelated } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: ["arn:aws:sns:eu-west-1:1:t"] }), production()]],
  nonCompliant: [[res("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: [] }), production()]],
  notApplicable: [unrelated()],
};
