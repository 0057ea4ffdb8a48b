import { spawnSync } from "node:child_process";
import { join } from "node:path";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { expiredFlagWarnings, type FlagDefinition, type Flags } from "../components/feature-flag-store/flags/model";
import { toAppConfigDocument } from "../components/feature-flag-store/backends/appconfig/document";
import { toFlagdDocument } from "../components/feature-flag-store/backends/flagd/document";
import { anyAlarmRule } from "../components/feature-flag-store/backends/appconfig/store";
import { evaluateAppConfig } from "../src/flags/appconfig-rules";
import { explain, flagdEngine } from "../src/flags/explain";
import { synthesize } from "../src/synth/capture";
import { renderTree } from "../src/synth/render";
import { PROJECT_ROOT } from "../src/synth/run";
import { configError, load, resource, resourcesOf, setPath, shippedConfig, synth } from "./helpers";

const base = { description: "d", owner: "team", expires: "2027-01-01" };
const flag = (extra: Partial<FlagDefinition>): FlagDefinition => ({ ...base, enabled: true, ...extra });

/**
 * The AWS.AppConfig.FeatureFlags document, written from AWS's type reference: version "1"; flags keyed by name with
 * attributes and their constraints; values with `enabled` or `_variants` (each with a name, enabled, an optional rule
 * and attributeValues). Key pattern and the default-variant-last rule are AWS's.
 */
const KEY = "^[a-z][a-zA-Z\\d_-]{0,63}$";
const appConfigSchema = {
  type: "object",
  required: ["version", "flags", "values"],
  additionalProperties: false,
  properties: {
    version: { const: "1" },
    flags: {
      type: "object",
      propertyNames: { pattern: KEY },
      additionalProperties: {
        type: "object",
        required: ["name"],
        additionalProperties: false,
        properties: {
          name: { type: "string", minLength: 1, maxLength: 64 },
          description: { type: "string", maxLength: 1024 },
          attributes: {
            type: "object",
            propertyNames: { pattern: KEY },
            additionalProperties: {
              type: "object",
              additionalProperties: false,
              properties: {
                description: { type: "string" },
                constraints: {
                  type: "object",
                  required: ["type"],
                  additionalProperties: false,
                  properties: {
                    type: { enum: ["string", "number", "boolean", "string[]", "number[]"] },
                    required: { type: "boolean" },
                    enum: { type: "array", items: { type: ["string", "number"] } },
                    pattern: { type: "string" },
                    minimum: { type: "number" },
                    maximum: { type: "number" },
                  },
                },
              },
            },
          },
          _deprecation: { type: "object", properties: { status: { const: "planned" } } },
        },
      },
    },
    values: {
      type: "object",
      propertyNames: { pattern: KEY },
      additionalProperties: {
        type: "object",
        properties: {
          enabled: { type: "boolean" },
          _variants: {
            type: "array",
            minItems: 1,
            items: {
              type: "object",
              required: ["name", "enabled"],
              additionalProperties: false,
              properties: {
                name: { type: "string", minLength: 1, maxLength: 64 },
                enabled: { type: "boolean" },
                rule: { type: "string", minLength: 1, maxLength: 1024 },
                attributeValues: { type: "object", additionalProperties: { type: ["string", "number", "boolean", "array"] } },
              },
            },
          },
        },
        oneOf: [{ required: ["enabled"] }, { required: ["_variants"] }],
      },
    },
  },
};

function validAppConfig(document: Record<string, unknown>): string[] {
  const validate = new Ajv({ allErrors: true }).compile(appConfigSchema);
  const problems = validate(document) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
  const values = document.values as Record<string, { _variants?: { name: string; rule?: string }[] }>;
  const flags = document.flags as Record<string, unknown>;
  for (const [key, value] of Object.entries(values)) {
    if (!(key in flags)) problems.push(`values.${key} has no flag definition`);
    const variants = value._variants ?? [];
    if (variants.length > 0 && variants[variants.length - 1].rule !== undefined) problems.push(`${key}: default variant must be last, without a rule`);
    if (variants.slice(0, -1).some((variant) => variant.rule === undefined)) problems.push(`${key}: only the last variant may lack a rule`);
    if (new Set(variants.map((variant) => variant.name)).size !== variants.length) problems.push(`${key}: variant names must be unique`);
  }
  return problems;
}

