import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import {
  describeStrategy,
  type DeploymentStrategy,
  shiftsTraffic,
  strategyProblems,
  toDeploymentConfiguration,
} from "./strategy";
import { awsAccount } from "./aws-account";
import { createDeploymentGuards } from "./deployment-guards";
import { createEcsService } from "./ecs-service";
import { createScaling } from "./scaling";
import { createTask } from "./task";
import { createTaskSecurityGroup } from "./task-security-group";
import { firstShiftPercent } from "../deployment-alarms/alarm-sensitivity";
import { DeploymentAlarms, deploymentAlarmsArgsProblems } from "../deployment-alarms/deployment-alarms";
import { LifecycleHooks, lifecycleHooksArgsProblems } from "../lifecycle-hooks/lifecycle-hooks";
import type { EnvironmentFacts, ServiceArgsBase } from "../service/args";
import { TIER_DEFAULTS } from "../tiers";
import { autoscalingProblems, latestImageProblems, priorityProblems, routeProblems, sidecarPortProblems } from "../service/problems";
import { containerEnvironmentProblems, fargateMemoryProblem } from "./problems";
import {
  type GuardedTargets,
  type ServiceAlarmsArgs,
  serviceAlarmsArgs,
  type ServiceHooksArgs,
  serviceHooksArgs,
  serviceTierDefaults,
  type ServiceTierSettings,
} from "../service/settings";
import { createServiceRouting, serviceRoute, TEST_ROUTE_HEADER } from "../service/routing";

export type { LifecycleHook } from "../lifecycle-hooks/lifecycle-hooks";
export type { Autoscaling, EnvironmentFacts, HealthCheck, Sidecar } from "../service/args";

export interface BlueGreenServiceArgs extends ServiceArgsBase {
  /** @default blue-green, bake 0 / blue-green, bake 5 / canary 10%, bake 5 then 15 */
  readonly deployment?: DeploymentStrategy;
  /** Environment variables from Secrets Manager secret or SSM parameter ARNs. @default {} */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Environment variables whose values are secret. Each is stored in a Secrets Manager secret the service creates,
   * which the container reads at start through `secrets`, pinned to the version holding the value: no task definition
   * (readable by anyone who may describe it) holds the value, and a new value deploys like a new image. @default {}
   */
  readonly secretEnvironmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Days Secrets Manager keeps a secret of `secretEnvironmentVariables` after the service stops using it, restorable
   * until then: 0 deletes it at once, else 7-30. Running tasks keep their value either way. @default 0 / 7 / 30
   */
  readonly secretRecoveryWindowDays?: number;
  /** Days the container logs are kept. @default 7 / 30 / 90 */
  readonly logRetentionDays?: number;
  /** Wait for the deployment to finish (or roll back, failing `pulumi up`). @default false / true / true */
  readonly waitForSteadyState?: boolean;
  /** IAM policy documents (JSON) attached to the task role. @default [] */
  readonly taskRolePolicies?: readonly pulumi.Input<string>[];
  /**
   * The service's CloudWatch alarms over both target groups (error rate, p99 latency, unhealthy hosts, custom): ECS
   * rolls a deployment back while any is in ALARM. The service creates them as its child `<name>-alarms`; settings left
   * out come from the tier (`TIER_DEFAULTS[tier].alarms`). `false`: no alarms. @default the tier's alarms
   */
  readonly alarms?: ServiceAlarmsArgs | false;
  /**
   * Lambda hooks ECS calls during a deployment: a smoke test and an alarm gate, as the child `<name>-hooks`. Each left
   * out follows the tier (`TIER_DEFAULTS[tier].smokeTest`, `.alarmGate`; no smoke test for `rolling`); `false` turns it
   * off. @default none / both / both
   */
  readonly hooks?: ServiceHooksArgs;
}

/**
 * The service's arguments with what the caller left out taken from its environment's tier (`TIER_DEFAULTS`): the
 * strategy, task size and count, autoscaling, health check, draining, log and secret retention, and whether alarms, a
 * smoke test and an alarm gate run (their settings are filled by DeploymentAlarms and LifecycleHooks, given the tier).
 * `alarms: false` and `hooks.smokeTest`/`hooks.alarmGate: false` turn a guard off.
 */
