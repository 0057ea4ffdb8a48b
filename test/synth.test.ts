import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/problems";
import { releasePlatform } from "../src/program";
import { renderJson, renderTree } from "../src/synth/render";
import { synthesizeProgram } from "../src/synth/capture";
import { PROJECT_ROOT, synthesizeStack } from "../src/synth/run";
import { toConfigValues } from "../src/synth/stack-file";
import { resource, setPath, shippedConfig, synth } from "./helpers";

function cli(...args: string[]) {
  // What `npm run synth` runs.
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", ...args], {
    encoding: "utf8",
    cwd: tmpdir(),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("each shipped stack synthesizes to the JSON contract", () => {
  it.each(["dev", "staging", "production"])("%s", async (stack) => {
    const document = await synthesizeStack({ stack });
    expect(Object.keys(document)).toEqual(["version", "project", "stack", "tier", "resources", "outputs", "diagnostics"]);
    expect(document).toMatchObject({ version: 1, project: "release-platform", stack, tier: stack });
    const urns = new Set(document.resources.map((r) => r.urn));
    expect(urns.size).toBe(document.resources.length);
    for (const r of document.resources) {
      expect(Object.keys(r)).toEqual(["urn", "type", "name", "custom", "parent", "dependencies", "provider", "inputs", "outputs", "options"]);
      expect(Object.keys(r.options)).toEqual(["protect", "ignoreChanges", "retainOnDelete", ...(r.options.aliases ? ["aliases"] : [])]);
      if (r.parent !== null) expect(urns.has(r.parent), `${r.urn} parent`).toBe(true);
      for (const dependency of r.dependencies) expect(urns.has(dependency), `${r.urn} -> ${dependency}`).toBe(true);
    }
    const awsResources = document.resources.filter((r) => r.type.startsWith("aws:"));
    for (const r of awsResources) {
      expect(r.provider, `${r.name} uses the environment's provider`).toContain("pulumi:providers:aws");
    }
  });
});

describe("mocks answer like AWS", () => {
  it("load balancers and target groups get ARNs and arnSuffixes in AWS's formats", async () => {
    const document = await synth(shippedConfig("staging"));
    const lb = resource(document, "aws:lb/loadBalancer:LoadBalancer", "staging-lb");
    expect(lb.outputs.arn).toMatch(/^arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer\/app\/staging\/[0-9a-f]{16}$/);
    expect(lb.outputs.arnSuffix).toBe(String(lb.outputs.arn).split(":loadbalancer/")[1]);
    const blue = resource(document, "aws:lb/targetGroup:TargetGroup", "checkout-blue");
    expect(blue.outputs.arnSuffix).toMatch(/^targetgroup\/staging-checkout-b\/[0-9a-f]{16}$/);
  });
});

describe("determinism", () => {
  it("two synths of the same file give identical bytes, in JSON and tree", async () => {
    const first = await synthesizeStack({ stack: "production" });
    const second = await synthesizeStack({ stack: "production" });
    expect(renderJson(second)).toBe(renderJson(first));
    expect(renderTree(second)).toBe(renderTree(first));
  });

  it("two processes synthesize byte-identical JSON, hook bundles included", () => {
    const first = cli("production", "--format", "json");
    const second = cli("production", "--format", "json");
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).toContain("[asset sha256:");
  });

  it("a stack file with its keys in another order synthesizes to the same bytes in another process", () => {
    const reorder = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reorder)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reorder(inner)]))
          : value;
    const dir = mkdtempSync(join(tmpdir(), "release-order-"));
    writeFileSync(join(dir, "reordered.yaml"), stringify({ config: reorder(shippedConfig("production")) }));
    const original = cli("production", "--format", "json");
    const reordered = cli("production", "--config-file", join(dir, "reordered.yaml"), "--format", "json");
    expect(reordered.code).toBe(0);
    expect(reordered.stdout).toBe(original.stdout);
  });

  it("the order of keys in the stack file does not change the output", async () => {
    const config = shippedConfig("staging");
    const reversed = Object.fromEntries(Object.entries(config).reverse());
    const services = reversed["release:services"] as Record<string, unknown>;
    reversed["release:services"] = Object.fromEntries(Object.entries(services).reverse());
    expect(renderJson(await synth(reversed))).toBe(renderJson(await synth(config)));
  });
});

