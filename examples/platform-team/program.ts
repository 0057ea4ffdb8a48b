// A platform team's program: its own config, release-platform's components composed by hand.
// In a team's repository the import is `from "release-platform"` (the package's exports); here it is the source.
import * as pulumi from "@pulumi/pulumi";
import {
  BlueGreenService,
  Environment,
  FeatureFlagStore,
  toAppConfigDocument,
  type Flags,
} from "../../components";

export async function shopPlatform(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("shop");
  const region = new pulumi.Config("aws").require("region");

  // 1. The environment: provider with default tags, load balancer (production and test listeners), cluster, alert topic.
  const environment = new Environment("shop", {
    tier: "production",
    region,
    vpcId: config.require("vpcId"),
    publicSubnetIds: config.requireObject<string[]>("publicSubnetIds"),
    privateSubnetIds: config.requireObject<string[]>("privateSubnetIds"),
    certificateArn: config.require("certificateArn"),
    alertEmails: [config.require("oncall")],
  });
  const providers = [environment.provider];

  // 2. A service whose canary ECS rolls back on its alarms: it creates them over its two target groups itself.
  const storefront = new BlueGreenService(
    "storefront",
    {
      environment,
      image: config.require("image"),
      port: 8080,
      pathPatterns: ["/*"],
      priority: 100,
      cpu: 512,
      memory: 1024,
      desiredCount: 3,
      autoscaling: { min: 3, max: 9, cpuTargetPercent: 60 },
      healthCheck: { path: "/healthz" },
      deployment: { strategy: "canary", canaryPercent: 5, canaryBakeMinutes: 10, bakeMinutes: 20 },
      alarms: { errorRatePercent: 0.5, p99LatencyMs: 600 },
    },
    { providers },
  );

  // 3. Flags, rolled back by AppConfig when the storefront's alarms fire.
  const flags: Flags = {
    "one-click-buy": { description: "One-click purchase", owner: "storefront", expires: "2027-09-30", enabled: true, rollout: { percent: 10 } },
  };
  const store = new FeatureFlagStore(
    "shop-flags",
    {
      applicationName: "shop-flags",
      environmentName: "production",
      document: JSON.stringify(toAppConfigDocument(flags)),
      strategy: { growthType: "LINEAR", growthFactor: 20, durationMinutes: 20, bakeMinutes: 10 },
      monitors: [storefront],
      readers: [storefront],
      protectHistory: true,
    },
    { providers },
  );
  // Flag deployments that complete or roll back notify the environment's alert topic, as ECS deployments already do.
  environment.notifyFlagDeployments(store);

  return { url: storefront.productionUrl, testUrl: storefront.testUrl, strategy: storefront.strategySummary };
}

