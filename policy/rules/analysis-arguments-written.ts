import { at, list } from "./props";
import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";

/** Whether an analysis reads arguments from the Rollout's `status.alb`, which only a verified weight writes. */
const readsAlbStatus = (analysis: unknown) =>
  list(at(analysis, "args")).some((arg) => String(at(arg, "valueFrom", "fieldRef", "fieldPath") ?? "").startsWith("status.alb"));

/**
 * Argo builds an AnalysisRun's arguments from the Rollout read at the start of the reconcile
 * (`BuildArgumentsForRolloutAnalysisRun(..., c.rollout)`, argo-rollouts rollout/analysis.go), and writes `status.alb`
 * only while verifying a setWeight, into the new status of that same reconcile (rollout/trafficrouting/alb/alb.go),
 * and never without `--aws-verify-target-group`. A run reading `status.alb` must therefore start after the first
 * setWeight and after a step that checks the status without reading it (a precondition whose run can be created when
 * the status is missing): otherwise the first release judges an empty target group and a later one a stale group, or
 * the run is never created ("invalid path ... in rollout", utils/analysis/factory.go) and the canary goes unjudged.
 */
export const analysisArgumentsWritten: Rule = defineRule({
  id: "analysis-arguments-written",
  description:
    "A canary analysis that reads status.alb starts after the first setWeight and after a precondition step that checks the status without reading it, so its arguments are the ones Argo wrote for this release",
  enforcement: "mandatory",
  judge(resource) {
    if (resource.type !== ROLLOUT) return NOT_APPLICABLE;
    const canary = at(resource.props, "spec", "strategy", "canary");
    if (canary === undefined) return NOT_APPLICABLE;
    const steps = list(at(canary, "steps"));
    const firstWeight = steps.findIndex((step) => at(step, "setWeight") !== undefined);
    // The first analysis step after the first weight whose own arguments do not read status.alb.
    const precondition = steps.findIndex((step, index) => index > firstWeight && at(step, "analysis") !== undefined && !readsAlbStatus(at(step, "analysis")));
    const problems: string[] = [];
    const background = at(canary, "analysis");
    if (background !== undefined && readsAlbStatus(background)) {
      const starting = Number(at(background, "startingStep") ?? 0);
      if (firstWeight === -1 || starting <= firstWeight) {
        problems.push(`the background analysis reads status.alb from step ${starting}, at or before the first setWeight (step ${firstWeight}): its arguments are the status before this release's weight was verified (empty on the first release, stale after a target group is replaced)`);
      } else if (precondition === -1 || precondition >= starting) {
        problems.push(`the background analysis reads status.alb from step ${starting} with no precondition step between the first setWeight (step ${firstWeight}) and it: without --aws-verify-target-group its run is never created and the canary goes unjudged`);
      }
    }
    steps.forEach((step, index) => {
      if (readsAlbStatus(at(step, "analysis")) && (firstWeight === -1 || precondition === -1 || index <= precondition)) {
        problems.push(`the analysis at step ${index} reads status.alb before a precondition step after the first setWeight has checked it`);
      }
    });
    return judged(problems);
  },
});
