import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  type DescribeAlarmHistoryCommandOutput,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
} from "@aws-sdk/client-cloudwatch";
import { DescribeServiceDeploymentsCommand, type DescribeServiceDeploymentsCommandOutput, ECSClient } from "@aws-sdk/client-ecs";
import { type HookInvocation, type HookResponse, carriedDetails, failed, logDecision, NO_ALARM_ROLLBACK, numberSetting, parseHookEvent } from "./hook-event";

/** The hookDetails keys the gate reads: carried to the next call with IN_PROGRESS. */
const SETTING_KEYS = ["alarmNames", "maxAttempts", "callBackDelaySeconds", "override"] as const;

export interface AlarmGateOptions {
  /** Longest wait for one DescribeAlarms answer. */
  readonly requestTimeoutMs: number;
  /** Budget of one invocation; also kept `LAMBDA_MARGIN_MS` inside the Lambda context's remaining time. */
  readonly deadlineMs: number;
  /** Pause before each retry of a throttled or transient call: one retry per entry, while the deadline allows. */
  readonly backoffMs: readonly number[];
  /** NextToken pages read per request of up to 100 names before the gate stops following them. */
  readonly maxPages: number;
}

/** The deadline stays well inside the function's timeout (ALARM_GATE_TIMEOUT_SECONDS, 30 s). */
export const DEFAULT_ALARM_GATE_OPTIONS: AlarmGateOptions = { requestTimeoutMs: 5000, deadlineMs: 20_000, backoffMs: [200, 500, 1000, 2000, 4000], maxPages: 5 };
/** Left of the invocation's remaining time for logging and answering. */
const LAMBDA_MARGIN_MS = 3000;

interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
}

/** A failure to read the alarms; `transient` ones may succeed when ECS calls again. */
class UnreadableAlarms extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "UnreadableAlarms";
  }
}

const THROTTLING = new Set(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);
const NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "TimeoutError", "RequestTimeout"]);

