import { createHash } from "node:crypto";
import { type FlagDefinition, type Flags, rolloutPercent, toAppConfigDocument } from "./documents";

/** Minutes in a hold such as `30m` or `2h`. */
export function holdMinutes(hold: string): number {
  const match = /^(\d+)([mh])$/.exec(hold);
  if (!match) throw new Error(`not a duration: ${hold}`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
}

/** Each stage's start in minutes after the ramp starts (the first at 0); undefined when the flag does not ramp. */
export function stageStarts(flag: FlagDefinition): number[] | undefined {
  const stages = flag.rollout?.stages;
  const every = flag.rollout?.every;
  if (!stages || every === undefined) return undefined;
  const holds = typeof every === "string" ? stages.slice(1).map(() => every) : every;
  let at = 0;
  return stages.map((_, index) => (index === 0 ? 0 : (at += holdMinutes(holds[index - 1] ?? holds[holds.length - 1]))));
}

export interface RampStep {
  /** Minutes after the ramp starts, not counting the time each deployment takes. */
  readonly atMinutes: number;
  /** Every ramping flag's percentage from this step on. */
  readonly percents: Readonly<Record<string, number>>;
  /** The flags whose percentage this step changes. */
  readonly changed: readonly string[];
}

/**
 * One timeline for every ramping flag of a store, because all flags live in one AppConfig document and an environment
 * takes one deployment at a time. Step 0 is the stack file's document (each ramp at its first stage); the ramp deploys
 * the later steps. Empty when no flag ramps.
 */
export function rampSteps(flags: Flags): RampStep[] {
  const ramps = Object.keys(flags)
    .sort()
    .flatMap((key) => {
      const starts = stageStarts(flags[key]);
      return starts && flags[key].enabled ? [{ key, starts, stages: flags[key].rollout?.stages ?? [] }] : [];
    });
  if (ramps.length === 0) return [];
  const times = [...new Set(ramps.flatMap((ramp) => ramp.starts))].sort((a, b) => a - b);
  return times.map((atMinutes) => {
    const percents: Record<string, number> = {};
    const changed: string[] = [];
    for (const ramp of ramps) {
      const index = ramp.starts.filter((start) => start <= atMinutes).length - 1;
      percents[ramp.key] = ramp.stages[index];
      if (atMinutes > 0 && ramp.starts[index] === atMinutes) changed.push(ramp.key);
    }
    return { atMinutes, percents, changed: atMinutes === 0 ? Object.keys(percents) : changed };
  });
}

/** A dependent flag served above a flag it depends on at some step of the ramp (its users then are all of the dependency's). */
export interface RampOutpacing {
  readonly key: string;
  readonly percent: number;
  readonly dependency: string;
  readonly dependencyPercent: number;
  readonly atMinutes: number;
}

/** The first step at which a dependent flag outpaces a dependency (every step, not only the final percentages); else undefined. */
export function rampOutpacing(flags: Flags): RampOutpacing | undefined {
  for (const step of rampSteps(flags)) {
    for (const key of Object.keys(step.percents)) {
      for (const dependency of flags[key].dependsOn ?? []) {
        const dependencyFlag = flags[dependency];
        if (!dependencyFlag || dependencyFlag.variants) continue;
        const dependencyPercent = step.percents[dependency] ?? rolloutPercent(dependencyFlag);
        if (step.percents[key] > dependencyPercent) return { key, percent: step.percents[key], dependency, dependencyPercent, atMinutes: step.atMinutes };
      }
    }
  }
  return undefined;
}

/** The flags as they stand at one step: each ramping flag a plain rollout at the step's percentage. */
export function flagsAtStep(flags: Flags, step: RampStep): Flags {
  return Object.fromEntries(
    Object.entries(flags).map(([key, flag]) => {
      const percent = step.percents[key];
      if (percent === undefined || !flag.rollout) return [key, flag];
      return [key, { ...flag, rollout: { percent, ...(flag.rollout.by ? { by: flag.rollout.by } : {}) } }];
    }),
  );
}

/** The AppConfig document of each step after the first, in order: what the ramp deploys. */
export function rampDocuments(flags: Flags): { step: RampStep; document: string }[] {
  return rampSteps(flags)
    .slice(1)
    .map((step) => ({ step, document: JSON.stringify(toAppConfigDocument(flagsAtStep(flags, step))) }));
}

/** The final percentage a flag reaches: its ramp's last stage, or its percentage. */
export function finalPercent(flag: FlagDefinition): number {
  return flag.rollout?.stages?.[flag.rollout.stages.length - 1] ?? rolloutPercent(flag);
}

/** One step of a ramp as the state machine deploys it. */
export interface FlagRampStep {
  /** The whole AppConfig document at this step, as JSON. */
  readonly document: string;
  /** Minutes to hold the previous step before deploying this one. */
  readonly holdMinutes: number;
  /** What the step changes, for people: `new-checkout 25%`. */
  readonly description: string;
  /** Every ramping flag's percentage once this step is deployed. */
  readonly percents: Readonly<Record<string, number>>;
}

/** The ramp's steps from the flags: each after its hold, described by what it changes. */
export function rampStepsForStore(flags: Flags): FlagRampStep[] {
  const steps = rampSteps(flags);
  return rampDocuments(flags).map(({ step, document }, index) => ({
    document,
    holdMinutes: step.atMinutes - steps[index].atMinutes,
    description: step.changed.map((key) => `${key} ${step.percents[key]}%`).join(", "),
    percents: step.percents,
  }));
}

/**
 * Where the ramp records the stage it has reached: an SSM parameter per flag environment. The state machine writes it
 * after each step's deployment completes; `pulumi up` reads it (a `getParametersByPath` invoke, which answers an empty
 * list, not an error, while the parameter does not exist yet: the first deploy) and writes it with what it deploys.
 * `aws.ssm.getParameter` would fail the first preview: SSM answers ParameterNotFound.
 */
export function rampRecordPath(applicationName: string, environmentName: string): string {
  return `/flag-ramps/${applicationName}/${environmentName}/`;
}
export const RAMP_RECORD_LEAF = "reached";

/** Each ramping flag's percentage, e.g. `{"new-checkout":25}`. */
export type RampPercents = Readonly<Record<string, number>>;

/** The record's value. */
export interface RampRecord {
  /** Each ramping flag's percentage as last deployed, by the ramp or by `pulumi up`. */
  readonly reached: RampPercents;
  /**
   * What `pulumi up` last deployed: a digest of the stack file's flags (`rampSource`) and the percentages it deployed
   * them at. While the flags are unchanged, `pulumi up` deploys that same document again (no new version, so a running
   * ramp is not superseded by a deploy that changed no flag).
   */
  readonly deployed: { readonly source: string; readonly percents: RampPercents };
}

/** JSON with every object's keys sorted: the same flags give the same text whatever the stack file's key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A digest of the stack file's flags, stages and holds included (the document alone shows only first stages). */
export function rampSource(flags: Flags): string {
  return createHash("sha256").update(canonical(flags)).digest("hex").slice(0, 16);
}

const isPercents = (value: unknown): value is RampPercents =>
  value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "number" && v >= 0 && v <= 100);

