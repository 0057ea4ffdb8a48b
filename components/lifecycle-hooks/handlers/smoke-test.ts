import * as http from "node:http";
import * as https from "node:https";
import { type HookInvocation, type HookResponse, carriedDetails, failed, logDecision, numberSetting, parseHookEvent } from "./hook-event";
import {
  allowedFailures,
  DEFAULT_EXPECTED_STATUSES,
  MAX_REDIRECTS,
  MIN_SUCCESS_RATE_FLOOR,
  parseStatusMatcher,
  SMOKE_CONCURRENCY,
  statusExpected,
} from "./smoke-decision";

/** Per-service settings, carried in the hook's hookDetails. */
export interface SmokeTestSettings {
  /** Base URL of the test listener, e.g. http://internal-alb:9000 */
  readonly url: string;
  readonly paths: readonly string[];
  readonly samples: number;
  readonly minSuccessRate: number;
  /** For one request, its same-origin redirects included. */
  readonly timeoutMs: number;
  /** Statuses that count as success, e.g. "200-299,304"; a redirect outside them is followed within the test listener. */
  readonly expectedStatuses: readonly (readonly [number, number])[];
  /** Host header to send when the service's rules match on host. */
  readonly hostHeader?: string;
  /** Sent on every request (the test listener may route by them). */
  readonly headers: Readonly<Record<string, string>>;
  /** Invocations that may find the new targets not ready before the hook gives up. */
  readonly maxAttempts: number;
  readonly callBackDelaySeconds: number;
  readonly concurrency: number;
  readonly maxRedirects: number;
}

export type ProbeOutcome =
  | { readonly kind: "ok"; readonly status: number }
  | { readonly kind: "bad-status"; readonly status: number }
  | { readonly kind: "not-ready"; readonly detail: string }
  | { readonly kind: "redirect-offsite"; readonly location: string }
  | { readonly kind: "redirect-loop" }
  | { readonly kind: "timeout" }
  | { readonly kind: "error"; readonly detail: string };

function headersSetting(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[0] !== ""));
}

/** The hookDetails keys `readSettings` reads: carried to the next call with IN_PROGRESS. */
const SETTING_KEYS = ["url", "paths", "samples", "minSuccessRate", "timeoutMs", "expectedStatuses", "hostHeader", "headers", "maxAttempts", "callBackDelaySeconds", "concurrency", "maxRedirects"] as const;

export function readSettings(details: Record<string, unknown>): SmokeTestSettings | string {
  const url = details.url;
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) return "hookDetails.url must be the test listener's http(s) URL";
  const paths = Array.isArray(details.paths) ? details.paths.filter((path): path is string => typeof path === "string" && path.startsWith("/")) : [];
  if (paths.length === 0) return "hookDetails.paths must list at least one path starting with /";
  const matcher = typeof details.expectedStatuses === "string" ? details.expectedStatuses : DEFAULT_EXPECTED_STATUSES;
  const expected = parseStatusMatcher(matcher);
  if ("problem" in expected) return `hookDetails.expectedStatuses: ${expected.problem}`;
  return {
    url: url.replace(/\/+$/, ""),
    paths,
    samples: Math.round(numberSetting(details, "samples", 20, 1, 500)),
    // The floor holds here too: hookDetails edited by hand must not turn the test into one that passes everything.
    minSuccessRate: numberSetting(details, "minSuccessRate", 0.95, MIN_SUCCESS_RATE_FLOOR, 1),
    timeoutMs: numberSetting(details, "timeoutMs", 2000, 50, 30000),
    expectedStatuses: expected.ranges,
    hostHeader: typeof details.hostHeader === "string" && details.hostHeader ? details.hostHeader : undefined,
    headers: headersSetting(details.headers),
    maxAttempts: Math.round(numberSetting(details, "maxAttempts", 10, 1, 100)),
    callBackDelaySeconds: Math.round(numberSetting(details, "callBackDelaySeconds", 30, 1, 900)),
    concurrency: Math.round(numberSetting(details, "concurrency", SMOKE_CONCURRENCY, 1, 50)),
    maxRedirects: Math.round(numberSetting(details, "maxRedirects", MAX_REDIRECTS, 0, 20)),
  };
}

/** Codes a load balancer answers while the new targets are still registering or starting. */
const NOT_READY_STATUSES = new Set([502, 503, 504]);
const NOT_READY_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

type Hop = { readonly status: number; readonly location?: string } | ProbeOutcome;

/** One GET, no redirects followed; settles by `deadline` (epoch ms) at the latest and never rejects. */
function get(url: URL, deadline: number, headers: Record<string, string>): Promise<Hop> {
  return new Promise((resolve) => {
    const client = url.protocol === "https:" ? https : http;
    let settled = false;
    const finish = (hop: Hop) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(hop);
      }
    };
    const request = client.get(url, { headers, agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      response.resume();
      response.on("end", () => finish({ status, location }));
      response.on("error", (error) => finish({ kind: "error", detail: error.message }));
    });
    const timer = setTimeout(() => {
      finish({ kind: "timeout" });
      request.destroy();
    }, Math.max(0, deadline - Date.now()));
    request.on("error", (error: NodeJS.ErrnoException) => {
      finish(error.code && NOT_READY_ERRORS.has(error.code) ? { kind: "not-ready", detail: error.code } : { kind: "error", detail: error.code ?? error.message });
    });
  });
}

