/**
 * The smoke test's rules as pure functions: which answers count, how many failures a sample may hold, what that
 * decision gets wrong how often, and how long it can take. The handler, the component and config validation share them.
 */

/** A version at exactly `minSuccessRate` fails at most this often (the decision's false-failure level). */
export const FALSE_FAILURE_LEVEL = 0.05;
/** Below this a "success rate" passes versions that fail one request in five or more: no longer a smoke test. */
export const MIN_SUCCESS_RATE_FLOOR = 0.8;
/** The decision must fail a version answering half its requests with errors at least this often (1 - 5%). */
export const BROKEN_VERSION_ERROR_RATE = 0.5;
export const BROKEN_VERSION_MAX_PASS_RATE = 0.05;
/** Requests in flight at once. */
export const SMOKE_CONCURRENCY = 10;
/** Same-origin redirects followed per request before it counts as a loop. */
export const MAX_REDIRECTS = 5;
/** Lambda's limit on one invocation. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
/** Start-up and log writing on top of the requests themselves. */
const START_UP_SECONDS = 10;

export const DEFAULT_EXPECTED_STATUSES = "200-299";

/** Inclusive status ranges from an ALB-matcher-like list ("200-299,304"), or a problem. */
export function parseStatusMatcher(matcher: string): { readonly ranges: readonly (readonly [number, number])[] } | { readonly problem: string } {
  const ranges: [number, number][] = [];
  for (const part of matcher.split(",")) {
    const match = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (!match) return { problem: `expected status codes and ranges like "200-299,304"` };
    const low = Number(match[1]);
    const high = Number(match[2] ?? match[1]);
    if (low < 100 || high > 599 || low > high) return { problem: `${part.trim()} is not a range of HTTP statuses (100-599, low to high)` };
    ranges.push([low, high]);
  }
  return { ranges };
}

export function statusExpected(ranges: readonly (readonly [number, number])[], status: number): boolean {
  return ranges.some(([low, high]) => status >= low && status <= high);
}

