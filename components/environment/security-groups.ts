import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { shortHash } from "../naming";

/** The load balancer's security group and the hooks': the test listener's path between them is made in network-paths.ts. */
export interface EnvironmentSecurityGroups {
  readonly loadBalancer: aws.ec2.SecurityGroup;
  /** The security group of functions that call the test listener (the smoke-test hook). */
  readonly hooks: aws.ec2.SecurityGroup;
}

export interface SecurityGroupsArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly namePrefix: string;
  readonly https: boolean;
  /** Sources admitted to the production listener (and to the HTTP port that redirects to it). */
  readonly allowedCidrs: readonly string[];
}

/** The two security groups, and the production listener's inbound rules: one per allowed CIDR per listener port. */
export function createSecurityGroups(name: string, args: SecurityGroupsArgs, opts: pulumi.CustomResourceOptions): EnvironmentSecurityGroups {
  const loadBalancer = new aws.ec2.SecurityGroup(
    `${name}-lb`,
    { vpcId: args.vpcId, description: `Load balancer of ${args.namePrefix}: production and test listeners` },
    opts,
  );
  const hooks = new aws.ec2.SecurityGroup(
    `${name}-hooks`,
    { vpcId: args.vpcId, description: `Deployment hooks of ${args.namePrefix}: may call the test listener only` },
    opts,
  );
  admitToProductionListener(`${name}-lb`, loadBalancer, args, opts);
  return { loadBalancer, hooks };
}

/**
 * The security group of a load balancer besides `main` (`<name>-lb-<its name>`), with the production listener's
 * inbound rules main's has; the test listener's path from the hooks is `admitHooksToTestListener`'s. A group of its own
 * because every service on a load balancer adds an outbound rule to its tasks to the load balancer's group, and AWS
 * counts those per group: "Inbound or outbound rules per security group: 60 ... This quota is enforced separately for
 * inbound and outbound rules. For an account with the default quota of 60 rules, a security group can have 60 inbound
 * rules and 60 outbound rules" (VPC quotas, L-0EA8095F). One group for all would cap the environment at 60 services;
 * one a load balancer holds its `ROUTES_PER_LOAD_BALANCER` routes' rules.
 */
export function createLoadBalancerSecurityGroup(name: string, loadBalancerName: string, args: SecurityGroupsArgs, opts: pulumi.CustomResourceOptions): aws.ec2.SecurityGroup {
  const group = new aws.ec2.SecurityGroup(
    `${name}-lb-${loadBalancerName}`,
    { vpcId: args.vpcId, description: `Load balancer ${loadBalancerName} of ${args.namePrefix}: production and test listeners` },
    opts,
  );
  admitToProductionListener(`${name}-lb-${loadBalancerName}`, group, args, opts);
  return group;
}

/** One inbound rule per allowed CIDR per production listener port (443 and its redirecting 80, or 80), named `<prefix>-<port>-<cidr hash>`. */
function admitToProductionListener(prefix: string, group: aws.ec2.SecurityGroup, args: SecurityGroupsArgs, opts: pulumi.CustomResourceOptions): void {
  const listenerPorts = args.https ? [443, 80] : [80];
  for (const port of listenerPorts) {
    for (const cidr of args.allowedCidrs) {
      new aws.vpc.SecurityGroupIngressRule(
        `${prefix}-${port}-${shortHash(cidr)}`,
        {
          securityGroupId: group.id,
          description: port === 80 && args.https ? "HTTP, redirected to HTTPS" : "Production listener",
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          ...cidrSource(cidr),
        },
        opts,
      );
    }
  }
}

/** A security-group rule's source for an IPv4 or IPv6 CIDR. */
export function cidrSource(cidr: string): { cidrIpv4: string } | { cidrIpv6: string } {
  return cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr };
}
