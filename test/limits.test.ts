import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, PRINTED_PROBLEMS } from "../src/config/problems";
import { PROJECT_ROOT } from "../src/synth/run";
import { configError, load, shippedConfig, type StackConfig } from "./helpers";

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", ...args], { encoding: "utf8", cwd: tmpdir() });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The shipped stack with `count` copies of its checkout service, each with its own route and priority. */
function withServices(stack: string, count: number, extra: Record<string, unknown> = {}): StackConfig {
  const config = shippedConfig(stack);
  const template = (config["release:services"] as Record<string, Record<string, unknown>>).checkout;
  const services: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    services[`svc${i}`] = { ...template, priority: 100 + i, pathPatterns: [`/svc${i}/*`], smokeTest: { paths: [`/svc${i}/ping`] }, ...extra };
  }
  config["release:services"] = services;
  return config;
}

function writeStackFile(config: StackConfig): string {
  const path = join(mkdtempSync(join(tmpdir(), "release-limits-")), "Pulumi.production.yaml");
  writeFileSync(path, stringify({ config }, { aliasDuplicateObjects: false }));
  return path;
}

describe("the largest stack is stated and checked first", () => {
  it("50 traffic-shifting services fit one load balancer; the 51st is refused naming the AWS quota", () => {
    expect(() => load(withServices("production", 50), "production")).not.toThrow();
    expect(configError(withServices("production", 51), "production")).toBe(
      "Pulumi.production.yaml: release:services: 51 services need 102 target groups and listener rules on the environment's load balancer; AWS allows 100 target groups per Application Load Balancer (not adjustable): at most 50 blue-green, canary or linear services (a rolling one takes half as much); split the services over more stacks (got \"51 services\")",
    );
  });

  it("a rolling service takes one target group, so dev fits 100 of them", () => {
    const rolling = { deployment: { strategy: "rolling" }, smokeTest: undefined };
    expect(() => load(withServices("dev", 100, rolling), "dev")).not.toThrow();
    expect(configError(withServices("dev", 101, rolling), "dev")).toContain("101 services need 101 target groups");
  });

  it("Kubernetes canaries share their IngressGroup's one load balancer: the 51st is refused before any is checked", () => {
    const kubernetes = { runtime: "kubernetes", deployment: { strategy: "canary" } };
    const message = configError(withServices("production", 51, kubernetes), "production") ?? "";
    expect(message).toBe(
      "Pulumi.production.yaml: release:services: 51 Kubernetes canary, linear or steps services need 102 target groups (stable and canary) on their IngressGroup's one load balancer; AWS allows 100 per Application Load Balancer (not adjustable): at most 50; split the services over more stacks (got \"51 services\")",
    );
    // Checked first, alone: the missing cluster of 50 Kubernetes services would otherwise be said too.
    expect(message.split("\n")).toHaveLength(1);
  });

  it("501 services (valid per the schema) exit 1 with the config path, not an unhandled rejection", () => {
    const result = cli("production", "--config-file", writeStackFile(withServices("production", 501)));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^.*Pulumi\.production\.yaml: release:services: 501 services need 1002 target groups/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  // How fast is the bench's business (a wall-clock bound here failed on a loaded 2-core machine); what this test holds
  // is that the count is refused before any service's settings are read: each service below has a bad port, and none
  // of those 6,000 problems is reported.
  it("6,000 services are refused before their settings are checked", () => {
    const config = shippedConfig("production");
    const services: Record<string, unknown> = {};
    for (let i = 0; i < 6000; i++) services[`svc${i}`] = { image: `repo/svc${i}:1.0.0`, port: 0, priority: i + 1, pathPatterns: [`/svc${i}/*`] };
    config["release:services"] = services;
    const path = writeStackFile(config);
    const result = cli("production", "--config-file", path);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("release:services: 6000 services need 12000 target groups");
    expect(result.stderr).not.toContain("port");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a 5 MB stack file is refused unread", () => {
    const config = withServices("production", 6000, { environment: { PADDING: "x".repeat(600) } });
    const path = writeStackFile(config);
    const result = cli("production", "--config-file", path);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/: config: the stack file is [5-9]\.\d MB; the largest stack the program supports \(50 services, a 1 MB flag document\) is far smaller, so it is not read/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("flags whose AppConfig document passes AppConfig's 1 MB are refused", () => {
    const config = shippedConfig("production");
    const flags: Record<string, unknown> = {};
    // Each flag within AppConfig's own bounds (a 1,024-character description and rule), 600 of them past 1 MB.
    for (let i = 0; i < 600; i++) {
      flags[`flag${i}`] = {
        description: "d".repeat(900),
        owner: "o",
        expires: "2027-01-01",
        enabled: true,
        rules: [{ attribute: "userId", in: Array.from({ length: 8 }, (_, j) => `user-${j}-${"u".repeat(80)}`), serve: "on" }],
      };
    }
    config["release:flags"] = flags;
    expect(configError(config, "production")).toMatch(
      /^Pulumi\.production\.yaml: release:flags: makes an AppConfig flag document of \d+ bytes; AppConfig's hosted store takes at most 1048576 \(1 MB\)/,
    );
    config["release:flags"] = Object.fromEntries(Object.entries(flags).slice(0, 300));
    expect(configError(config, "production")).toBeUndefined();
  });
});

describe("the problem list is capped", () => {
  it(`prints the first ${PRINTED_PROBLEMS} problems and counts the rest; all stay on the error`, () => {
    const config = withServices("production", 50);
    for (const service of Object.values(config["release:services"] as Record<string, Record<string, unknown>>)) {
      service.port = 0;
      service.cpu = 3;
    }
    let error: ConfigError | undefined;
    try {
      load(config, "production");
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.problems).toHaveLength(100);
    const lines = error?.message.split("\n") ?? [];
    expect(lines).toHaveLength(PRINTED_PROBLEMS + 1);
    expect(lines[PRINTED_PROBLEMS]).toBe("Pulumi.production.yaml: ... and 50 more problems (100 in all)");
  });
});
