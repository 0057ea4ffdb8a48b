import { describe, expect, it } from "vitest";
import { tierFromStackName } from "../src/config/load";
import { ConfigError } from "../src/config/problems";
import { configError, load, setPath, shippedConfig } from "./helpers";

describe("shipped stack files", () => {
  it.each(["dev", "staging", "production"])("%s validates and gets its tier from the stack name", (stack) => {
    const config = load(shippedConfig(stack), stack);
    expect(config.tier).toBe(stack);
  });

  it("dev gets one task, blue/green without bake and 7-day logs from its tier", () => {
    const [checkout] = load(shippedConfig("dev"), "dev").services;
    expect(checkout.desiredCount).toBe(1);
    expect(checkout.autoscaling).toEqual({ min: 1, max: 1, cpuTargetPercent: 60 });
    expect(checkout.deployment).toEqual({ strategy: "blue-green", bakeMinutes: 0 });
    expect(checkout.logRetentionDays).toBe(7);
    expect(checkout.smokeTest.enabled).toBe(false);
  });

  it("production defaults a service without a deployment block to canary with bakes", () => {
    const config = shippedConfig("production");
    setPath(config, "release:services.checkout.deployment", undefined);
    const checkout = load(config, "production").services.find((s) => s.name === "checkout");
    expect(checkout?.deployment).toEqual({ strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 });
  });

  it("services come out sorted by name whatever the order in the stack file", () => {
    expect(load(shippedConfig("staging")).services.map((s) => s.name)).toEqual(["catalog", "checkout"]);
  });
});

describe("tier", () => {
  it.each([
    ["dev", "dev"],
    ["dev-alice", "dev"],
    ["staging", "staging"],
    ["stg-eu", "staging"],
    ["prod", "production"],
    ["production-us", "production"],
    ["org/production", "production"],
    ["qa", undefined],
  ])("stack %s defaults to tier %s", (stack, tier) => {
    expect(tierFromStackName(stack)).toBe(tier);
  });

  it("a stack name that names no tier, without release:tier, is an error at release:tier", () => {
    expect(configError(shippedConfig("staging"), "qa")).toBe(
      'Pulumi.qa.yaml: release:tier: stack "qa" does not name a tier (dev*, staging*/stg*, prod*/production*): set release:tier to dev, staging or production (got nothing)',
    );
  });

  it("an explicit release:tier wins over the stack name", () => {
    const config = setPath(shippedConfig("staging"), "release:tier", "production");
    expect(load(config, "qa").tier).toBe("production");
  });

  it("an unknown tier is an error naming the allowed ones", () => {
    expect(configError(setPath(shippedConfig("staging"), "release:tier", "prod"))).toBe(
      'Pulumi.staging.yaml: release:tier: expected one of dev, staging, production (got "prod")',
    );
  });
});

describe("bad config: one class at a time, with the exact path", () => {
  it("wrong type", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.port", "eighty");
    expect(configError(config)).toBe('Pulumi.staging.yaml: release:services.checkout.port: expected a number (got "eighty")');
  });

  it("out of range", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.port", 70000);
    expect(configError(config)).toBe("Pulumi.staging.yaml: release:services.checkout.port: must be at most 65535 (got 70000)");
  });

  it("unknown key, with a suggestion for a typo", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.desiredCont", 2);
    expect(configError(config)).toBe(
      'Pulumi.staging.yaml: release:services.checkout.desiredCont: unknown key (did you mean "desiredCount"?) (got 2)',
    );
  });

  it("unknown top-level key in the release namespace", () => {
    const config = setPath(shippedConfig("staging"), "release:service", {});
    expect(configError(config)).toContain('Pulumi.staging.yaml: release:service: unknown key (did you mean "services"?)');
  });

  it("a misspelt namespace is an error, not silently ignored", () => {
    const config = shippedConfig("staging");
    config["relase:flagStore"] = { agent: false };
    expect(configError(config)).toBe(
      'Pulumi.staging.yaml: relase:flagStore: unknown namespace relase; the program reads release:flagStore (write release:flagStore in the stack file, or pulumi config set --path release:flagStore...) (got {"agent":false})',
    );
  });

  it("missing required key", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.image", undefined);
    expect(configError(config)).toBe("Pulumi.staging.yaml: release:services.checkout.image: required (got nothing)");
  });

  it("missing network", () => {
    const config = setPath(shippedConfig("staging"), "release:network", undefined);
    expect(configError(config)).toBe("Pulumi.staging.yaml: release:network: required (got nothing)");
  });

  it("missing certificate in production", () => {
    const config = setPath(shippedConfig("production"), "release:ingress.certificateArn", undefined);
    expect(configError(config, "production")).toBe(
      "Pulumi.production.yaml: release:ingress.certificateArn: is required in production (HTTP alone is allowed only in dev) (got nothing)",
    );
  });

  it("dev may run without a certificate", () => {
    expect(configError(shippedConfig("dev"), "dev")).toBeUndefined();
  });

  it("missing aws:region", () => {
    const config = setPath(shippedConfig("staging"), "aws:region", undefined);
    expect(configError(config)).toBe("Pulumi.staging.yaml: aws:region: expected an AWS region like eu-west-1 (got nothing)");
  });

  it("lists every problem at once, one per line", () => {
    const config = shippedConfig("staging");
    setPath(config, "release:services.checkout.port", 0);
    setPath(config, "release:services.catalog.cpu", "lots");
    setPath(config, "release:network.vpcId", "vpc-nope");
    const lines = configError(config)?.split("\n") ?? [];
    expect(lines).toEqual([
      'Pulumi.staging.yaml: release:network.vpcId: expected a VPC id like vpc-0abc12345def67890 (got "vpc-nope")',
      'Pulumi.staging.yaml: release:services.catalog.cpu: expected a number (got "lots")',
      "Pulumi.staging.yaml: release:services.checkout.port: must be at least 1 (got 0)",
    ]);
  });

  it("is a ConfigError, which Pulumi prints without a stack trace", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.port", -1);
    expect(() => load(config)).toThrow(ConfigError);
  });
});

