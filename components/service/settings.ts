import type * as pulumi from "@pulumi/pulumi";
import type { DeploymentAlarmsArgs } from "../deployment-alarms/deployment-alarms";
import type { Thresholds } from "../deployment-alarms/kinds";
import type { LifecycleHook, LifecycleHooksArgs, SmokeTestHookArgs } from "../lifecycle-hooks/lifecycle-hooks";
import type { Tier, TierDefaults } from "../tiers";
import type { Autoscaling, HealthCheck } from "./args";

/** The alarms a service creates over its target groups; ECS rolls a deployment back while any is in ALARM. */
export interface ServiceAlarmsArgs extends Partial<Thresholds>, Pick<DeploymentAlarmsArgs, "custom" | "timing"> {
  /** Alarms made elsewhere that ECS also rolls the service back on. @default [] */
  readonly extraAlarmNames?: readonly pulumi.Input<string>[];
}

/** The smoke test's settings; the service supplies where it runs (its test URL, headers, subnets). */
export type ServiceSmokeTest = Partial<Pick<SmokeTestHookArgs, "paths" | "samples" | "minSuccessRate" | "timeoutMs" | "expectedStatuses" | "maxAttempts">>;

/** Lambda hooks ECS calls during a deployment of the service. */
export interface ServiceHooksArgs {
  /**
   * Requests against the new version on the test listener before production traffic moves (not for `rolling`, which
   * has no test listener rule). Paths default to the health check's. @default the tier's (a BlueGreenService)
   */
  readonly smokeTest?: ServiceSmokeTest | false;
  /** Refuses to scale up a new version while the service's alarms fire; `override` gives a reason to deploy anyway. @default the tier's (a BlueGreenService) */
  readonly alarmGate?: { readonly override?: string } | false;
  /** Hooks made elsewhere (`deploymentConfiguration.lifecycleHooks` entries), after the service's own. @default [] */
  readonly extraLifecycleHooks?: readonly pulumi.Input<LifecycleHook>[];
}

/** What a service of either runtime may leave to its tier. */
interface TierDefaultedArgs {
  readonly cpu?: number;
  readonly memory?: number;
  readonly desiredCount?: number;
  readonly autoscaling?: Partial<Autoscaling>;
  readonly healthCheck?: HealthCheck;
  readonly deregistrationDelaySeconds?: number;
  readonly hooks?: ServiceHooksArgs;
}

/** The hooks once the tier has said which run: each a setting or `false`. */
export interface ResolvedServiceHooks extends ServiceHooksArgs {
  readonly smokeTest: ServiceSmokeTest | false;
  readonly alarmGate: { readonly override?: string } | false;
}

/** A service's size, count, autoscaling, health check, draining and hooks, once its tier has filled them. */
export interface ServiceTierSettings {
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly autoscaling: Autoscaling;
  readonly healthCheck: Required<HealthCheck>;
  readonly deregistrationDelaySeconds: number;
  readonly hooks: ResolvedServiceHooks;
}

/** CPU utilization a fixed-size tier's service scales to hold when its caller gives it room but no target. */
const FIXED_TIER_CPU_TARGET_PERCENT = 60;

/**
 * The tier's size, count, autoscaling, health check, draining and which hooks run, for what a service (ECS or
 * Kubernetes) left out; the smoke test only where the service has a test listener to run it against. The smoke test's
 * own settings are the hooks' to fill (`smokeTestSettings`), from the tier the service passes them. Autoscaling left
 * out runs from desiredCount to the tier's multiple of it (none: fixed at desiredCount).
 */
export function serviceTierDefaults(tier: TierDefaults, args: TierDefaultedArgs, smokeTestApplies: boolean): ServiceTierSettings {
  const desiredCount = args.desiredCount ?? tier.desiredCount;
  const scaling = tier.autoscaling;
  const min = args.autoscaling?.min ?? desiredCount;
  const health = args.healthCheck;
  const smoke = args.hooks?.smokeTest ?? (tier.smokeTest.enabled && smokeTestApplies ? {} : false);
  return {
    cpu: args.cpu ?? tier.cpu,
    memory: args.memory ?? tier.memory,
    desiredCount,
    autoscaling: {
      min,
      max: args.autoscaling?.max ?? Math.max(min, desiredCount * (scaling?.maxFactor ?? 1)),
      cpuTargetPercent: args.autoscaling?.cpuTargetPercent ?? scaling?.cpuTargetPercent ?? FIXED_TIER_CPU_TARGET_PERCENT,
    },
    healthCheck: {
      path: health?.path ?? tier.healthCheck.path,
      matcher: health?.matcher ?? tier.healthCheck.matcher,
      intervalSeconds: health?.intervalSeconds ?? tier.healthCheck.intervalSeconds,
      timeoutSeconds: health?.timeoutSeconds ?? tier.healthCheck.timeoutSeconds,
      healthyThreshold: health?.healthyThreshold ?? tier.healthCheck.healthyThreshold,
      unhealthyThreshold: health?.unhealthyThreshold ?? tier.healthCheck.unhealthyThreshold,
    },
    deregistrationDelaySeconds: args.deregistrationDelaySeconds ?? tier.deregistrationDelaySeconds,
    hooks: { ...args.hooks, smokeTest: smoke, alarmGate: args.hooks?.alarmGate ?? (tier.alarmGate ? {} : false) },
  };
}

