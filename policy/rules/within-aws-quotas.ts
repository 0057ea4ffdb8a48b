import { at, list } from "./props";
import type { PolicyResource, Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

/**
 * AWS's default quotas the program's resources can pass, each as AWS states it:
 * - "You can have 60 inbound and 60 outbound rules per security group ... This quota is enforced separately for IPv4
 *   rules and IPv6 rules" (VPC quotas, L-0EA8095F); "A rule that references a security group or prefix list ID counts
 *   as one rule each for IPv4 and IPv6" (Service Quotas), while a referenced managed prefix list "counts as" its
 *   maximum entries ("if you create a prefix list with 20 maximum entries and you reference that prefix list in a
 *   security group rule, this counts as 20 security group rules", VPC quotas).
 * - Application Load Balancers: "Rules per Application Load Balancer (excluding default rules) 100", "Target Groups
 *   per Application Load Balancer 100" (not adjustable), "Target Groups per Action per Application Load Balancer 5",
 *   "Listeners per Application Load Balancer 50" (ELB quotas).
 */
export const QUOTAS = { securityGroupRules: 60, rulesPerLoadBalancer: 100, targetGroupsPerLoadBalancer: 100, targetGroupsPerAction: 5, listenersPerLoadBalancer: 50 } as const;

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

/** Rules a security group holds per direction and IP family, as AWS counts them. */
export function securityGroupRuleCounts(group: PolicyResource, resources: readonly PolicyResource[]): Record<"ingress" | "egress", { IPv4: number; IPv6: number }> {
  const prefixListSize = (id: unknown) => {
    const found = resources.find((r) => r.type === "aws:ec2/managedPrefixList:ManagedPrefixList" && r.props.id === id);
    const family = found?.props.addressFamily === "IPv6" ? "IPv6" : "IPv4";
    return { family, size: Number(found?.props.maxEntries ?? 1) || 1 } as const;
  };
  const count = (direction: "ingress" | "egress") => {
    const out = { IPv4: 0, IPv6: 0 };
    const add = (peer: { cidr4?: unknown; cidr6?: unknown; prefixList?: unknown; group?: unknown }) => {
      if (peer.cidr4 !== undefined) out.IPv4 += 1;
      else if (peer.cidr6 !== undefined) out.IPv6 += 1;
      else if (peer.prefixList !== undefined) {
        const { family, size } = prefixListSize(peer.prefixList);
        out[family] += size;
      } else {
        out.IPv4 += 1;
        out.IPv6 += 1;
      }
    };
    for (const rule of resources.filter((r) => r.type === (direction === "ingress" ? INGRESS : EGRESS) && r.props.securityGroupId === group.props.id)) {
      add({ cidr4: rule.props.cidrIpv4, cidr6: rule.props.cidrIpv6, prefixList: rule.props.prefixListId, group: rule.props.referencedSecurityGroupId });
    }
    for (const inline of list(group.props[direction])) {
      for (const cidr of list(at(inline, "cidrBlocks"))) add({ cidr4: cidr });
      for (const cidr of list(at(inline, "ipv6CidrBlocks"))) add({ cidr6: cidr });
      for (const prefixList of list(at(inline, "prefixListIds"))) add({ prefixList });
      for (const peer of list(at(inline, "securityGroups"))) add({ group: peer });
      if (at(inline, "self") === true) add({ group: "self" });
    }
    return out;
  };
  return { ingress: count("ingress"), egress: count("egress") };
}

function loadBalancerProblems(balancer: PolicyResource, resources: readonly PolicyResource[]): string[] {
  const listeners = resources.filter((r) => r.type === "aws:lb/listener:Listener" && r.props.loadBalancerArn !== undefined && r.props.loadBalancerArn === balancer.props.arn);
  const listenerArns = new Set(listeners.map((listener) => listener.props.arn));
  const rules = resources.filter((r) => r.type === "aws:lb/listenerRule:ListenerRule" && listenerArns.has(r.props.listenerArn));
  const groupsOf = (actions: unknown) =>
    list(actions).flatMap((action) => [at(action, "targetGroupArn"), ...list(at(action, "forward", "targetGroups")).map((group) => at(group, "arn"))]).filter((arn) => arn !== undefined);
  const targetGroups = new Set([...listeners.flatMap((listener) => groupsOf(listener.props.defaultActions)), ...rules.flatMap((rule) => groupsOf(rule.props.actions))]);
  const problems: string[] = [];
  if (listeners.length > QUOTAS.listenersPerLoadBalancer) problems.push(`has ${listeners.length} listeners; AWS allows ${QUOTAS.listenersPerLoadBalancer} per Application Load Balancer by default`);
  if (rules.length > QUOTAS.rulesPerLoadBalancer) problems.push(`has ${rules.length} listener rules; AWS allows ${QUOTAS.rulesPerLoadBalancer} per Application Load Balancer (excluding default rules) by default`);
  if (targetGroups.size > QUOTAS.targetGroupsPerLoadBalancer) problems.push(`routes to ${targetGroups.size} target groups; AWS allows ${QUOTAS.targetGroupsPerLoadBalancer} per Application Load Balancer (not adjustable)`);
  for (const rule of rules) {
    for (const action of list(rule.props.actions)) {
      const groups = list(at(action, "forward", "targetGroups")).length;
      if (groups > QUOTAS.targetGroupsPerAction) problems.push(`rule ${rule.name} forwards to ${groups} target groups in one action; AWS allows ${QUOTAS.targetGroupsPerAction}`);
    }
  }
  return problems;
}

export const withinAwsQuotas: Rule = defineRule({
  id: "within-aws-quotas",
  description:
    "Security groups stay within 60 inbound and 60 outbound rules per IP family (a prefix list counts its maximum entries); load balancers within 50 listeners, 100 rules, 100 target groups and 5 target groups per action",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type === "aws:lb/loadBalancer:LoadBalancer") return judged(loadBalancerProblems(resource, stack.resources));
    if (resource.type !== "aws:ec2/securityGroup:SecurityGroup" || resource.props.id === undefined) return NOT_APPLICABLE;
    const counts = securityGroupRuleCounts(resource, stack.resources);
    return judged(
      (["ingress", "egress"] as const).flatMap((direction) =>
        (["IPv4", "IPv6"] as const).flatMap((family) =>
          counts[direction][family] > QUOTAS.securityGroupRules
            ? [`has ${counts[direction][family]} ${family} ${direction === "ingress" ? "inbound" : "outbound"} rules (a prefix list counts as its maximum entries); AWS allows ${QUOTAS.securityGroupRules} per security group by default`]
            : [],
        ),
      ),
    );
  },
});