/** Throttling, any 5xx, a timed-out or dropped connection: worth another try. Access denied or a bad request is not. */
function isTransient(error: unknown): boolean {
  const candidate = error as { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (THROTTLING.has(candidate?.name ?? "") || NETWORK.has(candidate?.name ?? "") || NETWORK.has(candidate?.code ?? "")) return true;
  if (candidate?.$retryable) return true;
  return candidate?.$fault === "server" || (candidate?.$metadata?.httpStatusCode ?? 0) >= 500;
}

const describeError = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client of any AWS service: the gate's calls go through `send` with an abort signal. */
interface SdkClient<Input, Output> {
  send(command: Input, options: { abortSignal: AbortSignal }): Promise<Output>;
}

/** One call that gives up (and aborts the HTTP request) after `timeoutMs`. */
async function send<Input, Output>(client: SdkClient<Input, Output>, command: Input, timeoutMs: number): Promise<Output> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: "RequestTimeout" }));
    }, timeoutMs);
  });
  try {
    return await Promise.race([client.send(command, { abortSignal: controller.signal }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Retries transient failures with backoff while the deadline (epoch ms) leaves room for the pause and another call. */
async function sendWithRetries<Input, Output>(client: SdkClient<Input, Output>, command: Input, deadline: number, options: AlarmGateOptions): Promise<Output> {
  for (let retry = 0; ; retry++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new UnreadableAlarms("no time left before the deadline", true);
    try {
      return await send(client, command, Math.min(options.requestTimeoutMs, remaining));
    } catch (error) {
      if (!isTransient(error)) throw new UnreadableAlarms(describeError(error), false);
      const pause = options.backoffMs[retry];
      if (pause === undefined || Date.now() + pause >= deadline) throw new UnreadableAlarms(`${describeError(error)} (after ${retry + 1} calls)`, true);
      await sleep(pause);
    }
  }
}

type CloudWatch = SdkClient<DescribeAlarmsCommand | DescribeAlarmHistoryCommand, DescribeAlarmsCommandOutput & DescribeAlarmHistoryCommandOutput>;

async function describe(client: CloudWatch, names: readonly string[], deadline: number, options: AlarmGateOptions): Promise<AlarmState[]> {
  const states: AlarmState[] = [];
  for (let start = 0; start < names.length; start += 100) {
    const chunk = names.slice(start, start + 100);
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (pages === options.maxPages) {
        throw new UnreadableAlarms(`DescribeAlarms still returned a NextToken after ${options.maxPages} pages for ${chunk.length} names`, false);
      }
      pages++;
      const output = await sendWithRetries(
        client,
        // AlarmTypes must name CompositeAlarm for composites to be returned at all.
        new DescribeAlarmsCommand({ AlarmNames: chunk, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100, NextToken: nextToken }),
        deadline,
        options,
      );
      for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) {
        states.push({ name: alarm.AlarmName ?? "", state: alarm.StateValue ?? "", reason: alarm.StateReason ?? "" });
      }
      nextToken = output.NextToken;
    } while (nextToken);
  }
  return states;
}

/** One state change of an alarm, as DescribeAlarmHistory's StateUpdate items record it in HistoryData. */
interface StateChange {
  readonly at: number;
  readonly from: string;
  readonly to: string;
}

/**
 * Each alarm's state changes since `since`, oldest first: DescribeAlarmHistory (StateUpdate) per alarm, every page.
 * An item whose HistoryData does not say the old and new state is unreadable history, and the gate fails closed on it.
 */
async function stateChangesSince(client: CloudWatch, names: readonly string[], since: Date, deadline: number, options: AlarmGateOptions): Promise<Map<string, StateChange[]>> {
  const changes = new Map<string, StateChange[]>();
  for (const name of names) {
    const items: StateChange[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (pages === options.maxPages) throw new UnreadableAlarms(`DescribeAlarmHistory still returned a NextToken after ${options.maxPages} pages for ${name}`, false);
      pages++;
      const output = await sendWithRetries(
        client,
        new DescribeAlarmHistoryCommand({
          AlarmName: name,
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
          HistoryItemType: "StateUpdate",
          StartDate: since,
          EndDate: new Date(Math.max(Date.now(), since.getTime())),
          ScanBy: "TimestampAscending",
          MaxRecords: 100,
          NextToken: nextToken,
        }),
        deadline,
        options,
      );
      for (const item of output.AlarmHistoryItems ?? []) {
        const data = parseHistoryData(item.HistoryData);
        const at = item.Timestamp instanceof Date ? item.Timestamp.getTime() : Number.NaN;
        if (!data || !Number.isFinite(at)) throw new UnreadableAlarms(`DescribeAlarmHistory returned a state change of ${name} without its states or time`, false);
        if (at >= since.getTime()) items.push({ at, ...data });
      }
      nextToken = output.NextToken;
    } while (nextToken);
    changes.set(name, items.sort((a, b) => a.at - b.at));
  }
  return changes;
}

function parseHistoryData(text: string | undefined): { from: string; to: string } | undefined {
  try {
    const data = JSON.parse(text ?? "") as { oldState?: { stateValue?: unknown }; newState?: { stateValue?: unknown } };
    const from = data.oldState?.stateValue;
    const to = data.newState?.stateValue;
    return typeof from === "string" && typeof to === "string" ? { from, to } : undefined;
  } catch {
    return undefined;
  }
}

/** What ECS says of the deployment the hook runs in: when it was created, and whether ECS watches its alarms. */
interface DeploymentFacts {
  readonly createdAt: Date;
  /** `alarms.status` of DescribeServiceDeployments; undefined when the deployment reports no alarms at all. */
  readonly alarmsStatus?: string;
}

type Ecs = SdkClient<DescribeServiceDeploymentsCommand, DescribeServiceDeploymentsCommandOutput>;

/** The hook event's `resourceArn` is the service deployment (`arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>`). */
async function deploymentFacts(client: Ecs, deploymentArn: string, deadline: number, options: AlarmGateOptions): Promise<DeploymentFacts> {
  if (!/^arn:[\w-]+:ecs:[\w-]+:\d{12}:service-deployment\//.test(deploymentArn)) {
    throw new UnreadableAlarms(`the event's resourceArn is not a service deployment (${JSON.stringify(deploymentArn)}), so its start is unknown`, false);
  }
  const output = await sendWithRetries(client, new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [deploymentArn] }), deadline, options);
  const deployment = output.serviceDeployments?.find((candidate) => candidate.serviceDeploymentArn === deploymentArn) ?? output.serviceDeployments?.[0];
  if (!deployment?.createdAt) {
    const failure = output.failures?.[0];
    throw new UnreadableAlarms(`DescribeServiceDeployments did not return ${deploymentArn}${failure ? ` (${failure.reason ?? ""}${failure.detail ? `: ${failure.detail}` : ""})` : ""}`, false);
  }
  return { createdAt: deployment.createdAt, alarmsStatus: deployment.alarms?.status };
}

