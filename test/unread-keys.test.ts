import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError } from "../src/config/problems";
import { PROJECT_ROOT, synthesizeStack } from "../src/synth/run";
import { configError, load, setPath, shippedConfig, type StackConfig } from "./helpers";

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", ...args], { encoding: "utf8", cwd: tmpdir() });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeStackFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "release-unread-")), "Pulumi.staging.yaml");
  writeFileSync(path, text);
  return path;
}

/** Moves a release: key to another key, as a user who wrote it elsewhere would. */
function moved(config: StackConfig, from: string, to: string): StackConfig {
  config[to] = config[from];
  delete config[from];
  return config;
}

describe("a key the program does not read is an error naming the key the user meant", () => {
  it("a key without a namespace (notifications: instead of release:notifications) lands in the project's and is refused", () => {
    // In a stack file, `notifications:` is the project's key release-platform:notifications.
    const config = moved(shippedConfig("production"), "release:notifications", "notifications");
    expect(configError(config, "production")).toContain(
      "Pulumi.production.yaml: release-platform:notifications: keys without a namespace land in the project's, release-platform:; the program reads release:notifications (write release:notifications in the stack file, or pulumi config set --path release:notifications...)",
    );
  });

  it("pulumi config set --path services.api.port 8000 (no namespace) is refused, pointing at release:services", () => {
    const config = shippedConfig("staging");
    config["release-platform:services"] = { api: { port: 8000 } };
    expect(configError(config)).toBe(
      'Pulumi.staging.yaml: release-platform:services: keys without a namespace land in the project\'s, release-platform:; the program reads release:services (write release:services in the stack file, or pulumi config set --path release:services...) (got {"api":{"port":8000}})',
    );
  });

  it("a flag map without its namespace would leave production with an empty flag document: refused", () => {
    const config = moved(shippedConfig("production"), "release:flags", "flags");
    expect(configError(config, "production")).toContain("release-platform:flags: keys without a namespace land in the project's");
  });

  it("a key under the project's namespace that is no release key is still refused, listing the keys there are", () => {
    const config = shippedConfig("staging");
    config["release-platform:databases"] = { main: {} };
    expect(configError(config)).toContain("release-platform:databases: the program reads only release: keys (release:tier, release:environment, release:network,");
  });

  it("a misspelt namespace and a release key used as a namespace are refused", () => {
    const config = shippedConfig("staging");
    config["relese:flagStore"] = { agent: false };
    config["notifications:emails"] = ["oncall@example.com"];
    const message = configError(config) ?? "";
    expect(message).toContain("relese:flagStore: unknown namespace relese; the program reads release:flagStore");
    expect(message).toContain("notifications:emails: unknown namespace notifications; the program reads release:notifications.emails");
  });

  it("keys of namespaces the provider and the engine read (aws:, pulumi:) are fine", () => {
    const config = shippedConfig("staging");
    Object.assign(config, { "aws:profile": "staging", "aws:defaultTags": { tags: { team: "x" } }, "pulumi:disable-default-providers": ["kubernetes"] });
    expect(configError(config)).toBeUndefined();
  });

  it("a stray key beside config: in the stack file is refused with exit 1", () => {
    const config = shippedConfig("staging");
    const path = writeStackFile(stringify({ config, notifications: { emails: ["oncall@example.com"] } }));
    const result = cli("staging", "--config-file", path);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `${path}: notifications: is not a stack file setting (Pulumi reads config:, environment: and its encryption keys here, nothing else): settings go under config:, e.g. config: release:notifications: ... (got {"emails":["oncall@example.com"]})`,
    );
  });

  it("every kind of unread key in one file is listed in one run", async () => {
    const config = moved(shippedConfig("staging"), "release:notifications", "notifications");
    config["relase:ingress"] = {};
    const path = writeStackFile(stringify({ config, services: {} }));
    const error = await synthesizeStack({ stack: "staging", configFile: path }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    // With notifications out of release:, staging has no alert subscriber: said in the same run.
    expect((error as ConfigError).problems.map((problem) => problem.path)).toEqual(["relase:ingress", "release-platform:notifications", "release:notifications", "services"]);
  });
});

describe("alerting never disappears silently", () => {
  it.each(["staging", "production"])("%s without an alert subscription is a config error", (stack) => {
    const config = setPath(shippedConfig(stack), "release:notifications", undefined);
    expect(configError(config, stack)).toContain(
      `Pulumi.${stack}.yaml: release:notifications: ${stack} needs at least one alert subscription (emails, httpsEndpoints`,
    );
    setPath(config, "release:notifications", { emails: [] });
    expect(configError(config, stack)).toContain("needs at least one alert subscription");
  });

  it("a Slack channel alone is a subscription", () => {
    const config = setPath(shippedConfig("production"), "release:notifications", { slack: { workspaceId: "T0123ABCD", channelId: "C0123ABCD" } });
    expect(configError(config, "production")).toBeUndefined();
  });

  it("an https endpoint alone is a subscription; dev may go without", () => {
    const config = setPath(shippedConfig("production"), "release:notifications", { httpsEndpoints: ["https://events.pagerduty.com/integration/abc/enqueue"] });
    expect(configError(config, "production")).toBeUndefined();
    expect(() => load(setPath(shippedConfig("dev"), "release:notifications", undefined), "dev")).not.toThrow();
  });
});

describe("clean output: every problem in the project's format, exit 1 for any invalid file", () => {
  it("unparseable YAML exits 1 (invalid config), naming the line", () => {
    const path = writeStackFile("config:\n  aws:region: eu-west-1\n  release:network: [1,\n  release:tier: staging\n");
    const result = cli("staging", "--config-file", path);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: line 4: not valid YAML: `));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a YAML tag is reported at its config path in the project's format, not as a raw warning", () => {
    const text = stringify({ config: shippedConfig("staging") }).replace(
      "image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog:2.3.1",
      "image: !Ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog:2.3.1",
    );
    expect(text).toContain("!Ref");
    const result = cli("staging", "--config-file", writeStackFile(text));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/: release:services\.catalog\.image: YAML tag !Ref is not understood by Pulumi: remove it and write the value itself \(got "123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/catalog:2\.3\.1"\)$/),
    ]);
  });

  it("other YAML warnings are problems too, and nothing reaches stderr raw", () => {
    const text = `%FOO bar\n---\n${stringify({ config: shippedConfig("staging") })}`.replace("  release:network:", "  ? [a, b]\n  : 1\n  release:network:");
    const result = cli("staging", "--config-file", writeStackFile(text));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/: line 1: YAML: Unknown directive %FOO at line 1, column 1 \(got "%FOO bar"\)$/),
      expect.stringMatching(/: release-platform:\[ a, b \]: the program reads only release: keys/),
    ]);
  });

  it("a file that is not a map of settings exits 1", () => {
    const result = cli("staging", "--config-file", writeStackFile("- just\n- a list\n"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(": config: expected a stack file: a map with a config: key");
  });
});
