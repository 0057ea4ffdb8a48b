// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:ecs/service:Service", {}, { ignoreChanges: ["desiredCount", "loadBalancers"] }), production()]],
  // Today's wiring.
  nonCompliant: [[res("aws:ecs/service:Service", {}, { ignoreChanges: ["desiredCount", "loadBalancers[0].targetGroupArn", "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn"] }), production()]],
  notApplicable: [
    [res("aws:ecs/service:Service", {}), production()], [res("aws:lb/listenerRule:ListenerRule", {}, { ignoreChanges: ["actions"] }), production()],
  ],
};
