import { HOOKS_EGRESS_DESCRIPTION, TEST_LISTENER_CIDR_DESCRIPTION } from "../../components/environment/hooks-egress";
import { contractListener, IN_ENVIRONMENT_STACK, joinsEnvironment } from "./environment";
import { at, list } from "./props";
import type { PolicyResource, Rule, StackContext } from "./types";
import { defineRule, judged, NOT_APPLICABLE, skipped } from "./result";

/**
 * Where a packet comes from or goes to: the security groups of the network interface, and the address the other side
 * sees: private (inside the VPC), public (an internet-facing load balancer, Lambda outside a VPC, the internet), or
 * nat (a private source calling a public address, seen as the public address of the VPC's NAT gateways).
 */
export interface Endpoint {
  readonly label: string;
  readonly securityGroups: readonly string[];
  readonly address: "private" | "public" | "nat";
  /**
   * For `nat`: the public addresses the source's subnets leave from, as the program found them (the route tables' NAT
   * gateways) or was told (testListenerCidrs). A destination must admit every one: AWS sees whichever the packet took.
   */
  readonly addresses?: readonly string[];
  /** Its security groups' rules are in another stack (the environment's, seen from a service stack): its half is not judged here. */
  readonly outside?: boolean;
}

interface Permission {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
  /** `unknown`: a peer the graph does not show (unknown in a preview of new resources): given the benefit of the doubt. */
  readonly peer: { readonly group: string } | { readonly cidr: string } | { readonly prefixList: string } | { readonly unknown: true };
}

const OPEN = new Set(["0.0.0.0/0", "::/0"]);
const PRIVATE_RANGES = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./];

const isPrivateCidr = (cidr: string) => PRIVATE_RANGES.some((range) => range.test(cidr));
/** Security-group ids, or undefined while any is unknown (a preview of new resources): then nothing can be judged. */
const groupIds = (value: unknown): string[] | undefined => {
  const ids = list(value);
  return ids.every((id) => typeof id === "string" && id.length > 0) ? (ids as string[]) : undefined;
};
const byProp = (resources: readonly PolicyResource[], type: string, key: string, value: unknown) =>
  value === undefined ? undefined : resources.find((r) => r.type === type && r.props[key] === value);

/** Ingress or egress permissions of one security group: its inline rules and the separate rule resources. */
function permissions(group: string, direction: "ingress" | "egress", resources: readonly PolicyResource[]): Permission[] {
  const out: Permission[] = [];
  const ruleType = direction === "ingress" ? "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" : "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
  for (const rule of resources.filter((r) => r.type === ruleType && r.props.securityGroupId === group)) {
    const protocol = String(rule.props.ipProtocol ?? "");
    const from = protocol === "-1" ? 0 : Number(rule.props.fromPort);
    const to = protocol === "-1" ? 65535 : Number(rule.props.toPort);
    const peer = rule.props.referencedSecurityGroupId ?? rule.props.cidrIpv4 ?? rule.props.cidrIpv6 ?? rule.props.prefixListId;
    out.push({
      protocol,
      from,
      to,
      peer:
        typeof peer !== "string"
          ? { unknown: true }
          : rule.props.referencedSecurityGroupId
            ? { group: peer }
            : rule.props.prefixListId
              ? { prefixList: peer }
              : { cidr: peer },
    });
  }
  // Inline rules of aws.ec2.SecurityGroup. The provider revokes AWS's default allow-all egress when it creates a group,
  // so a group allows only what it lists.
  const owner = byProp(resources, "aws:ec2/securityGroup:SecurityGroup", "id", group);
  for (const inline of list(owner?.props[direction])) {
    const protocol = String(at(inline, "protocol") ?? "");
    const from = protocol === "-1" ? 0 : Number(at(inline, "fromPort"));
    const to = protocol === "-1" ? 65535 : Number(at(inline, "toPort"));
    for (const peer of list(at(inline, "securityGroups"))) out.push({ protocol, from, to, peer: { group: String(peer) } });
    if (at(inline, "self") === true) out.push({ protocol, from, to, peer: { group } });
    for (const cidr of [...list(at(inline, "cidrBlocks")), ...list(at(inline, "ipv6CidrBlocks"))]) out.push({ protocol, from, to, peer: { cidr: String(cidr) } });
    for (const prefixList of list(at(inline, "prefixListIds"))) out.push({ protocol, from, to, peer: { prefixList: String(prefixList) } });
  }
  return out;
}

