import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { shopPlatform } from "../examples/platform-team/program";
import { synthesizeProgram } from "../src/synth/capture";
import { PROJECT_ROOT } from "../src/synth/run";
import { toConfigValues } from "../src/synth/stack-file";
import { resource, resourcesOf } from "./helpers";

describe("the example program composes the components with its own config", () => {
  it("synthesizes a canary service guarded by its alarms and a flag store monitoring them", async () => {
    const file = parse(readFileSync(join(PROJECT_ROOT, "examples/platform-team/Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> };
    const { values } = toConfigValues(file.config, "shop-platform");
    pulumi.runtime.setAllConfig(values, []);
    const d = await synthesizeProgram({ stack: "example", tier: "production", region: "eu-west-1", project: "shop-platform" }, () => shopPlatform());
    const service = resource(d, "aws:ecs/service:Service", "storefront-service");
    expect(service.inputs.deploymentConfiguration).toMatchObject({ strategy: "CANARY", canaryConfiguration: { canaryPercent: 5 } });
    expect((service.inputs.alarms as { alarmNames: string[] }).alarmNames).toEqual([
      "shop-storefront-error-rate",
      "shop-storefront-p99-latency",
      "shop-storefront-unhealthy-hosts",
    ]);
    const composite = resource(d, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "storefront-alarms-any");
    expect(resource(d, "aws:appconfig/environment:Environment", "shop-flags-env").inputs.monitors).toEqual([
      { alarmArn: composite.outputs.arn, alarmRoleArn: resource(d, "aws:iam/role:Role", "shop-flags-monitors").outputs.arn },
    ]);
    expect(resourcesOf(d, "aws:sns/topicSubscription:TopicSubscription").map((s) => s.inputs.endpoint)).toEqual(["shop-oncall@example.com"]);
    expect(d.outputs.strategy).toBe("canary 5% -> bake 10m -> 100%, bake 20m");
  });
});
