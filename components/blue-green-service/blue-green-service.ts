import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../environment/environment";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import { NAME_LIMITS, physicalName } from "../naming";
import {
  describeStrategy,
  type DeploymentStrategy,
  deploymentWaitMinutes,
  shiftsTraffic,
  strategyProblems,
  toDeploymentConfiguration,
} from "./strategy";
import { firstShiftPercent } from "../deployment-alarms/alarm-sensitivity";
import { builtInAlarmNames, DeploymentAlarms, deploymentAlarmsArgsProblems } from "../deployment-alarms/deployment-alarms";
import { LifecycleHooks, lifecycleHooksArgsProblems } from "../lifecycle-hooks/lifecycle-hooks";
import { assumeRolePolicy } from "../iam";
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
import { createServiceRouting, TEST_ROUTE_HEADER } from "../service/routing";

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

    const child: pulumi.CustomResourceOptions = { parent: this };
    const tags = { service: name };
    const prefix = env.namePrefix;
    const twoTargetGroups = shiftsTraffic(strategy);

    // The rules' forward actions and the service's target groups are ignored (ECS owns them), so they would keep naming a
    // replaced group: nothing that can change goes into a group's name or replace-triggering inputs. ECS registers each
    // task with its container port and the health check follows it (traffic-port), so the group's own port is only a
    // default no target uses: set at creation and ignored after, so a new container port updates the service in place.
    // Groups created before this kept the port in their names: ignoring `name` keeps them rather than replacing them.
    const routing = createServiceRouting(
      name,
      {
        environment: env,
        port: args.port,
        priority: args.priority,
        pathPatterns: args.pathPatterns ?? [],
        hostHeaders: args.hostHeaders ?? [],
        healthCheck: args.healthCheck,
        deregistrationDelaySeconds: args.deregistrationDelaySeconds,
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
    const alarmsArgs = serviceAlarmsArgs(args.alarms, targets);
    this.alarms = alarmsArgs ? new DeploymentAlarms(`${name}-alarms`, alarmsArgs, { parent: this }) : undefined;
    this.compositeAlarmArn = this.alarms?.compositeAlarmArn;
    this.compositeAlarmName = this.alarms?.compositeAlarmName;
    // New tasks that never start: ECS's deployment circuit breaker would fail such a deployment, but it is documented for
    // rolling services ("The deployment circuit breaker can only be used for services using the rolling update (ECS)
    // deployment type", API reference) and at most blue/green ("Both methods only support rolling update deployment and
    // blue/green deployment types", developer guide), never canary or linear. So a traffic-shifting service watches
    // ECS's own SERVICE_TASK_START_IMPAIRED ("The service is unable to consistently start tasks successfully") through
    // an alarm ECS rolls back on, whatever the strategy; the rule also tells the alert topic.
    const startImpaired = twoTargetGroups && alarmsArgs ? taskStartWatch(name, prefix, env, tags, child) : undefined;
    const extraAlarmNames: pulumi.Input<string>[] = [...(args.alarms ? (args.alarms.extraAlarmNames ?? []) : []), ...(startImpaired ? [startImpaired] : [])];
    const guardAlarmNames: pulumi.Input<pulumi.Input<string>[]> | undefined =
      extraAlarmNames.length > 0 ? pulumi.all([this.alarms?.alarmNames ?? [], ...extraAlarmNames]).apply(([own, ...extra]) => [...(own as string[]), ...(extra as string[])]) : this.alarms?.alarmNames;
    const hooksArgs = serviceHooksArgs(args.hooks, targets, guardAlarmNames ?? [], shiftsTraffic(strategy));
    this.hooks = hooksArgs ? new LifecycleHooks(`${name}-hooks`, hooksArgs, { parent: this }) : undefined;
    const lifecycleHooks = [...(this.hooks?.lifecycleHooks ?? []), ...(args.hooks?.extraLifecycleHooks ?? [])];

    // Tasks accept traffic from the load balancer only, on the container port.
    const taskSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-tasks`,
      { vpcId: env.vpcId, description: `Tasks of ${name}: reachable from the load balancer only`, tags },
      child,
    );
    // Named by port, with the old name as alias: a new port adds its rules first and drops the old ones only after the
    // service's deployment, so old and new tasks are both reachable while traffic moves. (ALB nodes reach targets at
    // their private addresses, so references match here, for both schemes.)
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-tasks-from-lb-${args.port}`,
      {
        securityGroupId: taskSecurityGroup.id,
        description: "From the load balancer",
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        referencedSecurityGroupId: env.loadBalancerSecurityGroupId,
      },
      { ...child, aliases: [{ name: `${name}-tasks-from-lb` }] },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-lb-to-tasks-${args.port}`,
      {
        securityGroupId: env.loadBalancerSecurityGroupId,
        description: `To the tasks of ${name}`,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        referencedSecurityGroupId: taskSecurityGroup.id,
      },
      { ...child, aliases: [{ name: `${name}-lb-to-tasks` }] },
    );
    // Tasks pull images and call AWS APIs over HTTPS (through NAT or VPC endpoints).
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-tasks-https`,
      {
        securityGroupId: taskSecurityGroup.id,
        description: "HTTPS to image registries and AWS APIs",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: "0.0.0.0/0",
      },
      child,
    );
    this.securityGroupId = taskSecurityGroup.id;

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/ecs/${prefix}/${name}`, retentionInDays: args.logRetentionDays ?? 30, tags },
      child,
    );

    const region = aws.getRegionOutput({}, { parent: this });
    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });

    const ecsTrust = assumeRolePolicy("ecs-tasks.amazonaws.com");
    const executionRole = new aws.iam.Role(
      `${name}-execution`,
      { name: physicalName([prefix, name], "execution", NAME_LIMITS.iamRole), assumeRolePolicy: ecsTrust, tags },
      child,
    );
    // Secrets the service stores itself, each read at task start by the execution role, pinned to the version that holds
    // the value: "If the secret is subsequently updated ... the container will not receive the updated value" (ECS guide).
    const storedSecrets = Object.entries(args.secretEnvironmentVariables ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([variable, value]) => {
        const secret = new aws.secretsmanager.Secret(
          `${name}-env-${variable}`,
          {
            // A prefix, not a fixed name: a deleted secret's name stays taken for its whole recovery window.
            namePrefix: `${prefix}/${name}/${variable}-`,
            description: `Environment variable ${variable} of service ${name}`,
            recoveryWindowInDays: args.secretRecoveryWindowDays ?? 30,
            tags,
          },
          child,
        );
        const version = new aws.secretsmanager.SecretVersion(
          `${name}-env-${variable}`,
          { secretId: secret.arn, secretString: pulumi.secret(value) },
          child,
        );
        return { variable, secretArn: secret.arn, version };
      });
    const secretArns = [...Object.values(args.secrets ?? {}), ...storedSecrets.map((stored) => stored.secretArn)];
    const executionPolicyResource = new aws.iam.RolePolicy(
      `${name}-execution`,
      {
        role: executionRole.id,
        policy: pulumi
          .all([
            pulumi.output(args.image),
            logGroup.arn,
            pulumi.output(secretArns),
            region.region,
            caller.accountId,
            partition.partition,
            pulumi.all((args.sidecars ?? []).map((sidecar) => pulumi.output(sidecar.definition).apply((definition) => String(definition.image ?? "")))),
          ])
          .apply(([image, logGroupArn, secrets, regionName, accountId, partitionName, sidecarImages]) =>
            JSON.stringify(executionPolicy({ image, sidecarImages, logGroupArn, secretArns: secrets, region: regionName, accountId, partition: partitionName })),
          ),
      },
      child,
    );
    const taskRole = new aws.iam.Role(
      `${name}-task`,
      { name: physicalName([prefix, name], "task", NAME_LIMITS.iamRole), assumeRolePolicy: ecsTrust, tags },
      child,
    );
    (args.taskRolePolicies ?? []).forEach((policy, index) => {
      new aws.iam.RolePolicy(`${name}-task-${index}`, { role: taskRole.id, policy }, child);
    });
    this.taskRoleArn = taskRole.arn;
    this.taskRoleName = taskRole.name;
    this.flagReader = { name, roleName: taskRole.name };

    const environmentVariables = Object.entries(args.environmentVariables ?? {}).sort(([a], [b]) => a.localeCompare(b));
    const secrets: [string, pulumi.Input<string>][] = [
      ...Object.entries(args.secrets ?? {}),
      ...storedSecrets.map(({ variable, version }): [string, pulumi.Input<string>] => [
        variable,
        // arn:...:secret:<name>:<json-key>:<version-stage>:<version-id>, the whole value of one version.
        pulumi.interpolate`${version.secretArn}:::${version.versionId}`,
      ]),
    ].sort(([a], [b]) => a.localeCompare(b));
    const appContainer = pulumi
      .all([
        pulumi.output(args.image),
        logGroup.name,
        region.region,
        pulumi.all(environmentVariables.map(([key, value]) => pulumi.output(value).apply((v) => ({ name: key, value: v })))),
        pulumi.all(secrets.map(([key, value]) => pulumi.output(value).apply((v) => ({ name: key, valueFrom: v })))),
      ])
      .apply(([image, logGroupName, regionName, environment, secretRefs]): Record<string, unknown> => ({
        name: "app",
        image,
        essential: true,
        portMappings: [{ containerPort: args.port, protocol: "tcp" }],
        environment,
        secrets: secretRefs,
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": logGroupName, "awslogs-region": regionName, "awslogs-stream-prefix": "app" },
        },
      }));
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: physicalName([prefix, name], "", NAME_LIMITS.ecs),
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(cpu),
        memory: String(memory),
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        containerDefinitions: pulumi
          .all([appContainer, logGroup.name, region.region, pulumi.all((args.sidecars ?? []).map((s) => pulumi.output(s.definition)))])
          .apply(([app, logGroupName, regionName, sidecars]) =>
            JSON.stringify([
              app,
              ...(sidecars as Record<string, unknown>[]).map((sidecar) => ({
                logConfiguration: {
                  logDriver: "awslogs",
                  options: { "awslogs-group": logGroupName, "awslogs-region": regionName, "awslogs-stream-prefix": String(sidecar.name) },
                },
                ...sidecar,
              })),
            ]),
          ),
        tags,
      },
      // ECS starts tasks as soon as the service names this revision: the execution role must already read its secrets
      // (the secrets' values it waits for through valueFrom).
      { ...child, dependsOn: [executionPolicyResource] },
    );

    // ECS needs this role to move listener-rule weights and target-group registrations during a deployment.
    const infrastructureRole = twoTargetGroups
      ? new aws.iam.Role(
          `${name}-ecs-lb`,
          {
            name: physicalName([prefix, name], "ecs-lb", NAME_LIMITS.iamRole),
            assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
            managedPolicyArns: [
              pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers`,
            ],
            tags,
          },
          child,
        )
      : undefined;

    const scaling = args.autoscaling ?? { min: desiredCount, max: desiredCount, cpuTargetPercent: 60 };
    const waitMinutes = deploymentWaitMinutes(strategy);
    const alarmNames = guardAlarmNames !== undefined ? pulumi.output(guardAlarmNames) : undefined;
    const deploymentConfiguration = toDeploymentConfiguration(strategy);
    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        name,
        cluster: env.clusterArn,
        taskDefinition: taskDefinition.arn,
        launchType: "FARGATE",
        desiredCount,
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
            targetGroupArn: this.blueTargetGroup.arn,
            containerName: "app",
            containerPort: args.port,
            ...(this.greenTargetGroup && testRule && infrastructureRole
              ? {
                  advancedConfiguration: {
                    alternateTargetGroupArn: this.greenTargetGroup.arn,
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
          securityGroups: [taskSecurityGroup.id],
          assignPublicIp: false,
        },
        // Never left out once there: the provider sends `alarms` only while the block is set ("if v, ok :=
        // d.GetOk("alarms"); ok ... { input.DeploymentConfiguration.Alarms = expandAlarms(...) }", terraform-provider-aws
        // resourceServiceUpdate), so removing it would leave ECS watching alarms Pulumi deletes. Without alarms the block
        // stays, switched off, naming the alarms the service has when they are on.
        alarms: alarmNames
          ? { alarmNames, enable: true, rollback: true }
          : { alarmNames: builtInAlarmNames(prefix, name), enable: false, rollback: false },
        waitForSteadyState: args.waitForSteadyState ?? env.tier !== "dev",
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        tags,
      },
      {
        ...child,
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
    this.serviceName = this.service.name;
    this.serviceArn = this.service.arn;
    this.alarmNames = alarmNames ?? pulumi.output([]);

    const target = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId: pulumi.interpolate`service/${env.clusterName}/${this.service.name}`,
        minCapacity: scaling.min,
        maxCapacity: scaling.max,
        tags,
      },
      child,
    );
    if (scaling.max > scaling.min) {
      new aws.appautoscaling.Policy(
        `${name}-cpu`,
        {
          policyType: "TargetTrackingScaling",
          serviceNamespace: target.serviceNamespace,
          scalableDimension: target.scalableDimension,
          resourceId: target.resourceId,
          targetTrackingScalingPolicyConfiguration: {
            targetValue: scaling.cpuTargetPercent,
            predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
            scaleInCooldown: 300,
            scaleOutCooldown: 60,
          },
        },
        child,
      );
    }

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