describe("secrets", () => {
  it("a secret e-mail and a secret https endpoint never appear in plain text in any output format", async () => {
    const config = shippedConfig("staging");
    setPath(config, "release:notifications", {
      emails: ["oncall-secret@example.com"],
      httpsEndpoints: ["https://events.pager.example.com/integration/abc123"],
    });
    const { values } = toConfigValues(config, "release-platform");
    const document = await (async () => {
      const { loadReleaseConfig } = await import("../src/config/load");
      const { synthesize } = await import("../src/synth/capture");
      return synthesize({
        config: loadReleaseConfig({ stack: "staging", stackFile: "Pulumi.staging.yaml", values, secretKeys: new Set(["release:notifications"]) }),
      });
    })();
    for (const text of [renderJson(document), renderTree(document)]) {
      expect(text).not.toContain("oncall-secret");
      expect(text).not.toContain("abc123");
    }
    const subscriptions = document.resources.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription");
    expect(subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint])).toEqual([
      ["email", "[secret]"],
      ["https", "[secret]"],
    ]);
  });

  it("a stack file's secure: values synthesize as secret placeholders", async () => {
    const dir = mkdtempSync(join(tmpdir(), "release-secure-"));
    const config = setPath(shippedConfig("staging"), "release:notifications", { emails: [{ secure: "v1:AAAAbase64cipher==" }] });
    writeFileSync(join(dir, "stack.yaml"), stringify({ config }));
    const document = await synthesizeStack({ stack: "staging", configFile: join(dir, "stack.yaml") });
    const email = document.resources.find((r) => r.type === "aws:sns/topicSubscription:TopicSubscription");
    expect(email?.inputs.endpoint).toBe("[secret]");
    expect(renderJson(document)).not.toContain("AAAAbase64cipher");
  });
});

describe("bad config registers no resource", () => {
  it("the program throws ConfigError before registering anything, the stack included", async () => {
    const registered: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args.type);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: () => ({}),
      },
      "release-platform",
      "production",
    );
    const { values, secretKeys } = toConfigValues(setPath(shippedConfig("production"), "release:services.checkout.port", "x"), "release-platform");
    pulumi.runtime.setAllConfig(values, [...secretKeys]);
    await expect(releasePlatform()).rejects.toThrow(ConfigError);
    expect(registered).toEqual([]);
  });
});

describe("npm run synth (the CLI)", () => {
  it("prints the JSON contract for a stack file passed from outside the repository", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-outside-"));
    copyFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), join(dir, "prod-copy.yaml"));
    const result = cli("production", "--config-file", join(dir, "prod-copy.yaml"), "--format", "json");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: 1, stack: "production", tier: "production" });
  });

  it("tree output shows each service's strategy and its numbers", () => {
    const result = cli("production");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("BlueGreenService checkout  canary 10% -> bake 5m -> 100%, bake 15m");
    expect(result.stdout).toContain("BlueGreenService catalog  linear 20% every 3m (5 steps) -> 100%, bake 10m");
  });

  it("invalid config exits 1 with the path and no stack trace", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-bad-"));
    const config = setPath(shippedConfig("production"), "release:services.checkout.deployment.canaryPercent", 0);
    writeFileSync(join(dir, "bad.yaml"), stringify({ config }));
    const result = cli("production", "--config-file", join(dir, "bad.yaml"));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim()).toBe(
      `${join(dir, "bad.yaml")}: release:services.checkout.deployment.canaryPercent: must be at least 0.1 (got 0)`,
    );
  });

  it("a missing stack file exits 2 and names the stack files that exist", () => {
    const result = cli("prodution");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no stack file Pulumi.prodution.yaml");
    expect(result.stderr).toContain("Pulumi.dev.yaml, Pulumi.production.yaml, Pulumi.staging.yaml");
  });

  it("bad usage exits 2 saying what is allowed", () => {
    const result = cli("dev", "--format", "xml");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--format xml: expected tree or json");
  });

  it("a stack reference resolves from --stack-outputs, else from placeholders with a warning", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-ref-"));
    const config = setPath(shippedConfig("staging"), "release:network", { stackReference: "acme/network/staging" });
    writeFileSync(join(dir, "ref.yaml"), stringify({ config }));
    const placeholder = JSON.parse(cli("staging", "--config-file", join(dir, "ref.yaml"), "--format", "json").stdout);
    expect(placeholder.diagnostics[0].message).toContain("stack reference acme/network/staging uses placeholder ids");
    writeFileSync(
      join(dir, "outputs.json"),
      JSON.stringify({
        "acme/network/staging": {
          vpcId: "vpc-0123456789abcdef0",
          publicSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
          privateSubnetIds: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"],
        },
      }),
    );
    const real = JSON.parse(
      cli("staging", "--config-file", join(dir, "ref.yaml"), "--format", "json", "--stack-outputs", join(dir, "outputs.json")).stdout,
    );
    expect(real.diagnostics).toEqual([]);
    const service = real.resources.find((r: { type: string }) => r.type === "aws:ecs/service:Service");
    expect(service.inputs.networkConfiguration.subnets).toEqual(["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"]);
  });
});

