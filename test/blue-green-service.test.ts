import { describe, expect, it } from "vitest";
import { BlueGreenService } from "../components/blue-green-service/blue-green-service";
import { ecrRepositoryArn, executionPolicy } from "../components/blue-green-service/task";
import { deploymentWaitMinutes, describeStrategy, minutesToComplete, toDeploymentConfiguration } from "../components/blue-green-service/strategy";
import { Environment } from "../components/environment/environment";
import { physicalName } from "../components/naming";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { resource, resourcesOf, setPath, shippedConfig, synth, testEnvironment } from "./helpers";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";

const TG = "aws:lb/targetGroup:TargetGroup";
const RULE = "aws:lb/listenerRule:ListenerRule";
const SERVICE = "aws:ecs/service:Service";
const ROLE = "aws:iam/role:Role";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";

function arnOf(document: SynthDocument, type: string, name: string): string {
  return String(resource(document, type, name).outputs.arn);
}

describe("strategy plain functions", () => {
  it("canary becomes CANARY with its numbers, bake times as strings", () => {
    expect(toDeploymentConfiguration({ strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 })).toEqual({
      strategy: "CANARY",
      bakeTimeInMinutes: "15",
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" },
    });
  });

  it("linear becomes LINEAR with its step", () => {
    expect(toDeploymentConfiguration({ strategy: "linear", stepPercent: 20, stepBakeMinutes: 3, bakeMinutes: 10 })).toEqual({
      strategy: "LINEAR",
      bakeTimeInMinutes: "10",
      linearConfiguration: { stepPercent: 20, stepBakeTimeInMinutes: "3" },
    });
  });

  it("reads as a reviewer would say it", () => {
    expect(describeStrategy({ strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 })).toBe(
      "canary 10% -> bake 5m -> 100%, bake 15m",
    );
    expect(minutesToComplete({ strategy: "linear", stepPercent: 20, stepBakeMinutes: 3, bakeMinutes: 10 })).toBe(22);
    // pulumi up waits through the whole canary instead of timing out at the provider's default 20 minutes.
    expect(deploymentWaitMinutes({ strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 })).toBe(50);
  });
});

describe("names", () => {
  it("a long name is cut to the limit with a digest, and two long names stay distinct", () => {
    const a = physicalName(["production", "a".repeat(40)], "8080-b", 32);
    const b = physicalName(["production", `${"a".repeat(39)}b`], "8080-b", 32);
    expect(a.length).toBeLessThanOrEqual(32);
    expect(a).toMatch(/^production-a+-[0-9a-f]{6}-8080-b$/);
    expect(a).not.toBe(b);
  });
});

