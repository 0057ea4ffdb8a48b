/** The parts of an ECS lifecycle-hook invocation every hook reads, parsed without trusting its shape. */

export type HookStatus = "SUCCEEDED" | "FAILED" | "IN_PROGRESS";

export interface HookResponse {
  readonly hookStatus: HookStatus;
  /** Seconds until ECS calls the hook again (IN_PROGRESS only). */
  readonly callBackDelay?: number;
  /** Handed back to the next invocation after IN_PROGRESS; carries the reason after FAILED. */
  readonly hookDetails?: Record<string, unknown>;
}

export interface HookInvocation {
  readonly executionId: string;
  readonly lifecycleStage: string;
  readonly serviceArn: string;
  readonly targetServiceRevisionArn: string;
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
    details: asRecord(event.hookDetails),
  };
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
