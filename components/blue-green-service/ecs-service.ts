import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import { builtInAlarmNames } from "../deployment-alarms/deployment-alarms";
import { assumeRolePolicy } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import type { AwsAccount } from "./aws-account";
import type { DeploymentGuards } from "./deployment-guards";
import { type DeploymentStrategy, deploymentWaitMinutes, shiftsTraffic, toDeploymentConfiguration } from "./strategy";
import type { TaskResult } from "./task";

/** The target groups and listener rules ECS moves traffic between; the test group (ECS's alternate) and rule when it shifts traffic. */
export interface EcsServiceRouting {
  readonly productionTargetGroup: aws.lb.TargetGroup;
  readonly testTargetGroup?: aws.lb.TargetGroup;
  readonly productionRule: aws.lb.ListenerRule;
  readonly testRule?: aws.lb.ListenerRule;
}

export interface EcsServiceArgs {
  readonly environment: Pick<ServiceEnvironment, "namePrefix" | "tier" | "clusterArn" | "privateSubnetIds">;
  readonly strategy: DeploymentStrategy;
  /** The container port the target groups forward to. */
  readonly port: number;
  /** Tasks when the service is created; autoscaling owns the count afterwards. */
  readonly desiredCount: number;
  /** @default true outside dev */
  readonly waitForSteadyState: boolean;
  readonly task: Pick<TaskResult, "taskDefinition">;
  readonly routing: EcsServiceRouting;
  /** The tasks' security group. */
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** The alarms ECS rolls a deployment back on (none: the block stays, switched off) and the hooks it calls. */
  readonly guards: Pick<DeploymentGuards, "alarmNames" | "lifecycleHooks">;
  readonly tags: Record<string, string>;
  readonly account: AwsAccount;
}

export interface EcsService {
  readonly service: aws.ecs.Service;
  /** The role ECS moves listener-rule weights and target-group registrations with; only when the strategy shifts traffic. */
  readonly infrastructureRole?: aws.iam.Role;
}

/** The ECS service, its deployment configuration, alarms and hooks wired in, as children of `parent`. */
export function createEcsService(name: string, args: EcsServiceArgs, parent: pulumi.Resource): EcsService {
  const opts: pulumi.CustomResourceOptions = { parent };
  const { environment: env, strategy, routing, tags } = args;
  const { alarmNames, lifecycleHooks } = args.guards;
  const prefix = env.namePrefix;
  const twoTargetGroups = shiftsTraffic(strategy);
  const { productionRule, testRule } = routing;

  // ECS needs this role to move listener-rule weights and target-group registrations during a deployment.
  const infrastructureRole = twoTargetGroups
    ? new aws.iam.Role(
        `${name}-ecs-lb`,
        {
          name: physicalName([prefix, name], "ecs-lb", NAME_LIMITS.iamRole),
          assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
          managedPolicyArns: [pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers`],
          tags,
        },
        opts,
      )
    : undefined;

  const waitMinutes = deploymentWaitMinutes(strategy);
  const deploymentConfiguration = toDeploymentConfiguration(strategy);
  const service = new aws.ecs.Service(
    `${name}-service`,
    {
      name,
      cluster: env.clusterArn,
      taskDefinition: args.task.taskDefinition.arn,
      launchType: "FARGATE",
      desiredCount: args.desiredCount,
      deploymentController: { type: "ECS" },
      deploymentConfiguration: {
        ...deploymentConfiguration,
        ...(lifecycleHooks.length > 0 ? { lifecycleHooks } : {}),
      },
      ...(twoTargetGroups ? {} : { deploymentCircuitBreaker: { enable: true, rollback: true } }),
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      healthCheckGracePeriodSeconds: 60,
      loadBalancers: [
        {
          targetGroupArn: routing.productionTargetGroup.arn,
          containerName: "app",
          containerPort: args.port,
          ...(routing.testTargetGroup && testRule && infrastructureRole
            ? {
                advancedConfiguration: {
                  alternateTargetGroupArn: routing.testTargetGroup.arn,
                  productionListenerRule: productionRule.arn,
                  testListenerRule: testRule.arn,
                  roleArn: infrastructureRole.arn,
                },
              }
            : {}),
        },
      ],
      networkConfiguration: {
        subnets: env.privateSubnetIds,
        securityGroups: [args.securityGroup.id],
        assignPublicIp: false,
      },
      // Never left out once there: the provider sends `alarms` only while the block is set ("if v, ok :=
      // d.GetOk("alarms"); ok ... { input.DeploymentConfiguration.Alarms = expandAlarms(...) }", terraform-provider-aws
      // resourceServiceUpdate), so removing it would leave ECS watching alarms Pulumi deletes. Without alarms the block
      // stays, switched off, naming the alarms the service has when they are on.
      alarms: alarmNames
        ? { alarmNames, enable: true, rollback: true }
        : { alarmNames: builtInAlarmNames(prefix, name), enable: false, rollback: false },
      waitForSteadyState: args.waitForSteadyState,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      tags,
    },
    {
      ...opts,
      // Autoscaling owns the task count once the service exists, and ECS owns which target group is live. The whole
      // `loadBalancers` block is ignored: it is a Terraform set, and paths into a set's elements do not suppress its
      // diff ("IgnoreChanges unable to ignore set element changes ... To the diff it looks like the elements are
      // added and removed instead of changed in-place", pulumi-terraform-bridge#1756; "Indexing involving paths like
      // `a.b.*` or `a.b[1]` may actually involve collections that TF considers to be order-invariant sets", #2240).
      // So a new container port does not reach the service: the diff says so, and README tells how to change it.
      ignoreChanges: twoTargetGroups ? ["desiredCount", "loadBalancers"] : ["desiredCount"],
      // waitForSteadyState lasts the whole traffic shift and bake; the provider's default 20 minutes would cut a
      // healthy canary off and report a failure.
      customTimeouts: { create: `${waitMinutes}m`, update: `${waitMinutes}m` },
      // The service's name is fixed, so a replacement (e.g. of the cluster) must delete the old one first.
      deleteBeforeReplace: twoTargetGroups,
      dependsOn: [productionRule, ...(testRule ? [testRule] : [])],
    },
  );
  return { service, infrastructureRole };
}
