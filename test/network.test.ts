import { describe, expect, it } from "vitest";
import { strategyProblems } from "../components/blue-green-service/strategy";
import { accessLogBucketPolicy, accessLogWriter, ELB_LOG_ACCOUNTS, LOG_DELIVERY_PRINCIPAL } from "../components/environment/access-logs";
import { testListenerCidrProblems } from "../components/environment/environment";
import { physicalName } from "../components/naming";
import { policyResources } from "../policy/from-synth";
import { runtimePathsReachable, serviceReachProblems } from "../policy/rules/runtime-paths-reachable";
import type { SynthDocument } from "../src/synth/capture";
import { wiring, type WiringOptions } from "./fixtures/network-wiring";
import { configError, inRegion, load, resource, resourcesOf, setPath, shippedConfig, synth } from "./helpers";

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList";
const SERVICE = "aws:ecs/service:Service";

const reach = (options: WiringOptions) => {
  const resources = wiring(options);
  return serviceReachProblems(resources.find((r) => r.type === SERVICE)!, resources);
};
const idOf = (d: SynthDocument, type: string, name: string) => resource(d, type, name).outputs.id;
const hookDetails = (d: SynthDocument, service: string) => {
  const hooks = (resource(d, SERVICE, `${service}-service`).inputs.deploymentConfiguration as { lifecycleHooks: Record<string, unknown>[] }).lifecycleHooks;
  const smoke = hooks.find((hook) => (hook.lifecycleStages as string[]).includes("POST_TEST_TRAFFIC_SHIFT"))!;
  return JSON.parse(String(smoke.hookDetails)) as Record<string, unknown>;
};

