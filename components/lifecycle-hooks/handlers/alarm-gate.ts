import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandOutput } from "@aws-sdk/client-cloudwatch";
import { type HookInvocation, type HookResponse, carriedDetails, failed, logDecision, numberSetting, parseHookEvent } from "./hook-event";

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

/** One DescribeAlarms call that gives up (and aborts the HTTP request) after `timeoutMs`. */
async function send(client: CloudWatchClient, command: DescribeAlarmsCommand, timeoutMs: number): Promise<DescribeAlarmsCommandOutput> {
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
async function sendWithRetries(client: CloudWatchClient, command: DescribeAlarmsCommand, deadline: number, options: AlarmGateOptions): Promise<DescribeAlarmsCommandOutput> {
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

async function describe(client: CloudWatchClient, names: readonly string[], deadline: number, options: AlarmGateOptions): Promise<AlarmState[]> {
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

/** What ECS hands the Lambda handler besides the event (only what the gate reads). */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

/**
 * ECS calls this at PRE_SCALE_UP. ECS ignores an alarm that is already in ALARM when a deployment starts, so a service
 * that is already failing would deploy unguarded: the gate fails the deployment instead. INSUFFICIENT_DATA passes (no
 * traffic is no evidence of failure). The gate fails closed: alarms it cannot read fail the deployment, after retries
 * within this invocation's deadline and `maxAttempts` invocations of IN_PROGRESS while the failure looks transient.
 * `hookDetails.override` (a reason, from the stack file) lets a fix ship while alarms fire, as ECS alone would: the
 * gate still reads and logs them.
 */
export function createAlarmGate(client: CloudWatchClient, options: AlarmGateOptions = DEFAULT_ALARM_GATE_OPTIONS) {
  return async function handler(event: unknown, context?: LambdaContextLike): Promise<HookResponse> {
    const started = Date.now();
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline = started + Math.min(options.deadlineMs, remaining === undefined ? Infinity : remaining - LAMBDA_MARGIN_MS);
    let invocation: HookInvocation = { executionId: "", lifecycleStage: "", serviceArn: "", targetServiceRevisionArn: "", details: {} };
    let override: string | undefined;
    const decide = (response: HookResponse, facts: Record<string, unknown>) => {
      logDecision("alarm-gate", invocation, response, { ...(override ? { override } : {}), ...facts, elapsedMs: Date.now() - started });
      return response;
    };
    try {
      invocation = parseHookEvent(event);
      const details = invocation.details;
      override = typeof details.override === "string" && details.override.trim() !== "" ? details.override.trim().slice(0, 256) : undefined;
      const names = Array.isArray(details.alarmNames) ? details.alarmNames.filter((name): name is string => typeof name === "string" && name !== "") : [];
      if (names.length === 0) {
        const reason = "hookDetails.alarmNames must list the service's alarms";
        return decide(failed(reason), { reason });
      }
      const attempt = Math.round(numberSetting(details, "attempt", 0, 0, 1000));
      const maxAttempts = Math.round(numberSetting(details, "maxAttempts", 5, 1, 100));
      let states: AlarmState[];
      try {
        states = await describe(client, names, deadline, options);
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
      const firing = states.filter((alarm) => alarm.state === "ALARM");
      const alarmStates = Object.fromEntries(states.map((alarm) => [alarm.name, alarm.state]));
      if (firing.length > 0 && !override) {
        const reason = `already in ALARM, which ECS would ignore during the deployment: ${firing.map((alarm) => `${alarm.name} (${alarm.reason})`).join("; ")}`;
        return decide(failed(reason), { reason, alarmStates });
      }
      if (missing.length > 0) {
        const reason = `alarms not found, so the deployment would be unguarded: ${missing.join(", ")}`;
        return decide(failed(reason), { reason, alarmStates });
      }
      if (firing.length > 0) {
        return decide({ hookStatus: "SUCCEEDED" }, { reason: `overridden: deploying while in ALARM (${override})`, overridden: firing.map((alarm) => alarm.name), alarmStates });
      }
      return decide({ hookStatus: "SUCCEEDED" }, { alarmStates });
    } catch (error) {
      const reason = `alarm gate could not run: ${error instanceof Error ? error.message : String(error)}`;
      return decide(failed(reason), { reason });
    }
  };
}

// The gate's own retries are the only ones, so every call it makes stays inside its deadline.
export const handler = createAlarmGate(new CloudWatchClient({ maxAttempts: 1 }));
