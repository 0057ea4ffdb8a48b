/** The smoke test of a Kubernetes service's new version, as a shell script Argo runs in a `job` analysis. */
import { allowedFailures, DEFAULT_EXPECTED_STATUSES, parseStatusMatcher } from "../lifecycle-hooks/handlers/smoke-decision";

export interface SmokeTest {
  readonly paths: readonly string[];
  readonly samples: number;
  readonly minSuccessRate: number;
  readonly timeoutMs: number;
  /** Statuses that count as answered, as the ECS smoke-test hook reads them. @default "200-299" */
  readonly expectedStatuses?: string;
  readonly hostHeader?: string;
}

/** Seconds a smoke test through the load balancer waits for the new pods' first answer (registration and health checks). */
export const SMOKE_SETTLE_SECONDS = 120;

/** A pinned curl image for the smoke-test job. */
export const SMOKE_IMAGE = "curlimages/curl:8.11.1";

/**
 * The smoke test as a shell script for a `job` analysis: `samples` GETs per path to the new version's Service, passing
 * with at most the failures the ECS smoke-test hook allows (its exact binomial bound) and its expected statuses.
 */
export function smokeScript(baseUrl: string, smoke: SmokeTest, headers: Readonly<Record<string, string>> = {}, settleSeconds = 0): string {
  const total = smoke.samples * smoke.paths.length;
  const allowed = allowedFailures(total, smoke.minSuccessRate);
  const matcher = parseStatusMatcher(smoke.expectedStatuses ?? DEFAULT_EXPECTED_STATUSES);
  if ("problem" in matcher) throw new Error(`smokeTest.expectedStatuses: ${matcher.problem}`);
  const seconds = (smoke.timeoutMs / 1000).toFixed(3);
  const host =
    (smoke.hostHeader ? ` -H 'Host: ${smoke.hostHeader}'` : "") +
    Object.entries(headers)
      .map(([name, value]) => ` -H '${name}: ${value}'`)
      .join("");
  return [
    // curl prints the status it received even when the body never finishes (it then exits 28 at --max-time): an
    // answer that does not complete within the timeout is a failure, as the ECS hook counts it, never its status line.
    `sample() { code=$(curl -s -o /dev/null -w '%{http_code}' --max-time ${seconds}${host} "$1") || code=0; }`,
    `expected() { ${matcher.ranges.map(([low, high]) => `{ [ "$1" -ge ${low} ] && [ "$1" -le ${high} ]; }`).join(" || ")}; }`,
    // Through the load balancer the new pods may still be registering: wait (at most settleSeconds) for a first
    // expected answer before the samples are counted, as the ECS hook runs only once its targets are healthy.
    ...(settleSeconds > 0
      ? [
          "waited=0",
          `until sample "${baseUrl}${smoke.paths[0]}"; expected "$code" || [ $waited -ge ${settleSeconds} ]; do sleep 2; waited=$((waited+2)); done`,
        ]
      : []),
    "failed=0",
    `for path in ${smoke.paths.map((path) => `'${path}'`).join(" ")}; do`,
    "  i=0",
    `  while [ $i -lt ${smoke.samples} ]; do`,
    // A connection that never answers, or an answer cut by the timeout, is code 0: a failure, as the hook counts it.
    `    sample "${baseUrl}$path"`,
    '    expected "${code:-0}" || failed=$((failed+1))',
    "    i=$((i+1))",
    "  done",
    "done",
    `echo "smoke test: $failed of ${total} requests failed, at most ${allowed} allowed"`,
    `[ "$failed" -le ${allowed} ]`,
  ].join("\n");
}