/** The record from the parameter's value; undefined when there is none yet. A value that is not a record is an error. */
export function parseRampRecord(value: string | undefined, name: string): RampRecord | undefined {
  if (value === undefined) return undefined;
  let parsed: { reached?: unknown; deployed?: { source?: unknown; percents?: unknown } } | undefined;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const valid = isPercents(parsed?.reached) && typeof parsed?.deployed?.source === "string" && isPercents(parsed.deployed.percents);
  if (!valid) {
    throw new Error(`SSM parameter ${name} holds ${JSON.stringify(value)}, not a ramp record ({"reached": {"flag": percent}, "deployed": {"source": "...", "percents": {...}}}); fix or delete it`);
  }
  return parsed as RampRecord;
}

/**
 * The flags as they stand when a ramp has reached `record`: each ramping flag starts at the percentage it reached (never
 * below it), its remaining stages are those above it with their holds, and a flag that reached its last stage is a plain
 * rollout at that stage. A ramp never goes back on its own: the one way down is to lower the stack file's last stage
 * below what was reached (then that last stage is served), to set `percent`, or the kill switch.
 */
export function flagsFromRecord(flags: Flags, record: RampPercents | undefined): Flags {
  if (!record) return flags;
  return Object.fromEntries(
    Object.entries(flags).map(([key, flag]) => {
      const stages = flag.rollout?.stages;
      const reached = record[key];
      if (!stages || reached === undefined || reached <= stages[0] || !flag.rollout) return [key, flag];
      const by = flag.rollout.by ? { by: flag.rollout.by } : {};
      const last = stages[stages.length - 1];
      if (reached >= last) return [key, { ...flag, rollout: { percent: last, ...by } }];
      const every = flag.rollout.every ?? "1m";
      const holds = typeof every === "string" ? undefined : every;
      const remaining = stages.map((stage, index) => ({ stage, index })).filter(({ stage }) => stage > reached);
      const rollout = {
        stages: [reached, ...remaining.map(({ stage }) => stage)],
        every: holds ? remaining.map(({ index }) => holds[index - 1] ?? holds[holds.length - 1]) : every,
        ...by,
      };
      return [key, { ...flag, rollout }];
    }),
  );
}

