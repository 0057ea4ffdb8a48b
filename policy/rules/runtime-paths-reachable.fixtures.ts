// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { runtimePathsFixtures } from "../../test/fixtures/network-wiring";
import { type RuleFixtures, res, production, unrelated } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const { pass, fail } = runtimePathsFixtures();
  return { compliant: [pass], nonCompliant: [fail] };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
  // Security groups unknown (a preview of a new stack).
  [res("aws:ecs/service:Service", { networkConfiguration: { securityGroups: [undefined], subnets: [undefined] } }), production()],
  unrelated(),
  ],
};
