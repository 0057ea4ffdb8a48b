import { describe, expect, it } from "vitest";
import { FeatureFlagStore } from "../components/feature-flag-store/backends/appconfig/store";
import { synthesize } from "../src/synth/capture";
import { evaluate } from "../policy/evaluate";
import { policyResources } from "../policy/from-synth";
import { configError, load, resource, resourcesOf, setPath, shippedConfig, synth, inRegion } from "./helpers";
import * as pulumi from "@pulumi/pulumi";

/** `n` distinct /32 addresses from TEST-NET-2 and beyond. */
const cidrs = (n: number, family: "IPv4" | "IPv6" = "IPv4") =>
  Array.from({ length: n }, (_, i) => (family === "IPv4" ? `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}/32` : `2001:db8::${(i + 1).toString(16)}/128`));

describe("the load balancer's security group stays within AWS's 60 inbound rules per IP family", () => {
  it("40 allowed CIDRs on two HTTPS listener ports (today's 82 rules) are refused, naming the stack-file path and the quota", () => {
    expect(configError(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", cidrs(40)), "production")).toBe(
      "Pulumi.production.yaml: release:ingress.allowedCidrs: with 2 listener port(s), the test listener's sources and testListenerCidrs give the load " +
        "balancer's security group at least 81 IPv4 inbound rules; AWS allows 60 per security group and IP family by default: list fewer, wider CIDRs (got 40)",
    );
  });

  it("29 CIDRs on two ports plus the NAT list fit; IPv6 sources count apart from IPv4", () => {
    expect(configError(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", cidrs(29)), "production")).toBeUndefined();
    expect(configError(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", [...cidrs(29), ...cidrs(21, "IPv6")]), "production")).toBeUndefined();
  });

  it("test-listener CIDRs count too", () => {
    const config = setPath(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", cidrs(25)), "release:ingress.testListenerCidrs", cidrs(20).map((c) => c.replace("198.51.", "192.0.")));
    expect(configError(config, "production")).toContain("at least 71 IPv4 inbound rules");
  });
});

describe("AppConfig names stay within AppConfig's 64 characters", () => {
  const long = "production-eu-central-with-a-very-long-descriptive-stack-name-for-testing-0123456789";

  it("an 84-character stack gets a fitting application and environment name, and its agents read them", async () => {
    const d = await synth(shippedConfig("production"), long);
    const application = String(resource(d, "aws:appconfig/application:Application", `${long}-flags-app`).inputs.name);
    const environment = String(resourcesOf(d, "aws:appconfig/environment:Environment")[0].inputs.name);
    expect(application.length).toBeLessThanOrEqual(64);
    expect(environment.length).toBeLessThanOrEqual(64);
    expect(environment).not.toBe(long.slice(0, 64));
    expect(application.startsWith("release-platform-production-eu-central")).toBe(true);
    const containers = JSON.parse(String(resource(d, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task").inputs.containerDefinitions)) as { name: string; environment?: { name: string; value: string }[] }[];
    const prefetch = containers.find((c) => c.name === "appconfig-agent")?.environment?.find((v) => v.name === "PREFETCH_LIST")?.value;
    expect(prefetch).toBe(`/applications/${application}/environments/${environment}/configurations/feature-flags`);
  });

  it("a shipped stack's names are unchanged", async () => {
    const d = await synth(shippedConfig("production"), "production");
    expect(resource(d, "aws:appconfig/application:Application", "production-flags-app").inputs.name).toBe("release-platform-production");
    expect(resourcesOf(d, "aws:appconfig/environment:Environment")[0].inputs.name).toBe("production");
  });

  it("the FeatureFlagStore component refuses a longer name, naming the field", async () => {
    await pulumi.runtime.setMocks({ newResource: (args) => ({ id: args.name, state: args.inputs }), call: () => ({}) }, "release-platform", "dev");
    expect(() => new FeatureFlagStore("flags", { applicationName: "a".repeat(65), environmentName: "dev", document: "{}" })).toThrow(
      `FeatureFlagStore flags: applicationName must be 1-64 characters (AppConfig's limit) (got "${"a".repeat(65)}")`,
    );
  });
});

describe("the test listener admits the addresses the hooks' subnets really leave through", () => {
  const PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList";
  const entriesOf = (d: Awaited<ReturnType<typeof synth>>) => (resource(d, PREFIX_LIST, "staging-nat").inputs.entries as { cidr: string; description: string }[]);

  it("each private subnet's route table decides: its default route's NAT gateway, with its public addresses", async () => {
    const d = await synth(shippedConfig("staging"));
    // Two private subnets, each routed to its zone's NAT gateway (the mocks' typical network).
    expect(entriesOf(d).map((entry) => entry.description)).toEqual([
      expect.stringMatching(/^NAT gateway nat-[0-9a-f]{17}: egress of the hooks' subnets$/),
      expect.stringMatching(/^NAT gateway nat-[0-9a-f]{17}: egress of the hooks' subnets$/),
    ]);
  });

  it("a NAT gateway the hooks' subnets do not route through is left out; its secondary and regional addresses are in", async () => {
    const calls = (token: string, inputs: Record<string, unknown>) => {
      if (token === "aws:ec2/getRouteTable:getRouteTable") return { id: String(inputs.routeTableId), routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: "nat-00000000000000001" }] };
      if (token === "aws:ec2/getNatGateway:getNatGateway")
        return {
          id: String(inputs.id),
          connectivityType: "public",
          state: "available",
          publicIp: "203.0.113.1",
          secondaryAllocationIds: ["eipalloc-2"],
          regionalNatGatewayAddresses: [{ allocationId: "eipalloc-3" }],
        };
      if (token === "aws:ec2/getElasticIp:getElasticIp") return { id: String(inputs.id), publicIp: inputs.id === "eipalloc-2" ? "203.0.113.2" : "203.0.113.3" };
      return undefined;
    };
    const d = await synthesize({ config: load(shippedConfig("staging")), calls });
    expect(entriesOf(d).map((entry) => entry.cidr)).toEqual(["203.0.113.1/32", "203.0.113.2/32", "203.0.113.3/32"]);
    expect(resource(d, PREFIX_LIST, "staging-nat").inputs.maxEntries).toBe(3);
  });

  const throughTransitGateway = (token: string, inputs: Record<string, unknown>) =>
    token === "aws:ec2/getRouteTable:getRouteTable" ? { id: String(inputs.routeTableId), routes: [{ cidrBlock: "0.0.0.0/0", transitGatewayId: "tgw-0123456789abcdef0" }] } : undefined;

  it("central egress through a transit gateway without testListenerCidrs stops, naming the setting", async () => {
    await expect(synthesize({ config: load(shippedConfig("staging")), calls: throughTransitGateway })).rejects.toThrow(
      /the hooks' subnets subnet-0b1b2c3d4e5f60003 \(route table rtb-[0-9a-f]+: 0\.0\.0\.0\/0 -> tgw-0123456789abcdef0\), subnet-0b1b2c3d4e5f60004 .* list the public addresses they leave from in testListenerCidrs \(stack file: release:ingress\.testListenerCidrs\)/,
    );
  });

  it("with testListenerCidrs the central egress addresses are admitted instead", async () => {
    const config = setPath(shippedConfig("staging"), "release:ingress.testListenerCidrs", ["192.0.2.10/32"]);
    const d = await synthesize({ config: load(config), calls: throughTransitGateway });
    expect(entriesOf(d)).toEqual([]);
    expect(resourcesOf(d, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((rule) => rule.inputs.cidrIpv4 === "192.0.2.10/32").map((rule) => rule.inputs.fromPort)).toEqual([9000]);
  });
});

describe("npm run check judges the synthesized stacks like AWS", () => {
  const violations = async (config: Record<string, unknown>, stack = "production") =>
    evaluate(policyResources(await synth(config, stack)), stack).map((v) => `${v.rule} ${v.resource}: ${v.message}`);

  it("the config's estimate counts the NAT list as one entry; the check counts its real two and catches the 61st rule", async () => {
    const config = setPath(setPath(shippedConfig("production"), "release:ingress.allowedCidrs", cidrs(29)), "release:ingress.testListenerCidrs", ["192.0.2.10/32"]);
    expect(configError(config, "production")).toBeUndefined();
    expect(await violations(config)).toEqual([
      "within-aws-quotas production-lb: has 61 IPv4 inbound rules (a prefix list counts as its maximum entries); AWS allows 60 per security group by default",
    ]);
  });

  it("a Slack channel in eu-central-1 passes as the program builds it (us-east-2), and fails as today's wiring did (the stack's Region)", async () => {
    const config = inRegion(setPath(shippedConfig("production"), "release:notifications.slack", { workspaceId: "T0123ABCD", channelId: "C0123ABCD" }), "eu-central-1");
    const resources = policyResources(await synth(config, "production"));
    expect(evaluate(resources, "production")).toEqual([]);
    const todays = resources.map((r) => (r.type === "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration" ? { ...r, props: { ...r.props, region: undefined } } : r));
    expect(evaluate(todays, "production").map((v) => `${v.rule} ${v.resource}: ${v.message}`)).toEqual([
      "services-available-in-region production-slack: is created in eu-central-1, where AWS has no chatbot API (it has: us-east-2, us-west-2, ap-southeast-1, eu-west-1)",
    ]);
  });
});

describe("the AppConfig Agent's image comes from where the tasks can reach", () => {
  const CACHED = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecr-public/aws-appconfig/aws-appconfig-agent:2.x";
  // A network of VPC endpoints only: the private subnets' tables have no default route.
  const endpointsOnly = (token: string, inputs: Record<string, unknown>) =>
    token === "aws:ec2/getRouteTable:getRouteTable" ? { id: String(inputs.routeTableId), routes: [{ cidrBlock: "10.0.0.0/16", gatewayId: "local" }] } : undefined;
  const internal = () => setPath(shippedConfig("staging"), "release:ingress.internal", true);

  it("ECR Public in subnets with no route to the internet stops the deployment, naming the setting", async () => {
    await expect(synthesize({ config: load(internal()), calls: endpointsOnly })).rejects.toThrow(
      /the private subnets subnet-0b1b2c3d4e5f60003 \(route table rtb-[0-9a-f]+\), subnet-0b1b2c3d4e5f60004 \(route table rtb-[0-9a-f]+\) have no route to the internet, so tasks cannot pull the AppConfig Agent from ECR Public \(public\.ecr\.aws\/aws-appconfig\/aws-appconfig-agent:2\.x\), which VPC endpoints do not serve: set flagStore\.agentImage \(stack file: release:flagStore\.agentImage\)/,
    );
  });

  it("flagStore.agentImage from an ECR pull-through cache is used, the execution role may pull it, and npm run check passes", async () => {
    const d = await synthesize({ config: load(setPath(internal(), "release:flagStore.agentImage", CACHED)), calls: endpointsOnly });
    const containers = JSON.parse(String(resource(d, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task").inputs.containerDefinitions)) as { name: string; image: string }[];
    expect(containers.find((c) => c.name === "appconfig-agent")?.image).toBe(CACHED);
    const policy = JSON.parse(String(resource(d, "aws:iam/rolePolicy:RolePolicy", "checkout-execution").inputs.policy)) as { Statement: { Sid: string; Resource: unknown }[] };
    expect(policy.Statement.find((statement) => statement.Sid === "PullImage")?.Resource).toEqual([
      "arn:aws:ecr:eu-west-1:123456789012:repository/checkout",
      "arn:aws:ecr:eu-west-1:123456789012:repository/ecr-public/aws-appconfig/aws-appconfig-agent",
    ]);
    expect(evaluate(policyResources(d), "staging")).toEqual([]);
  });

  it("the agent image must be a pinned image reference", () => {
    expect(configError(setPath(shippedConfig("staging"), "release:flagStore.agentImage", "agent"))).toContain("release:flagStore.agentImage: expected an image reference");
  });
});