/** P(X <= count) for X ~ Binomial(trials, p), summed in log space so thousands of trials do not underflow. */
export function binomialCdf(trials: number, count: number, p: number): number {
  if (count < 0) return 0;
  if (count >= trials || p <= 0) return 1;
  if (p >= 1) return 0;
  let logTerm = trials * Math.log1p(-p);
  let sum = Math.exp(logTerm);
  const ratio = Math.log(p) - Math.log1p(-p);
  for (let k = 0; k < count; k++) {
    logTerm += Math.log((trials - k) / (k + 1)) + ratio;
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/**
 * Failures a sample of `requests` may hold and still pass: the fewest such that a version whose true success rate is
 * exactly `minSuccessRate` shows more only `FALSE_FAILURE_LEVEL` of the time (a one-sided exact binomial test). A plain
 * share (passed/requests >= minSuccessRate) ignores sampling noise: 20 requests at 95% allow one failure and fail a
 * version with 3% errors 12% of the time.
 */
export function allowedFailures(requests: number, minSuccessRate: number, level = FALSE_FAILURE_LEVEL): number {
  const errorRate = 1 - minSuccessRate;
  for (let failures = 0; failures < requests; failures++) {
    if (1 - binomialCdf(requests, failures, errorRate) <= level) return failures;
  }
  return requests;
}

export interface SmokeDecisionRates {
  readonly requests: number;
  readonly allowedFailures: number;
  /** The healthy version of the statement: true error rate 1 - minSuccessRate. */
  readonly healthyErrorRate: number;
  /** How often that healthy version fails the test. */
  readonly falseFailureRate: number;
  /** The bad version of the statement: twice the healthy error rate. */
  readonly badErrorRate: number;
  /** How often that bad version passes. */
  readonly falsePassRate: number;
  /** How often a version answering half its requests with errors passes. */
  readonly brokenPassRate: number;
}

export function smokeDecisionRates(requests: number, minSuccessRate: number): SmokeDecisionRates {
  const allowed = allowedFailures(requests, minSuccessRate);
  const healthyErrorRate = 1 - minSuccessRate;
  const badErrorRate = Math.min(1, 2 * healthyErrorRate);
  return {
    requests,
    allowedFailures: allowed,
    healthyErrorRate,
    falseFailureRate: 1 - binomialCdf(requests, allowed, healthyErrorRate),
    badErrorRate,
    falsePassRate: binomialCdf(requests, allowed, badErrorRate),
    brokenPassRate: binomialCdf(requests, allowed, BROKEN_VERSION_ERROR_RATE),
  };
}

const percent = (rate: number) => `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;

/** One line for the synth tree and the docs, e.g. "20 requests, passes with <= 3 errors: ...". */
export function describeSmokeDecision(requests: number, minSuccessRate: number): string {
  const rates = smokeDecisionRates(requests, minSuccessRate);
  return (
    `smoke ${rates.requests} requests, passes with <= ${rates.allowedFailures} errors: ` +
    `false failure ${percent(rates.falseFailureRate)} at ${percent(rates.healthyErrorRate)} errors, ` +
    `false pass ${percent(rates.falsePassRate)} at ${percent(rates.badErrorRate)} errors`
  );
}

/** Seconds one invocation can take: every request at its full timeout (redirects included), `SMOKE_CONCURRENCY` at a time. */
export function smokeWorstCaseSeconds(paths: number, samples: number, timeoutMs: number): number {
  return Math.ceil((Math.ceil((paths * samples) / SMOKE_CONCURRENCY) * timeoutMs) / 1000) + START_UP_SECONDS;
}

export interface SmokeSettingsProblem {
  /** The smoke-test field to change. */
  readonly field: "minSuccessRate" | "samples" | "timeoutMs" | "expectedStatuses" | "paths";
  readonly message: string;
  readonly got: unknown;
}

/** Every problem with a smoke test's settings, one rule each. */
export function smokeSettingsProblems(settings: {
  readonly paths: readonly string[];
  readonly samples: number;
  readonly minSuccessRate: number;
  readonly timeoutMs: number;
  readonly expectedStatuses?: string;
}): SmokeSettingsProblem[] {
  const problems: SmokeSettingsProblem[] = [];
  const { paths, samples, minSuccessRate, timeoutMs } = settings;
  if (paths.length === 0) problems.push({ field: "paths", message: "must list at least one path", got: paths });
  if (!Number.isInteger(samples) || samples < 1) problems.push({ field: "samples", message: "must be a whole number of requests, at least 1", got: samples });
  if (!(minSuccessRate >= MIN_SUCCESS_RATE_FLOOR && minSuccessRate <= 1)) {
    problems.push({
      field: "minSuccessRate",
      message: `must be between ${MIN_SUCCESS_RATE_FLOOR} and 1: below ${MIN_SUCCESS_RATE_FLOOR} a version failing one request in five passes`,
      got: minSuccessRate,
    });
  }
  if (!(timeoutMs > 0)) problems.push({ field: "timeoutMs", message: "must be positive", got: timeoutMs });
  if (settings.expectedStatuses !== undefined) {
    const parsed = parseStatusMatcher(settings.expectedStatuses);
    if ("problem" in parsed) problems.push({ field: "expectedStatuses", message: parsed.problem, got: settings.expectedStatuses });
  }
  if (problems.length > 0) return problems;

  const requests = paths.length * samples;
  const { brokenPassRate } = smokeDecisionRates(requests, minSuccessRate);
  if (brokenPassRate > BROKEN_VERSION_MAX_PASS_RATE) {
    const needed = minimumRequests(minSuccessRate);
    problems.push({
      field: "samples",
      message: `too few to decide: ${requests} requests at minSuccessRate ${minSuccessRate} pass a version failing half of them ${percent(brokenPassRate)} of the time; use at least ${Math.ceil(needed / paths.length)} samples per path (${needed} requests)`,
      got: samples,
    });
  }
  const seconds = smokeWorstCaseSeconds(paths.length, samples, timeoutMs);
  if (seconds > LAMBDA_MAX_TIMEOUT_SECONDS) {
    problems.push({
      field: "samples",
      message: `the worst case (${paths.length} paths x ${samples} samples x timeoutMs ${timeoutMs} / ${SMOKE_CONCURRENCY} at a time, plus ${START_UP_SECONDS} s) takes ${seconds} s, over Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s per invocation: lower samples, paths or timeoutMs`,
      got: samples,
    });
  }
  return problems;
}

/**
 * The fewest requests from which on every larger sample fails a half-broken version often enough. The test is discrete,
 * so the pass rate is not monotonic in the sample size (at 0.85, 18 requests hold but 19 and 20 do not): scan past it.
 */
export function minimumRequests(minSuccessRate: number): number {
  let lastTooFew = 0;
  for (let requests = 1; requests <= 400; requests++) {
    if (smokeDecisionRates(requests, minSuccessRate).brokenPassRate > BROKEN_VERSION_MAX_PASS_RATE) lastTooFew = requests;
  }
  return lastTooFew + 1;
}
