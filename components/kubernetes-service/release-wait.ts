/** The Job `pulumi up` waits on until a release of the Rollout is through, and how long it may take. */
import type { SmokeTest } from "./smoke";

/** Image of the Argo Rollouts kubectl plugin, the waiter's `status` command; the version the README installs. */
export const ROLLOUTS_PLUGIN_IMAGE = "quay.io/argoproj/kubectl-argo-rollouts:v1.7.2";

/**
 * Minutes one release of the Rollout takes when healthy: every pause and bake, the smoke test's requests, each
 * analysis that runs alone (precondition, promotion check) one evaluation window.
 */
export function releaseMinutes(parts: {
  readonly pauses: readonly number[];
  readonly smoke?: SmokeTest;
  /** What the smoke test may wait for the new pods' first answer (through the load balancer). */
  readonly smokeSettleSeconds?: number;
  readonly windowMinutes: number;
  readonly standaloneAnalyses: number;
}): number {
  const smoke = parts.smoke ? Math.ceil((parts.smoke.samples * parts.smoke.paths.length * parts.smoke.timeoutMs) / 1000 + (parts.smokeSettleSeconds ?? 0)) / 60 : 0;
  return parts.pauses.reduce((sum, minutes) => sum + minutes, 0) + Math.ceil(smoke) + parts.standaloneAnalyses * parts.windowMinutes;
}

/** As ECS's waitForSteadyState timeout: the release's own minutes plus 30. */
export const WAIT_MARGIN_MINUTES = 30;
