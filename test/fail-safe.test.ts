import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { Flags } from "../components/feature-flag-store/flags/model";
import { flagsProblems } from "../components/feature-flag-store/flags/problems";
import { MESSAGE_LIMITS } from "../src/config/problems";
import { PROJECT_ROOT } from "../src/synth/run";
import { stackFileBeside } from "../src/synth/stack-file";
import { configError, setPath, shippedConfig } from "./helpers";

function synthFile(text: string) {
  const path = join(mkdtempSync(join(tmpdir(), "release-failsafe-")), "Pulumi.staging.yaml");
  writeFileSync(path, text);
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", "staging", "--config-file", path], { encoding: "utf8", cwd: tmpdir() });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, path };
}

describe("no stack trace for any stack file: YAML alias errors are one problem with the line, exit 1", () => {
  it("an alias naming no anchor", () => {
    const result = synthFile("config:\n  aws:region: eu-west-1\n  release:tier: *stage\n");
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`${result.path}: line 3: not valid YAML: the alias *stage names no anchor set before it (&stage) (got "release:tier: *stage")`);
  });

  it("a billion-laughs alias bomb is refused without expanding it", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (const [index, name] of ["b", "c", "d", "e", "f"].entries()) {
      const previous = "abcde"[index];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    const result = synthFile(`config:\n  aws:region: eu-west-1\n  release:bomb:\n${levels.map((line) => `    ${line}`).join("\n")}\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("line 5: not valid YAML: its aliases expand to more than 100 copies (a YAML bomb)");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("no setting lost: a key nothing reads is an error naming the namespace meant, however far the typo", () => {
  it.each(["RELEASE", "release_platform", "rel"])("%s:flags is refused, pointing at release:flags", (namespace) => {
    const config = shippedConfig("staging");
    config[`${namespace}:flags`] = config["release:flags"];
    delete config["release:flags"];
    expect(configError(config)).toContain(`${namespace}:flags: unknown namespace ${namespace}; the program reads release:flags`);
  });

  it("kubernetes: settings are refused: the program's cluster provider reads none of them", () => {
    const config = shippedConfig("staging");
    config["kubernetes:context"] = "eks";
    expect(configError(config)).toContain("kubernetes:context: the program's Kubernetes provider is built from release:cluster");
  });

  it("a namespace with no release key in it is still refused", () => {
    const config = shippedConfig("staging");
    config["datadog:apiKey"] = "x";
    expect(configError(config)).toContain("datadog:apiKey: the program reads only release: keys (release:tier,");
  });

  it("aws: and pulumi: keys are read by the provider and the engine: fine", () => {
    const config = shippedConfig("staging");
    Object.assign(config, { "aws:profile": "staging", "pulumi:disable-default-providers": ["kubernetes"] });
    expect(configError(config)).toBeUndefined();
  });

  it("a flag named __proto__ or constructor is refused instead of vanishing from the document", () => {
    const config = shippedConfig("staging");
    const flags = config["release:flags"] as Record<string, unknown>;
    const flag = Object.values(flags)[0];
    Object.defineProperty(flags, "__proto__", { value: flag, enumerable: true, configurable: true, writable: true });
    Object.defineProperty(flags, "constructor", { value: flag, enumerable: true, configurable: true, writable: true });
    const message = configError(config) ?? "";
    expect(message).toContain("release:flags.__proto__: __proto__ cannot be a flag name");
    expect(message).toContain("release:flags.constructor: constructor cannot be a flag name");
  });

  it("private subnets that are the public ones (a YAML alias) are refused", () => {
    const config = shippedConfig("staging");
    const network = config["release:network"] as { publicSubnetIds: string[] };
    setPath(config, "release:network.privateSubnetIds", network.publicSubnetIds);
    expect(configError(config)).toContain("release:network.privateSubnetIds: must differ from publicSubnetIds");
  });

  it("a certificate of another Region or partition is refused", () => {
    const production = shippedConfig("production");
    const certificate = (production["release:ingress"] as { certificateArn: string }).certificateArn;
    setPath(production, "release:ingress.certificateArn", certificate.replace(":eu-west-1:", ":us-east-1:"));
    expect(configError(production, "production")).toContain("release:ingress.certificateArn: must be a certificate of the load balancer's Region eu-west-1");
    setPath(production, "release:ingress.certificateArn", certificate.replace("arn:aws:", "arn:aws-cn:"));
    expect(configError(production, "production")).toContain("(partition aws)");
  });
});

describe("limits checked in linear time", () => {
  const chain = (count: number, percent: number): Flags =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`flag-${i}`, { description: "d", owner: "o", expires: "2099-12-31", enabled: true, rollout: { percent }, ...(i > 0 ? { dependsOn: [`flag-${i - 1}`] } : {}) }]),
    );

  it("a 2,000-flag dependency chain of full rollouts is valid; of partial ones, every flag whose rule passes 1024 characters is named", () => {
    expect(flagsProblems(chain(2000, 100))).toEqual([]);
    const problems = flagsProblems(chain(2000, 50));
    // Each dependency adds its split to the dependent's rule: flag-21, with 21 dependencies, is the first past 1024.
    expect(problems.every((problem) => problem.message.startsWith("its AppConfig rule would be"))).toBe(true);
    expect(problems).toHaveLength(2000 - 21);
    expect(problems.map((problem) => problem.field[0])).not.toContain("flag-20");
    expect(problems.map((problem) => problem.field[0])).toContain("flag-21");
  });
});

describe("a task definition ECS would refuse is refused first", () => {
  it("environment values past what a 64 KiB task definition holds are refused at the service's environment, with the limit", () => {
    const config = shippedConfig("staging");
    const values = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`VALUE_${i}`, "x".repeat(512)]));
    setPath(config, "release:services.checkout.environment", values);
    expect(configError(config)).toBeUndefined();
    setPath(config, "release:services.checkout.environment", { ...values, LARGE: "x".repeat(32 * 1024) });
    expect(configError(config)).toMatch(/release:services.checkout.environment: take 8\d{4} bytes of the task definition/);
    expect(configError(config)).toContain('ECS registers a task definition of at most 64 KiB ("Task definition size: 64 KiB"');
  });
});

describe("messages print what the file holds without letting it steer the terminal", () => {
  it("a key with a newline and a right-to-left override is escaped, one line per problem, each line bounded", () => {
    const config = shippedConfig("staging");
    config["release:services"] = { ...(config["release:services"] as object), ["evil\n\u202Egnp.exe"]: { image: "x" } };
    config[`release:${"x".repeat(5000)}`] = 1;
    const message = configError(config) ?? "";
    expect(message).toContain("release:services.evil\\u000a\\u202egnp.exe");
    expect(message).not.toMatch(/[\u202e]/);
    for (const line of message.split("\n")) expect(line.length).toBeLessThanOrEqual(MESSAGE_LIMITS.path * 2 + MESSAGE_LIMITS.message + MESSAGE_LIMITS.value + 20);
  });
});

describe("secrets stay secret, or the stack file is refused", () => {
  const stackText = (mutate: (config: Record<string, unknown>) => void) => {
    const config = shippedConfig("production");
    mutate(config);
    return stringify({ config });
  };

  it("a --secret alarm-gate override (bound for the ECS service's hookDetails) and flag-rule value are refused", () => {
    const text = stackText((config) => {
      setPath(config, "release:services.checkout.hooks", { alarmGate: { override: { secure: "v1:AAAAcipher" } } });
      const flags = config["release:flags"] as Record<string, Record<string, unknown>>;
      const [name] = Object.keys(flags);
      flags[name].rules = [{ attribute: "email", equals: { secure: "v1:BBBBcipher" }, serve: "on" }];
    });
    const path = join(mkdtempSync(join(tmpdir(), "release-failsafe-")), "Pulumi.production.yaml");
    writeFileSync(path, text);
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", "production", "--config-file", path], { encoding: "utf8", cwd: tmpdir() });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("release:services.checkout.hooks.alarmGate.override: is set with --secret, but its value cannot stay secret: it would be in the ECS service's hookDetails");
    expect(result.stderr).toMatch(/release:flags\.[\w-]+\.rules\[0\]\.equals: is set with --secret, but its value cannot stay secret: it would be in the flag document/);
  });

  it("secret environment values, e-mails and the kubeconfig are kept: no problem", () => {
    const path = join(mkdtempSync(join(tmpdir(), "release-failsafe-")), "Pulumi.production.yaml");
    writeFileSync(path, stackText((config) => setPath(config, "release:services.checkout.environment", { TOKEN: { secure: "v1:AAAAcipher" } })));
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", "production", "--config-file", path], { encoding: "utf8", cwd: tmpdir() });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("under pulumi up, a stack file that imports ESC environments gives no per-value secrecy: each secret key is secret as a whole", () => {
    const directory = mkdtempSync(join(tmpdir(), "release-esc-"));
    writeFileSync(join(directory, "Pulumi.yaml"), "name: release-platform\nruntime: nodejs\n");
    writeFileSync(join(directory, "Pulumi.production.yaml"), `environment: [acme/production]\n${stackText((config) => setPath(config, "release:services.checkout.environment", { TOKEN: { secure: "v1:AAAAcipher" }, LOG_LEVEL: "info" }))}`);
    expect(stackFileBeside("production", "release-platform", directory)?.secretPaths.size).toBe(0);
    writeFileSync(join(directory, "Pulumi.production.yaml"), stackText((config) => setPath(config, "release:services.checkout.environment", { TOKEN: { secure: "v1:AAAAcipher" }, LOG_LEVEL: "info" })));
    expect([...(stackFileBeside("production", "release-platform", directory)?.secretPaths ?? [])]).toEqual(["release:services.checkout.environment.TOKEN"]);
  });
});
