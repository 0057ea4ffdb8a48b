// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  // Today's (d65906f) Deploy step: retries on named errors and catches only a conflict; its other steps catch nothing.
  const deploy = { Type: "Task", Resource: "arn:aws:states:::aws-sdk:appconfig:startDeployment", Retry: [{ ErrorEquals: ["AppConfig.ThrottlingException"] }] };
  const machine = (state: Record<string, unknown>) => res("aws:sfn/stateMachine:StateMachine", { definition: JSON.stringify({ StartAt: "Deploy 1", States: { "Deploy 1": { ...deploy, ...state, End: true } } }) });
  return {
    compliant: [[machine({ Catch: [{ ErrorEquals: ["States.ALL"], Next: "Verify 1" }] }), production()]],
    nonCompliant: [[machine({ Catch: [{ ErrorEquals: ["AppConfig.ConflictException"], Next: "Wait out 1" }] }), production()]],
  };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    // No step calls an AWS API.
    [res("aws:sfn/stateMachine:StateMachine", { definition: JSON.stringify({ StartAt: "Wait", States: { Wait: { Type: "Wait", Seconds: 60, End: true } } }) }), production()],
  ],
};