describe.each([
  ["blue-green", { strategy: "blue-green", bakeMinutes: 5 }, { strategy: "BLUE_GREEN", bakeTimeInMinutes: "5" }],
  [
    "canary",
    { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 },
    { strategy: "CANARY", bakeTimeInMinutes: "15", canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: "5" } },
  ],
  [
    "linear",
    { strategy: "linear", stepPercent: 25, stepBakeMinutes: 2, bakeMinutes: 5 },
    { strategy: "LINEAR", bakeTimeInMinutes: "5", linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: "2" } },
  ],
])("a %s service", (_name, deployment, expected) => {
  let document: SynthDocument;
  const load = async () => {
    document ??= await synth(setPath(shippedConfig("staging"), "release:services.checkout.deployment", deployment));
    return document;
  };

  it("has blue and green ip target groups on the service port with the configured health check", async () => {
    const d = await load();
    for (const colour of ["blue", "green"]) {
      const tg = resource(d, TG, `checkout-${colour}`);
      expect(tg.inputs).toMatchObject({
        name: `staging-checkout-${colour[0]}`,
        targetType: "ip",
        protocol: "HTTP",
        port: 8080,
        vpcId: "vpc-0b1b2c3d4e5f60718",
        deregistrationDelay: 30,
        healthCheck: { enabled: true, path: "/healthz", matcher: "200-399", port: "traffic-port" },
      });
    }
  });

  it("has production and test rules forwarding blue 100 / green 0, ignoring changes to actions", async () => {
    const d = await load();
    const forward = [
      {
        type: "forward",
        forward: {
          targetGroups: [
            { arn: arnOf(d, TG, "checkout-blue"), weight: 100 },
            { arn: arnOf(d, TG, "checkout-green"), weight: 0 },
          ],
        },
      },
    ];
    const production = resource(d, RULE, "checkout-production");
    const test = resource(d, RULE, "checkout-test");
    expect(production.inputs.listenerArn).toBe(arnOf(d, "aws:lb/listener:Listener", "staging-production"));
    expect(test.inputs.listenerArn).toBe(arnOf(d, "aws:lb/listener:Listener", "staging-test"));
    for (const rule of [production, test]) {
      expect(rule.inputs.actions).toEqual(forward);
      expect(rule.inputs.priority).toBe(10);
      expect(rule.options.ignoreChanges).toEqual(["actions"]);
    }
    expect(production.inputs.conditions).toEqual([{ pathPattern: { values: ["/checkout/*"] } }]);
    expect(test.inputs.conditions).toEqual([{ httpHeader: { httpHeaderName: "x-release-service", values: ["checkout"] } }]);
  });

  it("has an ECS-controlled service with the strategy block and advancedConfiguration on the right ARNs", async () => {
    const d = await load();
    const service = resource(d, SERVICE, "checkout-service");
    expect(service.inputs.deploymentController).toEqual({ type: "ECS" });
    const { lifecycleHooks: _hooks, ...strategyBlock } = service.inputs.deploymentConfiguration as Record<string, unknown>;
    expect(strategyBlock).toEqual(expected);
    expect(service.inputs.loadBalancers).toEqual([
      {
        targetGroupArn: arnOf(d, TG, "checkout-blue"),
        containerName: "app",
        containerPort: 8080,
        advancedConfiguration: {
          alternateTargetGroupArn: arnOf(d, TG, "checkout-green"),
          productionListenerRule: arnOf(d, RULE, "checkout-production"),
          testListenerRule: arnOf(d, RULE, "checkout-test"),
          roleArn: arnOf(d, ROLE, "checkout-ecs-lb"),
        },
      },
    ]);
    expect(service.inputs.networkConfiguration).toEqual({
      assignPublicIp: false,
      securityGroups: [resource(d, "aws:ec2/securityGroup:SecurityGroup", "checkout-tasks").outputs.id],
      subnets: ["subnet-0b1b2c3d4e5f60003", "subnet-0b1b2c3d4e5f60004"],
    });
    expect(service.inputs.waitForSteadyState).toBe(true);
    expect(service.options.ignoreChanges).toContain("desiredCount");
  });
});

describe("IAM", () => {
  it("the ECS infrastructure role trusts ecs.amazonaws.com and has the managed policy for load balancers", async () => {
    const d = await synth(shippedConfig("staging"));
    const role = resource(d, ROLE, "checkout-ecs-lb");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy))).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ecs.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    expect(role.inputs.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"]);
  });

  it("the execution role may pull this image, write this log group and read only the configured secret", async () => {
    const d = await synth(shippedConfig("staging"));
    const policy = JSON.parse(String(resource(d, "aws:iam/rolePolicy:RolePolicy", "checkout-execution").inputs.policy));
    expect(policy.Statement).toEqual([
      {
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/staging/checkout:*",
      },
      { Sid: "EcrToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: "arn:aws:ecr:eu-west-1:123456789012:repository/checkout",
      },
      {
        Sid: "ReadSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/checkout/payment-api-key-Ab12Cd"],
      },
      {
        Sid: "DecryptSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com"] } },
      },
    ]);
  });

  it("a partial secret ARN is granted with the six characters IAM matches; a full one, an SSM parameter and a JSON key as they are", () => {
    const policy = executionPolicy({
      image: "nginx:1.27",
      logGroupArn: "arn:aws:logs:eu-west-1:1:log-group:x",
      secretArns: [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/checkout/payment-api-key",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/checkout/token",
      ],
      region: "eu-west-1",
      accountId: "123456789012",
      partition: "aws",
    }) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement.find((statement) => statement.Sid === "ReadSecrets")?.Resource).toEqual([
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/checkout/payment-api-key-??????",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
    ]);
    expect(policy.Statement.find((statement) => statement.Sid === "DecryptSecrets")?.Condition).toEqual({
      StringEquals: { "kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com", "ssm.eu-west-1.amazonaws.com"] },
    });
  });

  it("a secret referenced by JSON key is granted on the secret itself", () => {
    const policy = executionPolicy({
      image: "nginx:1.27",
      logGroupArn: "arn:aws:logs:eu-west-1:1:log-group:x",
      secretArns: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::"],
      region: "eu-west-1",
      accountId: "123456789012",
      partition: "aws",
    });
    expect(JSON.stringify(policy)).toContain('"Resource":["arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"]');
    expect(JSON.stringify(policy)).not.toContain("ecr:");
    expect(ecrRepositoryArn("nginx:1.27", "aws")).toBeUndefined();
  });
});

