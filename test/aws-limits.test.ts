import { describe, expect, it } from "vitest";
import { FeatureFlagStore } from "../components/feature-flag-store/feature-flag-store";
import { configError, resource, resourcesOf, setPath, shippedConfig, synth } from "./helpers";
import * as pulumi from "@pulumi/pulumi";

/** `n` distinct /32 addresses from TEST-NET-2 and beyond. */
const cidrs = (n: number, family: "IPv4" | "IPv6" = "IPv4") =>
  Array.from({ length: n }, (_, i) => (family === "IPv4" ? `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}/32` : `2001:db8::${(i + 1).toString(16)}/128`));

describe("the load balancer's security group stays within AWS's 60 inbound rules per IP family", () => {
  it("40 allowed CIDRs on two HTTPS listener ports (today's 82 rules) are refused, naming the stack-file path and the quota", () => {
    expect(configError(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", cidrs(40)), "production")).toBe(
      "Pulumi.production.yaml: release:ingress.allowedCidrs: with 2 listener port(s), the test listener's sources and testListenerCidrs give the load " +
        "balancer's security group at least 81 IPv4 inbound rules; AWS allows 60 per security group and IP family by default: list fewer, wider CIDRs (got 40)",
    );
  });

  it("29 CIDRs on two ports plus the NAT list fit; IPv6 sources count apart from IPv4", () => {
    expect(configError(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", cidrs(29)), "production")).toBeUndefined();
    expect(configError(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", [...cidrs(29), ...cidrs(21, "IPv6")]), "production")).toBeUndefined();
  });

  it("test-listener CIDRs count too", () => {
    const config = setPath(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", cidrs(25)), "release:ingress.testListenerCidrs", cidrs(20).map((c) => c.replace("198.51.", "192.0.")));
    expect(configError(config, "production")).toContain("at least 71 IPv4 inbound rules");
  });
});

describe("AppConfig names stay within AppConfig's 64 characters", () => {
  const long = "production-eu-central-with-a-very-long-descriptive-stack-name-for-testing-0123456789";

  it("an 84-character stack gets a fitting application and environment name, and its agents read them", async () => {
    const d = await synth(shippedConfig("production"), long);
    const application = String(resource(d, "aws:appconfig/application:Application", `${long}-flags-app`).inputs.name);
    const environment = String(resourcesOf(d, "aws:appconfig/environment:Environment")[0].inputs.name);
    expect(application.length).toBeLessThanOrEqual(64);
    expect(environment.length).toBeLessThanOrEqual(64);
    expect(environment).not.toBe(long.slice(0, 64));
    expect(application.startsWith("release-platform-production-eu-central")).toBe(true);
    const containers = JSON.parse(String(resource(d, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task").inputs.containerDefinitions)) as { name: string; environment?: { name: string; value: string }[] }[];
    const prefetch = containers.find((c) => c.name === "appconfig-agent")?.environment?.find((v) => v.name === "PREFETCH_LIST")?.value;
    expect(prefetch).toBe(`/applications/${application}/environments/${environment}/configurations/feature-flags`);
  });

  it("a shipped stack's names are unchanged", async () => {
    const d = await synth(shippedConfig("production"), "production");
    expect(resource(d, "aws:appconfig/application:Application", "production-flags-app").inputs.name).toBe("release-platform-production");
    expect(resourcesOf(d, "aws:appconfig/environment:Environment")[0].inputs.name).toBe("production");
  });

  it("the FeatureFlagStore component refuses a longer name, naming the field", async () => {
    await pulumi.runtime.setMocks({ newResource: (args) => ({ id: args.name, state: args.inputs }), call: () => ({}) }, "release-platform", "dev");
    expect(() => new FeatureFlagStore("flags", { applicationName: "a".repeat(65), environmentName: "dev", document: "{}" })).toThrow(
      `FeatureFlagStore flags: applicationName must be 1-64 characters (AppConfig's limit) (got "${"a".repeat(65)}")`,
    );
  });
});
