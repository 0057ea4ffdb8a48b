import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { evaluate, reportSarif } from "../policy/evaluate";
import { policyResources, servicesByResource } from "../policy/from-synth";
import { RULES } from "../policy/rules";
import { renderTree } from "../src/synth/render";
import { PROJECT_ROOT } from "../src/synth/run";
import { configError, inRegion, load, setPath, shippedConfig, synth } from "./helpers";

const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** The bin entry, run as `npx release-platform` runs it, from `cwd` with only the environment given (no npm variables). */
function release(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_") && key !== "INIT_CWD"));
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), ...args], {
    encoding: "utf8",
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), "cli-")),
    env: { ...env, ...options.env },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function stackFile(directory: string, name: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const path = join(directory, name);
  writeFileSync(path, stringify({ ...extra, config }));
  return path;
}

describe("usage errors say what was wrong and what is allowed", () => {
  it.each([
    [["synth", "production", "--format", "yaml"], "synth: --format yaml: expected tree or json (json is YAML too: any YAML parser reads it)"],
    [["synth", "production", "--format", "jsn"], "synth: --format jsn: expected tree or json (did you mean json?)"],
    [["flags", "staging", "--backend", "launchdarkly"], "flags: --backend launchdarkly: expected appconfig or flagd (LaunchDarkly is not a backend here"],
    [["synth", "diff", "base.json"], "synth: diff needs two synth JSON files, base then head (got 1: base.json)"],
    [["synth", "production", "--formt", "json"], "synth: unknown option --formt (did you mean --format?); options: --config-file <value>, --format <value>"],
    [["synth", "production", "--format"], "synth: --format needs a value"],
    [["synth"], "synth: which stack? give one of: dev, production, staging"],
    [["flags", "staging", "--context", '{"userId":"u-1"}'], "flags: --context needs --explain <flag>"],
    [["check", "production", "--format", "sarif2"], "check: --format sarif2: expected one of text, json, sarif (sarif)"],
    [["synth", "production", "--exit-code"], "synth: --exit-code applies to diff only"],
    [["sinth", "production"], "release-platform: unknown command sinth (did you mean synth?)"],
    [["synth", "prodution"], "(did you mean production?); stack files here: Pulumi.dev.yaml, Pulumi.production.yaml, Pulumi.staging.yaml"],
    [["flags", "staging", "--explain", "new-chekout"], "flags: no flag new-chekout in Pulumi.staging.yaml (did you mean new-checkout?)"],
    [["flags", "staging", "--expired", "--today", "soon"], "flags: --today soon: expected a date like 2027-03-01"],
  ])("%j", (args, message) => {
    const result = release(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain("To specify a positional argument");
    expect(result.stdout).toBe("");
  });
});

describe("--help and --version never run work", () => {
  it("bench --help prints its usage at once instead of measuring", () => {
    const started = Date.now();
    const result = release(["bench", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("usage: npm run bench");
    expect(result.stdout).not.toContain("measuring the floor");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("--help wins over anything else on the line, even a bad value", () => {
    const result = release(["synth", "production", "--format", "yaml", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("usage: npm run synth");
    expect(result.stderr).toBe("");
  });

  it.each([["--version"], ["synth", "--version"], ["check", "production", "--version"]])("%j prints the package version", (...args) => {
    const result = release(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`release-platform ${VERSION}\n`);
  });

  it("no command lists the commands", () => {
    const result = release([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/synth .*\n {2}check .*\n {2}flags .*\n {2}stacks .*\n {2}schema .*\n {2}bench /);
  });
});

describe("--out and paths from where the user ran the command", () => {
  it("under npm (INIT_CWD) relative paths are the user's directory's, not the package root's", () => {
    const user = mkdtempSync(join(tmpdir(), "cli-user-"));
    stackFile(user, "mine.yaml", setPath(shippedConfig("staging"), "release:services.checkout.port", 8181));
    // What `npm run synth` does: the script runs in the package root, the user's directory is in INIT_CWD.
    const result = release(["synth", "staging", "--config-file", "mine.yaml", "--format", "json", "--out", "plan/staging.json"], {
      cwd: PROJECT_ROOT,
      env: { INIT_CWD: user, npm_package_json: join(PROJECT_ROOT, "package.json") },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const document = JSON.parse(readFileSync(join(user, "plan/staging.json"), "utf8"));
    const group = document.resources.find((r: { type: string; name: string }) => r.type === "aws:lb/targetGroup:TargetGroup" && r.name === "checkout-blue");
    expect(group.inputs.port).toBe(8181);
    expect(existsSync(join(PROJECT_ROOT, "plan"))).toBe(false);
  });

  it("in a project that installs the package, npx release-platform reads that project's stack files", () => {
    const project = mkdtempSync(join(tmpdir(), "cli-project-"));
    writeFileSync(join(project, "Pulumi.yaml"), "name: shop\nruntime: nodejs\n");
    stackFile(project, "Pulumi.qa.yaml", setPath(shippedConfig("staging"), "release:tier", "staging"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "shop", private: true, dependencies: { "release-platform": `file:${PROJECT_ROOT}` } }));
    // What `npm install <clone>` lays out: the package linked, its bin in node_modules/.bin.
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    symlinkSync(PROJECT_ROOT, join(project, "node_modules", "release-platform"));
    symlinkSync("../release-platform/bin/release.cjs", join(project, "node_modules", ".bin", "release-platform"));
    const result = spawnSync("npx", ["--offline", "release-platform", "synth", "qa", "--format", "json", "--out", "qa.json"], {
      cwd: project,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(join(project, "qa.json"), "utf8"))).toMatchObject({ stack: "qa", tier: "staging" });
  });
});

describe("check", () => {
  it("--format json is parseable and carries the blocking count", () => {
    const result = release(["check", "production", "--format", "json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ stack: "production", rules: RULES.length, blocking: 0 });
    expect(Array.isArray(report.violations)).toBe(true);
  });

  it("--format sarif is SARIF 2.1.0 naming every rule, for code scanning", () => {
    const result = release(["check", "staging", "--format", "sarif"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const sarif = JSON.parse(result.stdout);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.rules.map((rule: { id: string }) => rule.id)).toEqual(RULES.map((rule) => rule.id));
    expect(sarif.runs[0].results).toEqual([]);
  });

  it("a SARIF result points at the stack file line of its service and carries its suppression", async () => {
    const config = shippedConfig("production");
    const document = await synth(config, "production");
    const logs = document.resources.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.name === "checkout-logs");
    delete (logs as { inputs: Record<string, unknown> }).inputs.retentionInDays;
    const stackFileText = readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8");
    const serviceOf = servicesByResource(document);
    // Every resource of a service maps to it, however deep it sits (ReleaseEnvironment > service > hooks > function).
    expect([serviceOf.get("checkout-logs"), serviceOf.get("checkout-hooks-smoke-test"), serviceOf.get("production-flags-app")]).toEqual(["checkout", "checkout", undefined]);
    const source = { stack: "production", stackFile: "Pulumi.production.yaml", stackFileText, version: VERSION, serviceOf };
    const line = stackFileText.split("\n").findIndex((text) => /^ {4}checkout:$/.test(text)) + 1;
    expect(line).toBeGreaterThan(1);
    const found = JSON.parse(reportSarif(evaluate(policyResources(document), "production"), source)).runs[0].results;
    expect(found).toMatchObject([
      {
        ruleId: "log-group-has-retention",
        level: "error",
        locations: [{ physicalLocation: { artifactLocation: { uri: "Pulumi.production.yaml" }, region: { startLine: line } } }],
      },
    ]);
    const suppression = { rule: "log-group-has-retention", resource: "checkout-*", reason: "exported by the archive team" };
    const suppressed = JSON.parse(reportSarif(evaluate(policyResources(document), "production", [suppression]), source)).runs[0].results;
    expect(suppressed[0].suppressions).toEqual([{ kind: "external", justification: "exported by the archive team" }]);
  });

  it("a bad suppressions file is a clear error (exit 1), not a stack trace", () => {
    const directory = mkdtempSync(join(tmpdir(), "cli-suppress-"));
    const file = join(directory, "suppressions.yaml");
    writeFileSync(file, stringify({ suppressions: [{ rule: "alarm-has-action", resource: "x", reason: "short" }] }));
    const result = release(["check", "production", "--suppressions", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toContain(`${file}: suppressions[0].reason: a suppression needs a reason of at least 10 characters (got "short")`);
    writeFileSync(file, "suppressions:\n  - rule: [unclosed\n");
    const yaml = release(["check", "production", "--suppressions", file]);
    expect(yaml.code).toBe(1);
    expect(yaml.stderr).toContain(`${file}: (file): not valid YAML`);
  });
});

describe("diff --exit-code", () => {
  it("exits 0 on no change and 1 on a change, with or without --out", () => {
    const directory = mkdtempSync(join(tmpdir(), "cli-diff-"));
    const base = release(["synth", "dev", "--format", "json", "--out", join(directory, "base.json")]);
    expect(base.code).toBe(0);
    const head = stackFile(directory, "head.yaml", setPath(shippedConfig("dev"), "release:services.checkout.deployment", { strategy: "blue-green", bakeMinutes: 3 }));
    expect(release(["synth", "dev", "--config-file", head, "--format", "json", "--out", join(directory, "head.json")]).code).toBe(0);
    expect(release(["synth", "diff", join(directory, "base.json"), join(directory, "base.json"), "--exit-code"]).code).toBe(0);
    const changed = release(["synth", "diff", join(directory, "base.json"), join(directory, "head.json"), "--exit-code"]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("bakeTimeInMinutes");
    expect(release(["synth", "diff", join(directory, "base.json"), join(directory, "head.json")]).code).toBe(0);
  });
});

describe("ESC environments", () => {
  const network = shippedConfig("staging")["release:network"];

  it("a stack file that imports an environment is named, with the way out, when the environment's values are missing", () => {
    const directory = mkdtempSync(join(tmpdir(), "cli-esc-"));
    const config = shippedConfig("staging");
    delete config["release:network"];
    const file = stackFile(directory, "Pulumi.staging.yaml", config, { environment: ["acme/network-staging"] });
    const result = release(["synth", "staging", "--config-file", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("release:network: required");
    expect(result.stderr).toContain("imports the ESC environment(s) acme/network-staging");
    expect(result.stderr).toContain("--env-values <file> with the output of `esc env open acme/network-staging`");
  });

  it("--env-values feeds the environment's pulumiConfig, the stack file's own settings over it", () => {
    const directory = mkdtempSync(join(tmpdir(), "cli-esc-"));
    const config = shippedConfig("staging");
    delete config["release:network"];
    const file = stackFile(directory, "Pulumi.staging.yaml", config, { environment: ["acme/network-staging"] });
    writeFileSync(
      join(directory, "esc.json"),
      JSON.stringify({ environmentVariables: { AWS_REGION: "eu-west-1" }, pulumiConfig: { "release:network": network, "aws:region": "us-east-1" } }),
    );
    const result = release(["synth", "staging", "--config-file", file, "--env-values", join(directory, "esc.json"), "--format", "json"]);
    expect(result.stderr).toBe("");
    const document = JSON.parse(result.stdout);
    const provider = document.resources.find((r: { type: string }) => r.type === "pulumi:providers:aws");
    expect(provider.inputs.region).toBe(parse(readFileSync(file, "utf8")).config["aws:region"]);
    const vpc = document.resources.find((r: { type: string }) => r.type === "aws:lb/targetGroup:TargetGroup");
    expect(vpc.inputs.vpcId).toBe((network as { vpcId: string }).vpcId);
  });

  it("--env-values that is not esc's JSON says so", () => {
    const directory = mkdtempSync(join(tmpdir(), "cli-esc-"));
    writeFileSync(join(directory, "esc.json"), JSON.stringify({ values: {} }));
    const result = release(["synth", "staging", "--env-values", join(directory, "esc.json")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no pulumiConfig map");
  });
});

describe("Pulumi conventions in the stack file", () => {
  it("numbers and booleans that `pulumi config set --path` stored as text are read as numbers and booleans", () => {
    const config = shippedConfig("staging");
    setPath(config, "release:services.checkout.smokeTest.minSuccessRate", "0.9");
    setPath(config, "release:services.checkout.port", "8000");
    setPath(config, "release:services.checkout.alarmGate.enabled", "false");
    const checkout = load(config).services.find((service) => service.name === "checkout");
    expect(checkout?.smokeTest.minSuccessRate).toBe(0.9);
    expect(checkout?.port).toBe(8000);
    expect(checkout?.alarmGate).toBe(false);
  });

  it("text that is no number stays an error, with its value", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.port", "eighty");
    expect(configError(config)).toContain('release:services.checkout.port: expected a number (got "eighty")');
  });

  it("a region typo is refused with the region meant", () => {
    expect(configError(setPath(shippedConfig("staging"), "aws:region", "eu-wst-1"))).toContain('aws:region: not an AWS region (did you mean "eu-west-1"?)');
    expect(configError(inRegion(shippedConfig("staging"), "eu-central-2"))).toBeUndefined();
  });

  it("services written as a list get told to write a map", () => {
    const config = shippedConfig("staging");
    const services = config["release:services"] as Record<string, unknown>;
    config["release:services"] = Object.entries(services).map(([name, service]) => ({ name, ...(service as object) }));
    expect(configError(config)).toMatch(/release:services: expected a map of service name to its settings .*, not a list \(got \[/);
  });

  it("a YAML error ends with what is wrong, not a dangling column", () => {
    const directory = mkdtempSync(join(tmpdir(), "cli-yaml-"));
    const file = join(directory, "bad.yaml");
    writeFileSync(file, "config:\n  aws:region: eu-west-1\n  release:tier: a: b\n");
    const result = release(["synth", "staging", "--config-file", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not valid YAML: .*at line 3, column \d+ \(got "release:tier: a: b"\)\n/);
  });
});

describe("the synth tree", () => {
  it("prints each service's release: gate, smoke test, every shift with its percentage, bakes, total and timeout", () => {
    const result = release(["synth", "production"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      [
        "release plans (what one deployment does):",
        "  catalog: linear, 22m of traffic shift and bakes if healthy, pulumi up waits up to 52m, rolls back on 4 alarms",
        "    1. alarm gate: stops if any of 4 alarms is in ALARM, was when the deployment started, or went into ALARM since",
      ].join("\n"),
    );
    expect(result.stdout).toContain(
      [
        "  checkout: canary, 20m of traffic shift and bakes if healthy, pulumi up waits up to 50m, rolls back on 4 alarms",
        "    1. alarm gate: stops if any of 4 alarms is in ALARM, was when the deployment started, or went into ALARM since",
        "    2. start the new version's tasks, as many as run now",
        "    3. test listener to the new version",
        "    4. smoke test: 20 GETs of /checkout/ping on the test listener, fails on more than 3 answers outside 200-299 (minSuccessRate 95%)",
        "    5. 10% of production traffic to the new version",
        "    6. bake 5m, rolled back if an alarm fires",
        "    7. 100% of production traffic to the new version",
        "    8. bake 15m with both versions running, rolled back if an alarm fires",
        "    9. old tasks stopped",
      ].join("\n"),
    );
    for (const percent of [20, 40, 60, 80, 100]) expect(result.stdout).toContain(`. ${percent}% of production traffic to the new version\n`);
  });

  it("labels types by module, p99 in milliseconds as configured, and custom alarms by their metric", async () => {
    const config = shippedConfig("production");
    setPath(config, "release:services.checkout.alarms.custom", [
      { name: "queue-age", namespace: "AWS/SQS", metric: "ApproximateAgeOfOldestMessage", statistic: "Maximum", comparison: "GreaterThanThreshold", threshold: 300 },
    ]);
    const tree = renderTree(await synth(config, "production"));
    // At any depth: the program's root is the stack, or a ReleaseEnvironment one level down.
    expect(tree).toMatch(/\n {4,}aws:appconfig:Environment production-flags-env  production monitors/);
    expect(tree).toMatch(/\n {4,}aws:appconfig:Deployment /);
    expect(tree).not.toMatch(/ aws:(Environment|Deployment) /);
    expect(tree).toContain("production-checkout-p99-latency MAX([latency0f, latency1f]) GreaterThanThreshold 800 ms (");
    expect(tree).toContain("production-checkout-queue-age AWS/SQS ApproximateAgeOfOldestMessage Maximum GreaterThanThreshold 300 (1 of 1 x 60s, no data keeps the state)");
    expect(tree).not.toContain("missing missing");
  });
});

describe("edges: stack outputs, warnings, a program's refusals", () => {
  const network = {
    vpcId: "vpc-0b1b2c3d4e5f60718",
    publicSubnetIds: ["subnet-0b1b2c3d4e5f60001", "subnet-0b1b2c3d4e5f60002"],
    privateSubnetIds: ["subnet-0b1b2c3d4e5f60003", "subnet-0b1b2c3d4e5f60004"],
  };
  const referencing = (directory: string) =>
    stackFile(directory, "Pulumi.staging.yaml", setPath(shippedConfig("staging"), "release:network", { stackReference: "acme/network/staging" }));
  const outputs = (directory: string, content: unknown) => {
    writeFileSync(join(directory, "net.json"), JSON.stringify(content));
    return join(directory, "net.json");
  };

  it("an outputs file without a key the program requires names the stack and the key, not the SDK's leaked promises", () => {
    const directory = mkdtempSync(join(tmpdir(), "edges-"));
    const { publicSubnetIds: _, ...partial } = network;
    const result = release(["synth", "staging", "--config-file", referencing(directory), "--stack-outputs", outputs(directory, { "acme/network/staging": partial })]);
    expect(result.stderr).toContain(
      "stack acme/network/staging has no output publicSubnetIds, which the program requires (it has: privateSubnetIds, vpcId)",
    );
    expect(result.stderr).not.toContain("promises were still active");
    expect(result.code).toBe(2);
  });

  it("an outputs file without the referenced stack (a misspelt name) is refused, not built on placeholder ids", () => {
    const directory = mkdtempSync(join(tmpdir(), "edges-"));
    const result = release(["synth", "staging", "--config-file", referencing(directory), "--stack-outputs", outputs(directory, { "acme/network/stagin": network })]);
    expect(result.stderr).toContain("no stack acme/network/staging (did you mean acme/network/stagin?); it has: acme/network/stagin");
    expect(result.stdout).toBe("");
    expect(result.code).toBe(2);
    // The same file with the right name synthesizes on its ids.
    const right = release(["synth", "staging", "--config-file", referencing(directory), "--stack-outputs", outputs(directory, { "acme/network/staging": network }), "--format", "json"]);
    expect(right.code).toBe(0);
    expect(right.stdout).toContain("subnet-0b1b2c3d4e5f60001");
  });

  it("warnings go to stderr in every format, with --out too, and never into stdout", () => {
    const directory = mkdtempSync(join(tmpdir(), "edges-"));
    const warning = "warning: network from stack reference acme/network/staging uses placeholder ids";
    const json = release(["synth", "staging", "--config-file", referencing(directory), "--format", "json", "--out", join(directory, "out.json")]);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe("");
    expect(json.stderr).toContain(warning);
    const tree = release(["synth", "staging", "--config-file", referencing(directory)]);
    expect(tree.stderr).toContain(warning);
    expect(tree.stdout).not.toContain("placeholder ids");
    const check = release(["check", "staging", "--config-file", referencing(directory), "--format", "json"]);
    expect(check.stderr).toContain(warning);
    expect(JSON.parse(check.stdout)).toMatchObject({ stack: "staging" });
  });

  it("a program's own refusal through --program is one message and exit 1, without Node's crash dump", () => {
    const directory = mkdtempSync(join(tmpdir(), "edges-"));
    const example = join(PROJECT_ROOT, "examples", "platform-team");
    const config = (parse(readFileSync(join(example, "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    delete config["shop:image"];
    const missing = stackFile(directory, "Pulumi.example.yaml", config);
    const result = release(["synth", "example", "--program", example, "--config-file", missing]);
    expect(result.stderr).toBe(
      `${example}: Missing required configuration variable 'shop:image'\n\tplease set a value using the command \`pulumi config set shop:image <value>\`\n`,
    );
    expect(result.code).toBe(1);
  });
});
