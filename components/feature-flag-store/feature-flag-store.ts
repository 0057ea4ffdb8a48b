import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "../iam";
import { type ArgumentProblem, refuseBadArguments } from "../arguments";
import { NAME_LIMITS, physicalName, shortHash } from "../naming";
import { type Tier, TIER_DEFAULTS } from "../tiers";
import { type Flags, toAppConfigDocument } from "./documents";
import {
  flagsFromRecord,
  type FlagRampStep,
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENT_LIMIT,
  parseRampRecord,
  RAMP_RECORD_LEAF,
  rampDefinition,
  rampOutpacing,
  type RampRecord,
  rampSource,
  rampRecordPath,
  rampSteps,
  rampStepsForStore,
  recordOf,
  worstCaseHistoryEvents,
} from "./ramp";

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
/** Step Functions refuses definitions above 1 MB, and a task's input above 256 KiB (each step's document is one). */
const MAX_DEFINITION_BYTES = 1024 * 1024;
const MAX_TASK_INPUT_BYTES = 256 * 1024;

/** An execution name for a ramp: the same steps give the same name, which Step Functions runs once (names are unique for 90 days). */
export function rampExecutionName(steps: readonly FlagRampStep[]): string {
  return `ramp-${createHash("sha256").update(JSON.stringify(steps)).digest("hex").slice(0, 16)}`;
}

/** An AppConfig composite alarm rule over alarm names: `ALARM("a") OR ALARM("b")`. */
export function anyAlarmRule(names: readonly string[]): string {
  return names.map((name) => `ALARM(${JSON.stringify(name)})`).join(" OR ");
}

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

/** @internal */
/** The AppConfig Agent sidecar's PREFETCH_LIST entry; names work as well as ids, so it is known before the store exists. */
export function agentPrefetchPath(applicationName: string, environmentName: string, profileName: string): string {
  return `/applications/${applicationName}/environments/${environmentName}/configurations/${profileName}`;
}

/** @internal */
export const AGENT_PORT = 2772;
export const AGENT_IMAGE = "public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x";

/** The AWS AppConfig Agent container: the app reads flags at http://localhost:2772<prefetch path>. */
export function agentContainer(prefetchPath: string, region: string, image: string = AGENT_IMAGE): Record<string, unknown> {
  return {
    name: "appconfig-agent",
    image,
    // Flags fall back to the app's defaults if the agent stops; the app keeps serving.
    essential: false,
    portMappings: [{ containerPort: AGENT_PORT, protocol: "tcp" }],
    environment: [
      { name: "PREFETCH_LIST", value: prefetchPath },
      { name: "SERVICE_REGION", value: region },
      { name: "POLL_INTERVAL", value: "30" },
    ],
  };
}

/** @internal */
export const FLAG_PROFILE_NAME = "feature-flags";

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

/** Every problem with the store's arguments, each naming its field; the constructor refuses them before registering. */
export function featureFlagStoreArgsProblems(args: FeatureFlagStoreArgs): ArgumentProblem[] {
  const { strategy } = storeSettings(args);
  const monitors = monitoredAlarms(args.monitors ?? []).length;
  const nameProblems = (["applicationName", "environmentName"] as const).flatMap((field) =>
    typeof args[field] !== "string" || (args[field].length >= 1 && args[field].length <= APPCONFIG_NAME_MAX) ? [] : [{ field: [field], message: `must be 1-${APPCONFIG_NAME_MAX} characters (AppConfig's limit)`, got: args[field] }],
  );
  return [
    ...nameProblems,
    ...(strategy.growthFactor >= 1 && strategy.growthFactor <= 100 ? [] : [{ field: ["strategy", "growthFactor"], message: "must be 1-100", got: strategy.growthFactor }]),
    ...(strategy.durationMinutes >= 0 && strategy.durationMinutes <= 1440
      ? []
      : [{ field: ["strategy", "durationMinutes"], message: "must be 0-1440", got: strategy.durationMinutes }]),
    ...(strategy.bakeMinutes >= 0 && strategy.bakeMinutes <= 1440 ? [] : [{ field: ["strategy", "bakeMinutes"], message: "must be 0-1440", got: strategy.bakeMinutes }]),
    ...(monitors > 100 * MAX_APPCONFIG_MONITORS ? [{ field: ["monitors"], message: `must be at most ${100 * MAX_APPCONFIG_MONITORS} alarms`, got: monitors }] : []),
    ...documentProblems(args.document),
    ...rampProblems(args),
  ];
}

