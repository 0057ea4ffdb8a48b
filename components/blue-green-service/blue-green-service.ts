import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../environment/environment";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import { NAME_LIMITS, physicalName } from "../naming";
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
import type { Autoscaling, HealthCheck, Sidecar } from "../service/args";
import { type Tier, TIER_DEFAULTS } from "../tiers";
import { imageTag } from "./image";
import {
  type GuardedTargets,
  type ServiceAlarmsArgs,
  serviceAlarmsArgs,
  type ServiceHooksArgs,
  serviceHooksArgs,
  serviceTierDefaults,
} from "./guards";

export type { LifecycleHook } from "../lifecycle-hooks/lifecycle-hooks";
export type { Autoscaling, HealthCheck, Sidecar } from "../service/args";

/** @internal */
/** The header the test listener routes by: a service's test rule forwards requests that name it, whatever their path. */
export const TEST_ROUTE_HEADER = "x-release-service";

export interface BlueGreenServiceArgs {
  /** The environment whose load balancer, listeners and cluster the service joins. */
  readonly environment: Environment;
  /** Container image, pinned to a tag or digest. */
  readonly image: pulumi.Input<string>;
  /** The container's port, which the target groups forward to. */
  readonly port: number;
  /** Path patterns of the listener rules. At least one of pathPatterns and hostHeaders. @default [] */
  readonly pathPatterns?: readonly string[];
  /** Host headers of the listener rules. @default [] */
  readonly hostHeaders?: readonly string[];
  /** Listener rule priority, unique on the listener. */
  readonly priority: number;
  /** Fargate CPU units. @default 256 / 512 / 512 (dev / staging / production, `TIER_DEFAULTS`) */
  readonly cpu?: number;
  /** Fargate memory in MiB. @default 512 / 1024 / 1024 */
  readonly memory?: number;
  /** Tasks when the service is created; autoscaling owns the count afterwards. @default 1 / 2 / 3 */
  readonly desiredCount?: number;
  /** Task-count scaling on CPU. @default fixed / desiredCount..2x, 60% / desiredCount..4x, 60% */
  readonly autoscaling?: Autoscaling;
  /** The target groups' health check; each field left out is `HealthCheck`'s default. @default `GET /`, 200-399, every 10 s (dev) or 15 s */
  readonly healthCheck?: HealthCheck;
  /** Seconds a target drains before it leaves a target group. @default 5 / 30 / 60 */
  readonly deregistrationDelaySeconds?: number;
  /** @default blue-green, bake 0 / blue-green, bake 5 / canary 10%, bake 5 then 15 */
  readonly deployment?: DeploymentStrategy;
  /** Plain environment variables of the container. @default {} */
  readonly environmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
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
  /** Containers beside the service's own, e.g. the AWS AppConfig Agent. @default [] */
  readonly sidecars?: readonly Sidecar[];
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
 * A container variable must come from one place: a name in two would leave which value the container sees to ECS.
 * Takes the places by field name; returns each later duplicate with the field that set it first.
 */
export function duplicateVariables(
  sources: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>,
): { readonly field: string; readonly variable: string; readonly other: string }[] {
  const duplicates: { field: string; variable: string; other: string }[] = [];
  const seen = new Map<string, string>();
  for (const [field, variables] of Object.entries(sources)) {
    for (const variable of Object.keys(variables ?? {}).sort()) {
      const other = seen.get(variable);
      if (other) duplicates.push({ field, variable, other });
      else seen.set(variable, field);
    }
  }
  return duplicates;
}

/** What each place of a container variable is, in words a stack file's reader and a component's caller both know. */
const VARIABLE_PLACES: Readonly<Record<string, string>> = {
  environmentVariables: "a plain environment variable",
  secretEnvironmentVariables: "a secret environment variable",
  secrets: "a secret reference",
};

/** A variable set in two places, at the later one; the value shown unless it is a secret one. */
export function duplicateVariableProblems(sources: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>): ArgumentProblem[] {
  return duplicateVariables(sources).map(({ field, variable, other }) => {
    const value = sources[field]?.[variable];
    return {
      field: [field, variable],
      message: `is also set as ${VARIABLE_PLACES[other] ?? other}: a variable comes from one place`,
      got: field !== "secretEnvironmentVariables" && typeof value === "string" ? value : undefined,
    };
  });
}

/** Containers of a task (or a pod) share one network namespace: the service's port must be free of its sidecars'. */
export function sidecarPortProblems(port: number, sidecars: readonly Sidecar[] | undefined): ArgumentProblem[] {
  const taken = (sidecars ?? []).flatMap((sidecar) => {
    // A definition still to be resolved (an Output) is checked by ECS itself.
    const definition = sidecar.definition as { name?: unknown; portMappings?: { containerPort?: unknown }[] };
    return (Array.isArray(definition.portMappings) ? definition.portMappings : []).map((mapping) => ({ name: String(definition.name), port: mapping.containerPort }));
  });
  const holder = taken.find((sidecar) => sidecar.port === port);
  return holder ? [{ field: ["port"], message: `is the port of the sidecar ${holder.name} beside it (task or pod); choose another`, got: port }] : [];
}

/** `latest` moves under a running service: a production rollback would not bring the old version back. */
export function latestImageProblems(image: pulumi.Input<string>, tier: Tier): ArgumentProblem[] {
  return tier === "production" && typeof image === "string" && imageTag(image) === "latest"
    ? [{ field: ["image"], message: "must pin a version tag or digest in production: latest changes under a running service", got: image }]
    : [];
}

/** Amazon ECS service quotas: "Task definition size: 64 KiB", the JSON of the whole task definition. */
const TASK_DEFINITION_BYTES = 64 * 1024;
/** What the environment may take of it: the container definitions around it (image, ports, log and agent settings) stay under 8 KiB. */
const TASK_DEFINITION_ENVIRONMENT_BYTES = TASK_DEFINITION_BYTES - 8 * 1024;

/** The bytes the container's environment and secrets take in the task definition's JSON (`{"name":..,"value":..}` each). */
function environmentBytes(args: Pick<BlueGreenServiceArgsToCheck, "environmentVariables" | "secretEnvironmentVariables" | "secrets">): number {
  const entries = [
    ...Object.entries(args.environmentVariables ?? {}).map(([name, value]) => ({ name, value: typeof value === "string" ? value : "" })),
    ...Object.entries(args.secretEnvironmentVariables ?? {}).map(([name]) => ({ name, valueFrom: "x".repeat(100) })),
    ...Object.entries(args.secrets ?? {}).map(([name, valueFrom]) => ({ name, valueFrom: typeof valueFrom === "string" ? valueFrom : "" })),
  ];
  return Buffer.byteLength(JSON.stringify(entries), "utf8");
}

function containerEnvironmentProblems(args: BlueGreenServiceArgsToCheck): ArgumentProblem[] {
  const problems: ArgumentProblem[] = duplicateVariableProblems({
    environmentVariables: args.environmentVariables,
    secretEnvironmentVariables: args.secretEnvironmentVariables,
    secrets: args.secrets,
  });
  const bytes = environmentBytes(args);
  if (bytes > TASK_DEFINITION_ENVIRONMENT_BYTES) {
    problems.push({
      field: ["environmentVariables"],
      message: `take ${bytes} bytes of the task definition; ECS registers a task definition of at most 64 KiB ("Task definition size: 64 KiB", Amazon ECS service quotas, not adjustable), and the rest of it (image, ports, logs, sidecars) needs up to ${TASK_DEFINITION_BYTES - TASK_DEFINITION_ENVIRONMENT_BYTES} bytes: keep the values under ${TASK_DEFINITION_ENVIRONMENT_BYTES} bytes, e.g. move large ones to a secret or a file the service reads`,
      got: `${Object.keys(args.environmentVariables ?? {}).length} values, ${bytes} bytes`,
    });
  }
  const days = args.secretRecoveryWindowDays;
  if (days !== undefined && !(days === 0 || (Number.isInteger(days) && days >= 7 && days <= 30))) {
    problems.push({ field: ["secretRecoveryWindowDays"], message: "must be 0 or 7-30", got: days });
  }
  return problems;
}

/** A listener rule needs a condition to route by and takes at most five values across them. */
export function routeProblems(args: { readonly pathPatterns?: readonly string[]; readonly hostHeaders?: readonly string[] }): ArgumentProblem[] {
  const routes = (args.pathPatterns?.length ?? 0) + (args.hostHeaders?.length ?? 0);
  if (routes === 0) return [{ field: ["pathPatterns"], message: "or hostHeaders must name at least one route", got: undefined }];
  if (routes > 5) return [{ field: ["pathPatterns"], message: "and hostHeaders together take at most 5 values on a listener rule", got: args.pathPatterns }];
  return [];
}

/** ELB listener rule priorities are 1-50000. */
export function priorityProblems(priority: number): ArgumentProblem[] {
  return Number.isInteger(priority) && priority >= 1 && priority <= 50000 ? [] : [{ field: ["priority"], message: "must be 1-50000", got: priority }];
}

export function autoscalingProblems(autoscaling: Autoscaling | undefined): ArgumentProblem[] {
  return autoscaling && autoscaling.min > autoscaling.max
    ? [{ field: ["autoscaling", "min"], message: `must not exceed autoscaling.max (${autoscaling.max})`, got: autoscaling.min }]
    : [];
}

/** @internal */
/** Fargate's valid memory (MiB) for each CPU size; the problem names `cpu` when no memory fits it. */
export function fargateMemoryProblem(cpu: number, memory: number): ArgumentProblem | undefined {
  const ranges: Record<number, [number, number, number]> = {
    256: [512, 2048, 512],
    512: [1024, 4096, 1024],
    1024: [2048, 8192, 1024],
    2048: [4096, 16384, 1024],
    4096: [8192, 30720, 1024],
    8192: [16384, 61440, 4096],
    16384: [32768, 122880, 8192],
  };
  const range = ranges[cpu];
  if (!range) return { field: ["cpu"], message: `must be one of ${Object.keys(ranges).join(", ")}`, got: cpu };
  const [min, max, step] = range;
  if (cpu === 256 && ![512, 1024, 2048].includes(memory)) return { field: ["memory"], message: "for cpu 256 must be 512, 1024 or 2048", got: memory };
  if (memory < min || memory > max || (memory - min) % step !== 0) {
    return { field: ["memory"], message: `for cpu ${cpu} must be ${min}-${max} in steps of ${step}`, got: memory };
  }
  return undefined;
}

/**
 * The service's arguments with what the caller left out taken from its environment's tier (`TIER_DEFAULTS`): the
 * strategy, task size and count, autoscaling, health check, draining, log and secret retention, and whether alarms, a
 * smoke test and an alarm gate run (their settings are filled by DeploymentAlarms and LifecycleHooks, given the tier).
 * `alarms: false` and `hooks.smokeTest`/`hooks.alarmGate: false` turn a guard off.
 */
export function withTierDefaults<A extends BlueGreenServiceArgsToCheck>(args: A): A {
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

/** What a service's validator reads of its environment, so arguments can be checked before any environment exists. */
export type EnvironmentFacts = Pick<Environment, "tier" | "namePrefix">;

/** A service's arguments as its validator takes them: the environment as facts, not a component. */
export type BlueGreenServiceArgsToCheck = Omit<BlueGreenServiceArgs, "environment"> & { readonly environment: EnvironmentFacts };

/** Every problem with a service's arguments, each naming its field; the constructor refuses them before registering. */
export function blueGreenServiceArgsProblems(given: BlueGreenServiceArgsToCheck): ArgumentProblem[] {
  const args = withTierDefaults(given);
  const strategy: DeploymentStrategy = args.deployment ?? { strategy: "blue-green", bakeMinutes: 0 };
  const tier = args.environment.tier;
  const fargate = fargateMemoryProblem(args.cpu ?? 256, args.memory ?? 512);
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
function guardProblems(args: BlueGreenServiceArgsToCheck, strategy: DeploymentStrategy): ArgumentProblem[] {
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
    ...(args.hooks?.smokeTest && !shiftsTraffic(strategy)
      ? [{ field: ["hooks", "smokeTest"], message: "needs the test listener, which a rolling service is not behind: leave it out or set false", got: undefined }]
      : []),
  ];
}

/** What the service's alarms and hooks need of it, given its load balancer's and environment's values. */
function guardedTargets(
  name: string,
  args: BlueGreenServiceArgsToCheck,
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
    healthCheckPath: args.healthCheck?.path ?? "/",
    logRetentionDays: args.logRetentionDays,
    detectionTraffic: { newVersionPercent: firstShiftPercent(toDeploymentConfiguration(strategy)), tasks: args.desiredCount ?? 1 },
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
    const strategy: DeploymentStrategy = args.deployment ?? { strategy: "blue-green", bakeMinutes: 0 };
    const cpu = args.cpu ?? 256;
    const memory = args.memory ?? 512;
    const desiredCount = args.desiredCount ?? 1;
    const pathPatterns = args.pathPatterns ?? [];
    const hostHeaders = args.hostHeaders ?? [];
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
    const healthCheck = args.healthCheck ?? {};
    const twoTargetGroups = shiftsTraffic(strategy);

    // The rules' forward actions and the service's target groups are ignored (ECS owns them), so they would keep naming a
    // replaced group: nothing that can change goes into a group's name or replace-triggering inputs. ECS registers each
    // task with its container port and the health check follows it (traffic-port), so the group's own port is only a
    // default no target uses: set at creation and ignored after, so a new container port updates the service in place.
    // Groups created before this kept the port in their names: ignoring `name` keeps them rather than replacing them.
    const targetGroup = (colour: "blue" | "green") =>
      new aws.lb.TargetGroup(
        `${name}-${colour}`,
        {
          name: physicalName([prefix, name], colour === "blue" ? "b" : "g", NAME_LIMITS.targetGroup),
          targetType: "ip",
          protocol: "HTTP",
          port: args.port,
          vpcId: env.vpcId,
          deregistrationDelay: args.deregistrationDelaySeconds ?? 30,
          healthCheck: targetGroupHealthCheck(healthCheck),
          tags: { ...tags, colour },
        },
        { ...child, ignoreChanges: ["name", "port"] },
      );
    this.blueTargetGroup = targetGroup("blue");
    this.greenTargetGroup = twoTargetGroups ? targetGroup("green") : undefined;
    this.blueTargetGroupArn = this.blueTargetGroup.arn;
    this.greenTargetGroupArn = this.greenTargetGroup?.arn;
    this.blueTargetGroupArnSuffix = this.blueTargetGroup.arnSuffix;
    this.greenTargetGroupArnSuffix = this.greenTargetGroup?.arnSuffix;
    this.loadBalancerArnSuffix = env.loadBalancerArnSuffix;

    // ECS rewrites the forward weights on every deployment; Pulumi must not put them back, so actions are ignored.
    const productionConditions = listenerRuleConditions(pathPatterns, hostHeaders);
    const forward = [
      {
        type: "forward",
        forward: {
          targetGroups: [
            { arn: this.blueTargetGroup.arn, weight: 100 },
            ...(this.greenTargetGroup ? [{ arn: this.greenTargetGroup.arn, weight: 0 }] : []),
          ],
        },
      },
    ];
    const ruleOpts: pulumi.CustomResourceOptions = { ...child, ignoreChanges: ["actions"] };
    const productionRule = new aws.lb.ListenerRule(
      `${name}-production`,
      { listenerArn: env.productionListenerArn, priority: args.priority, conditions: productionConditions, actions: forward, tags },
      ruleOpts,
    );
    // The test rule routes by a header naming the service, not by the production paths, so a smoke test can call any
    // path of the new version (its health check path included) with no route of its own; one condition value of five.
    const testRule = twoTargetGroups
      ? new aws.lb.ListenerRule(
          `${name}-test`,
          {
            listenerArn: env.testListenerArn,
            priority: args.priority,
            conditions: [{ httpHeader: { httpHeaderName: TEST_ROUTE_HEADER, values: [name] } }],
            actions: forward,
            tags,
          },
          ruleOpts,
        )
      : undefined;
    this.productionRuleArn = productionRule.arn;
    this.testRuleArn = testRule?.arn;

    const firstPath = (pathPatterns[0] ?? "/").replace(/\*.*$/, "");
    this.testUrl = pulumi.interpolate`${env.testUrl()}${firstPath.startsWith("/") ? firstPath : `/${firstPath}`}`;
    this.productionUrl = pulumi.interpolate`${env.productionUrl()}${firstPath.startsWith("/") ? firstPath : `/${firstPath}`}`;

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

    const routing = { productionTargetGroup: this.blueTargetGroup, testTargetGroup: this.greenTargetGroup, productionRule, testRule };
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

/** The health check of a service's target groups; the Kubernetes runtime's target groups use it too. */
export function targetGroupHealthCheck(healthCheck: HealthCheck): aws.types.input.lb.TargetGroupHealthCheck {
  return {
    enabled: true,
    protocol: "HTTP",
    port: "traffic-port",
    path: healthCheck.path ?? "/",
    matcher: healthCheck.matcher ?? "200-399",
    interval: healthCheck.intervalSeconds ?? 15,
    timeout: healthCheck.timeoutSeconds ?? 5,
    healthyThreshold: healthCheck.healthyThreshold ?? 2,
    unhealthyThreshold: healthCheck.unhealthyThreshold ?? 3,
  };
}

/** The production rule's conditions routing a service's paths and hosts; the Kubernetes runtime's rules use them too. */
export function listenerRuleConditions(pathPatterns: readonly string[], hostHeaders: readonly string[]): aws.types.input.lb.ListenerRuleCondition[] {
  return [
    ...(pathPatterns.length > 0 ? [{ pathPattern: { values: [...pathPatterns] } }] : []),
    ...(hostHeaders.length > 0 ? [{ hostHeader: { values: [...hostHeaders] } }] : []),
  ];
}