/**
 * What the record says once a document of `flags` is deployed: each enabled ramp's first stage. A flag that is off but
 * still declares stages keeps what it had reached, so turning it back on resumes its ramp; a flag that no longer ramps
 * is forgotten, so ramping it again later starts again.
 */
export function recordOf(flags: Flags, previous: RampPercents | undefined, percents: RampPercents): RampPercents {
  const record: Record<string, number> = {};
  for (const key of Object.keys(flags).sort()) {
    if (!flags[key].rollout?.stages) continue;
    if (percents[key] !== undefined) record[key] = percents[key];
    else if (previous?.[key] !== undefined) record[key] = previous[key];
  }
  return record;
}

export interface RampTargets {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly strategyId: string;
  readonly alertTopicArn: string;
  /** Label in notifications, e.g. `release-platform-production/production`. */
  readonly label: string;
  /** The SSM parameter the ramp records each completed step in. */
  readonly recordName: string;
  /** Record entries of flags that are off or finished, carried through every step's record. */
  readonly carried?: RampPercents;
  /** What `pulumi up` deployed, carried through every step's record. */
  readonly deployed?: RampRecord["deployed"];
}

const APPCONFIG = "arn:aws:states:::aws-sdk:appconfig:";
const SNS_PUBLISH = "arn:aws:states:::aws-sdk:sns:publish";
const SSM_PUT_PARAMETER = "arn:aws:states:::aws-sdk:ssm:putParameter";
/** How often a stage's deployment is checked while AppConfig rolls it out and bakes it. */
export const RAMP_POLL_SECONDS = 60;
/** How many times the ramp starts one step's deployment when AppConfig refused or failed the start. */
export const RAMP_DEPLOY_TRIES = 5;
const IN_FLIGHT = ["DEPLOYING", "BAKING", "VALIDATING", "ROLLING_BACK"];
const ROLLED_BACK = ["ROLLED_BACK", "REVERTED"];