/** A document still to be resolved (an Output) is checked by AppConfig itself when the version is created. */
function documentProblems(document: pulumi.Input<string>): ArgumentProblem[] {
  const bytes = typeof document === "string" ? Buffer.byteLength(document) : 0;
  return bytes > MAX_FLAG_DOCUMENT_BYTES
    ? [
        {
          field: ["document"],
          message: `makes an AppConfig flag document of ${bytes} bytes; AppConfig's hosted store takes at most ${MAX_FLAG_DOCUMENT_BYTES} (1 MB): remove flags past their expiry, or split them over more stores`,
          got: `${bytes} bytes`,
        },
      ]
    : [];
}

/**
 * An AppConfig feature-flag store: application, one environment with alarm monitors, a FeatureFlags profile, the
 * current version of the document, a deployment strategy and the deployment that rolls each new version out. AWS
 * rolls a flag deployment back when a monitor fires.
 */
export class FeatureFlagStore extends pulumi.ComponentResource {
  public readonly applicationId: pulumi.Output<string>;
  public readonly environmentId: pulumi.Output<string>;
  public readonly profileId: pulumi.Output<string>;
  /** `arn:…:application/<app>/environment/<env>/configuration/<profile>`: what a reader is granted. */
  public readonly configurationArn: pulumi.Output<string>;
  public readonly versionNumber: pulumi.Output<number>;
  /** A policy document granting StartConfigurationSession and GetLatestConfiguration on exactly this store. */
  public readonly readerPolicy: pulumi.Output<string>;
  public readonly prefetchPath: string;
  /** The ramp's state machine, when the store ramps. */
  public readonly rampStateMachineArn?: pulumi.Output<string>;
  /** The execution name that starts this ramp from the stage reached (the same steps, the same name). */
  public readonly rampName?: pulumi.Output<string>;
  private readonly componentName: string;