describe("security groups", () => {
  it("nothing but the load balancer reaches the tasks", async () => {
    const d = await synth(shippedConfig("staging"));
    const tasks = resource(d, "aws:ec2/securityGroup:SecurityGroup", "checkout-tasks").outputs.id;
    const lb = resource(d, "aws:ec2/securityGroup:SecurityGroup", "staging-lb").outputs.id;
    const intoTasks = resourcesOf(d, INGRESS).filter((rule) => rule.inputs.securityGroupId === tasks);
    expect(intoTasks.map((rule) => rule.inputs)).toEqual([
      expect.objectContaining({ ipProtocol: "tcp", fromPort: 8080, toPort: 8080, referencedSecurityGroupId: lb }),
    ]);
    expect(intoTasks[0].inputs.cidrIpv4).toBeUndefined();
  });

  it("the test listener of an internet-facing load balancer admits the NAT gateways' prefix list only, never the internet", async () => {
    const d = await synth(shippedConfig("staging"));
    const lb = resource(d, "aws:ec2/securityGroup:SecurityGroup", "staging-lb").outputs.id;
    const nat = resource(d, "aws:ec2/managedPrefixList:ManagedPrefixList", "staging-nat").outputs.id;
    const onTestPort = resourcesOf(d, INGRESS).filter((rule) => rule.inputs.securityGroupId === lb && rule.inputs.fromPort === 9000);
    expect(onTestPort.map((rule) => rule.inputs.prefixListId)).toEqual([nat]);
    expect(onTestPort.some((rule) => rule.inputs.cidrIpv4 === "0.0.0.0/0")).toBe(false);
    const internetOpen = resourcesOf(d, INGRESS).filter((rule) => rule.inputs.cidrIpv4 === "0.0.0.0/0");
    expect(internetOpen.map((rule) => rule.inputs.fromPort).sort()).toEqual([443, 80]);
  });

  it("the load balancer may send only to each service's port in its tasks' group", async () => {
    const d = await synth(shippedConfig("staging"));
    const lb = resource(d, "aws:ec2/securityGroup:SecurityGroup", "staging-lb").outputs.id;
    const out = resourcesOf(d, EGRESS).filter((rule) => rule.inputs.securityGroupId === lb);
    expect(out.map((rule) => rule.inputs.fromPort).sort()).toEqual([3000, 8080]);
  });
});

