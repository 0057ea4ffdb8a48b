// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  // Today's wiring with 40 allowedCidrs: 40 x 2 listener ports + 1 test-listener CIDR, and the NAT prefix list of 2.
  const group = res("aws:ec2/securityGroup:SecurityGroup", { id: "sg-lb" }, {}, "production-lb");
  const natList = res("aws:ec2/managedPrefixList:ManagedPrefixList", { id: "pl-nat", addressFamily: "IPv4", maxEntries: 2 }, {}, "production-nat");
  const ingress = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: i % 2 ? 80 : 443, toPort: i % 2 ? 80 : 443, cidrIpv4: `198.51.100.${i}/32` }, {}, `rule-${i}`),
    );
  const fromNat = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: 9000, toPort: 9000, prefixListId: "pl-nat" }, {}, "from-nat");
  return { compliant: [[group, production(natList, fromNat, ...ingress(57))]], nonCompliant: [[group, production(natList, fromNat, ...ingress(81))]] };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    // A security group whose id is not known yet.
    [res("aws:ec2/securityGroup:SecurityGroup", {}), production()],
  ],
};
