import { at, list } from "./props";
import type { PolicyResource, Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

const OPEN = new Set(["0.0.0.0/0", "::/0"]);

/** Ports of the listeners of the load balancers that use `securityGroupId`. */
function listenerPorts(securityGroupId: unknown, resources: readonly PolicyResource[]): Set<number> | undefined {
  const balancers = resources.filter(
    (r) => r.type === "aws:lb/loadBalancer:LoadBalancer" && list(r.props.securityGroups).includes(securityGroupId),
  );
  if (balancers.length === 0) return undefined;
  const arns = new Set(balancers.map((balancer) => balancer.props.arn));
  return new Set(
    resources
      .filter((r) => r.type === "aws:lb/listener:Listener" && arns.has(r.props.loadBalancerArn))
      .map((listener) => Number(listener.props.port)),
  );
}

export const onlyLoadBalancerOpenToInternet: Rule = defineRule({
  id: "only-load-balancer-open-to-internet",
  description: "Only the load balancer's security group admits the internet, and only on its listener ports",
  enforcement: "mandatory",
  judge(resource, stack) {
    const rules: { cidr: unknown; from: unknown; to: unknown; group: unknown }[] = [];
    if (resource.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
      rules.push({ cidr: resource.props.cidrIpv4 ?? resource.props.cidrIpv6, from: resource.props.fromPort, to: resource.props.toPort, group: resource.props.securityGroupId });
    } else if (resource.type === "aws:ec2/securityGroup:SecurityGroup") {
      for (const ingress of list(resource.props.ingress)) {
        for (const cidr of [...list(at(ingress, "cidrBlocks")), ...list(at(ingress, "ipv6CidrBlocks"))]) {
          rules.push({ cidr, from: at(ingress, "fromPort"), to: at(ingress, "toPort"), group: resource.props.id });
        }
      }
    } else {
      return NOT_APPLICABLE;
    }
    const problems: string[] = [];
    for (const rule of rules.filter((candidate) => OPEN.has(String(candidate.cidr)))) {
      // In a preview of a new stack ids are unknown; the port check still applies.
      const ports = rule.group === undefined ? new Set([80, 443]) : listenerPorts(rule.group, stack.resources);
      if (ports === undefined) {
        problems.push(`admits ${String(rule.cidr)} to a security group no load balancer uses`);
      } else if (rule.from !== rule.to || !ports.has(Number(rule.from))) {
        problems.push(`admits ${String(rule.cidr)} on ports ${String(rule.from)}-${String(rule.to)}, not a listener port (${[...ports].sort().join(", ")})`);
      }
    }
    return judged(problems);
  },
});