/** Entries of a managed prefix list in the graph; undefined when the list is not one of the stack's. */
function prefixListEntries(id: string, resources: readonly PolicyResource[]): string[] | undefined {
  const prefixList = byProp(resources, "aws:ec2/managedPrefixList:ManagedPrefixList", "id", id);
  return prefixList ? list(prefixList.props.entries).map((entry) => String(at(entry, "cidr"))) : undefined;
}

/**
 * Does `permission` match a packet whose other end is `peer`? A security-group reference matches only the private
 * addresses of the referenced group's members (AWS: "the rule applies to the private IP addresses of the network
 * interfaces of the referenced security group"). Public addresses are not in the graph: an internet-facing load
 * balancer's change (only 0.0.0.0/0 reaches them all); NAT gateways' are matched by a CIDR or prefix list of public
 * addresses (the data sources' answer offline); anything else public only by 0.0.0.0/0.
 */
function admits(permission: Permission, port: number, peer: Endpoint, resources: readonly PolicyResource[]): boolean {
  if (!(permission.protocol === "-1" || permission.protocol === "tcp" || permission.protocol === "6")) return false;
  if (port < permission.from || port > permission.to) return false;
  const target = permission.peer;
  if ("unknown" in target) return true;
  if ("group" in target) return peer.address === "private" && peer.securityGroups.includes(target.group);
  const cidrs = "cidr" in target ? [target.cidr] : prefixListEntries(target.prefixList, resources);
  // A prefix list the stack does not own (e.g. AWS-managed): its entries are not in the graph.
  if (cidrs === undefined) return true;
  if (cidrs.some((cidr) => OPEN.has(cidr))) return true;
  if (peer.address === "private") return cidrs.some(isPrivateCidr);
  // A NAT source is admitted only by a CIDR holding its address (checked one address at a time by `unreachable`).
  return peer.address === "nat" && (peer.addresses ?? []).length > 0 && (peer.addresses ?? []).every((address) => cidrs.some((cidr) => containsAddress(cidr, address)));
}

const ipv4 = (address: string): number | undefined => {
  const parts = address.split(".").map(Number);
  return parts.length === 4 && parts.every((part) => Number.isInteger(part) && part >= 0 && part <= 255) ? parts.reduce((sum, part) => sum * 256 + part, 0) : undefined;
};

/** Does IPv4 `cidr` hold `address` (itself a CIDR or a bare address)? */
function containsAddress(cidr: string, address: string): boolean {
  const [network, bits = "32"] = cidr.split("/");
  const [host, hostBits = "32"] = address.split("/");
  const start = ipv4(network);
  const value = ipv4(host);
  if (start === undefined || value === undefined || Number(hostBits) < Number(bits)) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(value / size) === Math.floor(start / size);
}

/**
 * The public addresses the hooks leave from, as the environment marked them in the graph: entries of its NAT prefix
 * list that their subnets' default routes lead to, and the addresses listed in testListenerCidrs.
 */
export function hooksEgressAddresses(resources: readonly PolicyResource[]): string[] {
  const nat = resources
    .filter((r) => r.type === "aws:ec2/managedPrefixList:ManagedPrefixList")
    .flatMap((r) => list(r.props.entries).filter((entry) => String(at(entry, "description") ?? "").includes(HOOKS_EGRESS_DESCRIPTION)).map((entry) => String(at(entry, "cidr"))));
  const declared = resources
    .filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.props.description === TEST_LISTENER_CIDR_DESCRIPTION && typeof r.props.cidrIpv4 === "string")
    .map((r) => String(r.props.cidrIpv4));
  return [...new Set([...nat, ...declared])].sort();
}