/**
 * One sample: a GET that follows redirects only while they stay on the test listener's origin (scheme, host and port),
 * at most `maxRedirects` times, all within `timeoutMs`. A redirect elsewhere (a login page, the production host) is a
 * failure: following it would test something other than the new version.
 */
export async function probe(url: string, settings: Pick<SmokeTestSettings, "timeoutMs" | "expectedStatuses" | "hostHeader" | "headers" | "maxRedirects">): Promise<ProbeOutcome> {
  const deadline = Date.now() + settings.timeoutMs;
  const headers = { "user-agent": "release-platform-smoke-test", ...settings.headers, ...(settings.hostHeader ? { host: settings.hostHeader } : {}) };
  let current = new URL(url);
  for (let hops = 0; ; hops++) {
    const hop = await get(current, deadline, headers);
    if ("kind" in hop) return hop;
    const { status, location } = hop;
    if (statusExpected(settings.expectedStatuses, status)) return { kind: "ok", status };
    if (NOT_READY_STATUSES.has(status)) return { kind: "not-ready", detail: `HTTP ${status}` };
    if (!REDIRECT_STATUSES.has(status) || !location) return { kind: "bad-status", status };
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      return { kind: "redirect-offsite", location: "an unparsable location" };
    }
    if (next.origin !== current.origin) return { kind: "redirect-offsite", location: next.origin };
    if (hops >= settings.maxRedirects) return { kind: "redirect-loop" };
    current = next;
  }
}

/** `samples` requests per path, at most `concurrency` at a time. */
export async function runProbes(settings: SmokeTestSettings): Promise<ProbeOutcome[]> {
  const urls = settings.paths.flatMap((path) => Array.from({ length: settings.samples }, () => `${settings.url}${path}`));
  const outcomes: ProbeOutcome[] = new Array(urls.length);
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const index = next++;
      outcomes[index] = await probe(urls[index], settings);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, urls.length) }, worker));
  return outcomes;
}

export function tally(outcomes: readonly ProbeOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key =
      outcome.kind === "ok" || outcome.kind === "bad-status"
        ? String(outcome.status)
        : outcome.kind === "not-ready"
          ? outcome.detail
          : outcome.kind === "redirect-offsite"
            ? `redirect to ${outcome.location}`
            : outcome.kind === "error"
              ? `error:${outcome.detail}`
              : outcome.kind;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The decision for one invocation. Nothing answering yet (every probe refused or a 502/503/504) means the new targets
 * are still registering: IN_PROGRESS until `maxAttempts`, then FAILED. Otherwise the count of failures decides, against
 * the number a version at exactly `minSuccessRate` would exceed only 5% of the time (`allowedFailures`).
 */
export function decide(outcomes: readonly ProbeOutcome[], settings: SmokeTestSettings, attempt: number, details: Record<string, unknown> = {}): HookResponse {
  const total = outcomes.length;
  const succeeded = outcomes.filter((outcome) => outcome.kind === "ok").length;
  const notReady = outcomes.filter((outcome) => outcome.kind === "not-ready").length;
  const statuses = tally(outcomes);
  if (succeeded === 0 && notReady === total) {
    if (attempt + 1 < settings.maxAttempts) {
      return { hookStatus: "IN_PROGRESS", callBackDelay: settings.callBackDelaySeconds, hookDetails: carriedDetails(details, SETTING_KEYS, { attempt: attempt + 1 }) };
    }
    return failed(`test listener not ready after ${attempt + 1} attempts (${JSON.stringify(statuses)})`);
  }
  const allowed = allowedFailures(total, settings.minSuccessRate);
  const failures = total - succeeded;
  if (failures <= allowed) return { hookStatus: "SUCCEEDED" };
  return failed(`${succeeded}/${total} succeeded, ${failures} failures where at most ${allowed} pass at minSuccessRate ${settings.minSuccessRate}; answers ${JSON.stringify(statuses)}`);
}

/** ECS calls this at POST_TEST_TRAFFIC_SHIFT: the new version is behind the test listener, users still see the old. */
export async function handler(event: unknown): Promise<HookResponse> {
  let invocation: HookInvocation = { executionId: "", lifecycleStage: "", serviceArn: "", targetServiceRevisionArn: "", resourceArn: "", details: {} };
  try {
    invocation = parseHookEvent(event);
    const settings = readSettings(invocation.details);
    if (typeof settings === "string") {
      const response = failed(settings);
      logDecision("smoke-test", invocation, response, { reason: settings });
      return response;
    }
    const attempt = Math.round(numberSetting(invocation.details, "attempt", 0, 0, 1000));
    const outcomes = await runProbes(settings);
    const response = decide(outcomes, settings, attempt, invocation.details);
    logDecision("smoke-test", invocation, response, {
      attempt: attempt + 1,
      requests: outcomes.length,
      allowedFailures: allowedFailures(outcomes.length, settings.minSuccessRate),
      answers: tally(outcomes),
      reason: response.hookDetails?.reason,
    });
    return response;
  } catch (error) {
    const reason = `smoke test could not run: ${error instanceof Error ? error.message : String(error)}`;
    const response = failed(reason);
    logDecision("smoke-test", invocation, response, { reason });
    return response;
  }
}
