import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import type { ArgumentProblem } from "../components/arguments";
import { blueGreenServiceArgsProblems, type BlueGreenServiceArgsToCheck } from "../components/blue-green-service/blue-green-service";
import { deploymentAlarmsArgsProblems } from "../components/deployment-alarms/deployment-alarms";
import { environmentArgsProblems } from "../components/environment/environment";
import { flagsProblems } from "../components/feature-flag-store/flags/problems";
import { agentContainer } from "../components/feature-flag-store/backends/appconfig/agent";
import { featureFlagStoreArgsProblems } from "../components/feature-flag-store/backends/appconfig/problems";
import { kubernetesServiceArgsProblems, type KubernetesServiceArgsToCheck, kubernetesServiceWithTierDefaults } from "../components/kubernetes-service/kubernetes-service";
import { crossServiceProblems, loadBalancerProblems } from "../components/release-environment/problems";
import type { ReleaseServiceArgs } from "../components/release-environment/args";
import { resolveService } from "../components/release-environment/resolve";
import { ConfigError } from "../src/config/problems";
import { PROJECT_ROOT } from "../src/synth/run";
import { configError, load, setPath, shippedConfig, type StackConfig } from "./helpers";

/** Each rule lives in the library; these tests hold it at the component (its validator, no mocks) and at the stack file (its path). */

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0.0";
const production = { tier: "production" as const, namePrefix: "shop" };

const service = (more: Partial<BlueGreenServiceArgsToCheck> = {}): BlueGreenServiceArgsToCheck => ({
  environment: production,
  image: IMAGE,
  port: 8080,
  pathPatterns: ["/api/*"],
  priority: 10,
  ...more,
});

const kubernetesService = (more: Partial<KubernetesServiceArgsToCheck> = {}): KubernetesServiceArgsToCheck => ({
  environment: production,
  namespace: "shop",
  image: IMAGE,
  port: 8080,
  pathPatterns: ["/api/*"],
  priority: 10,
  deployment: { strategy: "blue-green", bakeMinutes: 5 },
  podSecurityGroupId: "sg-0123456789abcdef0",
  ...more,
});

const fieldsOf = (problems: readonly ArgumentProblem[]) => problems.map((problem) => problem.field.join("."));

/** The lines of a stack file's error that name `path`. */
function linesAt(config: StackConfig, stack: string, path: string): string[] {
  return (configError(config, stack) ?? "").split("\n").filter((line) => line.includes(`: ${path}: `));
}