describe("offline synthesis skips the SDK's source positions", () => {
  const sdkResource = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const during = async (): Promise<number> => {
    let frames = -1;
    await synthesizeProgram({ stack: "dev", tier: "dev", region: "eu-west-1" }, async () => {
      frames = sdkResource.callsites().length;
      return {};
    });
    return frames;
  };

  it("parses no stack per resource while synthesizing, and gives the SDK its own back afterwards", async () => {
    const original = sdkResource.callsites;
    expect(await during()).toBe(0);
    expect(sdkResource.callsites).toBe(original);
    expect(sdkResource.callsites().length).toBeGreaterThan(0);
  });

  it("keeps them with RELEASE_SYNTH_STACK_TRACES=1", async () => {
    process.env.RELEASE_SYNTH_STACK_TRACES = "1";
    try {
      expect(await during()).toBeGreaterThan(0);
    } finally {
      delete process.env.RELEASE_SYNTH_STACK_TRACES;
    }
  });
});

describe("offline synthesis makes a resource's output properties when first read", () => {
  class Raw extends pulumi.CustomResource {
    constructor(type: string, name: string, props: pulumi.Inputs) {
      super(type, name, props);
    }
  }
  const program = (read: (bucket: Record<string, unknown>) => void) =>
    synthesizeProgram({ stack: "dev", tier: "dev", region: "eu-west-1" }, async (_warn, settle) => {
      const queue = new Raw("aws:sqs/queue:Queue", "queue", { name: "jobs", arn: undefined, url: undefined });
      const early = (queue as unknown as Record<string, pulumi.Output<unknown>>).arn;
      await settle();
      const bucket = new Raw("aws:s3/bucket:Bucket", "bucket", { bucket: "b", tags: { queue: early }, arn: undefined });
      read(bucket as unknown as Record<string, unknown>);
      await settle();
      return { arn: (queue as unknown as Record<string, pulumi.Output<unknown>>).arn, name: (queue as unknown as Record<string, pulumi.Output<unknown>>).name };
    });

  it("resolves a property read before the answer and one read after it, as the SDK's own outputs do", async () => {
    const fast = await program(() => undefined);
    process.env.RELEASE_SYNTH_STACK_TRACES = "1";
    let sdk: Awaited<ReturnType<typeof program>>;
    try {
      sdk = await program(() => undefined);
    } finally {
      delete process.env.RELEASE_SYNTH_STACK_TRACES;
    }
    expect(fast).toEqual(sdk);
    expect(fast.outputs).toEqual({ arn: expect.stringMatching(/^arn:aws:sqs:eu-west-1:123456789012:/), name: "jobs" });
    expect(resource(fast, "aws:s3/bucket:Bucket", "bucket").inputs.tags).toEqual({ queue: fast.outputs.arn });
  });

  it("keeps a property the program assigns, and gives the SDK its own transferProperties back", async () => {
    let assigned: unknown;
    await program((bucket) => {
      bucket.arn = "mine";
      assigned = bucket.arn;
    });
    expect(assigned).toBe("mine");
    const rpc = require("@pulumi/pulumi/runtime/rpc") as { transferProperties: { name: string } };
    expect(rpc.transferProperties.name).toBe("transferProperties");
  });
});