/** @internal */
/** ECR repository ARN of an image hosted in ECR, or undefined for other registries. */
export function ecrRepositoryArn(image: string, partition: string): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  return match ? `arn:${partition}:ecr:${match[2]}:${match[1]}:repository/${match[3]}` : undefined;
}

/** @internal */
/** Least privilege for starting the task: pull this image, write this log group, read these secrets. */
export function executionPolicy(input: {
  image: string;
  /** Images of the sidecars (e.g. the AppConfig Agent from an ECR pull-through cache): pulled with the same role. */
  sidecarImages?: readonly string[];
  logGroupArn: string;
  secretArns: readonly string[];
  region: string;
  accountId: string;
  partition: string;
}): Record<string, unknown> {
  const repositories = [...new Set([input.image, ...(input.sidecarImages ?? [])].map((image) => ecrRepositoryArn(image, input.partition)).filter((arn) => arn !== undefined))];
  const repository = repositories.length > 1 ? repositories : repositories[0];
  const secretsManager = [...new Set(input.secretArns.filter((arn) => arn.includes(":secretsmanager:")).map(secretPolicyResource))];
  const parameters = input.secretArns.filter((arn) => arn.includes(":ssm:"));
  const statements: Record<string, unknown>[] = [
    { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${input.logGroupArn}:*` },
  ];
  if (repository) {
    statements.push(
      { Sid: "EcrToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: repository,
      },
    );
  }
  if (secretsManager.length > 0) {
    statements.push({ Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretsManager });
  }
  if (parameters.length > 0) {
    statements.push({ Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: parameters });
  }
  // A secret or SecureString parameter under a customer managed key needs kms:Decrypt on that key: "kms:Decrypt—Required
  // only if your key uses a custom KMS key and not the default key" (AWS's task-execution-role guides). Which key a
  // secret uses is not in its ARN, so any key, but only as Secrets Manager or Parameter Store uses it for this role
  // (kms:ViaService), which reads nothing but the secrets above. The key's policy must let IAM grant it (AWS's default
  // key policy does).
  const services = [
    ...new Set([...secretsManager, ...parameters].map((arn) => `${arn.split(":")[2] === "ssm" ? "ssm" : "secretsmanager"}.${arn.split(":")[3]}.amazonaws.com`)),
  ].sort();
  if (services.length > 0) {
    statements.push({ Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:ViaService": services } } });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** A secret's name in a full ARN ends in the hyphen and six characters Secrets Manager appends. */
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;

/** @internal */
/**
 * The resource an IAM policy must name for a secret reference. A JSON-key selector (`:key:stage:version`) is not part
 * of it. A partial ARN (no `-XXXXXX` suffix) is accepted by GetSecretValue, but IAM matches the request against the
 * secret's real ARN, which has the suffix: Secrets Manager's guide has policies name
 * `arn:aws:secretsmanager:Region:AccountId:secret:SecretName-??????` ("the six random characters"). Secrets Manager
 * itself reads a name ending in a hyphen and six characters as a full ARN ("then those characters cause Secrets Manager
 * to assume that you're specifying a complete ARN"), and so does this.
 */
export function secretPolicyResource(reference: string): string {
  const arn = reference.split(":").slice(0, 7).join(":");
  return SECRET_SUFFIX.test(arn.split(":")[6] ?? "") ? arn : `${arn}-??????`;
}

/**
 * An EventBridge rule for the service's SERVICE_TASK_START_IMPAIRED events (to the alert topic) and an alarm on the
 * rule's `TriggeredRules` metric, whose name the service adds to the alarms ECS rolls a deployment back on.
 * @returns the alarm's name
 */
function taskStartWatch(name: string, prefix: string, env: Environment, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const invoke = { parent: opts.parent };
  const region = aws.getRegionOutput({}, invoke);
  const caller = aws.getCallerIdentityOutput({}, invoke);
  const partition = aws.getPartitionOutput({}, invoke);
  // Built, not read from the service: the service waits for this alarm, so it cannot be an input of it.
  const serviceArn = pulumi.interpolate`arn:${partition.partition}:ecs:${region.region}:${caller.accountId}:service/${env.clusterName}/${name}`;
  const rule = new aws.cloudwatch.EventRule(
    `${name}-task-start-impaired`,
    {
      name: physicalName([prefix, name], "task-start-impaired", 64),
      description: `${name}: ECS cannot consistently start the service's tasks (a deployment whose new tasks never become healthy)`,
      eventPattern: serviceArn.apply((arn) =>
        JSON.stringify({ source: ["aws.ecs"], "detail-type": ["ECS Service Action"], resources: [arn], detail: { eventName: ["SERVICE_TASK_START_IMPAIRED"] } }),
      ),
      tags,
    },
    opts,
  );
  new aws.cloudwatch.EventTarget(`${name}-task-start-impaired`, { rule: rule.name, arn: env.alertTopicArn }, opts);
  const alarm = new aws.cloudwatch.MetricAlarm(
    `${name}-task-start-impaired`,
    {
      name: physicalName([prefix, name], "task-start-impaired", NAME_LIMITS.alarm),
      alarmDescription: `${name}: ECS reported SERVICE_TASK_START_IMPAIRED; ECS rolls the deployment back on this alarm`,
      namespace: "AWS/Events",
      metricName: "TriggeredRules",
      dimensions: { RuleName: rule.name },
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [env.alertTopicArn],
      okActions: [env.alertTopicArn],
      tags,
    },
    opts,
  );
  return alarm.name;
}
