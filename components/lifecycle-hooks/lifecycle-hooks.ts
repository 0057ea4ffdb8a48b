import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "../iam";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import { NAME_LIMITS, physicalName } from "../naming";
import { type Tier, TIER_DEFAULTS } from "../tiers";
import { bundleHook, HOOK_RUNTIME, type HookName } from "./bundle";
import { ALARM_GATE_TIMEOUT_SECONDS, NO_ALARM_ROLLBACK } from "./handlers/hook-event";
import {
  describeSmokeDecision,
  SMOKE_CONCURRENCY,
  smokeSettingsProblems,
  smokeWorstCaseSeconds,
} from "./handlers/smoke-decision";

/** A `deploymentConfiguration.lifecycleHooks` entry of an ECS service, as the provider takes it. */
export type LifecycleHook = aws.types.input.ecs.ServiceDeploymentConfigurationLifecycleHook;

export interface SmokeTestHookArgs {
  /** Base URL of the test listener, e.g. `http://<alb>:9000`. */
  readonly url: pulumi.Input<string>;
  /** Paths requested on the test listener, each `samples` times, e.g. `["/healthz"]`. */
  readonly paths: readonly string[];
  /**
   * Requests per path; with the paths, enough that a version failing half of them fails 95% of the time.
   * @default the tier's: dev 30, staging 20, production 20
   */
  readonly samples?: number;
  /**
   * The success rate of a healthy version, 0.8-1: the hook fails a version at exactly this rate at most 5% of the time
   * and fails any version whose failures exceed what that allows. @default the tier's: dev 0.8, staging 0.95, production 0.95
   */
  readonly minSuccessRate?: number;
  /** Per request, its same-origin redirects included. @default the tier's: 2000 in every tier */
  readonly timeoutMs?: number;
  /**
   * Statuses that count as success, e.g. "200-299,304"; other redirects are followed on the test listener only.
   * @default the tier's: "200-299" in every tier
   */
  readonly expectedStatuses?: string;
  /** Sent as Host when the service's rules match on host headers. @default none */
  readonly hostHeader?: string;
  /** Headers every request carries, e.g. the one the test listener routes by (`ServiceTargets.testHeaders`). @default {} */
  readonly headers?: pulumi.Input<Readonly<Record<string, string>>>;
  /** Invocations (30 s apart) that may find the new targets not ready before the hook fails. @default 10 */
  readonly maxAttempts?: number;
  /** Subnets the function runs in: ones that reach the test listener. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups the test listener admits. */
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
}

export interface AlarmGateHookArgs {
  /** Alarms that must not be in ALARM when a deployment starts. */
  readonly alarmNames: pulumi.Input<string[]>;
  /**
   * `false`: the gate stays registered at PRE_SCALE_UP but passes every deployment without reading alarms. A service
   * keeps it so its `lifecycleHooks` list is never empty: the AWS provider never sends an empty list
   * (terraform-provider-aws resourceServiceUpdate: `if hooks := config["lifecycle_hook"].(*schema.Set).List(); len(hooks)
   * > 0 { input.DeploymentConfiguration.LifecycleHooks = expandLifecycleHooks(hooks) }`; the fix, PR #47096, is not
   * merged), and "ECS requires an explicit empty lifecycle hook list to clear existing hooks" (#47096), so ECS would
   * keep invoking a deleted function through a deleted role and roll every deployment back. @default true
   */
  readonly enabled?: boolean;
  /**
   * A reason (an incident or ticket) to deploy while the alarms fire, as ECS alone would so that a fix can ship. The
   * gate still reads the alarms and logs the override with them. Remove it once the fix is out. @default none
   */
  readonly override?: string;
}

export interface LifecycleHooksArgs {
  /** The ECS service the hooks guard: it names the functions and tags them. */
  readonly serviceName: string;
  /** Prefix of the function and role names, usually the environment's. */
  readonly namePrefix: string;
  /**
   * The tier whose smoke-test settings and log retention fill what is left out (`TIER_DEFAULTS[tier]`); a service
   * passes its environment's. @default "staging" (the settings LifecycleHooks used before it took a tier)
   */
  readonly tier?: Tier;
  /** The smoke test at POST_TEST_TRAFFIC_SHIFT. @default none */
  readonly smokeTest?: SmokeTestHookArgs;
  /** The alarm gate at PRE_SCALE_UP. @default none */
  readonly alarmGate?: AlarmGateHookArgs;
  /** Days the hooks' logs are kept. @default the tier's: dev 7, staging 30, production 90 */
  readonly logRetentionDays?: number;
  /**
   * The topic told when an overridden gate lets through a deployment ECS does not watch the alarms of (its log line
   * `NO ALARM ROLLBACK`, through a metric filter and an alarm). @default none (the log line only)
   */
  readonly alertTopicArn?: pulumi.Input<string>;
}