describe("runtime-paths-reachable: the model", () => {
  it("today's wiring (references both ways, internet-facing) cannot reach the test listener, and says why on both ends", () => {
    expect(reach({})).toEqual([
      "hook checkout-hooks-smoke-test cannot reach load balancer staging-lb on tcp 9000: " +
        "no egress rule of hook checkout-hooks-smoke-test admits tcp 9000 to the public addresses of load balancer staging-lb; " +
        "no ingress rule of load balancer staging-lb admits tcp 9000 from the public addresses hook checkout-hooks-smoke-test leaves through (none known: no NAT gateway its subnets route to, no testListenerCidrs)",
    ]);
  });

  it("today's model gap fails now: an empty NAT list plus an office address on the test port is not the hooks' egress", () => {
    expect(reach({ testIngress: "nat-prefix-list", hooksEgress: "anywhere", natEntries: [], extraTestIngressCidrs: ["198.51.100.7/32"] })).toEqual([
      "hook checkout-hooks-smoke-test cannot reach load balancer staging-lb on tcp 9000: no ingress rule of load balancer staging-lb admits tcp 9000 from the public addresses " +
        "hook checkout-hooks-smoke-test leaves through (none known: no NAT gateway its subnets route to, no testListenerCidrs)",
    ]);
  });

  it("the VPC's NAT gateways (not marked as the route tables' answer for the hooks' subnets) are not taken as the hooks' egress", () => {
    expect(reach({ testIngress: "nat-prefix-list", hooksEgress: "anywhere", natEntriesAreHooksEgress: false })).toHaveLength(1);
  });

  it("every egress address must be admitted: a rule for one of two is not enough, a /24 holding both is", () => {
    const twoGateways = { testIngress: "nat-prefix-list", hooksEgress: "anywhere", natEntries: ["203.0.113.10/32", "203.0.113.11/32"] } as const;
    expect(reach(twoGateways)).toEqual([]);
    // The list marks both as egress, but the test listener admits only one of them (by another rule) and not the list.
    const graph = wiring(twoGateways).filter((r) => r.name !== "staging-lb-test-from-nat");
    const one = [...graph, { ...graph.find((r) => r.name === "staging-lb-443")!, name: "one", props: { securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: 9000, toPort: 9000, cidrIpv4: "203.0.113.10/32" } }];
    expect(serviceReachProblems(one.find((r) => r.type === "aws:ecs/service:Service")!, one)[0]).toContain("every public address hook checkout-hooks-smoke-test leaves through (203.0.113.10/32, 203.0.113.11/32)");
    const both = [...graph, { ...graph.find((r) => r.name === "staging-lb-443")!, name: "both", props: { securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: 9000, toPort: 9000, cidrIpv4: "203.0.113.0/24" } }];
    expect(serviceReachProblems(both.find((r) => r.type === "aws:ecs/service:Service")!, both)).toEqual([]);
  });

  it("the NAT gateways' prefix list in and any address out reaches an internet-facing load balancer", () => {
    expect(reach({ testIngress: "nat-prefix-list", hooksEgress: "anywhere" })).toEqual([]);
  });

  it("either half alone is not enough", () => {
    expect(reach({ testIngress: "nat-prefix-list", hooksEgress: "lb-group" })).toHaveLength(1);
    expect(reach({ testIngress: "hooks-group", hooksEgress: "anywhere" })).toHaveLength(1);
  });

  it("an internal load balancer is reached by references, and not by public addresses", () => {
    expect(reach({ internal: true })).toEqual([]);
    expect(reach({ internal: true, testIngress: "nat-prefix-list", hooksEgress: "anywhere" })[0]).toContain(
      "no ingress rule of load balancer staging-lb admits tcp 9000 from the private addresses of hook checkout-hooks-smoke-test",
    );
  });

  it("a VPC without public NAT gateways leaves the prefix list empty: unreachable", () => {
    expect(reach({ testIngress: "nat-prefix-list", hooksEgress: "anywhere", natEntries: [] })).toHaveLength(1);
  });

  it("the load balancer must reach the tasks on the health-check port too", () => {
    expect(reach({ testIngress: "nat-prefix-list", hooksEgress: "anywhere", healthCheckPort: "8081" })).toEqual([
      "load balancer staging-lb cannot reach the tasks of checkout-service on tcp 8081: " +
        "no egress rule of load balancer staging-lb admits tcp 8081 to the private addresses of the tasks of checkout-service; " +
        "no ingress rule of the tasks of checkout-service admits tcp 8081 from the private addresses of load balancer staging-lb",
    ]);
  });

  it("the tasks must reach 443 on public addresses (registries, AWS APIs)", () => {
    expect(reach({ testIngress: "nat-prefix-list", hooksEgress: "anywhere", tasksHttps: false })).toEqual([
      "the tasks of checkout-service cannot reach image registries and AWS APIs on tcp 443: no egress rule of the tasks of checkout-service admits tcp 443 to the public addresses of image registries and AWS APIs",
    ]);
  });

  it("in a preview of new resources (ids unknown) it judges nothing rather than guess", () => {
    const resources = wiring().map((r) =>
      r.type === SERVICE ? { ...r, props: { ...r.props, networkConfiguration: { subnets: ["subnet-c"], securityGroups: [undefined] } } } : r,
    );
    expect(serviceReachProblems(resources.find((r) => r.type === SERVICE)!, resources)).toEqual([]);
    const unknownPeers = wiring().map((r) => (r.name.startsWith("staging-lb-test") || r.name === "staging-hooks-to-test" ? { ...r, props: { ...r.props, referencedSecurityGroupId: undefined } } : r));
    expect(serviceReachProblems(unknownPeers.find((r) => r.type === SERVICE)!, unknownPeers)).toEqual([]);
  });

  it("applies to ECS services only", () => {
    const resources = wiring();
    expect(runtimePathsReachable.check(resources[0], { tier: "staging", resources })).toEqual([]);
  });
});