const sample: Flags = {
  "new-checkout": flag({ rollout: { percent: 25, by: "userId" } }),
  "search-ranking": flag({ variants: { a: { weight: 20, value: "v1" }, b: { weight: 30, value: "v2" }, c: { weight: 50, value: "v3" } } }),
  "beta-banner": flag({ rollout: { percent: 10 }, rules: [{ attribute: "email", startsWith: "qa-", serve: "on" }, { attribute: "country", in: ["DE", "FR"], serve: "off" }] }),
  "dark-mode": flag({}),
  "express-shipping": flag({ enabled: false, dependsOn: ["new-checkout"] }),
  "full-rollout": flag({ rollout: { percent: 100 } }),
};

describe("AppConfig document", () => {
  const document = toAppConfigDocument(sample);

  it("validates against the FeatureFlags type reference", () => {
    expect(validAppConfig(document)).toEqual([]);
  });

  it("a rollout is a split variant with a per-flag seed, the default last with no rule", () => {
    expect((document.values as Record<string, unknown>)["new-checkout"]).toEqual({
      _variants: [
        { name: "on", enabled: true, rule: '(split pct::25 by::$userId seed::"new-checkout")', attributeValues: { variant: "on" } },
        { name: "off", enabled: false, attributeValues: { variant: "off" } },
      ],
    });
  });

  it("A/B weights become cumulative splits: 20/30/50 is A pct::20, B pct::50, C pct::100, then the declared default", () => {
    const variants = (document.values as Record<string, { _variants: { name: string; rule?: string; attributeValues: unknown }[] }>)["search-ranking"]._variants;
    expect(variants.map((variant) => [variant.name, variant.rule])).toEqual([
      ["a", '(split pct::20 by::$userId seed::"search-ranking")'],
      ["b", '(split pct::50 by::$userId seed::"search-ranking")'],
      ["c", '(split pct::100 by::$userId seed::"search-ranking")'],
      ["a-default", undefined],
    ]);
    expect(variants[2].attributeValues).toEqual({ variant: "c", value: "v3" });
    expect(variants[3].attributeValues).toEqual({ variant: "a", value: "v1" });
  });

  it("rules come first in order, with AppConfig's operators", () => {
    const variants = (document.values as Record<string, { _variants: { name: string; rule?: string }[] }>)["beta-banner"]._variants;
    expect(variants.map((variant) => variant.rule)).toEqual([
      '(begins_with $email "qa-")',
      '(in $country ["DE", "FR"])',
      '(split pct::10 by::$userId seed::"beta-banner")',
      undefined,
    ]);
  });

  it("the kill switch turns a flag off for everyone, whatever its rollout", () => {
    const killed = toAppConfigDocument({ x: flag({ enabled: false, rollout: { percent: 50 }, rules: [{ attribute: "a", equals: "b", serve: "on" }] }) });
    expect((killed.values as Record<string, unknown>).x).toEqual({ enabled: false });
  });

  it("a 100% rollout is on by default with no split", () => {
    expect((document.values as Record<string, unknown>)["full-rollout"]).toEqual({
      _variants: [{ name: "on", enabled: true, attributeValues: { variant: "on" } }],
    });
  });

  it("is the same whatever the order of keys", () => {
    const reversed = Object.fromEntries(Object.entries(sample).reverse());
    expect(JSON.stringify(toAppConfigDocument(reversed))).toBe(JSON.stringify(document));
  });
});

