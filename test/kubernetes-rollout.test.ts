import { describe, expect, it } from "vitest";
import { blueGreenAnalysisArgs, CANARY_ANALYSIS_ARGS } from "../components/kubernetes-service/analysis";
import { rolloutStrategy } from "../components/kubernetes-service/rollout";

// The Rollout's strategy as plain data: no Pulumi mocks, no resources.
const services = { live: "search-stable", next: "search-canary" };

describe("the Rollout's strategy, built without resources", () => {
  it("a canary smoke-tests one pod, checks status.alb after the first weight, starts the background analysis after that check and runs the promotion check before 100%", () => {
    const strategy = rolloutStrategy({
      name: "search",
      port: 8080,
      services,
      steps: [
        { percent: 5, pauseMinutes: 10 },
        { percent: 100, pauseMinutes: 15 },
      ],
      templates: { alarms: "search-alarms", promotionCheck: "search-promotion-check", smoke: "search-smoke", precondition: "search-analysis-precondition" },
      args: CANARY_ANALYSIS_ARGS,
      scaleDownDelaySeconds: 90,
    });
    const alarmArgs = [CANARY_ANALYSIS_ARGS.loadBalancer, CANARY_ANALYSIS_ARGS.newTargetGroup];
    expect(strategy).toEqual({
      canary: {
        stableService: "search-stable",
        canaryService: "search-canary",
        scaleDownDelaySeconds: 90,
        abortScaleDownDelaySeconds: 90,
        trafficRouting: { alb: { ingress: "search", servicePort: 8080 } },
        analysis: { templates: [{ templateName: "search-alarms" }], args: alarmArgs, startingStep: 5 },
        steps: [
          { setCanaryScale: { replicas: 1 } },
          { analysis: { templates: [{ templateName: "search-smoke" }] } },
          { setCanaryScale: { matchTrafficWeight: true } },
          { setWeight: 5 },
          { analysis: { templates: [{ templateName: "search-analysis-precondition" }] } },
          { pause: { duration: "10m" } },
          { analysis: { templates: [{ templateName: "search-promotion-check" }], args: alarmArgs } },
          { setWeight: 100 },
          { pause: { duration: "15m" } },
        ],
      },
    });
  });

  it("blue/green checks the preview group before promotion and bakes on the active group after the switch", () => {
    const args = blueGreenAnalysisArgs("app/shop/1", "targetgroup/preview/2", "targetgroup/active/3");
    const strategy = rolloutStrategy({
      name: "catalog",
      port: 8080,
      services: { live: "catalog-active", next: "catalog-preview" },
      steps: [],
      templates: { alarms: "catalog-alarms", promotionCheck: "catalog-promotion-check", bake: "catalog-bake" },
      args,
      scaleDownDelaySeconds: 60,
    });
    expect(strategy).toEqual({
      blueGreen: {
        activeService: "catalog-active",
        previewService: "catalog-preview",
        autoPromotionEnabled: true,
        scaleDownDelaySeconds: 60,
        abortScaleDownDelaySeconds: 60,
        prePromotionAnalysis: {
          templates: [{ templateName: "catalog-promotion-check" }],
          args: [
            { name: "load-balancer", value: "app/shop/1" },
            { name: "target-group", value: "targetgroup/preview/2" },
          ],
        },
        postPromotionAnalysis: {
          templates: [{ templateName: "catalog-bake" }],
          args: [
            { name: "load-balancer", value: "app/shop/1" },
            { name: "target-group", value: "targetgroup/active/3" },
          ],
        },
      },
    });
  });
});
