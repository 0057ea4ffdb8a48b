// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const composite = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:production-checkout-any";
  const roleArn = "arn:aws:iam::123456789012:role/flags-monitors";
  const monitorRole = (resource: unknown) =>
    res("aws:iam/role:Role", {
      arn: roleArn,
      name: "flags-monitors",
      assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "appconfig.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      inlinePolicies: [{ name: "describe", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: resource }] }) }],
    });
  const alarm = res("aws:cloudwatch/compositeAlarm:CompositeAlarm", { arn: composite });
  const environment = res("aws:appconfig/environment:Environment", { monitors: [{ alarmArn: composite, alarmRoleArn: roleArn }] });
  // Today's wiring scoped the monitor role to the composite's ARN; CloudWatch returns composites only to `*`.
  return { compliant: [[environment, production(monitorRole("*"), alarm)]], nonCompliant: [[environment, production(monitorRole([composite]), alarm)]] };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    // A log group makes no call at runtime.
    [res("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }), production()],
  ],
};
