// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const lb = res("aws:lb/loadBalancer:LoadBalancer", { arn: "lb-arn", securityGroups: ["sg-lb"] });
  const listener = res("aws:lb/listener:Listener", { loadBalancerArn: "lb-arn", port: 443 });
  const stack = production(lb, listener);
  return {
    compliant: [[res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-lb", cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 }), stack]],
    nonCompliant: [[res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-tasks", cidrIpv4: "0.0.0.0/0", fromPort: 8080, toPort: 8080 }), stack]],
  };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    [res("aws:lb/loadBalancer:LoadBalancer", {}), production()],
  ],
};
