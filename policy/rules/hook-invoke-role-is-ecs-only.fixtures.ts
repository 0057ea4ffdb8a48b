// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const ecsTrust = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "ecs.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const lambdaTrust = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const invokePolicy = (resource: string) => JSON.stringify({ Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [resource] }] });

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const goodRole = res("aws:iam/role:Role", { name: "hooks", assumeRolePolicy: ecsTrust }, {}, "hooks");
  const badRole = res("aws:iam/role:Role", { name: "fn", assumeRolePolicy: lambdaTrust }, {}, "fn");
  return {
    compliant: [[res("aws:iam/rolePolicy:RolePolicy", { role: "hooks", policy: invokePolicy("arn:aws:lambda:eu-west-1:1:function:smoke") }), production(goodRole)]],
    nonCompliant: [[res("aws:iam/rolePolicy:RolePolicy", { role: "fn", policy: invokePolicy("*") }), production(badRole)]],
  };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    // A role policy that invokes no function.
    [res("aws:iam/rolePolicy:RolePolicy", { role: "logs", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }] }) }), production()],
  ],
};
