/** The ramp's Step Functions state machine (Amazon States Language) and the history it may record. */
import type { FlagRampStep, RampPercents, RampRecord } from "./ramp";

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