/*
 * Error names. Step Functions: "If an AWS SDK integration encounters an error, the resulting Error field will be
 * composed of the service name and the error name, separated by a period character: ServiceName.ErrorName. Both the
 * service name and error name are in Pascal case." The names are those of the service's API reference, and
 * StartDeployment documents only BadRequest, Conflict, InternalServer and ResourceNotFound: a throttle is a common
 * error whose name there is not certain (AppConfig.ThrottlingException, or the SDK's base AppConfig.AppConfigException).
 * So the idempotent calls retry on `States.TaskFailed`, which "matches any known error name except States.Timeout"
 * (a task without TimeoutSeconds has no States.Timeout); SNS's Publish fails with Sns.ThrottledException and, on a
 * KMS-encrypted topic, Sns.KmsThrottlingException and the other KMS errors: the notices retry on all of them, for
 * about 30 minutes. Retrying AccessDenied or BadRequest a few times is harmless; after the retries a Catch stops the
 * ramp with the error, and the execution's FAILED status reaches the alert topic through EventBridge.
 */
const RETRY_IDEMPOTENT = [{ ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60 }];
const RETRY_NOTICE = [{ ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 5, MaxAttempts: 10, BackoffRate: 2, MaxDelaySeconds: 300 }];
/**
 * StartDeployment is not idempotent: AppConfig may have started the deployment and still answered 500, and starting it
 * again then conflicts with the ramp's own deployment. So only a throttle (refused, nothing started) is retried in place;
 * any other error goes to `Verify n`, which looks for the step's version among the deployments before trying again.
 */
const RETRY_START = [{ ErrorEquals: ["AppConfig.ThrottlingException"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60 }];
const CATCH_TO = (next: string) => [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: next }];

/** The record after a step: every ramp's percentage then, and the carried entries of flags that are off. */
function stepRecord(targets: RampTargets, step: FlagRampStep): string {
  const reached = { ...(targets.carried ?? {}), ...step.percents };
  const record: RampRecord = {
    reached: Object.fromEntries(Object.keys(reached).sort().map((key) => [key, reached[key]])),
    deployed: targets.deployed ?? { source: "", percents: {} },
  };
  return JSON.stringify(record);
}

function doneMessage(label: string, steps: readonly FlagRampStep[]): string {
  const final = Object.entries(steps[steps.length - 1]?.percents ?? {}).map(([key, percent]) => `${key} ${percent}%`);
  return `The flag ramp of ${label} deployed all ${steps.length} steps (${final.join(", ")}). A pulumi up keeps these percentages while the stack file says stages; set rollout { percent } when convenient.`;
}

const anyOf = (variable: string, values: readonly string[]) => ({ Or: values.map((value) => ({ Variable: variable, StringEquals: value })) });

/**
 * The ramp as an Amazon States Language definition, calling AppConfig, SSM and SNS through Step Functions' SDK
 * integrations (no Lambda). It first waits for the environment's current deployment to settle and takes that version
 * as its own. Then per step: hold; check the environment's latest deployment is still the ramp's own, complete one
 * (a deployment in progress is waited out; any other version, from `pulumi up` or the console, supersedes the ramp:
 * it stops and notifies rather than fight); create the step's version; start its deployment with the store's strategy,
 * so the environment's monitors guard it (a failed start is checked against the deployments: the ramp adopts its own,
 * waits out another's, tries again at most RAMP_DEPLOY_TRIES times); poll until AppConfig completes it or rolls it back;
 * record the reached stage. A rollback stops the ramp and notifies the alert topic; so does the end of the ramp. Every
 * AWS call retries and has a Catch; whatever stops the ramp ends the execution FAILED, which EventBridge also reports.
 */