  constructor(name: string, args: FeatureFlagStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    refuseBadArguments("FeatureFlagStore", name, featureFlagStoreArgsProblems(args));
    const { strategy, protectHistory } = storeSettings(args);
    super("release:aws:FeatureFlagStore", name, {}, opts);
    this.componentName = name;

    const tags = { ...args.tags };
    const history: pulumi.CustomResourceOptions = { parent: this, protect: protectHistory };
    const application = new aws.appconfig.Application(
      `${name}-app`,
      { name: args.applicationName, description: "Feature flags (release-platform)", tags },
      history,
    );

    const monitored = this.monitoredAlarms(name, args.applicationName, monitoredAlarms(args.monitors ?? []));
    const monitorRole =
      monitored.length > 0
        ? new aws.iam.Role(
            `${name}-monitors`,
            {
              name: physicalName([args.applicationName], "monitors", NAME_LIMITS.iamRole),
              assumeRolePolicy: assumeRolePolicy("appconfig.amazonaws.com"),
              inlinePolicies: [
                {
                  name: "describe-monitored-alarms",
                  policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    // The monitors are composite alarms: "you can't return information about composite alarms if your cloudwatch:DescribeAlarms permission has a narrower scope" than * (CloudWatch API reference).
                    Statement: [{ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" }],
                  }),
                },
              ],
              tags,
            },
            { parent: this },
          )
        : undefined;
    const environment = new aws.appconfig.Environment(
      `${name}-env`,
      {
        applicationId: application.id,
        name: args.environmentName,
        description: `Flags of ${args.environmentName}; deployments roll back when a monitor alarms`,
        monitors: monitorRole ? monitored.map((alarm) => ({ alarmArn: alarm.arn, alarmRoleArn: monitorRole.arn })) : [],
        tags,
      },
      { parent: this },
    );
    const profile = new aws.appconfig.ConfigurationProfile(
      `${name}-profile`,
      {
        applicationId: application.id,
        name: FLAG_PROFILE_NAME,
        type: "AWS.AppConfig.FeatureFlags",
        locationUri: "hosted",
        description: "Feature flags declared in the stack file",
        tags,
      },
      history,
    );
    const consoleOwned = args.ownership === "console";
    const ramp = args.ramp ? readRamp(args.applicationName, args.environmentName, args.ramp.flags, this) : undefined;
    const version = new aws.appconfig.HostedConfigurationVersion(
      `${name}-version`,
      {
        applicationId: application.id,
        configurationProfileId: profile.configurationProfileId,
        contentType: "application/json",
        // With a ramp: each ramping flag at the stage its ramp reached, never back at the stack file's first stage.
        content: ramp ? ramp.document : args.document,
        description: consoleOwned ? "First version; later versions are made in the console" : "Flags from the stack file",
      },
      {
        parent: this,
        // Old versions are the flag history: a new version replaces this resource without deleting the old one.
        retainOnDelete: protectHistory,
        ...(consoleOwned ? { ignoreChanges: ["content"] } : {}),
      },
    );
    const deploymentStrategy = new aws.appconfig.DeploymentStrategy(
      `${name}-strategy`,
      {
        name: physicalName([args.applicationName], "rollout", 64),
        description: `${strategy.growthType} ${strategy.growthFactor}% steps over ${strategy.durationMinutes} min, bake ${strategy.bakeMinutes} min`,
        growthType: strategy.growthType,
        growthFactor: strategy.growthFactor,
        deploymentDurationInMinutes: strategy.durationMinutes,
        finalBakeTimeInMinutes: strategy.bakeMinutes,
        replicateTo: "NONE",
        tags,
      },
      { parent: this },
    );
    new aws.appconfig.Deployment(
      `${name}-deployment`,
      {
        applicationId: application.id,
        environmentId: environment.environmentId,
        configurationProfileId: profile.configurationProfileId,
        // The version number is a string in this resource.
        configurationVersion: version.versionNumber.apply((number) => String(number)),
        deploymentStrategyId: deploymentStrategy.id,
        description: "Flags from the stack file",
        tags,
      },
      { parent: this, ...(consoleOwned ? { ignoreChanges: ["configurationVersion"] } : {}) },
    );

    if (args.ramp && ramp) {
      const machine = createRamp(name, args, ramp, { application, environment, profile, deploymentStrategy, tags }, this);
      this.rampStateMachineArn = machine.arn;
      this.rampName = ramp.steps.apply(rampExecutionName);
    }

    this.applicationId = application.id;
    this.environmentId = environment.environmentId;
    this.profileId = profile.configurationProfileId;
    this.versionNumber = version.versionNumber;
    this.configurationArn = pulumi.interpolate`${application.arn}/environment/${environment.environmentId}/configuration/${profile.configurationProfileId}`;
    this.readerPolicy = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadFeatureFlags",
          Effect: "Allow",
          Action: ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
          Resource: this.configurationArn,
        },
      ],
    });
    this.prefetchPath = agentPrefetchPath(args.applicationName, args.environmentName, FLAG_PROFILE_NAME);
    for (const reader of args.readers ?? []) {
      const role = "roleName" in reader ? reader : reader.flagReader;
      if (role) this.grantRead(role.name, role.roleName);
    }
    this.registerOutputs({
      // The provider keeps a version's content secret; the document is repeated here so previews show flag changes.
      document: ramp ? ramp.document : args.document,
      applicationId: this.applicationId,
      environmentId: this.environmentId,
      profileId: this.profileId,
      configurationArn: this.configurationArn,
      versionNumber: this.versionNumber,
      rampStateMachineArn: this.rampStateMachineArn,
      rampName: this.rampName,
      // What the ramp deploys, for previews and the synth tree: `+30m new-checkout 5%`.
      rampSteps: ramp?.steps.apply((steps) => steps.map((step) => `+${step.holdMinutes}m ${step.description}`)),
      readerPolicy: this.readerPolicy,
    });
  }

  /** Lets a task role read this store's flags (and nothing else in AppConfig). */
  public grantRead(name: string, roleName: pulumi.Input<string>): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(`${this.componentName}-read-${name}`, { role: roleName, policy: this.readerPolicy }, { parent: this });
  }

  /** At most 5 monitors: more alarms are folded into composites of up to 100 each. */
  private monitoredAlarms(name: string, prefix: string, alarms: readonly MonitoredAlarm[]): MonitoredAlarm[] {
    if (alarms.length <= MAX_APPCONFIG_MONITORS) return [...alarms];
    const groups: MonitoredAlarm[][] = [];
    for (let start = 0; start < alarms.length; start += 100) groups.push(alarms.slice(start, start + 100));
    return groups.map((group, index) => {
      const composite = new aws.cloudwatch.CompositeAlarm(
        `${name}-monitor-${index}`,
        {
          alarmName: physicalName([prefix], `flag-monitor-${index}`, NAME_LIMITS.alarm),
          alarmDescription: "Any service alarm: rolls a flag deployment back",
          alarmRule: pulumi.all(group.map((alarm) => pulumi.output(alarm.name))).apply(anyAlarmRule),
          actionsEnabled: false,
        },
        { parent: this },
      );
      return { name: composite.alarmName, arn: composite.arn };
    });
  }
}

