import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";

export interface TaskSecurityGroupArgs {
  readonly environment: Pick<ServiceEnvironment, "vpcId" | "loadBalancerSecurityGroupId">;
  /** The container port the load balancer reaches the tasks on. */
  readonly port: number;
  readonly tags: Record<string, string>;
}

export interface TaskSecurityGroup {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly fromLoadBalancer: aws.vpc.SecurityGroupIngressRule;
  /** The load balancer's side of the same path, on the environment's load balancer security group. */
  readonly loadBalancerToTasks: aws.vpc.SecurityGroupEgressRule;
  readonly https: aws.vpc.SecurityGroupEgressRule;
}

/** The tasks' security group: reachable from the load balancer on the container port, HTTPS out; children of `parent`. */
export function createTaskSecurityGroup(name: string, args: TaskSecurityGroupArgs, parent: pulumi.Resource): TaskSecurityGroup {
  const opts: pulumi.CustomResourceOptions = { parent };
  const { environment: env, port, tags } = args;
  // Tasks accept traffic from the load balancer only, on the container port.
  const securityGroup = new aws.ec2.SecurityGroup(
    `${name}-tasks`,
    { vpcId: env.vpcId, description: `Tasks of ${name}: reachable from the load balancer only`, tags },
    opts,
  );
  // Named by port, with the old name as alias: a new port adds its rules first and drops the old ones only after the
  // service's deployment, so old and new tasks are both reachable while traffic moves. (ALB nodes reach targets at
  // their private addresses, so references match here, for both schemes.)
  const fromLoadBalancer = new aws.vpc.SecurityGroupIngressRule(
    `${name}-tasks-from-lb-${port}`,
    {
      securityGroupId: securityGroup.id,
      description: "From the load balancer",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: env.loadBalancerSecurityGroupId,
    },
    { ...opts, aliases: [{ name: `${name}-tasks-from-lb` }] },
  );
  const loadBalancerToTasks = new aws.vpc.SecurityGroupEgressRule(
    `${name}-lb-to-tasks-${port}`,
    {
      securityGroupId: env.loadBalancerSecurityGroupId,
      description: `To the tasks of ${name}`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: securityGroup.id,
    },
    { ...opts, aliases: [{ name: `${name}-lb-to-tasks` }] },
  );
  // Tasks pull images and call AWS APIs over HTTPS (through NAT or VPC endpoints).
  const https = new aws.vpc.SecurityGroupEgressRule(
    `${name}-tasks-https`,
    {
      securityGroupId: securityGroup.id,
      description: "HTTPS to image registries and AWS APIs",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    },
    opts,
  );
  return { securityGroup, fromLoadBalancer, loadBalancerToTasks, https };
}
