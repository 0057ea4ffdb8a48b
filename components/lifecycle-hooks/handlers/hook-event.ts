/** The parts of an ECS lifecycle-hook invocation every hook reads, parsed without trusting its shape. */

export type HookStatus = "SUCCEEDED" | "FAILED" | "IN_PROGRESS";

export interface HookResponse {
  readonly hookStatus: HookStatus;
  /** Seconds until ECS calls the hook again (IN_PROGRESS only). */
  readonly callBackDelay?: number;
  /** Handed back to the next invocation after IN_PROGRESS (state only); carries the reason after FAILED. */
  readonly hookDetails?: Record<string, unknown>;
}

/**
 * Said in the alarm gate's log (and, through a metric filter on that line, on the alert topic) whenever an overridden
 * gate lets through a deployment ECS does not watch the alarms of; here so the program can quote it without the SDK.
 */
export const NO_ALARM_ROLLBACK = "NO ALARM ROLLBACK for this deployment";

/** The alarm gate function's timeout, here so the component can set it without loading the gate's AWS SDK. */
export const ALARM_GATE_TIMEOUT_SECONDS = 30;

/** Reasons longer than this are cut: a response carries what the next call or a reader needs, never whole inputs. */
export const MAX_REASON_LENGTH = 1000;

/** A FAILED response with nothing but its reason. */
export function failed(reason: string): HookResponse {
  return { hookStatus: "FAILED", hookDetails: { reason: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 3)}...` : reason } };
}

export interface HookInvocation {
  readonly executionId: string;
  readonly lifecycleStage: string;
  readonly serviceArn: string;
  readonly targetServiceRevisionArn: string;
  /** The service deployment the hook runs in (`arn:aws:ecs:...:service-deployment/<cluster>/<service>/<id>`). */
  readonly resourceArn: string;
  /** The service's settings (from the service's hook configuration) plus state returned with IN_PROGRESS. */
  readonly details: Record<string, unknown>;
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value === "string") {
    try {
      return asRecord(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Accepts the current payload (executionDetails nested) and older ones (its fields at the top level), or a JSON string. */
export function parseHookEvent(raw: unknown): HookInvocation {
  const event = asRecord(raw);
  const execution = { ...event, ...asRecord(event.executionDetails) };
  return {
    executionId: text(event.executionId),
    lifecycleStage: text(event.lifecycleStage),
    serviceArn: text(execution.serviceArn) || text(event.resourceArn),
    targetServiceRevisionArn: text(execution.targetServiceRevisionArn),
    resourceArn: text(event.resourceArn),
    details: asRecord(event.hookDetails),
  };
}

/**
 * hookDetails for an IN_PROGRESS answer: the settings this hook reads and its state, nothing else. ECS's guide says the
 * configured hookDetails are passed "on each invocation" and those returned with IN_PROGRESS are "passed back" on the
 * next one, without saying whether the two are merged; carrying the settings works either way.
 */
export function carriedDetails(details: Record<string, unknown>, settingKeys: readonly string[], state: Record<string, unknown>): Record<string, unknown> {
  const carried: Record<string, unknown> = {};
  for (const key of settingKeys) if (details[key] !== undefined) carried[key] = details[key];
  return { ...carried, ...state };
}

export function numberSetting(details: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const value = details[key];
  return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** One structured line per decision, so CloudWatch Logs Insights can query hook outcomes. */
export function logDecision(hook: string, invocation: HookInvocation, response: HookResponse, facts: Record<string, unknown>): void {
  console.log(
    JSON.stringify({
      hook,
      decision: response.hookStatus,
      executionId: invocation.executionId,
      lifecycleStage: invocation.lifecycleStage,
      serviceArn: invocation.serviceArn,
      ...facts,
    }),
  );
}
