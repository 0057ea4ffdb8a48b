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

export interface RampTargets {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly strategyId: string;
  readonly alertTopicArn: string;
  /** Label in notifications, e.g. `release-platform-production/production`. */
  readonly label: string;
}

const APPCONFIG = "arn:aws:states:::aws-sdk:appconfig:";
const SNS_PUBLISH = "arn:aws:states:::aws-sdk:sns:publish";
/** How often a stage's deployment is checked while AppConfig rolls it out and bakes it. */
export const RAMP_POLL_SECONDS = 60;
const IN_FLIGHT = ["DEPLOYING", "BAKING", "VALIDATING", "ROLLING_BACK"];
const ROLLED_BACK = ["ROLLED_BACK", "REVERTED"];

// A throttled or briefly failing AppConfig/SNS API is retried with backoff; anything else stops the ramp.
const RETRY_THROTTLING = [
  { ErrorEquals: ["AppConfig.ThrottlingException", "AppConfig.InternalServerException"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
];
const RETRY_SNS = [{ ErrorEquals: ["Sns.ThrottledException", "Sns.InternalErrorException"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }];

/** The stack file still says `stages`: until people set the final percentages, a `pulumi up` that changes flags deploys the first stages again. */
function doneMessage(label: string, steps: readonly FlagRampStep[]): string {
  const final = Object.entries(steps[steps.length - 1]?.percents ?? {}).map(([key, percent]) => `${key}: rollout { percent: ${percent} }`);
  return `The flag ramp of ${label} deployed all ${steps.length} steps. Now set the stack file to match (${final.join("; ")}) and remove stages: until then, a pulumi up that changes flags serves each ramp's first stage again.`;
}

const anyOf = (variable: string, values: readonly string[]) => ({ Or: values.map((value) => ({ Variable: variable, StringEquals: value })) });

/**
 * The ramp as an Amazon States Language definition, calling AppConfig and SNS through Step Functions' SDK
 * integrations (no Lambda). It first waits for the environment's current deployment to settle and takes that version
 * as its own. Then per step: hold; check the environment's latest deployment is still the ramp's own, complete one
 * (a deployment in progress is waited out; any other version, from `pulumi up` or the console, supersedes the ramp:
 * it stops and notifies rather than fight); create the step's version; start its deployment with the store's strategy,
 * so the environment's monitors guard it; poll until AppConfig completes it or rolls it back. A rollback stops the
 * ramp and notifies the alert topic; so does the end of the ramp.
 */
export function rampDefinition(targets: RampTargets, steps: readonly FlagRampStep[]): Record<string, unknown> {
  const ids = { ApplicationId: targets.applicationId, EnvironmentId: targets.environmentId };
  const publish = (subject: string, message: string, next: Record<string, unknown>) => ({
    Type: "Task",
    Resource: SNS_PUBLISH,
    Parameters: { TopicArn: targets.alertTopicArn, Subject: subject.slice(0, 99), "Message.$": message },
    Retry: RETRY_SNS,
    ResultPath: null,
    ...next,
  });
  const latest = (next: string) => ({
    Type: "Task",
    Resource: `${APPCONFIG}listDeployments`,
    Parameters: { ...ids, MaxResults: 1 },
    ResultSelector: { "Latest.$": "$.Items[0]" },
    ResultPath: "$.check",
    Retry: RETRY_THROTTLING,
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
    Done: {
      Type: "Task",
      Resource: SNS_PUBLISH,
      Parameters: { TopicArn: targets.alertTopicArn, Subject: `Flag ramp complete: ${targets.label}`.slice(0, 99), Message: doneMessage(targets.label, steps) },
      Retry: RETRY_SNS,
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
        ResultSelector: { "VersionNumber.$": "$.VersionNumber" },
        ResultPath: "$.created",
        Retry: RETRY_THROTTLING,
        Next: `Deploy ${n}`,
      },
      [`Deploy ${n}`]: {
        Type: "Task",
        Resource: `${APPCONFIG}startDeployment`,
        Parameters: {
          ...ids,
          ConfigurationProfileId: targets.profileId,
          "ConfigurationVersion.$": "States.Format('{}', $.created.VersionNumber)",
          DeploymentStrategyId: targets.strategyId,
          Description: `Ramp ${what}`.slice(0, 1024),
        },
        ResultSelector: { "DeploymentNumber.$": "$.DeploymentNumber" },
        ResultPath: "$.deployment",
        Retry: RETRY_THROTTLING,
        // AWS: two deployments to one environment at once conflict. Someone else's: wait it out, then re-check ownership.
        Catch: [{ ErrorEquals: ["AppConfig.ConflictException"], ResultPath: "$.conflict", Next: `Wait out ${n}` }],
        Next: `Wait for deployment ${n}`,
      },
      [`Wait for deployment ${n}`]: { Type: "Wait", Seconds: RAMP_POLL_SECONDS, Next: `Status ${n}` },
      [`Status ${n}`]: {
        Type: "Task",
        Resource: `${APPCONFIG}getDeployment`,
        Parameters: { ...ids, "DeploymentNumber.$": "$.deployment.DeploymentNumber" },
        ResultSelector: { "State.$": "$.State" },
        ResultPath: "$.status",
        Retry: RETRY_THROTTLING,
        Next: `Deployed ${n}?`,
      },
      [`Deployed ${n}?`]: {
        Type: "Choice",
        Choices: [
          { Variable: "$.status.State", StringEquals: "COMPLETE", Next: `Advance ${n}` },
          { ...anyOf("$.status.State", ROLLED_BACK), Next: `Rolled back ${n}` },
        ],
        Default: `Wait for deployment ${n}`,
      },
      [`Advance ${n}`]: {
        Type: "Pass",
        Parameters: { "version.$": "States.Format('{}', $.created.VersionNumber)" },
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
        `States.Format('The flag ramp of ${targets.label} stopped before ${what}: deployment {} of version {} ({}) is not one the ramp deployed: someone deployed other flags; start a new ramp to continue.', $.check.Latest.DeploymentNumber, $.check.Latest.ConfigurationVersion, $.check.Latest.State)`,
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
