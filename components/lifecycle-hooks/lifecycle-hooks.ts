import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import { type Tier, TIER_DEFAULTS } from "../tiers";
import { describeSmokeDecision, smokeSettingsProblems, smokeWorstCaseSeconds } from "./handlers/smoke-decision";
import { createAlarmGateHook, createInvokeRole, createSmokeTestHook, type HookContext, type HookFunction } from "./hook-functions";

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

    const context: HookContext = {
      name,
      namePrefix: args.namePrefix,
      serviceName: args.serviceName,
      logRetentionDays: args.logRetentionDays ?? TIER_DEFAULTS[args.tier ?? UNTIERED].logRetentionDays,
      parent: this,
    };
    const functions: HookFunction[] = [
      ...(args.smokeTest ? [createSmokeTestHook(context, { ...args.smokeTest, ...smokeTestSettings(args.smokeTest, args.tier) })] : []),
      ...(args.alarmGate ? [createAlarmGateHook(context, { ...args.alarmGate, alertTopicArn: args.alertTopicArn })] : []),
    ];

    this.functionArns = pulumi.all(functions.map(({ fn }) => fn.arn));
    if (functions.length === 0) {
      this.lifecycleHooks = [];
      this.registerOutputs({ functionArns: this.functionArns, summary: this.summary });
      return;
    }

    const invokeRole = createInvokeRole(context, this.functionArns);
    this.invokeRoleArn = invokeRole.role.arn;
    this.lifecycleHooks = functions.map(({ stage, fn, details }) => ({
      targetType: "AWS_LAMBDA",
      hookTargetArn: fn.arn,
      roleArn: invokeRole.readyArn,
      lifecycleStages: [stage],
      hookDetails: details,
    }));
    this.registerOutputs({ functionArns: this.functionArns, invokeRoleArn: this.invokeRoleArn, summary: this.summary });
  }
}
