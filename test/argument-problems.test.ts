import { describe, expect, it } from "vitest";
import { type ArgumentProblem, describeProblem } from "../components/arguments";
import { BlueGreenService, blueGreenServiceArgsProblems } from "../components/blue-green-service/blue-green-service";
import { DeploymentAlarms, deploymentAlarmsArgsProblems } from "../components/deployment-alarms/deployment-alarms";
import { Environment, environmentArgsProblems } from "../components/environment/environment";
import { FeatureFlagStore } from "../components/feature-flag-store/backends/appconfig/store";
import { featureFlagStoreArgsProblems } from "../components/feature-flag-store/backends/appconfig/problems";
import { KubernetesService, kubernetesServiceArgsProblems } from "../components/kubernetes-service/kubernetes-service";
import { LifecycleHooks, lifecycleHooksArgsProblems } from "../components/lifecycle-hooks/lifecycle-hooks";
import { synthesizeProgram } from "../src/synth/capture";

const network = { region: "eu-west-1", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-0123456789abcdef1"], privateSubnetIds: ["subnet-0123456789abcdef3"] };
// The validators read only the environment's tier; no resource is needed to ask them.
const productionEnvironment = { tier: "production" } as Environment;

const fields = (problems: readonly ArgumentProblem[]) => problems.map((problem) => problem.field);

/** Builds a component with bad arguments under mocks: what it throws, and every resource registered. */
async function refused(build: () => unknown): Promise<{ message: string; registered: string[] }> {
  let message = "";
  const document = await synthesizeProgram({ stack: "prod", tier: "production", region: "eu-west-1" }, async () => {
    try {
      build();
    } catch (error) {
      message = (error as Error).message;
    }
    return {};
  });
  return { message, registered: document.resources.map((resource) => resource.name) };
}

describe("each component's validator names the field of every problem, without mocks", () => {
  it("Environment", () => {
    const problems = environmentArgsProblems({ ...network, tier: "staging", testListenerPort: 443, testListenerCidrs: ["10.0.0.0/8", "0.0.0.0/0"], alertSlack: { workspaceId: "t1", channelId: "C1" } });
    expect(fields(problems)).toEqual([["certificateArn"], ["testListenerPort"], ["alertSlack", "workspaceId"], ["testListenerCidrs", 1]]);
    expect(describeProblem(problems[3])).toBe('testListenerCidrs[1] opens the test listener, which serves unreleased versions, to the internet: list specific sources (got "0.0.0.0/0")');
  });

  it("BlueGreenService", () => {
    const problems = blueGreenServiceArgsProblems({
      environment: productionEnvironment,
      image: "nginx:1.27",
      port: 80,
      priority: 0,
      memory: 3000,
      deployment: { strategy: "canary", canaryPercent: 10.05, canaryBakeMinutes: 5, bakeMinutes: 5 },
      autoscaling: { min: 4, max: 2, cpuTargetPercent: 60 },
      environmentVariables: { MODE: "a" },
      secrets: { MODE: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mode" },
    });
    expect(fields(problems)).toEqual([["deployment", "canaryPercent"], ["pathPatterns"], ["priority"], ["memory"], ["autoscaling", "min"], ["secrets", "MODE"]]);
  });

  it("DeploymentAlarms: a custom alarm named like the composite (any) is refused, as the config refuses it", () => {
    const problems = deploymentAlarmsArgsProblems({
      serviceName: "api",
      namePrefix: "shop",
      loadBalancerArnSuffix: "app/lb/1",
      targetGroupArnSuffixes: ["targetgroup/b/1"],
      alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:alerts",
      timing: { periodSeconds: 45, evaluationPeriods: 1, datapointsToAlarm: 1 },
      custom: [{ name: "any", namespace: "Shop", metric: "Orders", statistic: "Sum", comparison: "LessThanThreshold", threshold: 1 }],
    });
    expect(fields(problems)).toEqual([["timing", "periodSeconds"], ["custom", 0, "name"]]);
  });

  it("LifecycleHooks", () => {
    const problems = lifecycleHooksArgsProblems({
      serviceName: "api",
      namePrefix: "shop",
      smokeTest: { url: "http://test", paths: ["/"], samples: 1, subnetIds: [], securityGroupIds: [] },
      alarmGate: { alarmNames: [], override: " " },
    });
    expect(fields(problems)).toEqual([["smokeTest", "samples"], ["alarmGate", "override"]]);
  });

  it("FeatureFlagStore", () => {
    const problems = featureFlagStoreArgsProblems({ applicationName: "shop", document: "{}", strategy: { growthFactor: 0 }, ramp: { flags: { a: { description: "d", owner: "o", expires: "2027-01-01", enabled: true, rollout: { stages: [1, 5], every: "30m" } } }, alertTopicArn: "t" }, ownership: "console" } as never);
    expect(fields(problems)).toEqual([["strategy", "growthFactor"], ["ramp"], ["ramp", "flags"]]);
  });

  it("KubernetesService", () => {
    const problems = kubernetesServiceArgsProblems({ environment: productionEnvironment, namespace: "Shop", priority: 1, pathPatterns: ["/*"], steps: [10, 5], deployment: { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 1, bakeMinutes: 1 } } as never);
    expect(fields(problems)).toEqual([["steps", 1], ["ingressSubnetIds"], ["hostHeaders"], ["dnsZone"], ["namespace"]]);
  });
});

describe("a bad argument registers nothing, not even the component", () => {
  it("Environment", async () => {
    const { message, registered } = await refused(() => new Environment("env", { ...network, tier: "production" }));
    expect(message).toBe("Environment env: certificateArn is required in production (HTTP alone is allowed only in dev)");
    expect(registered).toEqual([]);
  });

  it("DeploymentAlarms", async () => {
    const args = { serviceName: "api", namePrefix: "shop", loadBalancerArnSuffix: "app/lb/1", targetGroupArnSuffixes: ["targetgroup/b/1"], alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:a" };
    const { message, registered } = await refused(() => new DeploymentAlarms("api-alarms", { ...args, errorRatePercent: 0 }));
    expect(message).toBe("DeploymentAlarms api-alarms: errorRatePercent must be in (0, 100] (got 0)");
    expect(registered).toEqual([]);
  });

  it("LifecycleHooks", async () => {
    const { message, registered } = await refused(() => new LifecycleHooks("api-hooks", { serviceName: "api", namePrefix: "shop", alarmGate: { alarmNames: [], override: "" } }));
    expect(message).toBe('LifecycleHooks api-hooks: alarmGate.override must give a reason (got "")');
    expect(registered).toEqual([]);
  });

  it("FeatureFlagStore", async () => {
    const { message, registered } = await refused(() => new FeatureFlagStore("flags", { applicationName: "shop", document: "{}", strategy: { bakeMinutes: 2000 } } as never));
    expect(message).toBe("FeatureFlagStore flags: strategy.bakeMinutes must be 0-1440 (got 2000)");
    expect(registered).toEqual([]);
  });

  it("BlueGreenService and KubernetesService register nothing of their own", async () => {
    let messages: string[] = [];
    const document = await synthesizeProgram({ stack: "prod", tier: "production", region: "eu-west-1" }, async () => {
      const environment = new Environment("env", { ...network, tier: "production", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0b6a7c4e-1d2f-4a3b-9c8d-7e6f5a4b3c2d" });
      messages = [
        () => new BlueGreenService("api", { environment, image: "nginx:1.27", port: 80, priority: 1, pathPatterns: ["/*"], cpu: 300 }),
        () => new KubernetesService("web", { environment, image: "nginx:1.27", port: 80, priority: 2, hostHeaders: ["web.example.com"], namespace: "shop" } as never),
      ].map((build) => {
        try {
          build();
          return "";
        } catch (error) {
          return (error as Error).message;
        }
      });
      return {};
    });
    expect(messages).toEqual([
      "BlueGreenService api: cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (got 300)",
      // Production's default strategy is a canary, which runs behind its own Ingress.
      "KubernetesService web: ingressSubnetIds is required for a canary Ingress; dnsZone is required for canary, linear and steps on kubernetes: the program points each of the service's hosts at the controller's load balancer with a Route 53 record in it",
    ]);
    expect(document.resources.filter((resource) => resource.name.startsWith("api") || resource.name.startsWith("web"))).toEqual([]);
  });
});
