import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName, shortHash } from "../naming";
import { HOOKS_EGRESS_DESCRIPTION, TEST_LISTENER_CIDR_DESCRIPTION } from "./hooks-egress";
import { MAIN_LOAD_BALANCER } from "./contract";
import { cidrSource, type EnvironmentSecurityGroups } from "./security-groups";

export interface TestListenerPathArgs {
  readonly namePrefix: string;
  readonly testListenerPort: number;
  /** An internal load balancer: the hooks reach it at private addresses. */
  readonly internal: boolean;
  readonly testListenerCidrs: readonly string[];
  readonly securityGroups: EnvironmentSecurityGroups;
  /** The hooks' subnets' default routes, which say where their requests to a public address leave from. */
  readonly privateSubnetRoutes: pulumi.Output<SubnetDefaultRoute[]>;
}

export interface TestListenerPath {
  /** The NAT gateways' public addresses the test listener admits; only for an internet-facing load balancer. */
  readonly natPrefixList?: aws.ec2.ManagedPrefixList;
}

/**
 * The hooks' network path to main's test listener: for an internet-facing load balancer, the prefix list of the NAT
 * gateways' addresses first, then `admitHooksToTestListener` for main's security group.
 */
export function createTestListenerPath(name: string, args: TestListenerPathArgs, opts: pulumi.CustomResourceOptions, invoke: pulumi.InvokeOutputOptions): TestListenerPath {
  // An internet-facing load balancer's DNS name resolves to public addresses only, so the hooks' requests leave
  // through the VPC's NAT gateways with a public source and destination, which no security-group reference matches
  // ("references match private addresses only"): the test listener admits the NAT gateways' public addresses.
  const natPrefixList = args.internal
    ? undefined
    : new aws.ec2.ManagedPrefixList(
        `${name}-nat`,
        natGatewayPrefixList(
          physicalName([args.namePrefix], "nat-gateways", 255),
          hooksEgressAddresses({ environment: name, routes: args.privateSubnetRoutes, testListenerCidrs: args.testListenerCidrs }, invoke),
        ),
        opts,
      );
  admitHooksToTestListener(name, MAIN_LOAD_BALANCER, args.securityGroups.loadBalancer, { ...args, hooks: args.securityGroups.hooks, natPrefixList }, opts);
  return { natPrefixList };
}

export interface HooksAdmissionArgs {
  readonly testListenerPort: number;
  readonly internal: boolean;
  readonly testListenerCidrs: readonly string[];
  readonly hooks: aws.ec2.SecurityGroup;
  /** The NAT gateways' addresses (`createTestListenerPath`'s); only for an internet-facing load balancer. */
  readonly natPrefixList?: aws.ec2.ManagedPrefixList;
}

/**
 * The hooks' path to the test listener of the load balancer `loadBalancerName`, whose security group is `group`: its
 * inbound rule that admits them and their outbound rule to it, then one inbound rule per `testListenerCidrs` entry
 * (sources the VPC cannot see). Main's rules are `<name>-lb-test-...` and `<name>-hooks-to-test`; another's
 * `<name>-lb-<its name>-test-...` and `<name>-hooks-to-<its name>-test`.
 */