/** What the guards need of a service; Outputs once it exists, placeholders when only its arguments are checked. */
export interface GuardedTargets {
  readonly serviceName: string;
  /** The environment's tier: the alarms and hooks fill what the service left out from it. */
  readonly tier: Tier;
  readonly namePrefix: string;
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  readonly targetGroupArnSuffixes: readonly pulumi.Input<string>[];
  readonly alertTopicArn: pulumi.Input<string>;
  readonly testUrl: pulumi.Input<string>;
  readonly hostHeaders: readonly string[];
  readonly testHeaders: Readonly<Record<string, string>>;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly healthCheckPath: string;
  readonly logRetentionDays?: number;
  /** The new version's first share of production traffic and the tasks running, for the detection estimate. */
  readonly detectionTraffic: { readonly newVersionPercent: number; readonly tasks: number };
}

/** The DeploymentAlarms arguments of a service, or none. */
export function serviceAlarmsArgs(alarms: ServiceAlarmsArgs | false | undefined, targets: GuardedTargets): DeploymentAlarmsArgs | undefined {
  if (!alarms) return undefined;
  const { extraAlarmNames: _madeElsewhere, ...ownAlarms } = alarms;
  return {
    serviceName: targets.serviceName,
    namePrefix: targets.namePrefix,
    tier: targets.tier,
    loadBalancerArnSuffix: targets.loadBalancerArnSuffix,
    targetGroupArnSuffixes: targets.targetGroupArnSuffixes,
    alertTopicArn: targets.alertTopicArn,
    ...ownAlarms,
    detectionTraffic: targets.detectionTraffic,
  };
}

/**
 * The LifecycleHooks arguments of a service, or none when it asks for no hook. The alarm gate reads the service's alarms.
 * With `keepGate` (every traffic-shifting service) the gate is there even when turned off, passing every deployment:
 * the provider never sends an empty `lifecycleHooks` list, so a service whose last hook went away would keep calling it
 * (see `LifecycleHooks`).
 */
export function serviceHooksArgs(
  hooks: ServiceHooksArgs | undefined,
  targets: GuardedTargets,
  alarmNames: pulumi.Input<pulumi.Input<string>[]>,
  keepGate = false,
): LifecycleHooksArgs | undefined {
  const smoke = hooks?.smokeTest || undefined;
  const gate = hooks?.alarmGate || undefined;
  if (!smoke && !gate && !keepGate) return undefined;
  return {
    serviceName: targets.serviceName,
    namePrefix: targets.namePrefix,
    tier: targets.tier,
    logRetentionDays: targets.logRetentionDays,
    alertTopicArn: targets.alertTopicArn,
    smokeTest: smoke
      ? {
          url: targets.testUrl,
          paths: smoke.paths ?? [targets.healthCheckPath],
          samples: smoke.samples,
          minSuccessRate: smoke.minSuccessRate,
          timeoutMs: smoke.timeoutMs,
          expectedStatuses: smoke.expectedStatuses,
          maxAttempts: smoke.maxAttempts,
          // A wildcard host cannot be sent as Host: the first exact one reaches the service's rule.
          hostHeader: targets.hostHeaders.find((host) => !/[*?]/.test(host)),
          headers: targets.testHeaders,
          subnetIds: targets.subnetIds,
          securityGroupIds: targets.securityGroupIds,
        }
      : undefined,
    alarmGate: gate
      ? { alarmNames: alarmNames as pulumi.Input<string[]>, override: gate.override }
      : keepGate
        ? { alarmNames: [], enabled: false }
        : undefined,
  };
}
