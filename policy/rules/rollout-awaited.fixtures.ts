// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, dev } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const rollout = res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { canary: { steps: [{ setWeight: 5 }, { pause: { duration: "10m" } }] } } } });
  const waiter = (timeout: number) =>
    res("kubernetes:batch/v1:Job", {
      metadata: { name: "web-release-0123456789", namespace: "shop", annotations: { "pulumi.com/timeoutSeconds": String(timeout) } },
      spec: { backoffLimit: 0, template: { spec: { containers: [{ image: "quay.io/argoproj/kubectl-argo-rollouts:v1.7.2", args: ["status", "web", "--namespace", "shop"] }] } } },
    });
  return {
    compliant: [[rollout, production(rollout, waiter(40 * 60))]],
    // d65906f: nothing waits (and a waiter shorter than the pauses plus 30 minutes would give up on a healthy release).
    nonCompliant: [[rollout, production(rollout)]],
  };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    [res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { canary: { steps: [{ setWeight: 5 }] } } } }), dev()],
  ],
};
