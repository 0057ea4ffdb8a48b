import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { BlueGreenService } from "../components/blue-green-service/blue-green-service";
import { KubernetesService } from "../components/kubernetes-service/kubernetes-service";
import type { Tier } from "../components/tiers";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { resource, resourcesOf, testEnvironment } from "./helpers";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";

/** A BlueGreenService built directly with only its required arguments, in an environment of `tier`. */
function minimalService(tier: Tier, extra: Record<string, unknown> = {}): Promise<SynthDocument> {
  return synthesizeProgram({ stack: tier, tier, region: "eu-west-1" }, async () => {
    const environment = testEnvironment(tier);
    new BlueGreenService("api", { environment, image: "nginx:1.27", port: 8080, pathPatterns: ["/*"], priority: 1, ...extra }, { providers: [environment.provider] });
    return {};
  });
}

const stages = (document: SynthDocument) =>
  (((resource(document, "aws:ecs/service:Service", "api-service").inputs.deploymentConfiguration as Record<string, unknown>).lifecycleHooks ?? []) as { lifecycleStages: string[] }[]).map(
    (hook) => hook.lifecycleStages[0],
  );

describe("a BlueGreenService given only its required arguments gets its tier's defaults", () => {
  it("production: a canary with bakes, 3 tasks scaling to 12, alarms ECS rolls back on, a smoke test and an alarm gate", async () => {
    const d = await minimalService("production");
    const ecs = resource(d, "aws:ecs/service:Service", "api-service");
    expect(ecs.inputs.desiredCount).toBe(3);
    expect(ecs.inputs.waitForSteadyState).toBe(true);
    expect(ecs.inputs.deploymentConfiguration).toMatchObject({ strategy: "CANARY", bakeTimeInMinutes: "15", canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" } });
    expect((ecs.inputs.alarms as { alarmNames: string[] }).alarmNames).toEqual([...builtInAlarmNames("env", "api"), "env-api-task-start-impaired"]);
    expect(stages(d)).toEqual(["POST_TEST_TRAFFIC_SHIFT", "PRE_SCALE_UP"]);
    expect(resource(d, "aws:ecs/taskDefinition:TaskDefinition", "api-task").inputs).toMatchObject({ cpu: "512", memory: "1024" });
    expect(resource(d, "aws:appautoscaling/target:Target", "api-scaling").inputs).toMatchObject({ minCapacity: 3, maxCapacity: 12 });
    expect(resource(d, "aws:lb/targetGroup:TargetGroup", "api-blue").inputs).toMatchObject({ deregistrationDelay: 60, healthCheck: { interval: 15 } });
    expect(resource(d, "aws:cloudwatch/logGroup:LogGroup", "api-logs").inputs.retentionInDays).toBe(90);
    expect(resource(d, "aws:cloudwatch/metricAlarm:MetricAlarm", "api-alarms-error-rate").inputs).toMatchObject({ evaluationPeriods: 1, datapointsToAlarm: 1 });
  });

  it("staging: blue/green with a 5-minute bake, 2 tasks, alarms over 2 minutes, both hooks", async () => {
    const d = await minimalService("staging");
    const ecs = resource(d, "aws:ecs/service:Service", "api-service");
    expect(ecs.inputs.desiredCount).toBe(2);
    expect(ecs.inputs.deploymentConfiguration).toMatchObject({ strategy: "BLUE_GREEN", bakeTimeInMinutes: "5" });
    expect(stages(d)).toEqual(["POST_TEST_TRAFFIC_SHIFT", "PRE_SCALE_UP"]);
    expect(resource(d, "aws:appautoscaling/target:Target", "api-scaling").inputs).toMatchObject({ minCapacity: 2, maxCapacity: 4 });
    expect(resource(d, "aws:cloudwatch/metricAlarm:MetricAlarm", "api-alarms-error-rate").inputs).toMatchObject({ evaluationPeriods: 2, datapointsToAlarm: 2 });
  });

  it("dev: one task, no bake, alarms but no hooks, and pulumi up does not wait", async () => {
    const d = await minimalService("dev");
    const ecs = resource(d, "aws:ecs/service:Service", "api-service");
    expect(ecs.inputs.desiredCount).toBe(1);
    expect(ecs.inputs.waitForSteadyState).toBe(false);
    expect(ecs.inputs.deploymentConfiguration).toMatchObject({ strategy: "BLUE_GREEN", bakeTimeInMinutes: "0" });
    // Only the switched-off gate, which passes every deployment (guard-transitions.test.ts).
    expect(stages(d)).toEqual(["PRE_SCALE_UP"]);
    expect(resourcesOf(d, "release:aws:DeploymentAlarms")).toHaveLength(1);
    expect(resource(d, "aws:cloudwatch/logGroup:LogGroup", "api-logs").inputs.retentionInDays).toBe(7);
  });

  it("the caller's values win, and false turns a guard off", async () => {
    const d = await minimalService("production", { desiredCount: 4, alarms: false, hooks: { smokeTest: false, alarmGate: false }, logRetentionDays: 14 });
    const ecs = resource(d, "aws:ecs/service:Service", "api-service");
    expect(ecs.inputs.desiredCount).toBe(4);
    // Off, not left out: the provider sends `alarms` only while the block is set (guard-transitions.test.ts).
    expect(ecs.inputs.alarms).toEqual({ alarmNames: builtInAlarmNames("env", "api"), enable: false, rollback: false });
    expect(stages(d)).toEqual(["PRE_SCALE_UP"]);
    expect(resource(d, "aws:appautoscaling/target:Target", "api-scaling").inputs).toMatchObject({ minCapacity: 4, maxCapacity: 16 });
    expect(resource(d, "aws:cloudwatch/logGroup:LogGroup", "api-logs").inputs.retentionInDays).toBe(14);
  });
});

describe("an Environment given only its required arguments gets its tier's defaults", () => {
  it("production: deletion protection, Container Insights, access logs in a protected bucket; dev: none of them", async () => {
    const production = await minimalService("production");
    expect(resource(production, "aws:lb/loadBalancer:LoadBalancer", "env-lb").inputs).toMatchObject({ enableDeletionProtection: true, idleTimeout: 60 });
    expect(resource(production, "aws:lb/loadBalancer:LoadBalancer", "env-lb").inputs.accessLogs).toMatchObject({ enabled: true });
    const bucket = resourcesOf(production, "aws:s3/bucket:Bucket");
    expect(bucket.map((b) => b.options.protect)).toEqual([true]);
    expect(resource(production, "aws:ecs/cluster:Cluster", "env-cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);

    const dev = await minimalService("dev");
    expect(resource(dev, "aws:lb/loadBalancer:LoadBalancer", "env-lb").inputs.enableDeletionProtection).toBe(false);
    expect(resourcesOf(dev, "aws:s3/bucket:Bucket")).toEqual([]);
    expect(resource(dev, "aws:ecs/cluster:Cluster", "env-cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "disabled" }]);
  });
});

describe("a KubernetesService given only its required arguments gets its tier's defaults", () => {
  const build = (tier: Tier) =>
    synthesizeProgram({ stack: tier, tier, region: "eu-west-1" }, async () => {
      const environment = testEnvironment(tier);
      const provider = new k8s.Provider("cluster", { kubeconfig: "apiVersion: v1", namespace: "shop" });
      new KubernetesService(
        "web",
        { environment, provider, namespace: "shop", image: "nginx:1.27", port: 80, pathPatterns: ["/*"], priority: 7, podSecurityGroupId: "sg-0123456789abcdef0" },
        { providers: [environment.provider] },
      );
      return {};
    });
  const templates = (document: SynthDocument) => resourcesOf(document, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate").map((template) => template.name);

  it("staging: 2 replicas, staging's alarm thresholds, a smoke test and an alarm gate before promotion", async () => {
    const d = await build("staging");
    expect((resource(d, "kubernetes:argoproj.io/v1alpha1:Rollout", "web-rollout").inputs.spec as { replicas: number }).replicas).toBe(2);
    expect(resource(d, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-alarms-error-rate").inputs.alarmDescription).toContain("over 2% of requests");
    expect(templates(d)).toEqual(expect.arrayContaining(["web-smoke", "web-promotion-check"]));
  });

  it("dev: one replica, no smoke test and no alarm gate", async () => {
    const d = await build("dev");
    expect((resource(d, "kubernetes:argoproj.io/v1alpha1:Rollout", "web-rollout").inputs.spec as { replicas: number }).replicas).toBe(1);
    expect(templates(d)).not.toContain("web-smoke");
    expect(templates(d)).not.toContain("web-promotion-check");
  });
});