function rampProblems(args: FeatureFlagStoreArgs): ArgumentProblem[] {
  if (!args.ramp) return [];
  const { strategy } = storeSettings(args);
  // The stack file's timeline is the longest one: a ramp that has reached a stage deploys only the steps after it.
  const steps = rampStepsForStore(args.ramp.flags);
  const ids = { applicationId: "a", environmentId: "e", profileId: "p", strategyId: "s", alertTopicArn: "t", label: args.applicationName, recordName: "r" };
  const size = Buffer.byteLength(JSON.stringify(rampDefinition(ids, steps)));
  const deploymentMinutes = strategy.durationMinutes + strategy.bakeMinutes;
  const events = worstCaseHistoryEvents(steps.length, deploymentMinutes);
  const ramping = Object.keys(rampSteps(args.ramp.flags)[0]?.percents ?? {});
  return [
    ...(args.ownership === "console" ? [{ field: ["ramp"], message: "is not for a console-owned store (people make its versions)", got: undefined }] : []),
    ...(typeof args.document === "string" && args.document !== JSON.stringify(toAppConfigDocument(args.ramp.flags))
      ? [{ field: ["ramp", "flags"], message: "must be the flags the document was made from", got: undefined }]
      : []),
    ...steps.flatMap((step, index) =>
      Buffer.byteLength(step.document) < MAX_TASK_INPUT_BYTES - 1024
        ? []
        : [{ field: ["ramp", "steps", index, "document"], message: "is too large for a Step Functions task input (256 KiB)", got: undefined }],
    ),
    ...(size > MAX_DEFINITION_BYTES
      ? [{ field: ["ramp", "steps"], message: `make a state machine of ${size} bytes, above Step Functions' 1 MB; ramp fewer flags or stages at once`, got: undefined }]
      : []),
    ...(events > HISTORY_EVENT_BUDGET
      ? [
          {
            field: ["ramp"],
            message:
              `the ramp of ${ramping.join(", ")} takes ${steps.length} steps of ~${deploymentMinutes} min deployments: up to ${events} history events in one execution, ` +
              `above the budget of ${HISTORY_EVENT_BUDGET} (Step Functions ends a standard execution at ${HISTORY_EVENT_LIMIT}); ramp fewer flags at once, or with fewer stages`,
            got: `${steps.length} steps`,
          },
        ]
      : []),
  ];
}

/** What a ramp deploys once it has read the record. */
interface RampPlan {
  /** The flags at the stages reached: the state machine ramps on from here. */
  readonly reached: Flags;
  /** The flags as `pulumi up` deploys them. */
  readonly deploy: Flags;
  /** The record `pulumi up` writes. */
  readonly record: RampRecord;
  /** Record entries of flags that do not ramp from here (off, or at their last stage), carried through the ramp's records. */
  readonly carried: Readonly<Record<string, number>>;
}

interface RampReading {
  /** The record parameter's name. */
  readonly recordName: string;
  readonly plan: pulumi.Output<RampPlan>;
  readonly document: pulumi.Output<string>;
  readonly steps: pulumi.Output<FlagRampStep[]>;
}

/**
 * What `pulumi up` deploys, from the stack file's flags and the record. Changed flags: every ramping flag at the stage
 * it reached. Unchanged flags (the record's `deployed.source`): the document it deployed last, again, so a deploy that
 * changed no flag creates no version and does not supersede a running ramp. Either way the ramp goes on from the stages
 * reached. Throws when from there a dependent flag would outpace its dependency.
 */
