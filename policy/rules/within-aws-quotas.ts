import { ROUTE_SHARE } from "../../components/release-environment/routes";
import { joinsEnvironment, listenerInGraph, routesOfOtherStacks } from "./environment";
import { at, list } from "./props";
import type { PolicyResource, Rule, StackContext } from "./types";
import { defineRule, judged, NOT_APPLICABLE, skipped } from "./result";

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

/**
 * The routes of an environment stack's load balancer whose services are in service stacks: each will hold a route's
 * share of its target groups and rules (a production and a test rule), which this stack's graph cannot show.
 */
function routedElsewhere(balancer: PolicyResource, stack: StackContext): string[] {
  const name = stack.environment?.contract.loadBalancers.find((candidate) => candidate.arn === balancer.props.arn)?.name;
  return name === undefined ? [] : routesOfOtherStacks(stack, name);
}

function loadBalancerProblems(balancer: PolicyResource, stack: StackContext): string[] {
  const { resources } = stack;
  const routed = routedElsewhere(balancer, stack).length * ROUTE_SHARE;
  const ofRoutes = routed > 0 ? ` (with the ${routed} of the routes whose services are in service stacks)` : "";
  const listeners = resources.filter((r) => r.type === "aws:lb/listener:Listener" && r.props.loadBalancerArn !== undefined && r.props.loadBalancerArn === balancer.props.arn);
  const listenerArns = new Set(listeners.map((listener) => listener.props.arn));
  const rules = resources.filter((r) => r.type === "aws:lb/listenerRule:ListenerRule" && listenerArns.has(r.props.listenerArn));
  const groupsOf = (actions: unknown) =>
    list(actions).flatMap((action) => [at(action, "targetGroupArn"), ...list(at(action, "forward", "targetGroups")).map((group) => at(group, "arn"))]).filter((arn) => arn !== undefined);
  const targetGroups = new Set([...listeners.flatMap((listener) => groupsOf(listener.props.defaultActions)), ...rules.flatMap((rule) => groupsOf(rule.props.actions))]);
  const problems: string[] = [];
  if (listeners.length > QUOTAS.listenersPerLoadBalancer) problems.push(`has ${listeners.length} listeners; AWS allows ${QUOTAS.listenersPerLoadBalancer} per Application Load Balancer by default`);
  if (rules.length + routed > QUOTAS.rulesPerLoadBalancer) problems.push(`has ${rules.length + routed} listener rules${ofRoutes}; AWS allows ${QUOTAS.rulesPerLoadBalancer} per Application Load Balancer (excluding default rules) by default`);
  if (targetGroups.size + routed > QUOTAS.targetGroupsPerLoadBalancer) problems.push(`routes to ${targetGroups.size + routed} target groups${ofRoutes}; AWS allows ${QUOTAS.targetGroupsPerLoadBalancer} per Application Load Balancer (not adjustable)`);
  for (const rule of rules) {
    for (const action of list(rule.props.actions)) {
      const groups = list(at(action, "forward", "targetGroups")).length;
      if (groups > QUOTAS.targetGroupsPerAction) problems.push(`rule ${rule.name} forwards to ${groups} target groups in one action; AWS allows ${QUOTAS.targetGroupsPerAction}`);
    }
  }
  return problems;
}

/**
 * A service stack's share of the environment's quotas: a listener rule on the environment's listener, a rule of the
 * environment's security group. Counted by the environment stack's check, from its routes; said here, not passed.
 */
function foreignShare(resource: PolicyResource, stack: StackContext) {
  if (!joinsEnvironment(stack)) return undefined;
  if (resource.type === "aws:lb/listenerRule:ListenerRule" && !listenerInGraph(resource.props.listenerArn, stack.resources)) {
    return skipped(`on the environment's listener: the environment stack's check counts its load balancer's rules and target groups, ${ROUTE_SHARE} for each route`);
  }
  const groupRule = resource.type === INGRESS || resource.type === EGRESS;
  if (groupRule && !stack.resources.some((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.props.id === resource.props.securityGroupId)) {
    return skipped("a rule of the environment's security group: the environment stack's check counts that group's rules, one egress rule for each route on its load balancer");
  }
  return undefined;
}

/**
 * The routes of service stacks whose services add an egress rule to the security group `groupId` (their tasks' port:
 * one group-referencing rule, counted once per IP family): those on the load balancers the contract gives that group.
 * Each load balancer has a group of its own, so its routes count on its group alone.
 */
function routesOnGroup(groupId: unknown, stack: StackContext): string[] {
  if (stack.environment?.role !== "environment") return [];
  return stack.environment.contract.loadBalancers.filter((balancer) => balancer.securityGroupId === groupId).flatMap((balancer) => routesOfOtherStacks(stack, balancer.name));
}

export const withinAwsQuotas: Rule = defineRule({
  id: "within-aws-quotas",
  description:
    "Security groups stay within 60 inbound and 60 outbound rules per IP family (a prefix list counts its maximum entries); load balancers within 50 listeners, 100 rules, 100 target groups and 5 target groups per action",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type === "aws:lb/loadBalancer:LoadBalancer") return judged(loadBalancerProblems(resource, stack));
    const foreign = foreignShare(resource, stack);
    if (foreign) return foreign;
    if (resource.type !== "aws:ec2/securityGroup:SecurityGroup" || resource.props.id === undefined) return NOT_APPLICABLE;
    const counts = securityGroupRuleCounts(resource, stack.resources);
    const elsewhere = routesOnGroup(resource.props.id, stack).length;
    counts.egress.IPv4 += elsewhere;
    counts.egress.IPv6 += elsewhere;
    const ofRoutes = (direction: string) =>
      direction === "egress" && elsewhere > 0 ? ` (with the ${elsewhere} the services of the routes in service stacks add, one to their tasks' port each)` : "";
    return judged(
      (["ingress", "egress"] as const).flatMap((direction) =>
        (["IPv4", "IPv6"] as const).flatMap((family) =>
          counts[direction][family] > QUOTAS.securityGroupRules
            ? [`has ${counts[direction][family]} ${family} ${direction === "ingress" ? "inbound" : "outbound"} rules${ofRoutes(direction)} (a prefix list counts as its maximum entries); AWS allows ${QUOTAS.securityGroupRules} per security group by default`]
            : [],
        ),
      ),
    );
  },
});
