import { at, list } from "./props";
import type { PolicyResource, Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";

/** What a template measures: the ALB metrics its CloudWatch queries read. */
function measuredMetrics(template: PolicyResource): Set<string> {
  const names = new Set<string>();
  for (const metric of list(at(template.props, "spec", "metrics"))) {
    for (const query of list(at(metric, "provider", "cloudWatch", "metricDataQueries"))) {
      const name = at(query, "metricStat", "metric", "metricName");
      if (typeof name === "string") names.add(name);
    }
  }
  return names;
}

/** The analyses that judge the new version while it serves users: canary's background analysis, blue/green's post-promotion. */
function judgingAnalyses(rollout: PolicyResource): unknown[] {
  const strategy = at(rollout.props, "spec", "strategy");
  return [at(strategy, "canary", "analysis"), at(strategy, "blueGreen", "postPromotionAnalysis")].filter((analysis) => analysis !== undefined);
}

export const kubernetesServiceHasAnalysis: Rule = defineRule({
  id: "kubernetes-service-has-analysis",
  description: "Every Argo Rollout judges the new version under user traffic on both its error rate and its latency, and aborts on either",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== ROLLOUT) return NOT_APPLICABLE;
    const namespace = at(resource.props, "metadata", "namespace");
    const templates = new Map(
      stack.resources
        .filter((candidate) => candidate.type === TEMPLATE && at(candidate.props, "metadata", "namespace") === namespace)
        .map((template) => [String(at(template.props, "metadata", "name")), template]),
    );
    const measured = new Set<string>();
    const problems: string[] = [];
    for (const analysis of judgingAnalyses(resource)) {
      for (const reference of list(at(analysis, "templates"))) {
        const name = String(at(reference, "templateName"));
        const template = templates.get(name);
        if (!template) problems.push(`analysis template ${name} is not in this stack`);
        else measuredMetrics(template).forEach((metric) => measured.add(metric));
      }
    }
    if (!measured.has("HTTPCode_Target_5XX_Count")) problems.push("no analysis of the new version's error rate (HTTPCode_Target_5XX_Count) while it serves users");
    if (!measured.has("TargetResponseTime")) problems.push("no analysis of the new version's latency (TargetResponseTime) while it serves users");
    return judged(problems);
  },
});
