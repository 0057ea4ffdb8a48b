// A platform team's program: its own config, release-platform's components. In a team's repository the import is
// `from "release-platform"` (the package's exports); here it is the same index, from source.
import * as pulumi from "@pulumi/pulumi";
import {
  BlueGreenService,
  Environment,
  FeatureFlagStore,
  ReleaseEnvironment,
  toAppConfigDocument,
  type Flags,
} from "../../components";

/** The team's flags: rolled back by AppConfig when the storefront's alarms fire. */
const flags: Flags = {
  "one-click-buy": { description: "One-click purchase", owner: "storefront", expires: "2027-09-30", enabled: true, rollout: { percent: 10 } },
};

/** The whole environment from the team's `shop:` settings: one ReleaseEnvironment, as release-platform's own stacks use. */
export async function shopPlatform(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("shop");
  const region = new pulumi.Config("aws").require("region");

  const shop = new ReleaseEnvironment("shop", {
    tier: "production",
    region,
    network: {
      vpcId: config.require("vpcId"),
      publicSubnetIds: config.requireObject<string[]>("publicSubnetIds"),
      privateSubnetIds: config.requireObject<string[]>("privateSubnetIds"),
    },
    ingress: { certificateArn: config.require("certificateArn") },
    notifications: { emails: [config.require("oncall")] },
    services: {
      storefront: {
        image: config.require("image"),
        port: 8080,
        pathPatterns: ["/*"],
        priority: 100,
        healthCheck: { path: "/healthz" },
        deployment: { strategy: "canary", canaryPercent: 5, canaryBakeMinutes: 10, bakeMinutes: 20 },
        alarms: { errorRatePercent: 0.5, p99LatencyMs: 600 },
        smokeTest: { paths: ["/healthz"], samples: 20 },
      },
    },
    flags,
  });

  return { url: shop.url, testUrl: shop.testUrl, strategy: shop.services.storefront.strategySummary };
}

/** The same environment composed by hand, for teams that need a piece the ReleaseEnvironment does not expose. */
export async function shopPlatformByHand(): Promise<Record<string, unknown>> {
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

  // 2. A service that guards its own deployments: its alarms over both target groups (ECS rolls back on them) and its
  //    hooks (a smoke test through the test listener, an alarm gate), created as its children from data.
  const storefront = new BlueGreenService(
    "storefront",
    {
      environment,
      image: config.require("image"),
      port: 8080,
      pathPatterns: ["/*"],
      priority: 100,
      healthCheck: { path: "/healthz" },
      deployment: { strategy: "canary", canaryPercent: 5, canaryBakeMinutes: 10, bakeMinutes: 20 },
      alarms: { errorRatePercent: 0.5, p99LatencyMs: 600 },
      hooks: { smokeTest: { paths: ["/healthz"], samples: 20 }, alarmGate: {} },
    },
    { providers },
  );

  // 3. Flags, rolled back when the service's composite alarm fires; the service's task role may read them.
  const store = new FeatureFlagStore(
    "shop-flags",
    {
      applicationName: "shop-flags",
      environmentName: "production",
      tier: "production",
      document: JSON.stringify(toAppConfigDocument(flags)),
      monitors: [storefront],
      readers: [storefront],
    },
    { providers },
  );
  // Flag deployments that complete or roll back notify the environment's alert topic, as ECS deployments already do.
  environment.notifyFlagDeployments(store);

  return { url: storefront.productionUrl, testUrl: storefront.testUrl, strategy: storefront.strategySummary };
}
