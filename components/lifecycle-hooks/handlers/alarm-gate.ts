import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandOutput } from "@aws-sdk/client-cloudwatch";
import { type HookInvocation, type HookResponse, logDecision, numberSetting, parseHookEvent } from "./hook-event";

export interface AlarmGateOptions {
  /** Pauses between retries of a throttled DescribeAlarms within one invocation. */
  readonly retryDelaysMs: readonly number[];
}

interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
}

const THROTTLING = new Set(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);

function isThrottling(error: unknown): boolean {
  const candidate = error as { name?: string; $retryable?: { throttling?: boolean } };
  return THROTTLING.has(candidate?.name ?? "") || candidate?.$retryable?.throttling === true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function describe(client: CloudWatchClient, names: readonly string[], options: AlarmGateOptions): Promise<AlarmState[]> {
  const states: AlarmState[] = [];
  for (let start = 0; start < names.length; start += 100) {
    const chunk = names.slice(start, start + 100);
    let nextToken: string | undefined;
    do {
      let output: DescribeAlarmsCommandOutput | undefined;
      for (let attempt = 0; output === undefined; attempt++) {
        try {
          output = await client.send(
            new DescribeAlarmsCommand({ AlarmNames: chunk, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], NextToken: nextToken }),
          );
        } catch (error) {
          if (!isThrottling(error) || attempt >= options.retryDelaysMs.length) throw error;
          await sleep(options.retryDelaysMs[attempt]);
        }
      }
      for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) {
        states.push({ name: alarm.AlarmName ?? "", state: alarm.StateValue ?? "", reason: alarm.StateReason ?? "" });
      }
      nextToken = output.NextToken;
    } while (nextToken);
  }
  return states;
}

/**
 * ECS calls this at PRE_SCALE_UP. ECS ignores an alarm that is already in ALARM when a deployment starts, so a service
 * that is already failing would deploy unguarded: the gate fails the deployment instead. INSUFFICIENT_DATA passes (no
 * traffic is no evidence of failure). The gate fails closed: alarms it cannot read, after retries and `maxAttempts`
 * invocations of IN_PROGRESS while throttled, fail the deployment.
 */
export function createAlarmGate(client: CloudWatchClient, options: AlarmGateOptions = { retryDelaysMs: [200, 800, 2000] }) {
  return async function handler(event: unknown): Promise<HookResponse> {
    let invocation: HookInvocation = { executionId: "", lifecycleStage: "", serviceArn: "", targetServiceRevisionArn: "", details: {} };
    const decide = (response: HookResponse, facts: Record<string, unknown>) => {
      logDecision("alarm-gate", invocation, response, facts);
      return response;
    };
    try {
      invocation = parseHookEvent(event);
      const details = invocation.details;
      const names = Array.isArray(details.alarmNames) ? details.alarmNames.filter((name): name is string => typeof name === "string" && name !== "") : [];
      if (names.length === 0) {
        const reason = "hookDetails.alarmNames must list the service's alarms";
        return decide({ hookStatus: "FAILED", hookDetails: { reason } }, { reason });
      }
      const attempt = Math.round(numberSetting(details, "attempt", 0, 0, 1000));
      const maxAttempts = Math.round(numberSetting(details, "maxAttempts", 5, 1, 100));
      let states: AlarmState[];
      try {
        states = await describe(client, names, options);
      } catch (error) {
        if (isThrottling(error) && attempt + 1 < maxAttempts) {
          const callBackDelay = Math.round(numberSetting(details, "callBackDelaySeconds", 30, 1, 900));
          return decide(
            { hookStatus: "IN_PROGRESS", callBackDelay, hookDetails: { ...details, attempt: attempt + 1 } },
            { reason: "DescribeAlarms throttled; trying again", attempt: attempt + 1 },
          );
        }
        const reason = `cannot read the alarms (${error instanceof Error ? error.name : "error"}: ${error instanceof Error ? error.message : String(error)}); failing closed`;
        return decide({ hookStatus: "FAILED", hookDetails: { ...details, reason } }, { reason, attempt: attempt + 1 });
      }
      const found = new Set(states.map((alarm) => alarm.name));
      const missing = names.filter((name) => !found.has(name));
      const firing = states.filter((alarm) => alarm.state === "ALARM");
      const alarmStates = Object.fromEntries(states.map((alarm) => [alarm.name, alarm.state]));
      if (firing.length > 0) {
        const reason = `already in ALARM, which ECS would ignore during the deployment: ${firing.map((alarm) => `${alarm.name} (${alarm.reason})`).join("; ")}`;
        return decide({ hookStatus: "FAILED", hookDetails: { ...details, reason } }, { reason, alarmStates });
      }
      if (missing.length > 0) {
        const reason = `alarms not found, so the deployment would be unguarded: ${missing.join(", ")}`;
        return decide({ hookStatus: "FAILED", hookDetails: { ...details, reason } }, { reason, alarmStates });
      }
      return decide({ hookStatus: "SUCCEEDED" }, { alarmStates });
    } catch (error) {
      const reason = `alarm gate could not run: ${error instanceof Error ? error.message : String(error)}`;
      return decide({ hookStatus: "FAILED", hookDetails: { reason } }, { reason });
    }
  };
}

export const handler = createAlarmGate(new CloudWatchClient({}));