describe("what AWS would check later is checked now", () => {
  const cases: [string, unknown, string][] = [
    ["release:network.vpcId", "vpc-123", "expected a VPC id like vpc-0abc12345def67890"],
    ["release:network.privateSubnetIds", ["subnet-zz"], "expected a subnet id like subnet-0abc12345def67890"],
    ["release:ingress.certificateArn", "arn:aws:acm:eu-west-1:123:certificate/x", "expected an ACM certificate ARN"],
    ["release:services.checkout.image", "checkout", "expected an image reference pinned to a tag or digest"],
    ["release:services.checkout.image", "Registry/Checkout:1", "expected an image reference pinned to a tag or digest"],
    ["release:ingress.allowedCidrs", ["10.0.0.0/33"], "expected a CIDR block"],
    ["release:ingress.allowedCidrs", ["300.0.0.0/8"], "expected a CIDR block"],
    ["release:notifications.emails", ["oncall"], "expected an e-mail address"],
    ["release:notifications.httpsEndpoints", ["http://hooks.example.com/x"], "expected an https:// URL"],
    ["release:services.checkout.secrets", { KEY: "arn:aws:s3:::bucket/key" }, "expected a Secrets Manager secret ARN or an SSM parameter ARN"],
  ];
  it.each(cases)("%s = %j is rejected", (path, value, message) => {
    const error = configError(setPath(shippedConfig("staging"), path, value));
    expect(error).toContain(message);
    expect(error?.startsWith(`Pulumi.staging.yaml: ${path.split(".")[0]}`)).toBe(true);
  });

  it("accepts an IPv6 CIDR, an image by digest and an SSM parameter secret", () => {
    const config = shippedConfig("staging");
    setPath(config, "release:ingress.allowedCidrs", ["2001:db8::/32"]);
    setPath(config, "release:services.checkout.image", `ghcr.io/acme/checkout@sha256:${"a".repeat(64)}`);
    setPath(config, "release:services.checkout.secrets", { DB_URL: "arn:aws:ssm:eu-west-1:123456789012:parameter/checkout/db-url" });
    expect(configError(config)).toBeUndefined();
  });

  it("rejects the latest tag in production only", () => {
    const image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:latest";
    expect(configError(setPath(shippedConfig("production"), "release:services.checkout.image", image), "production")).toContain(
      "release:services.checkout.image: must pin a version tag or digest in production",
    );
    expect(configError(setPath(shippedConfig("dev"), "release:services.checkout.image", image), "dev")).toBeUndefined();
  });
});

describe("deployment strategy", () => {
  it("canaryPercent 0 is an error at its path", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.deployment.canaryPercent", 0);
    expect(configError(config, "production")).toBe(
      "Pulumi.production.yaml: release:services.checkout.deployment.canaryPercent: must be at least 0.1 (got 0)",
    );
  });

  it("stepPercent below 3 is an error", () => {
    const config = setPath(shippedConfig("production"), "release:services.catalog.deployment.stepPercent", 2);
    expect(configError(config, "production")).toContain("release:services.catalog.deployment.stepPercent: must be at least 3 (got 2)");
  });

  it("bake minutes above 1440 are an error", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.deployment.bakeMinutes", 1441);
    expect(configError(config, "production")).toContain("release:services.checkout.deployment.bakeMinutes: must be at most 1440 (got 1441)");
  });

  it("rolling in production is an error; in dev it is allowed", () => {
    const production = setPath(shippedConfig("production"), "release:services.checkout.deployment", { strategy: "rolling" });
    expect(configError(production, "production")).toContain(
      'Pulumi.production.yaml: release:services.checkout.deployment.strategy: rolling is allowed in dev only (tier is production) (got "rolling")',
    );
    const dev = setPath(shippedConfig("dev"), "release:services.checkout.deployment", { strategy: "rolling" });
    expect(configError(dev, "dev")).toBeUndefined();
  });

  it("a field of another strategy is an error rather than silently ignored", () => {
    const config = setPath(shippedConfig("production"), "release:services.catalog.deployment.canaryPercent", 5);
    expect(configError(config, "production")).toContain(
      "release:services.catalog.deployment.canaryPercent: does not apply to strategy linear (got 5)",
    );
  });

  it("canary chosen in staging without numbers gets 10% and 5 minutes", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.deployment", { strategy: "canary" });
    const checkout = load(config).services.find((s) => s.name === "checkout");
    expect(checkout?.deployment).toEqual({ strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 });
  });
});

