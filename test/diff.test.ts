import { describe, expect, it } from "vitest";
import { diffDocuments, flatten, mermaidDiagram, renderDiffMarkdown, renderDiffText } from "../src/synth/diff";
import { setPath, shippedConfig, synth } from "./helpers";
import { ALARM_KINDS } from "../components/deployment-alarms/kinds";

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
      "releases catalog: a new task definition revision that ECS deploys with the service's strategy",
      "catalog-service: the container port 3000 -> 3001 does not reach the ECS service, whose loadBalancers are ignored (README: changing a service's port)",
      "removes flag express-shipping",
      "flag new-checkout: 25% (2 variants) -> 50% (2 variants)",
    ]);
    const text = renderDiffText(diff);
    expect(text).toContain("BlueGreenService checkout\n");
    expect(text).toContain("      inputs.deploymentConfiguration.canaryConfiguration.canaryPercent: 10 -> 20");
    expect(text).toContain("      inputs.loadBalancers[0].containerPort: 3000 -> 3001");
    // Target groups keep their port and name: ECS registers tasks with the container port.
    expect(text).toContain("  = TargetGroup catalog-blue\n      inputs.port: 3000 -> 3001  (ignored: ECS registers each task with its container port");
    expect(text).not.toContain("+- TargetGroup");
  });

  it("agrees with pulumi preview: ignored fields are not updates, a task definition change is a replacement", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const config = shippedConfig("production");
    setPath(config, "release:services.checkout.desiredCount", 5);
    setPath(config, "release:services.checkout.image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.5.0");
    const diff = diffDocuments(base, await synth(config, "production"));
    const service = diff.resources.find((change) => change.name === "checkout-service");
    expect(service?.changes.map((change) => change.path)).not.toContain("inputs.desiredCount");
    expect(service?.ignored).toEqual([
      { path: "inputs.desiredCount", old: 3, new: 5, reason: "the count at creation; autoscaling owns it after (change autoscaling.min/max to resize)" },
    ]);
    const task = diff.resources.find((change) => change.name === "checkout-task");
    expect(task?.kind).toBe("replaced");
    expect(diff.callouts).toContain(
      'releases checkout: a new task definition revision (image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2" -> "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.5.0") that ECS deploys with the service\'s strategy',
    );
  });

  it("making the e-mails secret re-subscribes every address, and says so", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const config = shippedConfig("production");
    const emails = (config["release:notifications"] as { emails: string[] }).emails;
    setPath(config, "release:notifications.emails", emails.map((email, index) => (index === 0 ? { secure: "AAAA" } : email)));
    const diff = diffDocuments(base, await synth(config, "production"));
    const subscriptions = diff.resources.filter((change) => change.type === "aws:sns/topicSubscription:TopicSubscription");
    expect(subscriptions.length).toBeGreaterThan(0);
    expect(diff.callouts).toContain(
      `**re-subscribes ${emails.length} e-mail address(es)**: each gets a new confirmation e-mail and receives no alerts until it confirms (unconfirmed subscriptions expire after 3 days)`,
    );
  });

  it("markdown shows how a changed release goes, as text before and after and as a Mermaid chart", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const head = await synth(setPath(shippedConfig("production"), "release:services.checkout.deployment.canaryPercent", 25), "production");
    const diff = diffDocuments(base, head);
    expect(diff.releases.map((release) => release.service)).toEqual(["checkout"]);
    const markdown = renderDiffMarkdown(diff, head);
    expect(markdown).toContain("**How a release of `checkout` goes (changed)**");
    expect(markdown).toMatch(/before:\n[\s\S]*5\. 10% of production traffic to the new version[\s\S]*after:\n[\s\S]*5\. 25% of production traffic to the new version/);
    expect(markdown).toContain('checkout_4["25% of production traffic to the new version"]\n  checkout_3 --> checkout_4');
    // The gate reads the service's built-in alarms and its task-start watch.
    expect(markdown).toContain(`checkout_0{{"alarm gate: stops if any of ${ALARM_KINDS.length + 1} alarms is in ALARM, was when the deployment started, or went into ALARM since"}}`);
    expect(markdown).toContain("checkout_5 -.->|alarm| checkout_rollback");
    expect(renderDiffText(diff)).toContain("Releases this change starts or changes:");
  });

  it("an image change deploys the service: its unchanged plan is shown as what will run", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const head = await synth(setPath(shippedConfig("production"), "release:services.catalog.image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog:2.4.0"), "production");
    const diff = diffDocuments(base, head);
    expect(diff.releases.map((release) => release.service)).toEqual(["catalog"]);
    expect(renderDiffMarkdown(diff, head)).toContain("**How a release of `catalog` goes (deployed by this change)**");
  });

  it("a kill switch shows as such", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const head = await synth(setPath(shippedConfig("production"), "release:flags.new-checkout.enabled", false), "production");
    const diff = diffDocuments(base, head);
    expect(diff.callouts).toEqual(["flag new-checkout: 25% (2 variants) -> off (kill switch)"]);
    // The hosted version's content is a secret on both sides; Pulumi compares its value: a new version, deployed anew.
    const flagResources = diff.resources.filter((change) => change.type.startsWith("aws:appconfig/"));
    expect(flagResources.map((change) => [change.type.split(":").pop(), change.kind, change.changes])).toEqual([
      ["Deployment", "replaced", [{ path: "inputs.configurationVersion", old: "(the deployed version)", new: "(the new version)" }]],
      ["HostedConfigurationVersion", "replaced", [{ path: "inputs.content", old: { "new-checkout": "25% (2 variants)" }, new: { "new-checkout": "off (kill switch)" } }]],
    ]);
    expect(renderDiffText(diff)).toMatch(/^production: 0 to add, 1 to change, 2 to replace, 0 to remove\n/);
    expect(JSON.stringify(diff)).not.toContain("[secret]");
  });

  it("a flag store owned in the console shows the flag change as ignored: pulumi up keeps the console's version", async () => {
    const console = (config: ReturnType<typeof shippedConfig>) => setPath(config, "release:flagStore.ownership", "console");
    const base = await synth(console(shippedConfig("production")), "production");
    const head = await synth(setPath(console(shippedConfig("production")), "release:flags.new-checkout.rollout.percent", 50), "production");
    const version = diffDocuments(base, head).resources.find((change) => change.type === "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion");
    expect(version).toMatchObject({ kind: "ignored", changes: [], ignored: [{ path: "inputs.content", new: { "new-checkout": "50% (2 variants)" } }] });
  });

  it("deleting a protected resource is called out first: pulumi up would stop with an error", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const head = await synth(setPath(shippedConfig("production"), "release:ingress.accessLogs", { enabled: false }), "production");
    const diff = diffDocuments(base, head);
    expect(diff.callouts[0]).toMatch(/^\*\*deletes protected Bucket production-access-logs \(removed\)\*\*: pulumi up stops with an error/);
    expect(renderDiffText(diff)).toContain("Review first:\n  ! deletes protected Bucket production-access-logs (removed)");
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