describe("the synthesized network", () => {
  it("internet-facing (staging): the test listener admits the NAT gateways' public addresses, found from the VPC", async () => {
    const d = await synth(shippedConfig("staging"));
    const natList = resource(d, PREFIX_LIST, "staging-nat");
    expect(natList.inputs).toMatchObject({ addressFamily: "IPv4", maxEntries: 2 });
    const entries = (natList.inputs.entries as { cidr: string }[]).map((entry) => entry.cidr);
    expect(entries).toHaveLength(2);
    for (const cidr of entries) expect(cidr).toMatch(/^203\.0\.113\.\d+\/32$/);
    const lb = idOf(d, SG, "staging-lb");
    const testIngress = resourcesOf(d, INGRESS).filter((rule) => rule.inputs.securityGroupId === lb && rule.inputs.fromPort === 9000);
    expect(testIngress.map((rule) => [rule.inputs.prefixListId, rule.inputs.cidrIpv4, rule.inputs.referencedSecurityGroupId])).toEqual([
      [natList.outputs.id, undefined, undefined],
    ]);
    const hooks = idOf(d, SG, "staging-hooks");
    expect(resourcesOf(d, EGRESS).filter((rule) => rule.inputs.securityGroupId === hooks).map((rule) => rule.inputs)).toEqual([
      expect.objectContaining({ ipProtocol: "tcp", fromPort: 9000, toPort: 9000, cidrIpv4: "0.0.0.0/0" }),
    ]);
  });

  it("internal: references both ways, no NAT prefix list", async () => {
    const d = await synth(setPath(shippedConfig("staging"), "release:ingress.internal", true));
    expect(resourcesOf(d, PREFIX_LIST)).toEqual([]);
    const lb = idOf(d, SG, "staging-lb");
    const hooks = idOf(d, SG, "staging-hooks");
    expect(resource(d, INGRESS, "staging-lb-test-from-hooks").inputs).toMatchObject({ securityGroupId: lb, fromPort: 9000, referencedSecurityGroupId: hooks });
    expect(resource(d, EGRESS, "staging-hooks-to-test").inputs).toMatchObject({ securityGroupId: hooks, fromPort: 9000, referencedSecurityGroupId: lb });
    expect(resourcesOf(d, SERVICE).flatMap((service) => runtimePathsReachable.check(policyResources(d).find((r) => r.urn === service.urn)!, { tier: "staging", resources: policyResources(d) }))).toEqual([]);
  });

  it("the test listener is never opened to the internet, by the config or by the component", () => {
    expect(configError(setPath(shippedConfig("staging"), "release:ingress.testListenerCidrs", ["198.51.100.7/32", "0.0.0.0/0"]))).toBe(
      'Pulumi.staging.yaml: release:ingress.testListenerCidrs[1]: opens the test listener, which serves unreleased versions, to the internet: list specific sources (got "0.0.0.0/0")',
    );
    expect(testListenerCidrProblems(["::/0", "10.0.0.0/8"])).toEqual([
      { field: [0], message: "opens the test listener, which serves unreleased versions, to the internet: list specific sources", got: "::/0" },
    ]);
  });

  it("testListenerCidrs add ingress only, on the test port", async () => {
    const d = await synth(setPath(shippedConfig("staging"), "release:ingress.testListenerCidrs", ["198.51.100.7/32"]));
    const extra = resourcesOf(d, INGRESS).filter((rule) => rule.inputs.cidrIpv4 === "198.51.100.7/32");
    expect(extra.map((rule) => [rule.inputs.fromPort, rule.inputs.toPort])).toEqual([[9000, 9000]]);
    expect(resourcesOf(d, EGRESS).filter((rule) => rule.inputs.cidrIpv4 === "198.51.100.7/32")).toEqual([]);
  });

  it("the check finds the synthesized hooks unreachable once the NAT rule is gone", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const resources = policyResources(d).filter((r) => r.name !== "production-lb-test-from-nat");
    const services = resources.filter((r) => r.type === SERVICE);
    const problems = services.flatMap((service) => runtimePathsReachable.check(service, { tier: "production", resources }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/no ingress rule of load balancer production-lb admits tcp 9000 from every public address hook catalog-hooks-smoke-test leaves through \(203\.0\.113\.\d+\/32, 203\.0\.113\.\d+\/32\)$/);
  });
});