/** What ECS hands the Lambda handler besides the event (only what the gate reads). */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

/** The states CloudWatch documents (StateValue); anything else is a state the gate cannot judge, and it fails closed. */
const KNOWN_STATES = new Set(["OK", "ALARM", "INSUFFICIENT_DATA"]);

export { NO_ALARM_ROLLBACK };

/**
 * ECS calls this at PRE_SCALE_UP. "If an alarm is in the ALARM state at the beginning of a deployment, Amazon ECS will
 * not monitor alarms for the duration of that deployment (Amazon ECS ignores the alarm configuration)" (ECS developer
 * guide, deployment-alarm-failure.html), and the gate runs after that beginning. So it reads when the deployment was
 * created (ecs:DescribeServiceDeployments on the event's resourceArn) and each alarm's state changes since then
 * (cloudwatch:DescribeAlarmHistory): the state an alarm had at the start is the old state of its first change since, or
 * its state now. It fails the deployment when an alarm was in ALARM at the start (ECS is not watching), is in ALARM
 * now, or went into ALARM since; and when ECS reports the deployment's alarms `DISABLED` ("Amazon ECS is not using
 * alarms for service deployment failures when the status is DISABLED", ServiceDeploymentAlarms) or reports none.
 * INSUFFICIENT_DATA passes (no traffic is no evidence of failure); any other state fails closed. Alarms it cannot read
 * fail the deployment, after retries within this invocation's deadline and `maxAttempts` invocations of IN_PROGRESS
 * while the failure looks transient.
 *
 * `hookDetails.override` (a reason, from the stack file) lets a fix ship while alarms fire, as ECS alone would; the
 * gate then says `NO_ALARM_ROLLBACK` when ECS is not watching. `hookDetails.enabled: false` passes every deployment
 * (the gate switched off but kept, so the service's hook list never empties).
 */
