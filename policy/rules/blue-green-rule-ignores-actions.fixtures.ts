// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:lb/listenerRule:ListenerRule", { actions: [{ forward: { targetGroups: [{}, {}] } }] }, { ignoreChanges: ["actions"] }), production()]],
  nonCompliant: [[res("aws:lb/listenerRule:ListenerRule", { actions: [{ forward: { targetGroups: [{}, {}] } }] }), production()]],
  notApplicable: [
    // Forwards to one target group: ECS moves no weights here.
    [res("aws:lb/listenerRule:ListenerRule", { actions: [{ type: "forward", targetGroupArn: "tg" }] }), production()],
  ],
};