describe("the test listener routes by a header naming the service", () => {
  it("test rules match x-release-service only (one condition value of ALB's five); production rules keep their paths", async () => {
    const d = await synth(shippedConfig("staging"));
    expect(resource(d, "aws:lb/listenerRule:ListenerRule", "catalog-test").inputs.conditions).toEqual([
      { httpHeader: { httpHeaderName: "x-release-service", values: ["catalog"] } },
    ]);
    expect(resource(d, "aws:lb/listenerRule:ListenerRule", "catalog-production").inputs.conditions).toEqual([
      { pathPattern: { values: ["/catalog/*", "/products/*"] } },
    ]);
  });

  it("the smoke test's hookDetails carry the header, so its requests reach the new version on any path", async () => {
    const d = await synth(shippedConfig("staging"));
    expect(hookDetails(d, "checkout").headers).toEqual({ "x-release-service": "checkout" });
    expect(hookDetails(d, "catalog").headers).toEqual({ "x-release-service": "catalog" });
  });

  it("a service whose health check path lies outside its pathPatterns gets the default smoke test with no extra config", async () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.smokeTest", undefined);
    expect(configError(config)).toBeUndefined();
    expect(load(config).services.find((service) => service.name === "checkout")?.smokeTest).toMatchObject({ enabled: true, paths: ["/healthz"] });
    const d = await synth(config);
    expect(hookDetails(d, "checkout")).toMatchObject({ paths: ["/healthz"], headers: { "x-release-service": "checkout" } });
  });

  it("explicit smoke paths outside the routes are accepted too", () => {
    expect(configError(setPath(shippedConfig("staging"), "release:services.checkout.smokeTest.paths", ["/checkout/ping", "/healthz"]))).toBeUndefined();
  });
});

