/** The FeatureFlagStore's arguments, AppConfig's limits on them, and the tier's defaults for what they leave out. */
import type * as pulumi from "@pulumi/pulumi";
import { shortHash } from "../../../naming";
import { type Tier, TIER_DEFAULTS } from "../../../tiers";
import type { Flags } from "../../flags/model";

export interface FlagDeploymentStrategy {
  /** @default the tier's: "LINEAR" in every tier */
  readonly growthType?: "LINEAR" | "EXPONENTIAL";
  /** Percent of targets per step, 1-100. @default the tier's: dev 100 (all at once), staging 50, production 20 */
  readonly growthFactor?: number;
  /** Minutes over which the rollout grows to 100%, 0-1440. @default the tier's: dev 0, staging 4, production 20 */
  readonly durationMinutes?: number;
  /** Minutes AppConfig watches the monitors after reaching 100%, 0-1440. @default the tier's: dev 0, staging 5, production 10 */
  readonly bakeMinutes?: number;
}

export interface MonitoredAlarm {
  readonly name: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}

/** A `DeploymentAlarms`, or a service with alarms (`BlueGreenService`, `KubernetesService`): the composite alarm. */
export interface AlarmedService {
  readonly compositeAlarmName?: pulumi.Input<string>;
  readonly compositeAlarmArn?: pulumi.Input<string>;
}

/** A role that reads the flags; `name` names the policy that grants it. */
export interface FlagReader {
  readonly name: string;
  readonly roleName: pulumi.Input<string>;
}

/** A service whose task or pod role reads the flags, when it has one. */
export interface FlagReadingService {
  readonly flagReader?: FlagReader;
}

/** The alarms a store watches, from alarms, `DeploymentAlarms` and services alike, in order; a service without alarms adds none. */
export function monitoredAlarms(monitors: readonly (MonitoredAlarm | AlarmedService)[]): MonitoredAlarm[] {
  return monitors.flatMap((monitor): MonitoredAlarm[] => {
    if ("arn" in monitor) return [monitor];
    return monitor.compositeAlarmArn !== undefined && monitor.compositeAlarmName !== undefined ? [{ name: monitor.compositeAlarmName, arn: monitor.compositeAlarmArn }] : [];
  });
}

export interface FeatureFlagStoreArgs {
  /** AppConfig application name. */
  readonly applicationName: string;
  /** AppConfig environment name (one per stack). */
  readonly environmentName: string;
  /** The `AWS.AppConfig.FeatureFlags` document, as JSON. */
  readonly document: pulumi.Input<string>;
  /**
   * The tier whose rollout strategy and history protection fill what is left out (`TIER_DEFAULTS[tier].flagStore`,
   * `.protectStateful`). @default "dev" (all at once, unprotected: what the store did before it took a tier)
   */
  readonly tier?: Tier;
  /** How AppConfig rolls each new version out; each field left out is the tier's. @default the tier's (`TIER_DEFAULTS[tier].flagStore`) */
  readonly strategy?: FlagDeploymentStrategy;
  /**
   * Alarms that roll a flag deployment back when they fire (the services' composite alarms). AppConfig takes at most 5
   * monitors; with more, the store watches a composite of them. @default []
   */
  readonly monitors?: readonly (MonitoredAlarm | AlarmedService)[];
  /** Roles, or services' task and pod roles, that may read the flags (as `grantRead` grants). @default [] */
  readonly readers?: readonly (FlagReader | FlagReadingService)[];
  /**
   * `protect` the application and profile, and keep old versions when a new one replaces them.
   * @default the tier's: production true, dev and staging false
   */
  readonly protectHistory?: boolean;
  /** `console`: Pulumi creates the first version only; later versions are made by people in the console. @default "pulumi" */
  readonly ownership?: "pulumi" | "console";
  /** Tags on the store's AppConfig resources and roles, besides the provider's default tags. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * A guarded ramp of `flags` (those `document` was made from; `rampStepsForStore(flags)`): a Step Functions state
   * machine that deploys each step's document in turn with this store's strategy and monitors, records each completed
   * step in an SSM parameter (`rampRecordPath`), and notifies `alertTopicArn` when a step is rolled back or superseded,
   * when it ends, and (EventBridge) whenever an execution ends FAILED, TIMED_OUT or ABORTED. `pulumi up` creates or
   * updates it and never starts it: a person or CD starts it (`aws stepfunctions start-execution --name <rampName>`).
   * Ramps keep their place: `pulumi up` reads the record and deploys each ramping flag at the stage it reached (not
   * `document`'s first stage), and the state machine ramps on from there. While a ramp runs, a `pulumi up` that changes
   * the deployed document supersedes it: the ramp finds a version not its own at its next step, stops and notifies;
   * starting the new ramp continues from the reached stages. @default no ramp
   */
  readonly ramp?: { readonly flags: Flags; readonly alertTopicArn: pulumi.Input<string> };
}

export const MAX_APPCONFIG_MONITORS = 5;
/** "Configurations must be 1 MB or smaller" (AppConfig hosted configuration store). */
export const MAX_FLAG_DOCUMENT_BYTES = 1024 * 1024;

/**
 * AppConfig's name limit for applications and environments: "Name ... Length Constraints: Minimum length of 1. Maximum
 * length of 64" (CreateApplication, CreateEnvironment API references; the provider: "Must be between 1 and 64 characters").
 */
export const APPCONFIG_NAME_MAX = 64;

/** @internal */
/** `name` unchanged when AppConfig takes it, else cut with a digest of the whole, so two long names never collide. */
export function appConfigName(name: string): string {
  return name.length <= APPCONFIG_NAME_MAX ? name : `${name.slice(0, APPCONFIG_NAME_MAX - 7).replace(/-+$/, "")}-${shortHash(name)}`;
}

/** @internal The store's rollout strategy and history protection, each the caller's or else the tier's. */
export function storeSettings(args: Pick<FeatureFlagStoreArgs, "tier" | "strategy" | "protectHistory">) {
  const tier = TIER_DEFAULTS[args.tier ?? "dev"];
  const strategy = args.strategy ?? {};
  return {
    strategy: {
      growthType: strategy.growthType ?? tier.flagStore.growthType,
      growthFactor: strategy.growthFactor ?? tier.flagStore.growthFactor,
      durationMinutes: strategy.durationMinutes ?? tier.flagStore.durationMinutes,
      bakeMinutes: strategy.bakeMinutes ?? tier.flagStore.bakeMinutes,
    },
    protectHistory: args.protectHistory ?? tier.protectStateful,
  };
}
