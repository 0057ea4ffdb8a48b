import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { policyResources } from "../policy/from-synth";
import { RULES } from "../policy/rules";
import { plaintextSecret, secretsNotInPlaintext } from "../policy/rules/secrets-not-in-plaintext";
import type { PolicyResource } from "../policy/rules/types";
import { loadReleaseConfig } from "../src/config/load";
import { readStackConfig } from "../src/program";
import { synthesize, type SynthDocument } from "../src/synth/capture";
import { diffDocuments, renderDiffText } from "../src/synth/diff";
import { readStackFile, stackFileBeside, toConfigValues } from "../src/synth/stack-file";
import { resource, resourcesOf, setPath, shippedConfig, type StackConfig } from "./helpers";

const TOKEN = "tok-9f8e7d6c5b4a-very-secret";

/** A stack file's config as `pulumi up` hands it over: values decrypted, secret keys and the stack file's secure: leaves listed. */
function withSecretLeaves(config: StackConfig, stack: string, secretLeaves: string[], readLeaves = true) {
  const { values, secretKeys } = toConfigValues(config, "release-platform");
  for (const leaf of secretLeaves) secretKeys.add(leaf.split(/[.[]/)[0]);
  return loadReleaseConfig({
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    values,
    secretKeys,
    secretPaths: readLeaves ? new Set(secretLeaves) : undefined,
  });
}

async function synthWithToken(stack = "production", image?: string, readLeaves = true) {
  const config = setPath(shippedConfig(stack), "release:services.checkout.environment", { API_TOKEN: TOKEN, LOG_LEVEL: "info" });
  if (image) setPath(config, "release:services.checkout.image", image);
  const revealed = new Map<string, Record<string, unknown>>();
  const document = await synthesize({
    config: withSecretLeaves(config, stack, ["release:services.checkout.environment.API_TOKEN"], readLeaves),
    inspectSecrets: (type, name, inputs) => revealed.set(`${type}::${name}`, inputs),
  });
  return { document, revealed };
}

const containers = (document: SynthDocument, name = "checkout-task") =>
  JSON.parse(String(resource(document, "aws:ecs/taskDefinition:TaskDefinition", name).inputs.containerDefinitions)) as {
    name: string;
    image: string;
    environment: { name: string; value: string }[];
    secrets: { name: string; valueFrom: string }[];
  }[];

describe("a secret environment value goes to Secrets Manager, never into the task definition", () => {
  it("the container reads it through secrets, pinned to the version holding it; plain values and the image stay visible", async () => {
    const { document, revealed } = await synthWithToken();
    const secret = resource(document, "aws:secretsmanager/secret:Secret", "checkout-env-API_TOKEN");
    const version = resource(document, "aws:secretsmanager/secretVersion:SecretVersion", "checkout-env-API_TOKEN");
    const [app] = containers(document);
    expect(app.image).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2");
    expect(app.environment).toEqual([{ name: "LOG_LEVEL", value: "info" }]);
    expect(app.secrets).toContainEqual({ name: "API_TOKEN", valueFrom: `${String(secret.outputs.arn)}:::${String(version.outputs.versionId)}` });
    expect(secret.inputs.namePrefix).toBe("production/checkout/API_TOKEN-");
    expect(version.inputs.secretString).toBe("[secret]");
    expect(revealed.get("aws:secretsmanager/secretVersion:SecretVersion::checkout-env-API_TOKEN")?.secretString).toBe(TOKEN);
    expect(JSON.stringify(document)).not.toContain(TOKEN);
  });

  it("the execution role may read exactly the secrets the container names, and exists with that grant before the task definition", async () => {
    const { document } = await synthWithToken();
    const secretArn = String(resource(document, "aws:secretsmanager/secret:Secret", "checkout-env-API_TOKEN").outputs.arn);
    const policyResource = resource(document, "aws:iam/rolePolicy:RolePolicy", "checkout-execution");
    const policy = JSON.parse(String(policyResource.inputs.policy)) as { Statement: { Sid: string; Action: string; Resource: string[] }[] };
    expect(policy.Statement.find((statement) => statement.Sid === "ReadSecrets")).toEqual({
      Sid: "ReadSecrets",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/checkout/payment-api-key-Xy98Zw", secretArn],
    });
    const task = resource(document, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task");
    expect(task.dependencies).toContain(policyResource.urn);
    expect(task.dependencies).toContain(resource(document, "aws:secretsmanager/secretVersion:SecretVersion", "checkout-env-API_TOKEN").urn);
  });

  it("an image bump of a service with a secret shows in the plan diff", async () => {
    const base = (await synthWithToken()).document;
    const head = (await synthWithToken("production", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:9.9.9")).document;
    expect(resource(head, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task").inputs.containerDefinitions).not.toBe("[secret]");
    const text = renderDiffText(diffDocuments(base, head));
    expect(text).toContain("9.9.9");
    expect(text).not.toContain("No changes");
  });

  it("a removed secret stays restorable per tier: dev frees it at once, staging 7 days, production 30", async () => {
    const windows: Record<string, unknown> = {};
    for (const stack of ["dev", "staging", "production"]) {
      const config = setPath(shippedConfig(stack), "release:services.checkout.environment", { API_TOKEN: TOKEN });
      const document = await synthesize({ config: withSecretLeaves(config, stack, ["release:services.checkout.environment.API_TOKEN"]) });
      windows[stack] = resource(document, "aws:secretsmanager/secret:Secret", "checkout-env-API_TOKEN").inputs.recoveryWindowInDays;
    }
    expect(windows).toEqual({ dev: 0, staging: 7, production: 30 });
  });

  it("when only the key is known to be secret, every environment value goes to Secrets Manager and the image stays visible", async () => {
    const { document } = await synthWithToken("production", undefined, false);
    const [app] = containers(document);
    expect(app.image).toContain("checkout:1.4.2");
    expect(app.environment).toEqual([]);
    expect(resourcesOf(document, "aws:secretsmanager/secret:Secret").map((secret) => secret.name).sort()).toEqual([
      "checkout-env-API_TOKEN",
      "checkout-env-LOG_LEVEL",
    ]);
  });

  it("a variable in both environment and secrets is refused, naming both", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.environment", { PAYMENT_API_KEY: "x" });
    expect(() => withSecretLeaves(config, "production", [])).toThrow(
      "release:services.checkout.secrets.PAYMENT_API_KEY: is also set as a plain environment variable: a variable comes from one place",
    );
  });
});

describe("which values are secret comes from the stack file's secure: leaves", () => {
  const stackFile = (config: StackConfig) => {
    const dir = mkdtempSync(join(tmpdir(), "release-secrets-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: release-platform\nruntime: nodejs\nstackConfigDir: stacks\n");
    mkdirSync(join(dir, "stacks"));
    writeFileSync(join(dir, "stacks", "Pulumi.production.yaml"), stringify({ config }));
    return dir;
  };

  it("reads each secure: value's path, as pulumi config set --secret --path writes it", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.environment", { API_TOKEN: { secure: "v1:AAAAcipher" }, LOG_LEVEL: "info" });
    setPath(config, "release:notifications", { emails: ["oncall@example.com", { secure: "v1:BBBBcipher" }] });
    const dir = stackFile(config);
    const read = readStackFile(join(dir, "stacks", "Pulumi.production.yaml"), "release-platform");
    expect([...read.secretPaths].sort()).toEqual(["release:notifications.emails[1]", "release:services.checkout.environment.API_TOKEN"]);
    expect([...read.secretKeys].sort()).toEqual(["release:notifications", "release:services"]);
  });

  it("under pulumi up the program finds the stack file beside Pulumi.yaml (honouring stackConfigDir) from any directory below", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.environment", { API_TOKEN: { secure: "v1:AAAAcipher" } });
    const dir = stackFile(config);
    mkdirSync(join(dir, "src"));
    expect([...(stackFileBeside("production", "release-platform", join(dir, "src"))?.secretPaths ?? [])]).toEqual([
      "release:services.checkout.environment.API_TOKEN",
    ]);
    expect(stackFileBeside("staging", "release-platform", join(dir, "src"))).toBeUndefined();
  });

  it("a secret e-mail stays secret while the other e-mails and the certificate stay plain", async () => {
    const config = shippedConfig("production");
    const loaded = withSecretLeaves(config, "production", ["release:notifications.emails[1]"]);
    const document = await synthesize({ config: loaded });
    const endpoints = resourcesOf(document, "aws:sns/topicSubscription:TopicSubscription").map((subscription) => subscription.inputs.endpoint).sort();
    expect(endpoints).toEqual(["[secret]", "oncall@example.com"]);
  });
});

describe("under pulumi up", () => {
  it("the program learns the secret leaves from the stack file beside Pulumi.yaml, the secret keys from Pulumi", async () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.environment", { API_TOKEN: { secure: "v1:AAAAcipher" }, LOG_LEVEL: "info" });
    const dir = mkdtempSync(join(tmpdir(), "release-up-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: release-platform\nruntime: nodejs\n");
    writeFileSync(join(dir, "Pulumi.production.yaml"), stringify({ config }));
    // What Pulumi hands the program: decrypted values, and release:services as a secret key as a whole.
    const decrypted = setPath(structuredClone(config), "release:services.checkout.environment.API_TOKEN", TOKEN);
    const { values } = toConfigValues(decrypted, "release-platform");
    await pulumi.runtime.setMocks({ newResource: (args) => ({ id: args.name, state: args.inputs }), call: () => ({}) }, "release-platform", "production");
    pulumi.runtime.setAllConfig(values, ["release:services"]);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const checkout = (await readStackConfig()).services.find((service) => service.name === "checkout");
      expect(checkout?.environment).toEqual({ LOG_LEVEL: "info" });
      expect(Object.keys(checkout?.secretEnvironment ?? {})).toEqual(["API_TOKEN"]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("policy: secrets-not-in-plaintext", () => {
  const task = (environment: { name: string; value: string }[]): PolicyResource => ({
    type: "aws:ecs/taskDefinition:TaskDefinition",
    name: "t",
    urn: "urn:t",
    props: { containerDefinitions: JSON.stringify([{ name: "app", environment }]) },
    options: { protect: false, ignoreChanges: [] },
  });
  const check = (resource: PolicyResource) => secretsNotInPlaintext.check(resource, { tier: "production", resources: [] });

  it("recognizes a secret by the name it is given, by a credential's shape, or by being a --secret value", () => {
    expect(plaintextSecret("DB_PASSWORD", "hunter2")).toContain("named like a secret");
    expect(plaintextSecret("STRIPE_API_KEY", "abc")).toContain("named like a secret");
    expect(plaintextSecret("DATABASE_URL", "postgres://app:hunter2@db:5432/app")).toContain("URL with a password");
    expect(plaintextSecret("KEY_ID", "AKIAIOSFODNN7EXAMPLE")).toContain("AWS access key id");
    expect(plaintextSecret("ANYTHING", "[secret]")).toContain("--secret");
    expect(plaintextSecret("TOKEN_TTL", "3600")).toBeUndefined();
    expect(plaintextSecret("DB_PASSWORD_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:db")).toBeUndefined();
    expect(plaintextSecret("DB_PASSWORD", "arn:aws:ssm:eu-west-1:1:parameter/db")).toBeUndefined();
    expect(plaintextSecret("LOG_LEVEL", "info")).toBeUndefined();
  });

  it("fails a task definition, a Lambda environment and hookDetails holding one, and passes them without", () => {
    expect(check(task([{ name: "GITHUB_TOKEN", value: "x" }]))).toHaveLength(1);
    expect(check(task([{ name: "LOG_LEVEL", value: "info" }]))).toEqual([]);
    const lambda = (variables: Record<string, string>): PolicyResource => ({ ...task([]), type: "aws:lambda/function:Function", props: { environment: { variables } } });
    expect(check(lambda({ SLACK_WEBHOOK_TOKEN: "xoxb-1234567890-abcdef" }))).toHaveLength(1);
    expect(check(lambda({ SERVICE: "checkout" }))).toEqual([]);
    const service = (hookDetails: unknown): PolicyResource => ({
      ...task([]),
      type: "aws:ecs/service:Service",
      props: { deploymentConfiguration: { lifecycleHooks: [{ hookTargetArn: "arn:aws:lambda:eu-west-1:1:function:f", hookDetails: JSON.stringify(hookDetails) }] } },
    });
    expect(check(service({ url: "http://lb:9000/", headers: { authorization_token: "Bearer abc" } }))).toHaveLength(1);
    expect(check(service({ url: "http://lb:9000/", samples: 20 }))).toEqual([]);
  });

  it("fails the synthesized stack where a secret was put into the container environment as text", async () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.environment", { DB_PASSWORD: "hunter2" });
    const document = await synthesize({ config: withSecretLeaves(config, "production", []) });
    const violations = policyResources(document).flatMap((r) => check(r).map((message) => `${r.name}: ${message}`));
    expect(violations).toEqual([expect.stringContaining("checkout-task: container app: environment DB_PASSWORD is named like a secret")]);
    expect(RULES).toContain(secretsNotInPlaintext);
  });

  it("passes the synthesized stack whose secret went to Secrets Manager", async () => {
    const { document } = await synthWithToken();
    expect(policyResources(document).flatMap((r) => check(r))).toEqual([]);
  });
});