describe("access logs", () => {
  it("Regions opened before August 2022 grant the Region's ELB account; later ones the log-delivery service", () => {
    expect(accessLogWriter("eu-west-1")).toEqual({ AWS: "arn:aws:iam::156460612806:root" });
    expect(accessLogWriter("us-gov-west-1")).toEqual({ AWS: "arn:aws-us-gov:iam::048591011584:root" });
    expect(accessLogWriter("cn-north-1")).toEqual({ AWS: "arn:aws-cn:iam::638102146993:root" });
    for (const region of ["ap-southeast-4", "eu-central-2", "il-central-1", "mx-central-1", "ca-west-1"]) {
      expect(accessLogWriter(region)).toEqual({ Service: LOG_DELIVERY_PRINCIPAL });
    }
    expect(Object.keys(ELB_LOG_ACCOUNTS)).toHaveLength(26);
  });

  it("the policy lets the writer put objects under this account's prefix only", () => {
    const policy = accessLogBucketPolicy({ region: "eu-central-2", bucketArn: "arn:aws:s3:::logs", accountId: "123456789012" });
    expect((policy.Statement as Record<string, unknown>[])[0]).toEqual({
      Sid: "LoadBalancerWritesAccessLogs",
      Effect: "Allow",
      Principal: { Service: LOG_DELIVERY_PRINCIPAL },
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::logs/AWSLogs/123456789012/*",
    });
  });

  it("a stack in a Region opened since late 2021 synthesizes with the service principal", async () => {
    const d = await synth(inRegion(shippedConfig("production"), "eu-central-2"), "production");
    const policy = JSON.parse(String(resource(d, "aws:s3/bucketPolicy:BucketPolicy", "production-access-logs").inputs.policy)) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement[0].Principal).toEqual({ Service: LOG_DELIVERY_PRINCIPAL });
  });

  it("the load balancer waits for the bucket policy (else AWS refuses it: access denied for the bucket)", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const policy = resource(d, "aws:s3/bucketPolicy:BucketPolicy", "production-access-logs");
    expect(resource(d, "aws:lb/loadBalancer:LoadBalancer", "production-lb").dependencies).toContain(policy.urn);
  });
});

describe("traffic percentages in tenths", () => {
  it("the component refuses a canaryPercent or stepPercent that is not a multiple of 0.1", () => {
    expect(strategyProblems({ strategy: "canary", canaryPercent: 10.05, canaryBakeMinutes: 5, bakeMinutes: 5 })).toEqual([
      { field: ["canaryPercent"], message: "must be a multiple of 0.1 (ECS shifts traffic in tenths of a percent)", got: 10.05 },
    ]);
    expect(strategyProblems({ strategy: "linear", stepPercent: 12.25, stepBakeMinutes: 2, bakeMinutes: 5 })).toHaveLength(1);
    for (const percent of [0.1, 0.3, 2.7, 33.3, 100]) {
      expect(strategyProblems({ strategy: "canary", canaryPercent: percent, canaryBakeMinutes: 5, bakeMinutes: 5 })).toEqual([]);
    }
  });

  it("the config names the stack-file path", () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.deployment.canaryPercent", 10.05);
    setPath(config, "release:services.catalog.deployment.stepPercent", 12.25);
    expect(configError(config, "production")).toBe(
      [
        "Pulumi.production.yaml: release:services.catalog.deployment.stepPercent: must be a multiple of 0.1 (ECS shifts traffic in tenths of a percent) (got 12.25)",
        "Pulumi.production.yaml: release:services.checkout.deployment.canaryPercent: must be a multiple of 0.1 (ECS shifts traffic in tenths of a percent) (got 10.05)",
      ].join("\n"),
    );
  });
});

describe("physical names from any stack name", () => {
  /** AWS's rules for the names this program sets (ELB, ECS, IAM, Lambda, SNS, CloudWatch, EC2 prefix lists). */
  const VALID: Record<string, { field: string; pattern: RegExp }> = {
    "aws:lb/loadBalancer:LoadBalancer": { field: "name", pattern: /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/ },
    "aws:lb/targetGroup:TargetGroup": { field: "name", pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/ },
    "aws:ecs/cluster:Cluster": { field: "name", pattern: /^[A-Za-z0-9_-]{1,255}$/ },
    "aws:ecs/taskDefinition:TaskDefinition": { field: "family", pattern: /^[A-Za-z0-9_-]{1,255}$/ },
    "aws:iam/role:Role": { field: "name", pattern: /^[\w+=,.@-]{1,64}$/ },
    "aws:lambda/function:Function": { field: "name", pattern: /^[A-Za-z0-9_-]{1,64}$/ },
    "aws:sns/topic:Topic": { field: "name", pattern: /^[A-Za-z0-9_-]{1,256}$/ },
    "aws:cloudwatch/dashboard:Dashboard": { field: "dashboardName", pattern: /^[A-Za-z0-9_-]{1,255}$/ },
    "aws:ec2/managedPrefixList:ManagedPrefixList": { field: "name", pattern: /^(?!com\.amazonaws)[\x20-\x7e]{1,255}$/ },
    "aws:s3/bucket:Bucket": { field: "bucketPrefix", pattern: /^[a-z0-9][a-z0-9.-]{0,36}$/ },
  };

  it.each(["prod.eu", "prod_eu", "Prod_EU.1"])("stack %s: every physical name is valid for its resource type", async (stack) => {
    const d = await synth(setPath(shippedConfig("production"), "release:tier", "production"), stack);
    for (const r of d.resources) {
      const rule = VALID[r.type];
      const value = rule ? r.inputs[rule.field] : undefined;
      if (value !== undefined) expect(String(value), `${r.type} ${r.name}`).toMatch(rule.pattern);
    }
    // S3 takes lower-case letters, digits, dots and hyphens: other stacks' buckets get a valid prefix, not their logical name.
    const bucket = resource(d, "aws:s3/bucket:Bucket", `${stack}-access-logs`).inputs;
    expect(bucket.bucketPrefix !== undefined).toBe(!/^[a-z0-9.-]+$/.test(stack));
  });

  it("prod.eu and prod-eu keep different names", () => {
    expect(physicalName(["prod.eu"], "", 32)).not.toBe(physicalName(["prod-eu"], "", 32));
    expect(physicalName(["prod-eu"], "", 32)).toBe("prod-eu");
    expect(physicalName(["prod.eu"], "", 32)).toMatch(/^prod-eu-[0-9a-f]{6}$/);
  });

  it("valid stack names keep their names, so shipped stacks change nothing", () => {
    expect(physicalName(["production", "checkout"], "b", 32)).toBe("production-checkout-b");
  });
});