export function withTierDefaults<A extends BlueGreenServiceArgsToCheck>(args: A): ResolvedBlueGreenServiceArgs<A> {
  const tier = TIER_DEFAULTS[args.environment.tier];
  const deployment = args.deployment ?? tier.deployment;
  return {
    ...args,
    deployment,
    ...serviceTierDefaults(tier, args, shiftsTraffic(deployment)),
    logRetentionDays: args.logRetentionDays ?? tier.logRetentionDays,
    secretRecoveryWindowDays: args.secretRecoveryWindowDays ?? tier.secretRecoveryWindowDays,
    waitForSteadyState: args.waitForSteadyState ?? tier.waitForSteadyState,
    // Alarms are on unless turned off; DeploymentAlarms fills their thresholds from the tier passed down to it.
    alarms: args.alarms === false ? false : (args.alarms ?? {}),
  };
}

/** A service's arguments once its tier has filled them: every setting the tier has a value for is there. */
export type ResolvedBlueGreenServiceArgs<A extends BlueGreenServiceArgsToCheck = BlueGreenServiceArgs> = A &
  ServiceTierSettings & {
    readonly deployment: DeploymentStrategy;
    readonly logRetentionDays: number;
    readonly secretRecoveryWindowDays: number;
    readonly waitForSteadyState: boolean;
    readonly alarms: ServiceAlarmsArgs | false;
  };

/** A service's arguments as its validator takes them: the environment as facts, not a component. */
export type BlueGreenServiceArgsToCheck = Omit<BlueGreenServiceArgs, "environment"> & { readonly environment: EnvironmentFacts };

/** Every problem with a service's arguments, each naming its field; the constructor refuses them before registering. */
export function blueGreenServiceArgsProblems(given: BlueGreenServiceArgsToCheck): ArgumentProblem[] {
  const args = withTierDefaults(given);
  const strategy = args.deployment;
  const tier = args.environment.tier;
  const fargate = fargateMemoryProblem(args.cpu, args.memory);
  return [
    ...under(["deployment"], strategyProblems(strategy)),
    ...routeProblems(args),
    ...(strategy.strategy === "rolling" && tier !== "dev"
      ? [{ field: ["deployment", "strategy"], message: `rolling is allowed in dev only (tier is ${tier})`, got: "rolling" }]
      : []),
    ...priorityProblems(args.priority),
    ...latestImageProblems(args.image, tier),
    ...sidecarPortProblems(args.port, args.sidecars),
    ...(fargate ? [fargate] : []),
    ...autoscalingProblems(args.autoscaling),
    ...containerEnvironmentProblems(args),
    ...guardProblems(args, strategy),
  ];
}

/** The alarms' and hooks' problems, checked on the arguments the service will pass them, under `alarms` and `hooks`. */
function guardProblems(args: ResolvedBlueGreenServiceArgs<BlueGreenServiceArgsToCheck>, strategy: DeploymentStrategy): ArgumentProblem[] {
  // Names and ids only name things; the validators read the settings.
  const targets = guardedTargets("service", args, strategy, {
    loadBalancerArnSuffix: "",
    targetGroupArnSuffixes: shiftsTraffic(strategy) ? ["", ""] : [""],
    alertTopicArn: "",
    testUrl: "",
    subnetIds: [],
    securityGroupIds: [],
  });
  const alarms = serviceAlarmsArgs(args.alarms, targets);
  const hooks = serviceHooksArgs(args.hooks, targets, []);
  return [
    ...(alarms ? under(["alarms"], deploymentAlarmsArgsProblems(alarms).filter((problem) => problem.field[0] !== "targetGroupArnSuffixes")) : []),
    ...(hooks ? under(["hooks"], lifecycleHooksArgsProblems(hooks)) : []),
    ...(args.hooks.smokeTest && !shiftsTraffic(strategy)
      ? [{ field: ["hooks", "smokeTest"], message: "needs the test listener, which a rolling service is not behind: leave it out or set false", got: undefined }]
      : []),
  ];
}