describe("flagd document, evaluated by flagd's own engine", () => {
  it("passes flagd's strict validation", () => {
    expect(() => flagdEngine(sample)).not.toThrow();
  });

  it.each([5, 25, 50, 90])("a %s%% rollout serves that share of 10,000 users within 1.5 points", (percent) => {
    const engine = flagdEngine({ r: flag({ rollout: { percent, by: "userId" } }) });
    let on = 0;
    for (let i = 0; i < 10_000; i++) if (engine.resolveBooleanEvaluation("r", false, { userId: `user-${i}` }).value) on++;
    expect(Math.abs((on / 10_000) * 100 - percent)).toBeLessThanOrEqual(1.5);
  });

  it("A/B weights 20/30/50 serve within 1.5 points each", () => {
    const engine = flagdEngine(sample);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const { value } = engine.resolveStringEvaluation("search-ranking", "", { userId: `user-${i}` });
      counts[value] = (counts[value] ?? 0) + 1;
    }
    expect(Math.abs(counts.v1 / 100 - 20)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(counts.v2 / 100 - 30)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(counts.v3 / 100 - 50)).toBeLessThanOrEqual(1.5);
  });

  it("one user's buckets differ between flags (the flag key seeds the hash)", () => {
    const engine = flagdEngine({ a: flag({ rollout: { percent: 50 } }), b: flag({ rollout: { percent: 50 } }) });
    let differ = 0;
    for (let i = 0; i < 1000; i++) {
      const context = { userId: `user-${i}` };
      if (engine.resolveBooleanEvaluation("a", false, context).value !== engine.resolveBooleanEvaluation("b", false, context).value) differ++;
    }
    expect(differ).toBeGreaterThan(350);
  });

  it("disabled flags serve off to everyone", () => {
    const engine = flagdEngine(sample);
    for (let i = 0; i < 200; i++) {
      const result = engine.resolveBooleanEvaluation("express-shipping", false, { userId: `user-${i}` });
      expect(result.value).toBe(false);
      expect(result.reason).toBe("DISABLED");
    }
  });

  it("rules win over the split", () => {
    const engine = flagdEngine(sample);
    for (let i = 0; i < 100; i++) {
      expect(engine.resolveBooleanEvaluation("beta-banner", false, { userId: `u${i}`, email: "qa-1@example.com" }).value).toBe(true);
      expect(engine.resolveBooleanEvaluation("beta-banner", false, { userId: `u${i}`, country: "DE" }).value).toBe(false);
    }
  });

  it("explain names the variant, flagd's reason and why", () => {
    expect(explain(sample, "beta-banner", { userId: "u-1", country: "FR" })).toMatchObject({
      variant: "off",
      value: false,
      reason: "TARGETING_MATCH",
      why: 'rule 2 matched (country in ["DE","FR"]), serving off',
    });
    expect(explain(sample, "new-checkout", {}).why).toBe("the context has no userId to bucket by: default variant off");
  });
});

describe("explicit defaults", () => {
  const experiment: Flags = {
    ranking: flag({ variants: { control: { weight: 50, value: "v1" }, treatment: { weight: 50, value: "v2" } }, rules: [{ attribute: "email", startsWith: "qa-", serve: "treatment" }] }),
    layout: flag({ variants: { wide: 30, narrow: 70 }, defaultVariant: "narrow" }),
  };

  it("a context without the bucketing attribute gets the first declared variant, reason DEFAULT, in both documents", () => {
    const engine = flagdEngine(experiment);
    expect(engine.resolveStringEvaluation("ranking", "", {})).toMatchObject({ value: "v1", variant: "control", reason: "DEFAULT" });
    expect(engine.resolveStringEvaluation("ranking", "", { email: "someone@example.com" })).toMatchObject({ variant: "control", reason: "DEFAULT" });
    expect(evaluateAppConfig(toAppConfigDocument(experiment), "ranking", {})).toMatchObject({ variant: "control", value: "v1", reason: "DEFAULT" });
    expect(explain(experiment, "ranking", {}).why).toBe("the context has no userId to bucket by: default variant control");
  });

  it("defaultVariant picks another; short weights (wide: 30) split as declared", () => {
    const engine = flagdEngine(experiment);
    expect(engine.resolveStringEvaluation("layout", "", {})).toMatchObject({ variant: "narrow", reason: "DEFAULT" });
    expect(evaluateAppConfig(toAppConfigDocument(experiment), "layout", {}).variant).toBe("narrow");
    let wide = 0;
    for (let i = 0; i < 10_000; i++) if (engine.resolveStringEvaluation("layout", "", { userId: `user-${i}` }).value === "wide") wide++;
    expect(Math.abs(wide / 100 - 30)).toBeLessThanOrEqual(1.5);
  });

  it("users with the attribute keep their buckets: the splits do not depend on the default", () => {
    const document = toAppConfigDocument(experiment);
    const flipped = toAppConfigDocument({ ...experiment, ranking: { ...experiment.ranking, defaultVariant: "treatment" } });
    for (let i = 0; i < 500; i++) {
      const context = { userId: `user-${i}` };
      expect(evaluateAppConfig(flipped, "ranking", context).variant).toBe(evaluateAppConfig(document, "ranking", context).variant);
    }
  });

  it("a defaultVariant that is not declared is a config error", () => {
    const config = setPath(shippedConfig("staging"), "release:flags.search-ranking.defaultVariant", "nope");
    expect(configError(config)).toContain("release:flags.search-ranking.defaultVariant: expected one of control, treatment (got \"nope\")");
  });
});

