import * as http from "node:http";
import * as https from "node:https";
import { type HookInvocation, type HookResponse, logDecision, numberSetting, parseHookEvent } from "./hook-event";

/** Per-service settings, carried in the hook's hookDetails. */
export interface SmokeTestSettings {
  /** Base URL of the test listener, e.g. http://internal-alb:9000 */
  readonly url: string;
  readonly paths: readonly string[];
  readonly samples: number;
  readonly minSuccessRate: number;
  readonly timeoutMs: number;
  /** Host header to send when the service's rules match on host. */
  readonly hostHeader?: string;
  /** Invocations that may find the new targets not ready before the hook gives up. */
  readonly maxAttempts: number;
  readonly callBackDelaySeconds: number;
  readonly concurrency: number;
}

export type ProbeOutcome =
  | { readonly kind: "ok"; readonly status: number }
  | { readonly kind: "bad-status"; readonly status: number }
  | { readonly kind: "not-ready"; readonly detail: string }
  | { readonly kind: "timeout" }
  | { readonly kind: "error"; readonly detail: string };

export function readSettings(details: Record<string, unknown>): SmokeTestSettings | string {
  const url = details.url;
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) return "hookDetails.url must be the test listener's http(s) URL";
  const paths = Array.isArray(details.paths) ? details.paths.filter((path): path is string => typeof path === "string" && path.startsWith("/")) : [];
  if (paths.length === 0) return "hookDetails.paths must list at least one path starting with /";
  return {
    url: url.replace(/\/+$/, ""),
    paths,
    samples: Math.round(numberSetting(details, "samples", 10, 1, 500)),
    minSuccessRate: numberSetting(details, "minSuccessRate", 0.95, 0, 1),
    timeoutMs: numberSetting(details, "timeoutMs", 2000, 50, 30000),
    hostHeader: typeof details.hostHeader === "string" && details.hostHeader ? details.hostHeader : undefined,
    maxAttempts: Math.round(numberSetting(details, "maxAttempts", 10, 1, 100)),
    callBackDelaySeconds: Math.round(numberSetting(details, "callBackDelaySeconds", 30, 1, 900)),
    concurrency: Math.round(numberSetting(details, "concurrency", 10, 1, 50)),
  };
}

/** Codes a load balancer answers while the new targets are still registering or starting. */
const NOT_READY_STATUSES = new Set([502, 503, 504]);
const NOT_READY_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

/** One GET with a hard deadline; never rejects. */
export function probe(url: string, timeoutMs: number, hostHeader?: string): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const client = url.startsWith("https:") ? https : http;
    let settled = false;
    const finish = (outcome: ProbeOutcome) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      }
    };
    const request = client.get(url, { headers: { "user-agent": "release-platform-smoke-test", ...(hostHeader ? { host: hostHeader } : {}) }, agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      response.on("end", () =>
        finish(status >= 200 && status < 400 ? { kind: "ok", status } : NOT_READY_STATUSES.has(status) ? { kind: "not-ready", detail: `HTTP ${status}` } : { kind: "bad-status", status }),
      );
      response.on("error", (error) => finish({ kind: "error", detail: error.message }));
    });
    const timer = setTimeout(() => {
      finish({ kind: "timeout" });
      request.destroy();
    }, timeoutMs);
    request.on("error", (error: NodeJS.ErrnoException) => {
      finish(error.code && NOT_READY_ERRORS.has(error.code) ? { kind: "not-ready", detail: error.code } : { kind: "error", detail: error.code ?? error.message });
    });
  });
}

/** `samples` requests per path, at most `concurrency` at a time. */
export async function runProbes(settings: SmokeTestSettings): Promise<ProbeOutcome[]> {
  const urls = settings.paths.flatMap((path) => Array.from({ length: settings.samples }, () => `${settings.url}${path}`));
  const outcomes: ProbeOutcome[] = new Array(urls.length);
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const index = next++;
      outcomes[index] = await probe(urls[index], settings.timeoutMs, settings.hostHeader);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, urls.length) }, worker));
  return outcomes;
}

export function tally(outcomes: readonly ProbeOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = outcome.kind === "ok" || outcome.kind === "bad-status" ? String(outcome.status) : outcome.kind === "not-ready" ? outcome.detail : outcome.kind === "timeout" ? "timeout" : `error:${outcome.detail}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The decision for one invocation. Nothing answering yet (every probe refused or a 502/503/504) means the new targets
 * are still registering: IN_PROGRESS until `maxAttempts`, then FAILED. Otherwise the share of 2xx/3xx answers within the
 * timeout decides.
 */
export function decide(outcomes: readonly ProbeOutcome[], settings: SmokeTestSettings, attempt: number, details: Record<string, unknown>): HookResponse {
  const total = outcomes.length;
  const succeeded = outcomes.filter((outcome) => outcome.kind === "ok").length;
  const notReady = outcomes.filter((outcome) => outcome.kind === "not-ready").length;
  const statuses = tally(outcomes);
  if (succeeded === 0 && notReady === total) {
    if (attempt + 1 < settings.maxAttempts) {
      return {
        hookStatus: "IN_PROGRESS",
        callBackDelay: settings.callBackDelaySeconds,
        hookDetails: { ...details, attempt: attempt + 1 },
      };
    }
    return {
      hookStatus: "FAILED",
      hookDetails: { ...details, reason: `test listener not ready after ${attempt + 1} attempts (${JSON.stringify(statuses)})` },
    };
  }
  const rate = succeeded / total;
  const summary = `${succeeded}/${total} succeeded (${(rate * 100).toFixed(1)}%), need ${(settings.minSuccessRate * 100).toFixed(1)}%`;
  return rate >= settings.minSuccessRate
    ? { hookStatus: "SUCCEEDED", hookDetails: { ...details, result: summary } }
    : { hookStatus: "FAILED", hookDetails: { ...details, reason: `${summary}; answers ${JSON.stringify(statuses)}` } };
}

/** ECS calls this at POST_TEST_TRAFFIC_SHIFT: the new version is behind the test listener, users still see the old. */
export async function handler(event: unknown): Promise<HookResponse> {
  let invocation: HookInvocation = { executionId: "", lifecycleStage: "", serviceArn: "", targetServiceRevisionArn: "", details: {} };
  try {
    invocation = parseHookEvent(event);
    const settings = readSettings(invocation.details);
    if (typeof settings === "string") {
      const response: HookResponse = { hookStatus: "FAILED", hookDetails: { reason: settings } };
      logDecision("smoke-test", invocation, response, { reason: settings });
      return response;
    }
    const attempt = Math.round(numberSetting(invocation.details, "attempt", 0, 0, 1000));
    const outcomes = await runProbes(settings);
    const response = decide(outcomes, settings, attempt, invocation.details);
    logDecision("smoke-test", invocation, response, {
      attempt: attempt + 1,
      requests: outcomes.length,
      answers: tally(outcomes),
      reason: response.hookDetails?.reason ?? response.hookDetails?.result,
    });
    return response;
  } catch (error) {
    const reason = `smoke test could not run: ${error instanceof Error ? error.message : String(error)}`;
    const response: HookResponse = { hookStatus: "FAILED", hookDetails: { reason } };
    logDecision("smoke-test", invocation, response, { reason });
    return response;
  }
}