export function admitHooksToTestListener(name: string, loadBalancerName: string, group: aws.ec2.SecurityGroup, args: HooksAdmissionArgs, opts: pulumi.CustomResourceOptions): void {
  const main = loadBalancerName === MAIN_LOAD_BALANCER;
  const prefix = main ? `${name}-lb` : `${name}-lb-${loadBalancerName}`;
  const testPort = { ipProtocol: "tcp", fromPort: args.testListenerPort, toPort: args.testListenerPort };
  if (args.internal) {
    // The hooks reach an internal load balancer at its private addresses, which security-group references match.
    new aws.vpc.SecurityGroupIngressRule(
      `${prefix}-test-from-hooks`,
      { securityGroupId: group.id, description: "Test listener, from the deployment hooks", ...testPort, referencedSecurityGroupId: args.hooks.id },
      opts,
    );
    new aws.vpc.SecurityGroupEgressRule(
      main ? `${name}-hooks-to-test` : `${name}-hooks-to-${loadBalancerName}-test`,
      { securityGroupId: args.hooks.id, description: main ? "To the test listener" : `To the test listener of load balancer ${loadBalancerName}`, ...testPort, referencedSecurityGroupId: group.id },
      opts,
    );
  } else {
    new aws.vpc.SecurityGroupIngressRule(
      `${prefix}-test-from-nat`,
      { securityGroupId: group.id, description: "Test listener, from the hooks through the NAT gateways", ...testPort, prefixListId: args.natPrefixList!.id },
      opts,
    );
    // The hooks may leave on the test port to any address (a load balancer's public addresses are not fixed): main's
    // rule covers every load balancer's test listener, and a second rule just like it AWS refuses
    // (InvalidPermission.Duplicate), so only main's is made.
    if (main) {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-hooks-to-test`,
        { securityGroupId: args.hooks.id, description: "To the test listener's public addresses", ...testPort, cidrIpv4: "0.0.0.0/0" },
        opts,
      );
    }
  }
  for (const cidr of args.testListenerCidrs) {
    new aws.vpc.SecurityGroupIngressRule(
      `${prefix}-test-${shortHash(cidr)}`,
      { securityGroupId: group.id, description: TEST_LISTENER_CIDR_DESCRIPTION, ...testPort, ...cidrSource(cidr) },
      opts,
    );
  }
}

/** A private subnet's route table and its 0.0.0.0/0 route (undefined: none, so no path to the internet at all). */
export interface SubnetDefaultRoute {
  readonly subnet: string;
  readonly table: string;
  readonly route?: aws.types.output.ec2.GetRouteTableRoute;
}

/**
 * Each subnet's route table (its explicit association, else the VPC's main table: "A subnet can only be associated
 * with one route table at a time ... a subnet that is not explicitly associated ... is implicitly associated with the
 * main route table", VPC guide) and that table's default route.
 */
export function subnetDefaultRoutes(vpcId: pulumi.Input<string>, subnetIds: pulumi.Input<pulumi.Input<string>[]>, invoke: pulumi.InvokeOutputOptions): pulumi.Output<SubnetDefaultRoute[]> {
  const vpc = pulumi.output(vpcId);
  const mainTable = aws.ec2.getRouteTablesOutput({ vpcId: vpc, filters: [{ name: "association.main", values: ["true"] }] }, invoke).ids;
  return pulumi.output(subnetIds).apply((subnets) =>
    pulumi.all(
      [...new Set(subnets)].sort().map((subnetId) => {
        const explicit = aws.ec2.getRouteTablesOutput({ vpcId: vpc, filters: [{ name: "association.subnet-id", values: [subnetId] }] }, invoke).ids;
        const tableId = pulumi.all([explicit, mainTable]).apply(([own, main]) => own[0] ?? main[0]);
        const table = aws.ec2.getRouteTableOutput({ vpcId: vpc, routeTableId: tableId }, invoke);
        return pulumi.all([subnetId, tableId, table.routes]).apply(([subnet, id, routes]): SubnetDefaultRoute => ({ subnet, table: id, route: routes.find((route) => route.cidrBlock === "0.0.0.0/0") }));
      }),
    ),
  );
}

/**
 * The public addresses the hooks' requests to the internet-facing test listener leave from: for each private subnet,
 * its route table (its explicit association, else the VPC's main table: "A subnet can only be associated with one route
 * table at a time ... a subnet that is not explicitly associated ... is implicitly associated with the main route
 * table", VPC guide), its 0.0.0.0/0 route's NAT gateway, and every public address of that gateway: primary,
 * secondary (EIPs by allocation) and, for a regional NAT gateway, each zone's. A subnet whose default route is anything
 * else (a transit gateway to a central egress VPC, a private NAT gateway, none) leaves from addresses this VPC cannot
 * see: those must be listed in testListenerCidrs, or `pulumi up` stops here with an error that says so.
 */
function hooksEgressAddresses(
  args: { environment: string; routes: pulumi.Output<SubnetDefaultRoute[]>; testListenerCidrs: readonly string[] },
  invoke: pulumi.InvokeOutputOptions,
): pulumi.Output<{ address: string; gateway: string }[]> {
  return args.routes.apply((subnets) => {
    const gateways = [...new Set(subnets.flatMap(({ route }) => (route?.natGatewayId ? [route.natGatewayId] : [])))].sort();
    return pulumi.all(gateways.map((id) => aws.ec2.getNatGatewayOutput({ id }, invoke))).apply((found) => {
      const publicGateways = new Set(found.filter((gateway) => gateway.connectivityType === "public" && gateway.state === "available").map((gateway) => gateway.id));
      const elsewhere = subnets.filter(({ route }) => !route?.natGatewayId || !publicGateways.has(route.natGatewayId));
      if (elsewhere.length > 0 && args.testListenerCidrs.length === 0) {
        const how = elsewhere.map(({ subnet, table, route }) => `${subnet} (route table ${table}: 0.0.0.0/0 ${route ? `-> ${routeTarget(route)}` : "has no route"})`).join(", ");
        throw new Error(
          `Environment ${args.environment}: the hooks' subnets ${how} do not leave through an available public NAT gateway of this VPC, so the ` +
            `internet-facing test listener cannot admit them by the NAT addresses: list the public addresses they leave from in testListenerCidrs ` +
            `(stack file: release:ingress.testListenerCidrs), or make the load balancer internal (release:ingress.internal: true)`,
        );
      }
      const allocations = found
        .filter((gateway) => publicGateways.has(gateway.id))
        .flatMap((gateway) => [
          ...gateway.secondaryAllocationIds.map((allocation) => ({ allocation, gateway: gateway.id })),
          ...gateway.regionalNatGatewayAddresses.map(({ allocationId }) => ({ allocation: allocationId, gateway: gateway.id })),
        ]);
      const primary = found.filter((gateway) => publicGateways.has(gateway.id) && gateway.publicIp).map((gateway) => ({ address: gateway.publicIp, gateway: gateway.id }));
      return pulumi
        .all(allocations.map(({ allocation, gateway }) => aws.ec2.getElasticIpOutput({ id: allocation }, invoke).publicIp.apply((address: string) => ({ address, gateway }))))
        .apply((secondary) => {
          const seen = new Set<string>();
          return [...primary, ...secondary].filter(({ address }) => address && !seen.has(address) && seen.add(address)).sort((a, b) => a.address.localeCompare(b.address));
        });
    });
  });
}

function routeTarget(route: aws.types.output.ec2.GetRouteTableRoute): string {
  return route.transitGatewayId || route.natGatewayId || route.gatewayId || route.vpcPeeringConnectionId || route.networkInterfaceId || route.vpcEndpointId || "another target";
}

/** A prefix list of those addresses: one security-group rule admits them all, however many gateways the VPC has. */
function natGatewayPrefixList(name: string, addresses: pulumi.Output<{ address: string; gateway: string }[]>): aws.ec2.ManagedPrefixListArgs {
  return {
    name,
    addressFamily: "IPv4",
    // Security groups count a referenced prefix list as maxEntries rules: no more than the gateways need.
    maxEntries: addresses.apply((list) => Math.max(list.length, 1)),
    entries: addresses.apply((list) => list.map(({ address, gateway }) => ({ cidr: `${address}/32`, description: `NAT gateway ${gateway}: ${HOOKS_EGRESS_DESCRIPTION}` }))),
  };
}