describe("flag model in config", () => {
  it("a flag whose dependency is off is rejected", () => {
    const config = setPath(shippedConfig("production"), "release:flags.express-shipping.enabled", true);
    setPath(config, "release:flags.new-checkout.enabled", false);
    expect(configError(config, "production")).toContain(
      "release:flags.express-shipping.enabled: cannot be on while flags.new-checkout, which it depends on, is off",
    );
  });

  it("variant values of mixed types are rejected (flagd needs one type)", () => {
    const config = setPath(shippedConfig("staging"), "release:flags.search-ranking.variants.control.value", 1);
    expect(configError(config)).toContain("variant values must all be one type");
  });

  it("a flag past its expiry date is a warning in synth diagnostics, not an error", async () => {
    expect(expiredFlagWarnings(sample, "2027-06-01")).toHaveLength(6);
    const config = setPath(shippedConfig("staging"), "release:flags.new-checkout.expires", "2020-01-01");
    const document = await synth(config);
    expect(document.diagnostics).toEqual([
      {
        severity: "warning",
        message: "flag new-checkout expired on 2020-01-01 (owner payments): remove it from the code and the stack file, or extend expires",
      },
    ]);
  });
});

describe("FeatureFlagStore under mocks", () => {
  it("holds the document in a hosted FeatureFlags profile and deploys its version number as a string", async () => {
    const d = await synth(shippedConfig("staging"));
    expect(resource(d, "aws:appconfig/configurationProfile:ConfigurationProfile", "staging-flags-profile").inputs).toMatchObject({
      type: "AWS.AppConfig.FeatureFlags",
      locationUri: "hosted",
    });
    const store = resource(d, "release:aws:FeatureFlagStore", "staging-flags");
    expect(JSON.parse(String(store.outputs.document))).toEqual(toAppConfigDocument(load(shippedConfig("staging")).flags));
    expect(resource(d, "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion", "staging-flags-version").inputs.content).toBe("[secret]");
    // The provider keeps the content secret; what it holds is exactly the document.
    let content: unknown;
    await synthesize({
      config: load(shippedConfig("staging")),
      inspectSecrets: (type, _name, inputs) => {
        if (type === "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion") content = inputs.content;
      },
    });
    expect(JSON.parse(String(content))).toEqual(toAppConfigDocument(load(shippedConfig("staging")).flags));
    expect(resource(d, "aws:appconfig/deployment:Deployment", "staging-flags-deployment").inputs.configurationVersion).toBe("1");
  });

  it.each([
    ["dev", { growthType: "LINEAR", growthFactor: 100, deploymentDurationInMinutes: 0, finalBakeTimeInMinutes: 0 }],
    ["staging", { growthType: "LINEAR", growthFactor: 50, deploymentDurationInMinutes: 4, finalBakeTimeInMinutes: 5 }],
    ["production", { growthType: "LINEAR", growthFactor: 20, deploymentDurationInMinutes: 20, finalBakeTimeInMinutes: 10 }],
  ])("%s's deployment strategy", async (stack, expected) => {
    const d = await synth(shippedConfig(stack), stack);
    expect(resource(d, "aws:appconfig/deploymentStrategy:DeploymentStrategy", `${stack}-flags-strategy`).inputs).toMatchObject({ ...expected, replicateTo: "NONE" });
  });

  it("monitors the services' composite alarms with a role that trusts AppConfig", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const composites = resourcesOf(d, "aws:cloudwatch/compositeAlarm:CompositeAlarm").map((alarm) => alarm.outputs.arn);
    const role = resource(d, "aws:iam/role:Role", "production-flags-monitors");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal).toEqual({ Service: "appconfig.amazonaws.com" });
    expect(resource(d, "aws:appconfig/environment:Environment", "production-flags-env").inputs.monitors).toEqual(
      composites.map((alarmArn) => ({ alarmArn, alarmRoleArn: role.outputs.arn })),
    );
  });

  it("production protects the application and profile and keeps old versions", async () => {
    const d = await synth(shippedConfig("production"), "production");
    expect(resource(d, "aws:appconfig/application:Application", "production-flags-app").options.protect).toBe(true);
    expect(resource(d, "aws:appconfig/configurationProfile:ConfigurationProfile", "production-flags-profile").options.protect).toBe(true);
    expect(resource(d, "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion", "production-flags-version").options.retainOnDelete).toBe(true);
    const dev = await synth(shippedConfig("dev"), "dev");
    expect(resource(dev, "aws:appconfig/application:Application", "dev-flags-app").options.protect).toBe(false);
  });

  it("each task role may read exactly its environment's profile", async () => {
    const d = await synth(shippedConfig("staging"));
    const app = resource(d, "aws:appconfig/application:Application", "staging-flags-app").outputs.arn;
    const env = resource(d, "aws:appconfig/environment:Environment", "staging-flags-env").outputs.environmentId;
    const profile = resource(d, "aws:appconfig/configurationProfile:ConfigurationProfile", "staging-flags-profile").outputs.configurationProfileId;
    const policy = resource(d, "aws:iam/rolePolicy:RolePolicy", "staging-flags-read-checkout");
    expect(policy.inputs.role).toBe(resource(d, "aws:iam/role:Role", "checkout-task").inputs.name);
    expect(JSON.parse(String(policy.inputs.policy)).Statement).toEqual([
      {
        Sid: "ReadFeatureFlags",
        Effect: "Allow",
        Action: ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
        Resource: `${app}/environment/${env}/configuration/${profile}`,
      },
    ]);
  });

  it("the task definition runs the AppConfig Agent on 2772 for its store; agent: false leaves it out", async () => {
    const d = await synth(shippedConfig("staging"));
    const containers = JSON.parse(String(resource(d, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task").inputs.containerDefinitions));
    expect(containers.map((c: { name: string }) => c.name)).toEqual(["app", "appconfig-agent"]);
    expect(containers[1]).toMatchObject({
      portMappings: [{ containerPort: 2772, protocol: "tcp" }],
      environment: expect.arrayContaining([
        { name: "PREFETCH_LIST", value: "/applications/release-platform-staging/environments/staging/configurations/feature-flags" },
      ]),
      logConfiguration: { logDriver: "awslogs", options: expect.objectContaining({ "awslogs-stream-prefix": "appconfig-agent" }) },
    });
    const without = await synth(setPath(shippedConfig("staging"), "release:flagStore", { agent: false }));
    const only = JSON.parse(String(resource(without, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task").inputs.containerDefinitions));
    expect(only.map((c: { name: string }) => c.name)).toEqual(["app"]);
  });

  it("ownership console leaves later versions and deployments to people", async () => {
    const d = await synth(setPath(shippedConfig("staging"), "release:flagStore", { ownership: "console" }));
    expect(resource(d, "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion", "staging-flags-version").options.ignoreChanges).toEqual(["content"]);
    expect(resource(d, "aws:appconfig/deployment:Deployment", "staging-flags-deployment").options.ignoreChanges).toEqual(["configurationVersion"]);
  });

  it("more than 5 services are monitored through composites of their alarms", async () => {
    const config = shippedConfig("staging");
    const services = config["release:services"] as Record<string, Record<string, unknown>>;
    for (let i = 0; i < 6; i++) services[`svc${i}`] = { ...services.catalog, priority: 100 + i, pathPatterns: [`/svc${i}/*`], smokeTest: { paths: [`/svc${i}/health`] } };
    const d = await synth(config);
    const monitors = resource(d, "aws:appconfig/environment:Environment", "staging-flags-env").inputs.monitors as unknown[];
    expect(monitors).toHaveLength(1);
    const composite = resource(d, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "staging-flags-monitor-0");
    expect(String(composite.inputs.alarmRule).split(" OR ")).toHaveLength(8);
    expect(anyAlarmRule(["a", "b"])).toBe('ALARM("a") OR ALARM("b")');
  });
});

describe("synth tree", () => {
  it("says what each flag serves: a full rollout is on, rules are counted", async () => {
    const dev = renderTree(await synth(shippedConfig("dev"), "dev"));
    expect(dev).toContain("FeatureFlagStore dev-flags  flags: new-checkout on\n");
    const config = setPath(shippedConfig("staging"), "release:flags.new-checkout.rules", [{ attribute: "country", in: ["DE"], serve: "on" }]);
    expect(renderTree(await synth(config))).toContain("flags: new-checkout 50% + 1 rule(s), search-ranking A/B control/treatment");
  });
});

describe("npm run flags", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), join(PROJECT_ROOT, "src/flags-cli.ts"), ...args], {
      encoding: "utf8",
    });

  it("prints both documents", () => {
    const appconfig = run("staging");
    expect(appconfig.status).toBe(0);
    expect(JSON.parse(appconfig.stdout)).toEqual(toAppConfigDocument(load(shippedConfig("staging")).flags));
    const flagd = run("staging", "--backend", "flagd");
    expect(JSON.parse(flagd.stdout)).toEqual(toFlagdDocument(load(shippedConfig("staging")).flags));
  });

  it("explains a decision", () => {
    const result = run("staging", "--explain", "new-checkout", "--context", '{"userId":"u-1"}');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^new-checkout for \{"userId":"u-1"\}: (on|off) = (true|false) \[TARGETING_MATCH\]\n {2}why: no rule matched; userId "u-1"/);
  });

  it("an unknown flag is a usage error naming the flags", () => {
    const result = run("staging", "--explain", "nope");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("flags: new-checkout, search-ranking");
  });
});