/** @internal */
/** Seconds the smoke test may run: every request at its timeout, `SMOKE_CONCURRENCY` at a time, plus start-up. */
export function smokeTestTimeoutSeconds(paths: number, samples: number, timeoutMs: number): number {
  return smokeWorstCaseSeconds(paths, samples, timeoutMs);
}

/** The smoke-test arguments that decide what it judges and how long it runs. */
export type SmokeTestDecisionArgs = Pick<SmokeTestHookArgs, "paths" | "samples" | "minSuccessRate" | "timeoutMs" | "expectedStatuses">;

/** The tier LifecycleHooks fills from when given none: its settings before it took a tier. */
const UNTIERED: Tier = "staging";

/** The smoke test's settings, each the caller's or else the tier's, as the hook receives them. */
export function smokeTestSettings(smoke: SmokeTestDecisionArgs, tier: Tier = UNTIERED) {
  const defaults = TIER_DEFAULTS[tier].smokeTest;
  return {
    paths: smoke.paths,
    samples: smoke.samples ?? defaults.samples,
    minSuccessRate: smoke.minSuccessRate ?? defaults.minSuccessRate,
    timeoutMs: smoke.timeoutMs ?? defaults.timeoutMs,
    expectedStatuses: smoke.expectedStatuses ?? defaults.expectedStatuses,
  };
}

/** Every problem with a smoke test's arguments after the tier's defaults, by field (config maps them to stack-file paths). */
export function smokeTestArgsProblems(smoke: SmokeTestDecisionArgs, tier?: Tier): ArgumentProblem[] {
  return smokeSettingsProblems(smokeTestSettings(smoke, tier)).map((problem) => ({ ...problem, field: [problem.field] }));
}

/** Every problem with the hooks' arguments, each naming its field; the constructor refuses them before registering. */
export function lifecycleHooksArgsProblems(args: LifecycleHooksArgs): ArgumentProblem[] {
  return [
    ...(args.smokeTest ? under(["smokeTest"], smokeTestArgsProblems(args.smokeTest, args.tier)) : []),
    ...(args.alarmGate?.override !== undefined && args.alarmGate.override.trim() === ""
      ? [{ field: ["alarmGate", "override"], message: "must give a reason", got: args.alarmGate.override }]
      : []),
  ];
}

/**
 * What an override means, said wherever it shows: "If an alarm is in the ALARM state at the beginning of a deployment,
 * Amazon ECS will not monitor alarms for the duration of that deployment (Amazon ECS ignores the alarm configuration)"
 * (ECS developer guide, deployment-alarm-failure.html).
 */
export const OVERRIDE_CONSEQUENCE =
  "a deployment that starts with an alarm in ALARM has NO alarm rollback: ECS ignores the alarm configuration for the whole deployment";

function hooksSummary(args: LifecycleHooksArgs): string {
  const parts: string[] = [];
  if (args.smokeTest) {
    const { paths, samples, minSuccessRate } = smokeTestSettings(args.smokeTest, args.tier);
    parts.push(describeSmokeDecision(paths.length * samples, minSuccessRate));
  }
  if (args.alarmGate?.enabled === false) parts.push("alarm gate off (kept at PRE_SCALE_UP, passes every deployment)");
  else if (args.alarmGate) parts.push(args.alarmGate.override ? `alarm gate OVERRIDDEN: ${args.alarmGate.override} (${OVERRIDE_CONSEQUENCE})` : "alarm gate");
  return parts.join("; ");
}

/**
 * Lambda functions ECS invokes during a deployment of one service: a smoke test against the test listener before
 * production traffic moves, and an alarm gate before the new tasks scale up. Each has only the permissions it needs;
 * ECS invokes them through a role that may do nothing else.
 */
export class LifecycleHooks extends pulumi.ComponentResource {
  /** The `deploymentConfiguration.lifecycleHooks` entries for the ECS service. */
  public readonly lifecycleHooks: pulumi.Input<LifecycleHook>[];
  public readonly functionArns: pulumi.Output<string[]>;
  /** What the hooks decide, for reviewers: the smoke test's error rates and whether the alarm gate is overridden. */
  public readonly summary: string;
  /** The role ECS assumes to invoke the hooks. */
  public readonly invokeRoleArn?: pulumi.Output<string>;

