// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, dev } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: JSON.stringify([{ image: "repo/app:1.2.3" }]) }), production()]],
  nonCompliant: [[res("aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: JSON.stringify([{ image: "repo/app:latest" }]) }), production()]],
  notApplicable: [
    [res("aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: JSON.stringify([{ image: "repo/app:latest" }]) }), dev()],
  ],
};
