// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SynthDocument } from "../../src/synth/capture";
import { policyResources } from "../from-synth";
import type { PolicyResource, StackContext } from "./types";
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  // Synthesized production checkout: today's (main) summed error rate, and the per-target-group alarms.
  const stack = (file: string) => production(...policyResources(JSON.parse(readFileSync(join(__dirname, "../../test/fixtures", file), "utf8")) as SynthDocument));
  const serviceIn = (context: StackContext): [PolicyResource, StackContext] => [context.resources.find((r) => r.type === "aws:ecs/service:Service") as PolicyResource, context];
  return { compliant: [serviceIn(stack("alarms-per-group-checkout.json"))], nonCompliant: [serviceIn(stack("alarms-main-checkout.json"))] };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    // An ECS service with no target group has no load balancer metrics to judge.
    [res("aws:ecs/service:Service", { desiredCount: 2 }), production()],
  ],
};