  constructor(name: string, args: LifecycleHooksArgs, opts?: pulumi.ComponentResourceOptions) {
    refuseBadArguments("LifecycleHooks", name, lifecycleHooksArgsProblems(args));
    super("release:aws:LifecycleHooks", name, {}, opts);
    this.summary = hooksSummary(args);

    const retention = args.logRetentionDays ?? TIER_DEFAULTS[args.tier ?? UNTIERED].logRetentionDays;
    const functions: { stage: string; fn: aws.lambda.Function; details: pulumi.Output<string> }[] = [];

    const createFunction = (hook: HookName, policy: (logGroupArn: pulumi.Output<string>) => pulumi.Input<string>, extra: Partial<aws.lambda.FunctionArgs>) => {
      const functionName = physicalName([args.namePrefix, args.serviceName], hook, NAME_LIMITS.lambda);
      const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-${hook}`,
        { name: `/aws/lambda/${functionName}`, retentionInDays: retention, tags: { service: args.serviceName } },
        { parent: this },
      );
      const role = new aws.iam.Role(
        `${name}-${hook}`,
        {
          name: physicalName([args.namePrefix, args.serviceName], `${hook}-fn`, NAME_LIMITS.iamRole),
          assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
          tags: { service: args.serviceName },
        },
        { parent: this },
      );
      const rolePolicy = new aws.iam.RolePolicy(`${name}-${hook}`, { role: role.id, policy: policy(logGroup.arn) }, { parent: this });
      const bundle = bundleHook(hook);
      return new aws.lambda.Function(
        `${name}-${hook}`,
        {
          name: functionName,
          description: `${hook} lifecycle hook of ${args.serviceName} (ECS blue/green)`,
          runtime: HOOK_RUNTIME,
          architectures: ["arm64"],
          handler: "index.handler",
          role: role.arn,
          code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) }),
          memorySize: 256,
          loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
          tags: { service: args.serviceName },
          ...extra,
        },
        { parent: this, dependsOn: [logGroup, rolePolicy] },
      );
    };
    const logStatement = (logGroupArn: pulumi.Output<string>) => ({
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: pulumi.interpolate`${logGroupArn}:*`,
    });

    if (args.smokeTest) {
      const smoke = args.smokeTest;
      const { samples, minSuccessRate, timeoutMs, expectedStatuses } = smokeTestSettings(smoke, args.tier);
      const fn = createFunction(
        "smoke-test",
        (logGroupArn) =>
          pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              logStatement(logGroupArn),
              {
                // A function in a VPC needs its network interfaces; these actions take no resource narrower than *.
                Sid: "RunInVpc",
                Effect: "Allow",
                Action: [
                  "ec2:CreateNetworkInterface",
                  "ec2:DescribeNetworkInterfaces",
                  "ec2:DeleteNetworkInterface",
                  "ec2:AssignPrivateIpAddresses",
                  "ec2:UnassignPrivateIpAddresses",
                ],
                Resource: "*",
              },
            ],
          }),
        {
          timeout: smokeTestTimeoutSeconds(smoke.paths.length, samples, timeoutMs),
          memorySize: 128,
          vpcConfig: { subnetIds: smoke.subnetIds, securityGroupIds: smoke.securityGroupIds },
        },
      );
      functions.push({
        stage: "POST_TEST_TRAFFIC_SHIFT",
        fn,
        details: pulumi.jsonStringify({
          url: smoke.url,
          paths: [...smoke.paths],
          samples,
          minSuccessRate,
          timeoutMs,
          expectedStatuses,
          ...(smoke.hostHeader ? { hostHeader: smoke.hostHeader } : {}),
          headers: smoke.headers ?? {},
          maxAttempts: smoke.maxAttempts ?? 10,
          callBackDelaySeconds: 30,
          concurrency: SMOKE_CONCURRENCY,
        }),
      });
    }

    if (args.alarmGate) {
      const gate = args.alarmGate;
      const invoke = { parent: this };
      const partition = aws.getPartitionOutput({}, invoke);
      const region = aws.getRegionOutput({}, invoke);
      const caller = aws.getCallerIdentityOutput({}, invoke);
      const fn = createFunction(
        "alarm-gate",
        (logGroupArn) =>
          pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              logStatement(logGroupArn),
              // "To use this operation and return information about composite alarms, you must be signed on with the cloudwatch:DescribeAlarms permission that is scoped to *" (CloudWatch API reference); read-only.
              { Sid: "ReadServiceAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" },
              // Each alarm's state changes since the deployment began, metric and composite alike; read-only.
              { Sid: "ReadAlarmHistory", Effect: "Allow", Action: "cloudwatch:DescribeAlarmHistory", Resource: "*" },
              // When the deployment the gate runs in began, and whether ECS watches its alarms: this service's deployments only.
              {
                Sid: "ReadOwnDeployments",
                Effect: "Allow",
                Action: "ecs:DescribeServiceDeployments",
                Resource: pulumi.interpolate`arn:${partition.partition}:ecs:${region.region}:${caller.accountId}:service-deployment/*/${args.serviceName}/*`,
              },
            ],
          }),
        { timeout: ALARM_GATE_TIMEOUT_SECONDS },
      );
      if (gate.override && gate.enabled !== false && args.alertTopicArn !== undefined) {
        // The gate logs NO_ALARM_ROLLBACK when it lets through a deployment ECS does not watch: the alert topic hears it.
        // A phrase, not a JSON pattern: with the Text log format each line carries the runtime's prefix, so it is no JSON.
        const metric = { namespace: "ReleasePlatform/AlarmGate", name: `${args.serviceName}-no-alarm-rollback` };
        new aws.cloudwatch.LogMetricFilter(
          `${name}-no-alarm-rollback`,
          {
            name: physicalName([args.namePrefix, args.serviceName], "no-alarm-rollback", 512),
            logGroupName: pulumi.output(fn.loggingConfig).apply((logging) => logging?.logGroup ?? `/aws/lambda/${physicalName([args.namePrefix, args.serviceName], "alarm-gate", NAME_LIMITS.lambda)}`),
            pattern: JSON.stringify(NO_ALARM_ROLLBACK),
            metricTransformation: { namespace: metric.namespace, name: metric.name, value: "1", defaultValue: "0" },
          },
          { parent: this },
        );
        new aws.cloudwatch.MetricAlarm(
          `${name}-no-alarm-rollback`,
          {
            name: physicalName([args.namePrefix, args.serviceName], "no-alarm-rollback", NAME_LIMITS.alarm),
            alarmDescription: `${args.serviceName}: the alarm gate's override (${gate.override}) let a deployment through that ECS does not watch: NO alarm rollback. Watch it by hand.`,
            namespace: metric.namespace,
            metricName: metric.name,
            statistic: "Sum",
            period: 60,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [args.alertTopicArn],
            tags: { service: args.serviceName },
          },
          { parent: this },
        );
      }
      functions.push({
        stage: "PRE_SCALE_UP",
        fn,
        details:
          gate.enabled === false
            ? pulumi.jsonStringify({ enabled: false })
            : pulumi.jsonStringify({ alarmNames: gate.alarmNames, maxAttempts: 5, callBackDelaySeconds: 30, ...(gate.override ? { override: gate.override } : {}) }),
      });
    }

    this.functionArns = pulumi.all(functions.map(({ fn }) => fn.arn));
    if (functions.length === 0) {
      this.lifecycleHooks = [];
      this.registerOutputs({ functionArns: this.functionArns, summary: this.summary });
      return;
    }

    const invokeRole = new aws.iam.Role(
      `${name}-invoke`,
      {
        name: physicalName([args.namePrefix, args.serviceName], "hooks", NAME_LIMITS.iamRole),
        assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
        tags: { service: args.serviceName },
      },
      { parent: this },
    );
    const invokePolicy = new aws.iam.RolePolicy(
      `${name}-invoke`,
      {
        role: invokeRole.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "InvokeHooks", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: this.functionArns }],
        }),
      },
      { parent: this },
    );
    this.invokeRoleArn = invokeRole.arn;
    // The role must be able to invoke before ECS is told to use it.
    const roleArn = pulumi.all([invokeRole.arn, invokePolicy.id]).apply(([arn]) => arn);
    this.lifecycleHooks = functions.map(({ stage, fn, details }) => ({
      targetType: "AWS_LAMBDA",
      hookTargetArn: fn.arn,
      roleArn,
      lifecycleStages: [stage],
      hookDetails: details,
    }));
    this.registerOutputs({ functionArns: this.functionArns, invokeRoleArn: this.invokeRoleArn, summary: this.summary });
  }
}