const eksConfig = (): StackConfig =>
  structuredClone((parse(readFileSync(join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml"), "utf8")) as { config: StackConfig }).config);

const customAlarm = (name: string) => ({ name, namespace: "Shop", metric: "Failures", statistic: "Sum", comparison: "GreaterThanThreshold", threshold: 1 });

describe("a custom alarm named like the service's own alarms (the rule that drifted)", () => {
  it("`any`, the composite's name, is refused by DeploymentAlarms and by both services", () => {
    const alarms = { serviceName: "api", namePrefix: "shop", loadBalancerArnSuffix: "app/x/1", targetGroupArnSuffixes: ["targetgroup/b/1"], alertTopicArn: "arn" };
    expect(deploymentAlarmsArgsProblems({ ...alarms, custom: [customAlarm("any")] })).toContainEqual({
      field: ["custom", 0, "name"],
      message: "is used by another alarm of this service",
      got: "any",
    });
    expect(fieldsOf(blueGreenServiceArgsProblems(service({ alarms: { custom: [customAlarm("any")] } })))).toEqual(["alarms.custom.0.name"]);
    expect(fieldsOf(kubernetesServiceArgsProblems(kubernetesService({ alarms: { custom: [customAlarm("any")] } })))).toEqual(["alarms.custom.0.name"]);
  });

  it("the stack file gets it at the alarm's path, on either runtime", () => {

    const config = setPath(shippedConfig("staging"), "release:services.checkout.alarms", { custom: [customAlarm("any")] });
    expect(linesAt(config, "staging", "release:services.checkout.alarms.custom[0].name")).toEqual([
      'Pulumi.staging.yaml: release:services.checkout.alarms.custom[0].name: is used by another alarm of this service (got "any")',
    ]);
    const eks = setPath(eksConfig(), "release:services.search.alarms", { custom: [customAlarm("any")] });
    expect(linesAt(eks, "eks", "release:services.search.alarms.custom[0].name")).toHaveLength(1);
  });
});

describe("rules that were the config's only, now the components'", () => {
  it("`latest` is refused in production by BlueGreenService and KubernetesService", () => {
    const latest = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:latest";
    expect(blueGreenServiceArgsProblems(service({ image: latest }))).toEqual([
      { field: ["image"], message: "must pin a version tag or digest in production: latest changes under a running service", got: latest },
    ]);
    expect(blueGreenServiceArgsProblems(service({ image: latest, environment: { tier: "staging", namePrefix: "shop" } }))).toEqual([]);
    expect(fieldsOf(kubernetesServiceArgsProblems(kubernetesService({ image: latest })))).toEqual(["image"]);
  });

  it("the stack file gets `latest` at the service's image", () => {
    const latest = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:latest";

    expect(linesAt(setPath(eksConfig(), "release:services.search.image", latest), "eks", "release:services.search.image")).toEqual([
      `Pulumi.eks.yaml: release:services.search.image: must pin a version tag or digest in production: latest changes under a running service (got "${latest}")`,
    ]);
  });

  it("a container port a sidecar holds is refused by both services", () => {
    const agent = [{ definition: agentContainer("/applications/a/environments/e/configurations/p", "eu-west-1") }];
    expect(blueGreenServiceArgsProblems(service({ port: 2772, sidecars: agent }))).toEqual([
      { field: ["port"], message: "is the port of the sidecar appconfig-agent beside it (task or pod); choose another", got: 2772 },
    ]);
    expect(blueGreenServiceArgsProblems(service({ port: 2772 }))).toEqual([]);
    expect(fieldsOf(kubernetesServiceArgsProblems(kubernetesService({ port: 2772, sidecars: agent })))).toEqual(["port"]);
  });

  it("the stack file's 2772 is refused at the port while the AppConfig Agent runs, and allowed without it", () => {

    const config = setPath(shippedConfig("staging"), "release:services.checkout.port", 2772);
    expect(linesAt(config, "staging", "release:services.checkout.port")).toEqual([
      "Pulumi.staging.yaml: release:services.checkout.port: is the port of the sidecar appconfig-agent beside it (task or pod); choose another (got 2772)",
    ]);
    expect(configError(setPath(config, "release:flagStore", { backend: "appconfig", agent: false }))).toBeUndefined();
  });

  it("staging and production need an alert subscriber: an environment-wide rule", () => {
    const checkout: ReleaseServiceArgs = { image: IMAGE, port: 8080, pathPatterns: ["/checkout/*"], priority: 10 };
    expect(crossServiceProblems({ tier: "staging", services: { checkout } })).toEqual([
      {
        field: ["notifications"],
        message: "staging needs at least one alert subscription (emails, httpsEndpoints or slack): without one, alarms and rollbacks reach no one",
        got: undefined,
      },
    ]);
    expect(crossServiceProblems({ tier: "dev", services: { checkout } })).toEqual([]);
    expect(crossServiceProblems({ tier: "staging", services: { checkout }, notifications: { httpsEndpoints: ["https://pager.example.com/hook"] } })).toEqual([]);
  });

  it("the stack file without a subscriber is refused at release:notifications", () => {

    expect(linesAt(setPath(shippedConfig("staging"), "release:notifications", undefined), "staging", "release:notifications")).toHaveLength(1);
  });

  it("the flag document's 1 MB is FeatureFlagStore's", () => {
    const big = JSON.stringify({ version: "1", flags: {}, values: {}, padding: "x".repeat(1024 * 1024) });
    const problems = featureFlagStoreArgsProblems({ applicationName: "a", environmentName: "e", document: big });
    expect(fieldsOf(problems)).toEqual(["document"]);
    expect(problems[0].message).toMatch(/^makes an AppConfig flag document of \d+ bytes; AppConfig's hosted store takes at most 1048576 \(1 MB\)/);
    expect(featureFlagStoreArgsProblems({ applicationName: "a", environmentName: "e", document: "{}" })).toEqual([]);
  });

  it("the stack file's flags past 1 MB are refused at release:flags", () => {
    const config = shippedConfig("production");
    // Each flag within AppConfig's own bounds; 600 of them make more than 1 MB.
    config["release:flags"] = Object.fromEntries(
      Array.from({ length: 600 }, (_, index) => [
        `flag${index}`,
        { description: "d".repeat(900), owner: "o", expires: "2027-01-01", enabled: true, rules: [{ attribute: "userId", in: Array.from({ length: 8 }, (_, j) => `user-${j}-${"u".repeat(80)}`), serve: "on" }] },
      ]),
    );
    expect(linesAt(config, "production", "release:flags")).toEqual([
      expect.stringMatching(/^Pulumi\.production\.yaml: release:flags: makes an AppConfig flag document of \d+ bytes; AppConfig's hosted store takes at most 1048576 \(1 MB\)/),
    ]);
  });

  it("flag rules run in the library (flagsProblems)", () => {
    const flag = { description: "d", owner: "o", expires: "2027-01-01", enabled: true };
    expect(flagsProblems({ a: { ...flag, dependsOn: ["missing"] } })).toEqual([{ field: ["a", "dependsOn", 0], message: 'no flag named "missing"', got: "missing" }]);
  });

  it("a flag rule reaches the stack file at the flag's path", () => {
    const config = setPath(shippedConfig("production"), "release:flags.new-checkout.dependsOn", ["missing"]);
    expect(linesAt(config, "production", "release:flags.new-checkout.dependsOn[0]")).toEqual([
      'Pulumi.production.yaml: release:flags.new-checkout.dependsOn[0]: no flag named "missing" (got "missing")',
    ]);
  });
});

describe("rules across services: one library function the config and the ReleaseEnvironment share", () => {
  const on = (priority: number, more: Partial<ReleaseServiceArgs> = {}): ReleaseServiceArgs => ({ image: IMAGE, port: 8080, pathPatterns: ["/x/*"], priority, ...more });

  it("a priority taken on the environment's listeners is refused at the later service; a Kubernetes canary has its own load balancer", () => {
    const notifications = { emails: ["oncall@example.com"] };
    expect(crossServiceProblems({ tier: "staging", notifications, services: { b: on(7), a: on(7) } })).toEqual([
      { field: ["services", "b", "priority"], message: "is already taken by service a on this environment's listeners", got: 7 },
    ]);
    const canary = on(7, { runtime: "kubernetes", deployment: { strategy: "canary" } });
    const cluster = { stackReference: "acme/eks/staging" };
    expect(crossServiceProblems({ tier: "staging", notifications, cluster, services: { a: on(7), b: canary } })).toEqual([]);
  });

  it("more traffic-shifting services than one load balancer takes: the same function the config runs before anything else", () => {
    const services = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`s${index}`, on(index + 1)]));
    expect(loadBalancerProblems("production", services).map((problem) => problem.got)).toEqual(["51 services"]);
    const canary = on(1, { runtime: "kubernetes", deployment: { strategy: "canary" } });
    expect(loadBalancerProblems("production", { ...services, s0: canary })).toEqual([]);
  });

  it("kubernetes services need a cluster, named at each service's runtime", () => {
    expect(crossServiceProblems({ tier: "dev", services: { a: on(1, { runtime: "kubernetes" }) } })).toEqual([
      { field: ["services", "a", "runtime"], message: "kubernetes needs a cluster (cluster.stackReference to a stack exporting kubeconfig, or cluster.kubeconfig)", got: "kubernetes" },
    ]);
  });

  it("the stack file's kubernetes services without release:cluster are refused at their runtime", () => {
    const config = eksConfig();
    delete config["release:cluster"];
    expect(linesAt(config, "eks", "release:services.catalog.runtime")).toHaveLength(1);
    expect(linesAt(config, "eks", "release:services.search.runtime")).toHaveLength(1);
  });
});

describe("rules the components had and the config repeated: one copy, the stack path kept", () => {
  it("KubernetesService refuses steps beside a strategy they replace", () => {
    expect(kubernetesServiceArgsProblems(kubernetesService({ deployment: { strategy: "linear", stepPercent: 10, stepBakeMinutes: 2, bakeMinutes: 5 }, steps: [10, 100], ingressSubnetIds: [], hostHeaders: ["api.example.com"], dnsZone: { id: "Z0123456789ABC", name: "example.com" } }))).toEqual([
      { field: ["steps"], message: "replace the strategy's stages: leave the strategy out or make it canary, not linear", got: undefined },
    ]);
  });

  it("steps without a strategy make the same canary at the component as in a stack file, in every tier", () => {
    for (const tier of ["dev", "staging", "production"] as const) {
      const direct = kubernetesServiceWithTierDefaults(kubernetesService({ environment: { tier, namePrefix: "shop" }, deployment: undefined, steps: [10, 100] })).deployment;
      const stackFile = resolveService("api", { image: IMAGE, port: 8080, priority: 10, runtime: "kubernetes", deployment: { steps: [10, 100] } }, tier).deployment;
      expect(direct.strategy).toBe("canary");
      expect(direct).toEqual(stackFile);
    }
  });

  it("the stack file gets steps beside linear at deployment.steps", () => {
    const config = setPath(eksConfig(), "release:services.search.deployment.strategy", "linear");
    expect(linesAt(config, "eks", "release:services.search.deployment.steps")).toEqual([
      "Pulumi.eks.yaml: release:services.search.deployment.steps: replace the strategy's stages: leave the strategy out or make it canary, not linear (got nothing)",
    ]);
  });

  it("a variable set twice is BlueGreenService's rule", () => {
    expect(blueGreenServiceArgsProblems(service({ environmentVariables: { KEY: "x" }, secrets: { KEY: "arn:aws:ssm:eu-west-1:123456789012:parameter/key" } }))).toEqual([
      { field: ["secrets", "KEY"], message: "is also set as a plain environment variable: a variable comes from one place", got: "arn:aws:ssm:eu-west-1:123456789012:parameter/key" },
    ]);
  });

  it("the stack file gets a variable set twice at the secret's path", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.environment", { PAYMENT_API_KEY: "x" });
    expect(linesAt(config, "production", "release:services.checkout.secrets.PAYMENT_API_KEY")).toHaveLength(1);
  });

  it("autoscaling.min above max, and a Fargate size AWS does not offer, are BlueGreenService's rules", () => {
    expect(fieldsOf(blueGreenServiceArgsProblems(service({ autoscaling: { min: 5, max: 2, cpuTargetPercent: 60 }, memory: 512 })))).toEqual([
      "memory",
      "autoscaling.min",
    ]);
  });

  it("the stack file gets autoscaling.min above max at its path", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.autoscaling", { min: 13, max: 12 });
    expect(linesAt(config, "production", "release:services.checkout.autoscaling.min")).toEqual([
      "Pulumi.production.yaml: release:services.checkout.autoscaling.min: must not exceed autoscaling.max (12) (got 13)",
    ]);
  });

  it("the environment's certificate and test port are Environment's rules", () => {
    const network = { region: "eu-west-1", vpcId: "vpc-1", publicSubnetIds: [], privateSubnetIds: [] };
    expect(fieldsOf(environmentArgsProblems({ ...network, tier: "production", testListenerPort: 80 }))).toEqual(["certificateArn", "testListenerPort"]);
  });

  it("the stack file gets them at ingress paths", () => {
    const config = setPath(setPath(shippedConfig("production"), "release:ingress.certificateArn", undefined), "release:ingress.testListenerPort", 80);
    expect((configError(config, "production") ?? "").split("\n").map((line) => line.split(": ")[1])).toEqual([
      "release:ingress.certificateArn",
      "release:ingress.testListenerPort",
    ]);
  });
});

describe("KubernetesService's own rules reach the stack file", () => {
  it("the namespace, by default the stack's name, must be a Kubernetes name: said once for all the stack's Kubernetes services", () => {
    const config = setPath(eksConfig(), "release:cluster.namespace", undefined);
    // The whole of release:cluster counts as secret here (its kubeconfig is, and the helper gives no secret paths).
    expect(linesAt(config, "Shop_EKS", "release:cluster.namespace")).toEqual([
      "Pulumi.Shop_EKS.yaml: release:cluster.namespace: required: the environment's name Shop_EKS is not a Kubernetes name (got nothing)",
    ]);
    expect(configError(config, "shop-eks")).toBeUndefined();
  });

  it("an alarm-gate override on kubernetes is refused: Argo has no gate to override", () => {
    const config = setPath(eksConfig(), "release:services.catalog.alarmGate", { override: "INC-1" });
    expect(linesAt(config, "eks", "release:services.catalog.alarmGate.override")).toEqual([
      'Pulumi.eks.yaml: release:services.catalog.alarmGate.override: does not apply on kubernetes: abort or promote the Rollout instead (got "INC-1")',
    ]);
  });
});

describe("every problem of a stack file in one run", () => {
  it("a shape problem in one service and a rule of another are reported together, sorted by path", () => {
    const config = setPath(shippedConfig("production"), "release:services.catalog.port", "eighty");
    setPath(config, "release:services.checkout.image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:latest");
    expect(configError(config, "production")?.split("\n")).toEqual([
      'Pulumi.production.yaml: release:services.catalog.port: expected a number (got "eighty")',
      'Pulumi.production.yaml: release:services.checkout.image: must pin a version tag or digest in production: latest changes under a running service (got "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:latest")',
    ]);
  });

  it("a service with a shape problem is not judged by the rules its bad value would confuse; the file's other parts are", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.priority", "ten");
    setPath(config, "release:services.catalog.priority", 10);
    setPath(config, "release:ingress.testListenerPort", 443);
    let error: unknown;
    try {
      load(config, "production");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.path)).toEqual(["release:ingress.testListenerPort", "release:services.checkout.priority"]);
  });
});
