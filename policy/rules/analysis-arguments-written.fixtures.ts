// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const albArgs = [{ name: "target-group", valueFrom: { fieldRef: { fieldPath: "status.alb.canaryTargetGroup.fullName" } } }];
  const canary = (startingStep: number, steps: unknown[]) =>
    res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { canary: { analysis: { templates: [{ templateName: "a" }], args: albArgs, startingStep }, steps } } } });
  const precondition = { analysis: { templates: [{ templateName: "p" }] } };
  return {
    // The first weight, a precondition that reads no status, then the background run.
    compliant: [[canary(2, [{ setWeight: 5 }, precondition, { pause: { duration: "10m" } }, { setWeight: 100 }]), production()]],
    // d65906f: the background run starts at the first weight, with the status of the previous release.
    nonCompliant: [[canary(0, [{ setWeight: 5 }, { pause: { duration: "10m" } }, { setWeight: 100 }]), production()]],
  };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    // A blue/green Rollout has no canary steps to order.
    [res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { blueGreen: { activeService: "web" } } } }), production()],
  ],
};