describe("listener rules and tasks", () => {
  it("duplicate priorities are an error naming both services", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.priority", 20);
    expect(configError(config)).toBe(
      "Pulumi.staging.yaml: release:services.checkout.priority: is already taken by service catalog on this environment's listeners (got 20)",
    );
  });

  it("a service without path patterns or host headers is an error", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.pathPatterns", undefined);
    expect(configError(config)).toContain("release:services.checkout.pathPatterns: or hostHeaders must name at least one route");
  });

  it("a Fargate cpu/memory pair AWS does not offer is an error", () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.memory", 512);
    expect(configError(config)).toContain("release:services.checkout.memory: for cpu 512 must be 1024-4096 in steps of 1024 (got 512)");
  });

  it("a service name longer than 40 characters is an error", () => {
    const config = shippedConfig("staging");
    const services = config["release:services"] as Record<string, unknown>;
    services["a".repeat(41)] = services.checkout;
    delete services.checkout;
    expect(configError(config)).toContain("service names are at most 40 characters");
  });
});

describe("what the components would refuse is refused here, before anything is registered", () => {
  it("a test listener on 80 or 443 collides with the production listener", () => {
    expect(configError(setPath(shippedConfig("staging"), "release:ingress.testListenerPort", 443))).toContain(
      "release:ingress.testListenerPort: collides with the production listener ports 80/443 (got 443)",
    );
  });

  it("a custom alarm may not reuse a built-in alarm's name", () => {
    const custom = { name: "error-rate", namespace: "N", metric: "M", statistic: "Sum", comparison: "GreaterThanThreshold", threshold: 1 };
    expect(configError(setPath(shippedConfig("staging"), "release:services.checkout.alarms", { custom: [custom] }))).toContain(
      'release:services.checkout.alarms.custom[0].name: is used by another alarm of this service (got "error-rate")',
    );
  });
});

describe("secrets", () => {
  it("secure values validate offline and stay secret in the resolved config", () => {
    const config = setPath(shippedConfig("staging"), "release:notifications", { emails: [{ secure: "v1:abcdef" }] });
    const loaded = load(config);
    expect(loaded.notifications.emails).toHaveLength(1);
    expect(typeof loaded.notifications.emails[0]).not.toBe("string");
  });

  it("a bad value under a secret key is reported without printing it", () => {
    const config = setPath(shippedConfig("staging"), "release:notifications", {
      emails: [{ secure: "v1:abcdef" }, "not-an-email"],
    });
    expect(configError(config)).toBe("Pulumi.staging.yaml: release:notifications.emails[1]: expected an e-mail address (got [secret])");
  });
});

describe("flags", () => {
  const withFlags = (flags: Record<string, unknown>) => setPath(shippedConfig("staging"), "release:flags", flags);
  const flag = (extra: Record<string, unknown> = {}) => ({
    description: "d",
    owner: "o",
    expires: "2027-01-01",
    enabled: true,
    ...extra,
  });

  it("a dependency that does not exist is an error at its index", () => {
    expect(configError(withFlags({ a: flag({ dependsOn: ["b"] }) }))).toBe(
      'Pulumi.staging.yaml: release:flags.a.dependsOn[0]: no flag named "b" (got "b")',
    );
  });

  it("a dependency cycle is an error that shows the cycle", () => {
    expect(configError(withFlags({ a: flag({ dependsOn: ["b"] }), b: flag({ dependsOn: ["a"] }) }))).toContain(
      "release:flags.a.dependsOn: dependency cycle a -> b -> a",
    );
  });

  it("a flag on while a flag it depends on is off is an error", () => {
    expect(configError(withFlags({ a: flag({ dependsOn: ["b"] }), b: flag({ enabled: false }) }))).toContain(
      "release:flags.a.enabled: cannot be on while flags.b, which it depends on, is off",
    );
  });

  it("variant weights must sum to 100", () => {
    expect(configError(withFlags({ a: flag({ variants: { x: { weight: 30 }, y: { weight: 30 } } }) }))).toContain(
      "release:flags.a.variants: weights must sum to 100 (got 60)",
    );
  });

  it("a key AppConfig would refuse is an error", () => {
    expect(configError(withFlags({ "New-Checkout": flag() }))).toContain("flag keys match ^[a-z][a-zA-Z\\d_-]{0,63}$");
  });

  it("rollout percent above 100 is an error", () => {
    expect(configError(withFlags({ a: flag({ rollout: { percent: 101 } }) }))).toContain(
      "release:flags.a.rollout.percent: must be at most 100 (got 101)",
    );
  });
});