/** What the service's alarms and hooks need of it, given its load balancer's and environment's values. */
function guardedTargets(
  name: string,
  args: ResolvedBlueGreenServiceArgs<BlueGreenServiceArgsToCheck>,
  strategy: DeploymentStrategy,
  values: Pick<GuardedTargets, "loadBalancerArnSuffix" | "targetGroupArnSuffixes" | "alertTopicArn" | "testUrl" | "subnetIds" | "securityGroupIds">,
): GuardedTargets {
  return {
    ...values,
    serviceName: name,
    namePrefix: args.environment.namePrefix,
    tier: args.environment.tier,
    hostHeaders: args.hostHeaders ?? [],
    testHeaders: { [TEST_ROUTE_HEADER]: name },
    healthCheckPath: args.healthCheck.path,
    logRetentionDays: args.logRetentionDays,
    detectionTraffic: { newVersionPercent: firstShiftPercent(toDeploymentConfiguration(strategy)), tasks: args.desiredCount },
  };
}

/**
 * One service behind the environment's load balancer with two target groups, a production and a test listener rule,
 * and an ECS service whose native deployment engine shifts traffic between them (blue/green, canary or linear).
 */
export class BlueGreenService extends pulumi.ComponentResource {
  public readonly strategy: DeploymentStrategy;
  /** e.g. `canary 10% -> bake 5m -> 100%, bake 15m` */
  public readonly strategySummary: string;
  public readonly blueTargetGroup: aws.lb.TargetGroup;
  public readonly greenTargetGroup?: aws.lb.TargetGroup;
  public readonly blueTargetGroupArn: pulumi.Output<string>;
  public readonly greenTargetGroupArn?: pulumi.Output<string>;
  public readonly blueTargetGroupArnSuffix: pulumi.Output<string>;
  public readonly greenTargetGroupArnSuffix?: pulumi.Output<string>;
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  public readonly productionRuleArn: pulumi.Output<string>;
  public readonly testRuleArn?: pulumi.Output<string>;
  public readonly service: aws.ecs.Service;
  public readonly serviceName: pulumi.Output<string>;
  public readonly serviceArn: pulumi.Output<string>;
  public readonly taskRoleArn: pulumi.Output<string>;
  /** For attaching policies the tasks need, e.g. FeatureFlagStore.grantRead. */
  public readonly taskRoleName: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  /** URL of the test listener for this service's first path, where the new version answers (with `TEST_ROUTE_HEADER`) before users see it. */
  public readonly testUrl: pulumi.Output<string>;
  public readonly productionUrl: pulumi.Output<string>;
  /** Names of the alarms ECS watches during a deployment. */
  public readonly alarmNames: pulumi.Output<string[]>;
  /** The service's alarms (`alarms`), for dashboards and escape hatches. */
  public readonly alarms?: DeploymentAlarms;
  /** Any of the service's alarms: a flag store's monitor. */
  public readonly compositeAlarmArn?: pulumi.Output<string>;
  public readonly compositeAlarmName?: pulumi.Output<string>;
  /** The service's hooks (`hooks`). */
  public readonly hooks?: LifecycleHooks;
  /** The task role as a flag store reader (`FeatureFlagStore` `readers`). */
  public readonly flagReader: { readonly name: string; readonly roleName: pulumi.Output<string> };