export function rampDefinition(targets: RampTargets, steps: readonly FlagRampStep[]): Record<string, unknown> {
  const ids = { ApplicationId: targets.applicationId, EnvironmentId: targets.environmentId };
  const publish = (subject: string, message: string, next: Record<string, unknown>, onError = "Stopped") => ({
    Type: "Task",
    Resource: SNS_PUBLISH,
    Parameters: { TopicArn: targets.alertTopicArn, Subject: subject.slice(0, 99), "Message.$": message },
    Retry: RETRY_NOTICE,
    Catch: CATCH_TO(onError),
    ResultPath: null,
    ...next,
  });
  const latest = (next: string) => ({
    Type: "Task",
    Resource: `${APPCONFIG}listDeployments`,
    Parameters: { ...ids, MaxResults: 1 },
    ResultSelector: { "Latest.$": "$.Items[0]" },
    ResultPath: "$.check",
    Retry: RETRY_IDEMPOTENT,
    Catch: CATCH_TO("Failed"),
    Next: next,
  });
  const states: Record<string, unknown> = {
    Baseline: latest("Baseline settled?"),
    "Baseline settled?": {
      Type: "Choice",
      Choices: [
        { Variable: "$.check.Latest.State", StringEquals: "COMPLETE", Next: "Take baseline" },
        { ...anyOf("$.check.Latest.State", IN_FLIGHT), Next: "Wait for baseline" },
      ],
      Default: "Baseline rolled back",
    },
    "Wait for baseline": { Type: "Wait", Seconds: RAMP_POLL_SECONDS, Next: "Baseline" },
    "Take baseline": { Type: "Pass", Parameters: { "version.$": "$.check.Latest.ConfigurationVersion" }, ResultPath: "$.expected", Next: "Hold 1" },
    "Baseline rolled back": publish(
      `Flag ramp not started: ${targets.label}`,
      `States.Format('The flag ramp of ${targets.label} did not start: the latest deployment ({}) ended {}.', $.check.Latest.DeploymentNumber, $.check.Latest.State)`,
      { Next: "Stopped" },
    ),
    Stopped: { Type: "Fail", Error: "RampStopped", Cause: "A stage was rolled back or superseded; see the alert topic" },
    // A Fail state's ErrorPath and CausePath carry the caught error into the execution's status (and its EventBridge event).
    Failed: { Type: "Fail", ErrorPath: "$.error.Error", CausePath: "$.error.Cause" },
    Done: {
      Type: "Task",
      Resource: SNS_PUBLISH,
      Parameters: { TopicArn: targets.alertTopicArn, Subject: `Flag ramp complete: ${targets.label}`.slice(0, 99), Message: doneMessage(targets.label, steps) },
      Retry: RETRY_NOTICE,
      Catch: CATCH_TO("Failed"),
      ResultPath: null,
      End: true,
    },
  };
  steps.forEach((step, index) => {
    const n = index + 1;
    const what = `step ${n} of ${steps.length} (${step.description})`;
    Object.assign(states, {
      [`Hold ${n}`]: { Type: "Wait", Seconds: step.holdMinutes * 60, Next: `Check ${n}` },
      [`Check ${n}`]: latest(`Still ours ${n}?`),
      [`Still ours ${n}?`]: {
        Type: "Choice",
        Choices: [
          {
            And: [
              { Variable: "$.check.Latest.ConfigurationVersion", StringEqualsPath: "$.expected.version" },
              { Variable: "$.check.Latest.State", StringEquals: "COMPLETE" },
            ],
            Next: `Create ${n}`,
          },
          { ...anyOf("$.check.Latest.State", IN_FLIGHT), Next: `Wait out ${n}` },
        ],
        Default: `Superseded ${n}`,
      },
      [`Wait out ${n}`]: { Type: "Wait", Seconds: RAMP_POLL_SECONDS, Next: `Check ${n}` },
      [`Create ${n}`]: {
        Type: "Task",
        Resource: `${APPCONFIG}createHostedConfigurationVersion`,
        Parameters: {
          ApplicationId: targets.applicationId,
          ConfigurationProfileId: targets.profileId,
          Content: step.document,
          ContentType: "application/json",
          Description: `Ramp ${what}`.slice(0, 1024),
        },
        ResultSelector: { "VersionNumber.$": "$.VersionNumber", "Version.$": "States.Format('{}', $.VersionNumber)", Tries: 1 },
        ResultPath: "$.created",
        Retry: RETRY_IDEMPOTENT,
        Catch: CATCH_TO("Failed"),
        Next: `Deploy ${n}`,
      },
      [`Deploy ${n}`]: {
        Type: "Task",
        Resource: `${APPCONFIG}startDeployment`,
        Parameters: {
          ...ids,
          ConfigurationProfileId: targets.profileId,
          "ConfigurationVersion.$": "$.created.Version",
          DeploymentStrategyId: targets.strategyId,
          Description: `Ramp ${what}`.slice(0, 1024),
        },
        ResultSelector: { "DeploymentNumber.$": "$.DeploymentNumber" },
        ResultPath: "$.deployment",
        Retry: RETRY_START,
        // A conflict, a 500 or anything else: find out whether our deployment started before deciding.
        Catch: CATCH_TO(`Verify ${n}`),
        Next: `Wait for deployment ${n}`,
      },
      [`Verify ${n}`]: latest(`Started ${n}?`),
      [`Started ${n}?`]: {
        Type: "Choice",
        Choices: [
          // AppConfig started the step's version although the call failed: that deployment is the ramp's own.
          { Variable: "$.check.Latest.ConfigurationVersion", StringEqualsPath: "$.created.Version", Next: `Adopt ${n}` },
          // Someone else's deployment in progress (AWS: one deployment per environment at a time): wait it out.
          { ...anyOf("$.check.Latest.State", IN_FLIGHT), Next: `Wait to deploy ${n}` },
          {
            And: [
              { Variable: "$.check.Latest.ConfigurationVersion", StringEqualsPath: "$.expected.version" },
              { Variable: "$.check.Latest.State", StringEquals: "COMPLETE" },
            ],
            Next: `Tries left ${n}?`,
          },
        ],
        Default: `Superseded ${n}`,
      },
      [`Wait to deploy ${n}`]: { Type: "Wait", Seconds: RAMP_POLL_SECONDS, Next: `Verify ${n}` },
      [`Tries left ${n}?`]: {
        Type: "Choice",
        Choices: [{ Variable: "$.created.Tries", NumericGreaterThanEquals: RAMP_DEPLOY_TRIES, Next: "Failed" }],
        Default: `Try again ${n}`,
      },
      [`Try again ${n}`]: {
        Type: "Pass",
        Parameters: { "VersionNumber.$": "$.created.VersionNumber", "Version.$": "$.created.Version", "Tries.$": "States.MathAdd($.created.Tries, 1)" },
        ResultPath: "$.created",
        Next: `Pause before deploy ${n}`,
      },
      [`Pause before deploy ${n}`]: { Type: "Wait", Seconds: RAMP_POLL_SECONDS, Next: `Deploy ${n}` },
      [`Adopt ${n}`]: { Type: "Pass", Parameters: { "DeploymentNumber.$": "$.check.Latest.DeploymentNumber" }, ResultPath: "$.deployment", Next: `Wait for deployment ${n}` },
      [`Wait for deployment ${n}`]: { Type: "Wait", Seconds: RAMP_POLL_SECONDS, Next: `Status ${n}` },
      [`Status ${n}`]: {
        Type: "Task",
        Resource: `${APPCONFIG}getDeployment`,
        Parameters: { ...ids, "DeploymentNumber.$": "$.deployment.DeploymentNumber" },
        ResultSelector: { "State.$": "$.State" },
        ResultPath: "$.status",
        Retry: RETRY_IDEMPOTENT,
        Catch: CATCH_TO("Failed"),
        Next: `Deployed ${n}?`,
      },
      [`Deployed ${n}?`]: {
        Type: "Choice",
        Choices: [
          { Variable: "$.status.State", StringEquals: "COMPLETE", Next: `Record ${n}` },
          { ...anyOf("$.status.State", ROLLED_BACK), Next: `Rolled back ${n}` },
        ],
        Default: `Wait for deployment ${n}`,
      },
      // The stage reached, for the next pulumi up: it deploys this step's percentages, not the stack file's first stages.
      [`Record ${n}`]: {
        Type: "Task",
        Resource: SSM_PUT_PARAMETER,
        Parameters: { Name: targets.recordName, Value: stepRecord(targets, step), Type: "String", Overwrite: true },
        ResultPath: null,
        Retry: RETRY_IDEMPOTENT,
        Catch: CATCH_TO("Failed"),
        Next: `Advance ${n}`,
      },
      [`Advance ${n}`]: {
        Type: "Pass",
        Parameters: { "version.$": "$.created.Version" },
        ResultPath: "$.expected",
        Next: n < steps.length ? `Hold ${n + 1}` : "Done",
      },
      [`Rolled back ${n}`]: publish(
        `Flag ramp rolled back: ${targets.label}`,
        `States.Format('The flag ramp of ${targets.label} stopped at ${what}: AppConfig rolled deployment {} back (a monitored alarm fired). Users are back on the previous step.', $.deployment.DeploymentNumber)`,
        { Next: "Stopped" },
      ),
      [`Superseded ${n}`]: publish(
        `Flag ramp superseded: ${targets.label}`,
        `States.Format('The flag ramp of ${targets.label} stopped before ${what}: deployment {} of version {} ({}) is not one the ramp deployed: someone deployed other flags; pulumi up keeps the reached stage, then start the ramp again to continue.', $.check.Latest.DeploymentNumber, $.check.Latest.ConfigurationVersion, $.check.Latest.State)`,
        { Next: "Stopped" },
      ),
    });
  });
  return {
    Comment: `Guarded flag ramp of ${targets.label}: ${steps.map((step) => step.description).join(" -> ")}`.slice(0, 1000),
    StartAt: steps.length > 0 ? "Baseline" : "Done",
    States: states,
  };
}

