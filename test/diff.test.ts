import { describe, expect, it } from "vitest";
import { diffDocuments, flatten, mermaidDiagram, renderDiffMarkdown, renderDiffText } from "../src/synth/diff";
import { setPath, shippedConfig, synth } from "./helpers";

describe("plan diff", () => {
  it("flattens nested inputs and JSON strings into paths", () => {
    expect([...flatten({ a: { b: [1, { c: 2 }] }, p: '{"x":[true]}' }).entries()]).toEqual([
      ["a.b[0]", 1],
      ["a.b[1].c", 2],
      ["p.x[0]", true],
    ]);
  });

  it("no change, no diff", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const diff = diffDocuments(base, base);
    expect(diff.resources).toEqual([]);
    expect(renderDiffText(diff)).toBe("production: 0 to add, 0 to change, 0 to replace, 0 to remove\n");
  });

  it("calls out strategy, thresholds, flag rollouts and kill switches, and replacements first", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const config = shippedConfig("production");
    setPath(config, "release:services.checkout.deployment.canaryPercent", 20);
    setPath(config, "release:services.checkout.alarms.errorRatePercent", 2);
    setPath(config, "release:flags.new-checkout.rollout.percent", 50);
    setPath(config, "release:services.catalog.port", 3001);
    setPath(config, "release:flags.express-shipping", undefined);
    const head = await synth(config, "production");
    const diff = diffDocuments(base, head);
    expect(diff.callouts).toEqual([
      "deployment of checkout-service: canaryConfiguration.canaryPercent 10 -> 20",
      "alarm checkout-alarms-error-rate: threshold 1 -> 2",
      "removes flag express-shipping",
      "flag new-checkout: 25% (2 variants) -> 50% (2 variants)",
    ]);
    const text = renderDiffText(diff);
    expect(text).toContain("BlueGreenService checkout\n");
    expect(text).toContain("      inputs.deploymentConfiguration.canaryConfiguration.canaryPercent: 10 -> 20");
    expect(text).toContain("      inputs.loadBalancers[0].containerPort: 3000 -> 3001");
    expect(text).not.toContain("TargetGroup catalog-blue");
  });

  it("a kill switch shows as such", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const head = await synth(setPath(shippedConfig("production"), "release:flags.new-checkout.enabled", false), "production");
    expect(diffDocuments(base, head).callouts).toEqual(["flag new-checkout: 25% (2 variants) -> off (kill switch)"]);
  });

  it("added and removed resources are grouped by their component", async () => {
    const base = await synth(shippedConfig("staging"));
    const head = await synth(setPath(shippedConfig("staging"), "release:services.catalog", undefined));
    const diff = diffDocuments(base, head);
    const removed = diff.resources.filter((change) => change.kind === "removed");
    expect(new Set(removed.map((change) => change.component))).toEqual(new Set(["BlueGreenService catalog", "FeatureFlagStore staging-flags"]));
    expect(removed.filter((change) => change.component === "FeatureFlagStore staging-flags").map((change) => change.name)).toEqual(["staging-flags-read-catalog"]);
    expect(diff.callouts).toContain("removes ECS service catalog-service");
    expect(diff.callouts).toContain("**removes target group catalog-blue**");
  });

  it("markdown ends with a Mermaid diagram of the head stack", async () => {
    const head = await synth(shippedConfig("staging"));
    const markdown = renderDiffMarkdown(diffDocuments(head, head), head);
    expect(markdown.trimEnd().endsWith("```")).toBe(true);
    const diagram = mermaidDiagram(head);
    expect(diagram.split("\n")[0]).toBe("flowchart LR");
    expect(diagram).toContain("LoadBalancer_staging_lb --> ListenerRule_checkout_production");
    expect(diagram).toContain("ListenerRule_checkout_production -->|100| TargetGroup_checkout_blue");
    expect(diagram).toContain("TargetGroup_checkout_green --> Service_checkout_service");
    expect(diagram).toContain("DeploymentAlarms_checkout_alarms -.->|rollback| Service_checkout_service");
    expect(diagram).toContain("DeploymentAlarms_checkout_alarms -.->|monitors| FeatureFlagStore_staging_flags");
  });
});