describe("environment", () => {
  it("production has HTTPS with a TLS 1.3 policy, HTTP redirecting, deletion protection and dropped invalid headers", async () => {
    const d = await synth(shippedConfig("production"), "production");
    expect(resource(d, "aws:lb/listener:Listener", "production-production").inputs).toMatchObject({
      port: 443,
      protocol: "HTTPS",
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/4f1e2d3c-5b6a-4789-8a9b-0c1d2e3f4a5b",
      defaultActions: [{ type: "fixed-response", fixedResponse: { statusCode: "404", contentType: "text/plain", messageBody: "Not Found" } }],
    });
    expect(resource(d, "aws:lb/listener:Listener", "production-http-redirect").inputs.defaultActions).toEqual([
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
    expect(resource(d, "aws:lb/loadBalancer:LoadBalancer", "production-lb").inputs).toMatchObject({
      enableDeletionProtection: true,
      dropInvalidHeaderFields: true,
      internal: false,
    });
  });

  it("production access logs go to a protected bucket with an expiry rule", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const bucket = resource(d, "aws:s3/bucket:Bucket", "production-access-logs");
    expect(bucket.options.protect).toBe(true);
    expect(resource(d, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "production-access-logs").inputs.rules).toEqual([
      { id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: 365 } },
    ]);
    expect(resource(d, "aws:lb/loadBalancer:LoadBalancer", "production-lb").inputs.accessLogs).toEqual({
      bucket: bucket.outputs.bucket,
      enabled: true,
    });
  });

  it("dev serves plain HTTP on 80 and turns Container Insights off; staging turns it on", async () => {
    const dev = await synth(shippedConfig("dev"), "dev");
    expect(resource(dev, "aws:lb/listener:Listener", "dev-production").inputs).toMatchObject({ port: 80, protocol: "HTTP" });
    expect(resource(dev, "aws:ecs/cluster:Cluster", "dev-cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "disabled" }]);
    const staging = await synth(shippedConfig("staging"));
    expect(resource(staging, "aws:ecs/cluster:Cluster", "staging-cluster").inputs.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);
  });

  it("every AWS resource gets the environment, service and managed-by tags through the provider", async () => {
    const d = await synth(shippedConfig("staging"));
    const provider = d.resources.find((r) => r.type === "pulumi:providers:aws");
    // Provider inputs travel as JSON strings.
    expect(JSON.parse(String(provider?.inputs.defaultTags))).toEqual({
      tags: { environment: "staging", tier: "staging", service: "release-platform", "managed-by": "pulumi" },
    });
    const aws = d.resources.filter((r) => r.type.startsWith("aws:"));
    expect(aws.every((r) => r.provider.startsWith(String(provider?.urn)))).toBe(true);
    expect(provider?.inputs.region).toBe("eu-west-1");
  });
});

describe("tiers and scaling", () => {
  it("dev runs one task fixed, short deregistration, no wait for steady state", async () => {
    const d = await synth(shippedConfig("dev"), "dev");
    expect(resource(d, "aws:appautoscaling/target:Target", "checkout-scaling").inputs).toMatchObject({ minCapacity: 1, maxCapacity: 1 });
    expect(resourcesOf(d, "aws:appautoscaling/policy:Policy")).toEqual([]);
    expect(resource(d, TG, "checkout-blue").inputs.deregistrationDelay).toBe(5);
    expect(resource(d, SERVICE, "checkout-service").inputs.waitForSteadyState).toBe(false);
  });

  it("production scales on CPU between the configured bounds", async () => {
    const d = await synth(shippedConfig("production"), "production");
    expect(resource(d, "aws:appautoscaling/target:Target", "checkout-scaling").inputs).toMatchObject({
      minCapacity: 3,
      maxCapacity: 12,
      resourceId: "service/production/checkout",
    });
    expect(resource(d, "aws:appautoscaling/policy:Policy", "checkout-cpu").inputs.targetTrackingScalingPolicyConfiguration).toMatchObject({
      targetValue: 60,
      predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
    });
  });

  it("a rolling dev service has one target group, no test rule and a circuit breaker", async () => {
    const d = await synth(setPath(shippedConfig("dev"), "release:services.checkout.deployment", { strategy: "rolling" }), "dev");
    expect(resourcesOf(d, TG).map((tg) => tg.name)).toEqual(["checkout-blue"]);
    expect(resourcesOf(d, RULE).map((rule) => rule.name)).toEqual(["checkout-production"]);
    const service = resource(d, SERVICE, "checkout-service");
    expect(service.inputs.deploymentConfiguration).toEqual({ strategy: "ROLLING" });
    expect(service.inputs.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
  });
});

describe("a service with a 40-character name", () => {
  it("still gets valid physical names", async () => {
    const name = "inventory-reservation-and-allocation-api";
    expect(name).toHaveLength(40);
    const config = shippedConfig("production");
    const services = config["release:services"] as Record<string, unknown>;
    services[name] = services.checkout;
    delete services.checkout;
    const d = await synth(config, "production");
    for (const tg of resourcesOf(d, TG)) {
      expect(String(tg.inputs.name).length).toBeLessThanOrEqual(32);
      expect(String(tg.inputs.name)).toMatch(/^[a-zA-Z0-9-]+$/);
      expect(String(tg.inputs.name)).not.toMatch(/^-|-$/);
    }
    for (const role of resourcesOf(d, ROLE)) expect(String(role.inputs.name).length).toBeLessThanOrEqual(64);
    const names = resourcesOf(d, TG).map((tg) => tg.inputs.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

/** An Environment composed directly, as a platform team would, without the stack config. */

describe("composing the component directly", () => {
  it("alarms made elsewhere and hooks made elsewhere reach the ECS service after the service's own", async () => {
    const d = await synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1" }, async () => {
      const environment = testEnvironment("staging");
      new BlueGreenService(
        "api",
        {
          environment,
          image: "nginx:1.27",
          port: 80,
          pathPatterns: ["/*"],
          priority: 1,
          alarms: { extraAlarmNames: ["api-orders"] },
          hooks: {
            smokeTest: false,
            alarmGate: {},
            extraLifecycleHooks: [{ hookTargetArn: "arn:aws:lambda:eu-west-1:123456789012:function:smoke", roleArn: "arn:aws:iam::123456789012:role/hook", lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"] }],
          },
        },
        { providers: [environment.provider] },
      );
      return {};
    });
    const service = resource(d, SERVICE, "api-service");
    expect(service.inputs.alarms).toEqual({
      alarmNames: [...builtInAlarmNames("env", "api"), "api-orders", "env-api-task-start-impaired"],
      enable: true,
      rollback: true,
    });
    const hooks = (service.inputs.deploymentConfiguration as Record<string, unknown>).lifecycleHooks as { hookTargetArn: string }[];
    expect(hooks.map((hook) => hook.hookTargetArn)).toEqual([expect.stringContaining("alarm-gate"), "arn:aws:lambda:eu-west-1:123456789012:function:smoke"]);
  });

  it("an environment outside dev without a certificate is refused before it registers", async () => {
    let thrown: unknown;
    const d = await synthesizeProgram({ stack: "prod", tier: "production", region: "eu-west-1" }, async () => {
      try {
        new Environment("env", { tier: "production", region: "eu-west-1", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: [], privateSubnetIds: [] });
      } catch (error) {
        thrown = error;
      }
      return {};
    });
    expect((thrown as Error).message).toBe("Environment env: certificateArn is required in production (HTTP alone is allowed only in dev)");
    expect(d.resources).toEqual([]);
  });

  it("two services with one priority on an environment are refused by the component", async () => {
    let thrown: unknown;
    await synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1" }, async () => {
      const environment = testEnvironment("staging");
      const service = { environment, image: "nginx:1.27", port: 80, priority: 7 };
      new BlueGreenService("first", { ...service, pathPatterns: ["/a/*"] }, { providers: [environment.provider] });
      try {
        new BlueGreenService("second", { ...service, pathPatterns: ["/b/*"] }, { providers: [environment.provider] });
      } catch (error) {
        thrown = error;
      }
      return {};
    });
    expect((thrown as Error).message).toBe("BlueGreenService second: priority is already taken by service first on this environment's listeners (got 7)");
  });

  it("rolling outside dev is refused by the component itself, naming the field, before it registers", async () => {
    let thrown: unknown;
    const d = await synthesizeProgram({ stack: "prod", tier: "production", region: "eu-west-1" }, async () => {
      const environment = testEnvironment("production");
      try {
        new BlueGreenService("api", { environment, image: "nginx:1.27", port: 80, pathPatterns: ["/*"], priority: 1, deployment: { strategy: "rolling" } });
      } catch (error) {
        thrown = error;
      }
      return {};
    });
    expect((thrown as Error).message).toBe('BlueGreenService api: deployment.strategy rolling is allowed in dev only (tier is production) (got "rolling")');
    expect(d.resources.filter((r) => r.name.startsWith("api"))).toEqual([]);
  });
});
