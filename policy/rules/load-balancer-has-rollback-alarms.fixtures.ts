// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { kubernetesAlbFixtures } from "../../test/fixtures/kubernetes-alb";
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const { pass, fail } = kubernetesAlbFixtures();
  return { compliant: [pass], nonCompliant: [fail] };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
  // An Ingress no ALB serves, and a load balancer whose ARN is not known yet.
  [res("kubernetes:networking.k8s.io/v1:Ingress", { metadata: { name: "web", namespace: "shop" }, spec: { ingressClassName: "nginx" } }), production()],
  [res("aws:lb/loadBalancer:LoadBalancer", {}), production()],
  ],
};
