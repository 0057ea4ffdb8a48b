import { at, list } from "./props";
import type { PolicyResource, Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const JOB = "kubernetes:batch/v1:Job";
/** The Argo Rollouts kubectl plugin, whose `status` command waits for the new generation and fails on Degraded. */
const PLUGIN_IMAGE = /^quay\.io\/argoproj\/kubectl-argo-rollouts:/;
const WAIT_MARGIN_SECONDS = 30 * 60;

const seconds = (duration: unknown): number => {
  const match = /^(\d+)(s|m|h)?$/.exec(String(duration ?? ""));
  if (!match) return 0;
  return Number(match[1]) * (match[2] === "h" ? 3600 : match[2] === "m" ? 60 : 1);
};

/** The pauses a release spends when healthy: every canary pause. */
function pausesSeconds(rollout: PolicyResource): number {
  return list(at(rollout.props, "spec", "strategy", "canary", "steps")).reduce<number>((sum, step) => sum + seconds(at(step, "pause", "duration")), 0);
}

/** The Jobs that run `kubectl argo rollouts status <name>` in the Rollout's namespace, with no retries. */
function waitersOf(rollout: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
  const name = at(rollout.props, "metadata", "name");
  const namespace = at(rollout.props, "metadata", "namespace");
  return resources.filter((job) => {
    if (job.type !== JOB || at(job.props, "metadata", "namespace") !== namespace) return false;
    const container = at(job.props, "spec", "template", "spec", "containers", 0);
    const args = list(at(container, "args"));
    return PLUGIN_IMAGE.test(String(at(container, "image") ?? "")) && args[0] === "status" && args[1] === name && at(job.props, "spec", "backoffLimit") === 0;
  });
}

/**
 * In staging and production `pulumi up` must wait for a Rollout's new generation and fail if Argo aborts it, as ECS's
 * waitForSteadyState does; the Kubernetes provider does not await custom resources ("Otherwise we no-op",
 * pulumi-kubernetes provider/pkg/metadata/overrides.go). `pulumi.com/waitFor` on the Rollout does not count: its
 * generation guard reads an integer status.observedGeneration and Argo's is a string, so the previous release's
 * Healthy satisfies it. What counts is a Job running the Argo plugin's `status <rollout>` (generation-aware, non-zero
 * on Degraded), with no retries and a `pulumi.com/timeoutSeconds` of at least the release's pauses plus 30 minutes.
 */
export const rolloutAwaited: Rule = defineRule({
  id: "rollout-awaited",
  description: "In staging and production, pulumi up waits for every Argo Rollout's new generation to be Healthy, for its pauses plus 30 minutes, and fails when it is Degraded",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== ROLLOUT || (stack.tier !== "staging" && stack.tier !== "production")) return NOT_APPLICABLE;
    const waiters = waitersOf(resource, stack.resources);
    if (waiters.length === 0) {
      return nonCompliant(`no Job runs kubectl-argo-rollouts status ${String(at(resource.props, "metadata", "name"))} (backoffLimit 0): pulumi up returns while Argo is still releasing or has aborted`);
    }
    const needed = pausesSeconds(resource) + WAIT_MARGIN_SECONDS;
    const timeout = Number(at(waiters[0].props, "metadata", "annotations", "pulumi.com/timeoutSeconds") ?? 0);
    return timeout >= needed ? COMPLIANT : nonCompliant(`the waiter's pulumi.com/timeoutSeconds (${timeout}) is shorter than the release's pauses plus 30 minutes (${needed})`);
  },
});
