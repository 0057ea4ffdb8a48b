// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", { apiVersion: "elbv2.k8s.aws/v1beta1", kind: "TargetGroupBinding", metadata: { name: "web", namespace: "shop" }, spec: { serviceRef: { name: "web", port: 80 }, targetGroupARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef", targetType: "ip" } }), production()]],
  nonCompliant: [[res("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", { apiVersion: "elbv2.k8s.aws/v1beta1", kind: "TargetGroupBinding", metadata: { name: "web", namespace: "shop" }, spec: { serviceRef: { name: "web" }, targetGroupARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef", targetType: "pod" } }), production()]],
  notApplicable: [
    [res("kubernetes:apps/v1:Deployment", {}), production()],
  ],
};