/** Why `source` cannot open a TCP connection to `destination` on `port`, or undefined when both groups admit it. */
export function unreachable(source: Endpoint, destination: Endpoint, port: number, resources: readonly PolicyResource[]): string | undefined {
  // A private source calling a public address leaves through a NAT gateway: the destination sees the NAT's address.
  const seenSource: Endpoint = destination.address === "public" && source.address === "private" ? { ...source, address: "nat" } : source;
  const leaves = source.securityGroups.length === 0 || source.outside === true || source.securityGroups.some((group) => permissions(group, "egress", resources).some((p) => admits(p, port, destination, resources)));
  const admitted = (peer: Endpoint) =>
    destination.securityGroups.some((group) => permissions(group, "ingress", resources).some((p) => admits(p, port, peer, resources)));
  // Each address the source may leave from must be admitted by some rule; no known address admits nothing.
  const enters =
    destination.securityGroups.length === 0 ||
    destination.outside === true ||
    (seenSource.address === "nat" && (seenSource.addresses ?? []).length > 0
      ? (seenSource.addresses ?? []).every((address) => admitted({ ...seenSource, addresses: [address] }))
      : admitted(seenSource));
  const addresses = (endpoint: Endpoint) =>
    endpoint.address === "nat"
      ? (endpoint.addresses ?? []).length > 0
        ? `every public address ${endpoint.label} leaves through (${(endpoint.addresses ?? []).join(", ")})`
        : `the public addresses ${endpoint.label} leaves through (none known: no NAT gateway its subnets route to, no testListenerCidrs)`
      : `the ${endpoint.address} addresses of ${endpoint.label}`;
  const problems = [
    ...(leaves ? [] : [`no egress rule of ${source.label} admits tcp ${port} to ${addresses(destination)}`]),
    ...(enters ? [] : [`no ingress rule of ${destination.label} admits tcp ${port} from ${addresses(seenSource)}`]),
  ];
  return problems.length > 0 ? `${source.label} cannot reach ${destination.label} on tcp ${port}: ${problems.join("; ")}` : undefined;
}

/** A load balancer a listener rule is on, as the reach checks see it: in this stack's graph, or the environment's. */
interface Balancer {
  readonly key: string;
  readonly label: string;
  /** Undefined while unknown (a preview of new resources). */
  readonly securityGroups?: readonly string[];
  readonly internal: boolean;
  /** The port of the rule's listener. */
  readonly port: number;
}

/**
 * The load balancer of a listener rule: from the graph, or, for a rule of a service stack on the environment's
 * listener, from the contract (its security group; the rules of that group a service needs are the service's own).
 * Undefined, with why in `skips`, when the listener is in neither.
 */
function balancerOfRule(ruleArn: unknown, stack: Pick<StackContext, "resources" | "environment">, skips: string[]): Balancer | undefined {
  const { resources } = stack;
  const rule = byProp(resources, "aws:lb/listenerRule:ListenerRule", "arn", ruleArn);
  const listener = byProp(resources, "aws:lb/listener:Listener", "arn", rule?.props.listenerArn);
  const balancer = byProp(resources, "aws:lb/loadBalancer:LoadBalancer", "arn", listener?.props.loadBalancerArn);
  if (balancer && listener) {
    return { key: balancer.urn, label: `load balancer ${balancer.name}`, securityGroups: groupIds(balancer.props.securityGroups), internal: balancer.props.internal === true, port: Number(listener.props.port) };
  }
  if (!rule || listener || typeof rule.props.listenerArn !== "string") return undefined;
  const known = contractListener(stack as StackContext, rule.props.listenerArn);
  const contract = stack.environment?.contract;
  if (!known || !contract) {
    skips.push(`the listener of rule ${rule.name} (${rule.props.listenerArn}) is not in this stack, and the environment contract that names its load balancer's security group was not given (npm run check -- <stack> --stack-outputs <file>)`);
    return undefined;
  }
  return {
    key: known.loadBalancer.arn,
    label: `the environment's load balancer ${known.loadBalancer.name}`,
    securityGroups: [known.loadBalancer.securityGroupId],
    internal: contract.internal,
    port: known.test ? contract.testListenerPort : contract.productionPort,
  };
}