/*
 * History events of a standard execution, per state entered: a Task records entered, scheduled, started, succeeded and
 * exited (5), and each failed attempt scheduled, started, failed (3); a Wait, Choice or Pass records entered and exited
 * (2); the execution adds started and ended (2). Step Functions ends an execution at 25,000 events.
 */
export const HISTORY_EVENT_LIMIT = 25_000;
/** What a ramp may plan for, leaving room for slow deployments and people's interventions. */
export const HISTORY_EVENT_BUDGET = 20_000;
const TASK = 5;
const OTHER = 2;
const RETRIED = 3;

/**
 * The events one execution of the ramp records when every deployment takes `deploymentMinutes` (the strategy's rollout
 * plus bake; the polling loop of Wait, GetDeployment and Choice runs once a minute meanwhile) and every AWS call is
 * retried twice; plus, once in the execution, another deployment waited out and a start tried RAMP_DEPLOY_TRIES times.
 * More interventions than that use the room between HISTORY_EVENT_BUDGET and HISTORY_EVENT_LIMIT (each waited-out
 * deployment costs about as much as one step).
 */
export function worstCaseHistoryEvents(steps: number, deploymentMinutes: number): number {
  const execution = OTHER + TASK; // started and ended; the Done notice
  if (steps === 0) return execution;
  const polls = Math.ceil((deploymentMinutes * 60) / RAMP_POLL_SECONDS) + 1;
  const deploying = polls * (OTHER + TASK + OTHER);
  const baseline = TASK + OTHER + OTHER + deploying;
  const startTries = RAMP_DEPLOY_TRIES * (TASK + TASK + 4 * OTHER);
  const perStep = OTHER + TASK + OTHER + TASK + TASK + deploying + TASK + OTHER + 5 * 2 * RETRIED;
  return execution + baseline + deploying + startTries + steps * perStep;
}