export function createAlarmGate(cloudwatch: CloudWatchClient, ecs: ECSClient, options: AlarmGateOptions = DEFAULT_ALARM_GATE_OPTIONS) {
  const cloudwatchClient = cloudwatch as unknown as CloudWatch;
  const ecsClient = ecs as unknown as Ecs;
  return async function handler(event: unknown, context?: LambdaContextLike): Promise<HookResponse> {
    const started = Date.now();
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline = started + Math.min(options.deadlineMs, remaining === undefined ? Infinity : remaining - LAMBDA_MARGIN_MS);
    let invocation: HookInvocation = { executionId: "", lifecycleStage: "", serviceArn: "", targetServiceRevisionArn: "", resourceArn: "", details: {} };
    let override: string | undefined;
    const decide = (response: HookResponse, facts: Record<string, unknown>) => {
      logDecision("alarm-gate", invocation, response, { ...(override ? { override } : {}), ...facts, elapsedMs: Date.now() - started });
      return response;
    };
    try {
      invocation = parseHookEvent(event);
      const details = invocation.details;
      if (details.enabled === false) return decide({ hookStatus: "SUCCEEDED" }, { reason: "alarm gate off: passes every deployment" });
      override = typeof details.override === "string" && details.override.trim() !== "" ? details.override.trim().slice(0, 256) : undefined;
      const names = Array.isArray(details.alarmNames) ? details.alarmNames.filter((name): name is string => typeof name === "string" && name !== "") : [];
      if (names.length === 0) {
        const reason = "hookDetails.alarmNames must list the service's alarms";
        return decide(failed(reason), { reason });
      }
      const attempt = Math.round(numberSetting(details, "attempt", 0, 0, 1000));
      const maxAttempts = Math.round(numberSetting(details, "maxAttempts", 5, 1, 100));
      let deployment: DeploymentFacts;
      let states: AlarmState[];
      let changes: Map<string, StateChange[]>;
      try {
        deployment = await deploymentFacts(ecsClient, invocation.resourceArn, deadline, options);
        states = await describe(cloudwatchClient, names, deadline, options);
        changes = await stateChangesSince(cloudwatchClient, names, deployment.createdAt, deadline, options);
      } catch (error) {
        const transient = error instanceof UnreadableAlarms ? error.transient : isTransient(error);
        const why = error instanceof UnreadableAlarms ? error.message : describeError(error);
        if (transient && attempt + 1 < maxAttempts) {
          const callBackDelay = Math.round(numberSetting(details, "callBackDelaySeconds", 30, 1, 900));
          return decide({ hookStatus: "IN_PROGRESS", callBackDelay, hookDetails: carriedDetails(details, SETTING_KEYS, { attempt: attempt + 1 }) }, { reason: `cannot read the alarms yet (${why}); trying again`, attempt: attempt + 1 });
        }
        const reason = `cannot read the alarms (${why}); failing closed`;
        return decide(failed(reason), { reason, attempt: attempt + 1 });
      }
      const found = new Set(states.map((alarm) => alarm.name));
      const missing = names.filter((name) => !found.has(name));
      const alarmStates = Object.fromEntries(states.map((alarm) => [alarm.name, alarm.state]));
      const atStart = Object.fromEntries(states.map((alarm) => [alarm.name, changes.get(alarm.name)?.[0]?.from ?? alarm.state]));
      const facts = { alarmStates, statesAtStart: atStart, deploymentCreatedAt: deployment.createdAt.toISOString(), ecsAlarmsStatus: deployment.alarmsStatus ?? "none" };
      const unknown = [
        ...states.filter((alarm) => !KNOWN_STATES.has(alarm.state)).map((alarm) => `${alarm.name} is ${JSON.stringify(alarm.state)}`),
        ...[...changes].flatMap(([name, list]) => list.filter((change) => !KNOWN_STATES.has(change.from) || !KNOWN_STATES.has(change.to)).map((change) => `${name} changed ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}`)),
      ];
      if (unknown.length > 0) {
        const reason = `alarm states the gate cannot judge, failing closed: ${unknown.join("; ")}`;
        return decide(failed(reason), { reason, ...facts });
      }
      if (missing.length > 0) {
        const reason = `alarms not found, so the deployment would be unguarded: ${missing.join(", ")}`;
        return decide(failed(reason), { reason, ...facts });
      }
      const inAlarmAtStart = states.filter((alarm) => atStart[alarm.name] === "ALARM");
      const firing = states.filter((alarm) => alarm.state === "ALARM");
      const firedSince = states.filter((alarm) => (changes.get(alarm.name) ?? []).some((change) => change.to === "ALARM"));
      // ECS does not watch: an alarm was in ALARM at the start, or ECS says so of the deployment's alarms.
      const unwatched =
        inAlarmAtStart.length > 0
          ? `${inAlarmAtStart.map((alarm) => alarm.name).join(", ")} ${inAlarmAtStart.length === 1 ? "was" : "were"} in ALARM when the deployment started, so ECS ignores the alarm configuration for the whole deployment`
          : deployment.alarmsStatus === undefined || deployment.alarmsStatus === "DISABLED"
            ? `ECS reports this deployment's alarms as ${deployment.alarmsStatus ?? "absent"}: it is not using them to fail the deployment`
            : undefined;
      const problems = [
        ...(unwatched ? [unwatched] : []),
        ...(firing.length > 0 ? [`in ALARM now: ${firing.map((alarm) => `${alarm.name} (${alarm.reason})`).join("; ")}`] : []),
        ...(firedSince.length > 0 ? [`went into ALARM since the deployment started: ${firedSince.map((alarm) => alarm.name).join(", ")}`] : []),
      ];
      if (problems.length > 0 && !override) {
        const reason = problems.join("; ");
        return decide(failed(reason), { reason, ...facts });
      }
      if (problems.length > 0) {
        const overridden = [...new Set([...inAlarmAtStart, ...firing, ...firedSince].map((alarm) => alarm.name))];
        return decide(
          { hookStatus: "SUCCEEDED" },
          {
            reason: `overridden (${override}): ${problems.join("; ")}${unwatched ? `. ${NO_ALARM_ROLLBACK}: no alarm rolls it back, watch it by hand` : ""}`,
            overridden,
            ...(unwatched ? { noAlarmRollback: true, warning: NO_ALARM_ROLLBACK } : {}),
            ...facts,
          },
        );
      }
      return decide({ hookStatus: "SUCCEEDED" }, facts);
    } catch (error) {
      const reason = `alarm gate could not run: ${error instanceof Error ? error.message : String(error)}`;
      return decide(failed(reason), { reason });
    }
  };
}

// The gate's own retries are the only ones, so every call it makes stays inside its deadline.
export const handler = createAlarmGate(new CloudWatchClient({ maxAttempts: 1 }), new ECSClient({ maxAttempts: 1 }));