  constructor(name: string, given: BlueGreenServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const args = withTierDefaults(given);
    const env = args.environment;
    const strategy = args.deployment;
    const { cpu, memory, desiredCount } = args;
    const problems = blueGreenServiceArgsProblems(args);
    const taken = problems.length === 0 ? env.claimPriority(args.priority, name) : undefined;
    if (taken) problems.push(taken);
    refuseBadArguments("BlueGreenService", name, problems);
    super("release:aws:BlueGreenService", name, {}, opts);
    this.strategy = strategy;
    this.strategySummary = describeStrategy(strategy);

    const tags = { service: name };
    const twoTargetGroups = shiftsTraffic(strategy);

    // The rules' forward actions and the service's target groups are ignored (ECS owns them), so they would keep naming a
    // replaced group: nothing that can change goes into a group's name or replace-triggering inputs. ECS registers each
    // task with its container port and the health check follows it (traffic-port), so the group's own port is only a
    // default no target uses: set at creation and ignored after, so a new container port updates the service in place.
    // Groups created before this kept the port in their names: ignoring `name` keeps them rather than replacing them.
    const routing = createServiceRouting(
      name,
      {
        ...serviceRoute(args),
        tags,
        groups: {
          production: { role: "blue", letter: "b", tags: { colour: "blue" } },
          ...(twoTargetGroups ? { test: { role: "green", letter: "g", tags: { colour: "green" } } } : {}),
        },
        forward: "weighted",
        targetGroupIgnoreChanges: ["name", "port"],
      },
      this,
    );
    this.blueTargetGroup = routing.productionTargetGroup;
    this.greenTargetGroup = routing.testTargetGroup;
    this.blueTargetGroupArn = this.blueTargetGroup.arn;
    this.greenTargetGroupArn = this.greenTargetGroup?.arn;
    this.blueTargetGroupArnSuffix = this.blueTargetGroup.arnSuffix;
    this.greenTargetGroupArnSuffix = this.greenTargetGroup?.arnSuffix;
    this.loadBalancerArnSuffix = env.loadBalancerArnSuffix;
    const { productionRule, testRule } = routing;
    this.productionRuleArn = productionRule.arn;
    this.testRuleArn = testRule?.arn;
    this.testUrl = routing.testUrl;
    this.productionUrl = routing.productionUrl;

    const targets = guardedTargets(name, args, strategy, {
      loadBalancerArnSuffix: env.loadBalancerArnSuffix,
      targetGroupArnSuffixes: [this.blueTargetGroup.arnSuffix, ...(this.greenTargetGroup ? [this.greenTargetGroup.arnSuffix] : [])],
      alertTopicArn: env.alertTopicArn,
      testUrl: env.testUrl(),
      subnetIds: env.privateSubnetIds,
      securityGroupIds: [env.hooksSecurityGroupId],
    });
    const account = awsAccount(this);
    const guards = createDeploymentGuards(name, { ...args, targets, shiftsTraffic: twoTargetGroups, tags, account }, this);
    this.alarms = guards.alarms;
    this.compositeAlarmArn = guards.alarms?.compositeAlarmArn;
    this.compositeAlarmName = guards.alarms?.compositeAlarmName;
    this.hooks = guards.hooks;
    this.alarmNames = guards.alarmNames ?? pulumi.output([]);

    const securityGroup = createTaskSecurityGroup(name, { ...args, tags }, this).securityGroup;
    this.securityGroupId = securityGroup.id;

    const task = createTask(name, { ...args, cpu, memory, tags, account }, this);
    this.taskRoleArn = task.taskRole.arn;
    this.taskRoleName = task.taskRole.name;
    this.flagReader = { name, roleName: task.taskRole.name };

    this.service = createEcsService(name, { ...args, strategy, desiredCount, task, routing, securityGroup, guards, tags, account }, this).service;
    this.serviceName = this.service.name;
    this.serviceArn = this.service.arn;

    createScaling(name, { ...args, service: this.service, desiredCount, tags }, this);

    this.registerOutputs({
      strategy: this.strategySummary,
      blueTargetGroupArn: this.blueTargetGroupArn,
      greenTargetGroupArn: this.greenTargetGroupArn,
      blueTargetGroupArnSuffix: this.blueTargetGroupArnSuffix,
      greenTargetGroupArnSuffix: this.greenTargetGroupArnSuffix,
      loadBalancerArnSuffix: this.loadBalancerArnSuffix,
      productionRuleArn: this.productionRuleArn,
      testRuleArn: this.testRuleArn,
      serviceName: this.serviceName,
      serviceArn: this.serviceArn,
      testUrl: this.testUrl,
      alarmNames: this.alarmNames,
      compositeAlarmArn: this.compositeAlarmArn,
      compositeAlarmName: this.compositeAlarmName,
      taskRoleArn: this.taskRoleArn,
      taskRoleName: this.taskRoleName,
      productionUrl: this.productionUrl,
      securityGroupId: this.securityGroupId,
    });
  }
}