export function rampPlan(flags: Flags, record: RampRecord | undefined): RampPlan {
  const reached = flagsFromRecord(flags, record?.reached);
  const outpacing = rampOutpacing(reached);
  if (outpacing) {
    const { key, percent, dependency, dependencyPercent, atMinutes } = outpacing;
    throw new Error(
      `from the stages reached, ${key} would be at ${percent}% while ${dependency}, which it depends on, is at ${dependencyPercent}% (+${atMinutes}m); hold ${key}'s ramp until ${dependency} is ahead`,
    );
  }
  const source = rampSource(flags);
  const unchanged = record !== undefined && record.deployed.source === source;
  const deploy = unchanged ? flagsFromRecord(flags, record.deployed.percents) : reached;
  const firstPercents = (at: Flags) => rampSteps(at)[0]?.percents ?? {};
  const reachedRecord = recordOf(flags, record?.reached, firstPercents(reached));
  const deployed = unchanged ? record.deployed : { source, percents: recordOf(flags, record?.reached, firstPercents(deploy)) };
  const ramping = firstPercents(reached);
  const carried = Object.fromEntries(Object.entries(reachedRecord).filter(([key]) => ramping[key] === undefined));
  return { reached, deploy, record: { reached: reachedRecord, deployed }, carried };
}

/**
 * Reads the record at preview and up. `getParametersByPath` answers no parameters (not an error) until the first
 * `pulumi up` has created it, so the first deploy serves the stack file's first stages.
 */
function readRamp(applicationName: string, environmentName: string, flags: Flags, parent: pulumi.Resource): RampReading {
  const path = rampRecordPath(applicationName, environmentName);
  const recordName = `${path}${RAMP_RECORD_LEAF}`;
  // The data source marks every value sensitive; a record of percentages is not.
  const found = pulumi.unsecret(aws.ssm.getParametersByPathOutput({ path, recursive: false, withDecryption: false }, { parent }));
  const plan = found.apply((result) => {
    const index = (result.names ?? []).indexOf(recordName);
    const record = parseRampRecord(index >= 0 ? result.values?.[index] : undefined, recordName);
    try {
      return rampPlan(flags, record);
    } catch (error) {
      throw new Error(`flag ramp of ${applicationName}/${environmentName} (${recordName}): ${(error as Error).message}`);
    }
  });
  return {
    recordName,
    plan,
    document: plan.apply((at) => JSON.stringify(toAppConfigDocument(at.deploy))),
    steps: plan.apply((at) => rampStepsForStore(at.reached)),
  };
}

interface StoreParts {
  readonly application: aws.appconfig.Application;
  readonly environment: aws.appconfig.Environment;
  readonly profile: aws.appconfig.ConfigurationProfile;
  readonly deploymentStrategy: aws.appconfig.DeploymentStrategy;
  readonly tags: Record<string, string>;
}

/**
 * The ramp's state machine, its role, its record and the EventBridge rule that reports its unsuccessful endings. The
 * role may read and deploy this environment's flag profile with this store's strategy, write the record and publish to
 * the alert topic, nothing else. Running executions keep the definition they started with, so a `pulumi up` that
 * updates it never changes a ramp in flight.
 */
