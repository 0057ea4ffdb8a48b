// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  const query = (metricName: string) => ({ metricStat: { metric: { namespace: "AWS/ApplicationELB", metricName } } });
  const template = (name: string, ...metrics: string[]) =>
    res("kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", { metadata: { name, namespace: "shop" }, spec: { metrics: [{ name: "m", provider: { cloudWatch: { metricDataQueries: metrics.map(query) } } }] } }, {}, name);
  const rollout = res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { canary: { analysis: { templates: [{ templateName: "t" }] } } } } });
  return {
    compliant: [[rollout, production(template("t", "RequestCount", "HTTPCode_Target_5XX_Count", "TargetResponseTime"))]],
    nonCompliant: [[rollout, production(template("t", "RequestCount", "HTTPCode_Target_5XX_Count"))]],
  };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    [res("kubernetes:apps/v1:Deployment", {}), production()],
  ],
};