const balancerEndpoint = (balancer: Balancer, address: "private" | "public"): Endpoint | undefined =>
  balancer.securityGroups ? { label: balancer.label, securityGroups: balancer.securityGroups, address } : undefined;

/** Security groups of a service stack that are not in its graph: the environment's, whose rules its check does not see. */
function outsideGroups(groups: readonly string[], stack: Pick<StackContext, "resources" | "environment">): boolean {
  return joinsEnvironment(stack as StackContext) && groups.length > 0 && groups.every((group) => !stack.resources.some((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.props.id === group));
}

/** Every network call an ECS service's release needs, with why each is blocked. */
export function serviceReachProblems(
  service: PolicyResource,
  resources: readonly PolicyResource[],
  stack: Pick<StackContext, "resources" | "environment"> = { resources },
  skips: string[] = [],
): string[] {
  const problems: string[] = [];
  const taskGroups = groupIds(at(service.props, "networkConfiguration", "securityGroups"));
  if (taskGroups === undefined) return [];
  const tasks: Endpoint = { label: `the tasks of ${service.name}`, securityGroups: taskGroups, address: "private" };
  if (list(at(service.props, "networkConfiguration", "subnets")).length === 0) problems.push(`${service.name} runs in no subnets`);

  for (const binding of list(service.props.loadBalancers)) {
    const containerPort = Number(at(binding, "containerPort"));
    const groupArns: unknown[] = [at(binding, "targetGroupArn"), at(binding, "advancedConfiguration", "alternateTargetGroupArn")].filter((arn) => arn !== undefined);
    const rules = resources.filter(
      (r) =>
        r.type === "aws:lb/listenerRule:ListenerRule" &&
        list(r.props.actions).some((action) => list(at(action, "forward", "targetGroups")).some((group) => groupArns.includes(at(group, "arn"))) || groupArns.includes(at(action, "targetGroupArn"))),
    );
    const balancers = new Map(rules.map((rule) => balancerOfRule(rule.props.arn, stack, skips)).filter((found) => found !== undefined).map((found) => [found.key, found]));
    for (const arn of groupArns) {
      const group = byProp(resources, "aws:lb/targetGroup:TargetGroup", "arn", arn);
      const healthPort = at(group?.props, "healthCheck", "port");
      const ports = new Set([containerPort, healthPort === undefined || healthPort === "traffic-port" ? containerPort : Number(healthPort)]);
      // Load balancer nodes reach targets at their private addresses, whatever the scheme.
      for (const balancer of balancers.values()) {
        const source = balancerEndpoint(balancer, "private");
        if (source === undefined) continue;
        for (const port of ports) {
          const problem = unreachable(source, tasks, port, resources);
          if (problem && !problems.includes(problem)) problems.push(problem);
        }
      }
    }

    const test = balancerOfRule(at(binding, "advancedConfiguration", "testListenerRule"), stack, skips);
    const smokeHooks = list(at(service.props, "deploymentConfiguration", "lifecycleHooks")).filter((hook) =>
      list(at(hook, "lifecycleStages")).some((stage) => stage === "POST_TEST_TRAFFIC_SHIFT" || stage === "TEST_TRAFFIC_SHIFT"),
    );
    for (const hook of test ? smokeHooks : []) {
      const fn = byProp(resources, "aws:lambda/function:Function", "arn", at(hook, "hookTargetArn"));
      if (!fn || !test) continue;
      const groups = groupIds(at(fn.props, "vpcConfig", "securityGroupIds"));
      const inVpc = list(at(fn.props, "vpcConfig", "subnetIds")).length > 0;
      const balancer = balancerEndpoint(test, test.internal ? "private" : "public");
      if (groups === undefined || balancer === undefined) continue;
      const destination: Endpoint = { ...balancer, outside: outsideGroups(balancer.securityGroups, stack) };
      // Outside a VPC a function calls from Lambda's own public addresses, with no security group to leave through.
      const source: Endpoint = {
        label: `hook ${fn.name}`,
        securityGroups: inVpc ? groups : [],
        address: inVpc ? "private" : "public",
        addresses: hooksEgressAddresses(resources),
        outside: inVpc && outsideGroups(groups, stack),
      };
      if (destination.address === "private" && !inVpc) {
        problems.push(`hook ${fn.name} runs outside the VPC and cannot reach internal ${test.label}`);
        continue;
      }
      for (const endpoint of [source, destination].filter((candidate) => candidate.outside)) {
        skips.push(`the ${endpoint === source ? "egress" : "ingress"} rules of ${endpoint.label} on the way to the test listener (tcp ${test.port}) ${IN_ENVIRONMENT_STACK}`);
      }
      const problem = unreachable(source, destination, test.port, resources);
      if (problem) problems.push(problem);
    }
  }

  const internet: Endpoint = { label: "image registries and AWS APIs", securityGroups: [], address: "public" };
  const https = unreachable(tasks, internet, 443, resources);
  if (https) problems.push(https);
  return problems;
}

/**
 * An environment stack's test listener, reached by the smoke-test hooks of every service stack that joins it: they run
 * in the environment's hooks security group, whose path to the listener is the environment's own (network-paths.ts).
 * Judged here, once, since a service stack's check sees neither end's rules.
 */
function testListenerResult(listener: PolicyResource, stack: StackContext) {
  const contract = stack.environment?.role === "environment" ? stack.environment.contract : undefined;
  const balancer = byProp(stack.resources, "aws:lb/loadBalancer:LoadBalancer", "arn", listener.props.loadBalancerArn);
  if (!contract || !balancer || !contract.loadBalancers.some((candidate) => candidate.testListenerArn === listener.props.arn)) return NOT_APPLICABLE;
  const destination = balancerEndpoint(
    { key: balancer.urn, label: `load balancer ${balancer.name}`, securityGroups: groupIds(balancer.props.securityGroups), internal: balancer.props.internal === true, port: Number(listener.props.port) },
    balancer.props.internal === true ? "private" : "public",
  );
  if (!destination) return NOT_APPLICABLE;
  const hooks: Endpoint = { label: "the hooks of every service stack", securityGroups: [contract.hooksSecurityGroupId], address: "private", addresses: hooksEgressAddresses(stack.resources) };
  const problem = unreachable(hooks, destination, Number(listener.props.port), stack.resources);
  return judged(problem ? [problem] : []);
}

export const runtimePathsReachable: Rule = defineRule({
  id: "runtime-paths-reachable",
  description:
    "Every network call a release makes (hooks to the test listener, load balancer to tasks on the container and health-check ports, tasks to 443) is admitted by the security groups for the load balancer's scheme",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type === "aws:lb/listener:Listener") return testListenerResult(resource, stack);
    // A service whose security groups are unknown (a preview of a new stack) cannot be judged.
    if (resource.type !== "aws:ecs/service:Service" || groupIds(at(resource.props, "networkConfiguration", "securityGroups")) === undefined) return NOT_APPLICABLE;
    const skips: string[] = [];
    const problems = serviceReachProblems(resource, stack.resources, stack, skips);
    // What another stack holds is said, never passed: a path judged in part is reported as skipped, with the part.
    return problems.length > 0 || skips.length === 0 ? judged(problems) : skipped(`not judged here: ${skips.join("; ")}`);
  },
});