function createRamp(name: string, args: FeatureFlagStoreArgs, reading: RampReading, parts: StoreParts, parent: pulumi.Resource): aws.sfn.StateMachine {
  const ramp = args.ramp as NonNullable<FeatureFlagStoreArgs["ramp"]>;
  const { application, environment, profile, deploymentStrategy, tags } = parts;
  const label = `${args.applicationName}/${args.environmentName}`;
  // Pulumi writes the record with what it deploys (so a flag that stops ramping is forgotten); the ramp overwrites it after each step.
  const record = new aws.ssm.Parameter(
    `${name}-ramp-reached`,
    {
      name: reading.recordName,
      type: "String",
      description: `Stages the flag ramp of ${label} reached; pulumi up deploys these, not the first stages`,
      // Not a secret: insecureValue keeps previews and the synth showing it.
      insecureValue: reading.plan.apply((plan) => JSON.stringify(plan.record)),
      tags,
    },
    { parent },
  );
  const role = new aws.iam.Role(
    `${name}-ramp`,
    {
      name: physicalName([args.applicationName], "ramp", NAME_LIMITS.iamRole),
      assumeRolePolicy: assumeRolePolicy("states.amazonaws.com"),
      inlinePolicies: [
        {
          name: "deploy-flag-ramp",
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              // AppConfig authorizes each call on the application as well as on the environment, profile or strategy it names.
              { Sid: "ReadDeployments", Effect: "Allow", Action: "appconfig:ListDeployments", Resource: [application.arn, environment.arn] },
              {
                Sid: "WatchDeployments",
                Effect: "Allow",
                Action: "appconfig:GetDeployment",
                Resource: [application.arn, environment.arn, pulumi.interpolate`${environment.arn}/deployment/*`],
              },
              { Sid: "CreateVersions", Effect: "Allow", Action: "appconfig:CreateHostedConfigurationVersion", Resource: [application.arn, profile.arn] },
              {
                Sid: "Deploy",
                Effect: "Allow",
                Action: "appconfig:StartDeployment",
                Resource: [application.arn, environment.arn, profile.arn, deploymentStrategy.arn],
              },
              { Sid: "RecordStage", Effect: "Allow", Action: "ssm:PutParameter", Resource: record.arn },
              { Sid: "Notify", Effect: "Allow", Action: "sns:Publish", Resource: ramp.alertTopicArn },
              // The alert topic is encrypted with a customer key whose policy defers to IAM: publishing needs the key, through SNS only.
              {
                Sid: "EncryptNotifications",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
                Condition: { StringLike: { "kms:ViaService": "sns.*.amazonaws.com" } },
              },
            ],
          }),
        },
      ],
      tags,
    },
    { parent },
  );
  const machine = new aws.sfn.StateMachine(
    `${name}-ramp`,
    {
      name: physicalName([args.applicationName], "flag-ramp", 80),
      roleArn: role.arn,
      type: "STANDARD",
      definition: pulumi
        .all([application.id, environment.environmentId, profile.configurationProfileId, deploymentStrategy.id, pulumi.output(ramp.alertTopicArn), reading.steps, reading.plan])
        .apply(([applicationId, environmentId, profileId, strategyId, alertTopicArn, steps, plan]) =>
          JSON.stringify(
            rampDefinition(
              { applicationId, environmentId, profileId, strategyId, alertTopicArn, label, recordName: reading.recordName, carried: plan.carried, deployed: plan.record.deployed },
              steps,
            ),
          ),
        ),
      tags,
    },
    { parent },
  );
  reportRampEndings(name, args.applicationName, label, machine, ramp.alertTopicArn, parent);
  return machine;
}

/** Step Functions' execution status events of one state machine that did not succeed. */
export function rampEndingEventPattern(stateMachineArn: string): Record<string, unknown> {
  return {
    source: ["aws.states"],
    "detail-type": ["Step Functions Execution Status Change"],
    detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [stateMachineArn] },
  };
}

/**
 * Every ramp execution that ends FAILED (a rollback, a superseded ramp, an error the Catch took), TIMED_OUT or ABORTED
 * (someone paused or aborted it) reaches the alert topic through EventBridge, whose SNS deliveries are retried (24 hours
 * by default), also when the state machine's own notice could not be published. The topic and key policies already let
 * this account's EventBridge rules publish (`alertTopicPolicy`, `alertKeyPolicy`). Step Functions sends these events
 * "best effort", so the state machine still publishes its own notices.
 */
function reportRampEndings(
  name: string,
  prefix: string,
  label: string,
  machine: aws.sfn.StateMachine,
  alertTopicArn: pulumi.Input<string>,
  parent: pulumi.Resource,
): void {
  const rule = new aws.cloudwatch.EventRule(
    `${name}-ramp-endings`,
    {
      name: physicalName([prefix], "ramp-endings", 64),
      description: `Flag ramp executions of ${label} that failed, timed out or were aborted`,
      eventPattern: machine.arn.apply((arn) => JSON.stringify(rampEndingEventPattern(arn))),
    },
    { parent },
  );
  new aws.cloudwatch.EventTarget(
    `${name}-ramp-endings`,
    {
      rule: rule.name,
      arn: alertTopicArn,
      inputTransformer: {
        inputPaths: { status: "$.detail.status", execution: "$.detail.name", arn: "$.detail.executionArn" },
        inputTemplate: JSON.stringify(
          `Flag ramp of ${label}: execution <execution> ended <status>. Its error and the step it stopped at: aws stepfunctions describe-execution --execution-arn <arn>. ` +
            "Resume an aborted or failed one with aws stepfunctions redrive-execution --execution-arn <arn>, or run pulumi up and start the ramp again (it continues from the stage reached).",
        ),
      },
    },
    { parent },
  );
}
