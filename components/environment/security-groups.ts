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
  const listenerPorts = args.https ? [443, 80] : [80];
  for (const port of listenerPorts) {
    for (const cidr of args.allowedCidrs) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-lb-${port}-${shortHash(cidr)}`,
        {
          securityGroupId: loadBalancer.id,
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
  return { loadBalancer, hooks };
}

/** A security-group rule's source for an IPv4 or IPv6 CIDR. */
export function cidrSource(cidr: string): { cidrIpv4: string } | { cidrIpv6: string } {
  return cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr };
}
