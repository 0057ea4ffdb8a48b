import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { BlueGreenService } from "../components/blue-green-service/blue-green-service";
import { readEnvironmentContract } from "../components/environment/contract-read";
import { type Environment, environmentArgsProblems } from "../components/environment/environment";
import type { ServiceEnvironment } from "../components/environment/service-environment";
import { describeProblem } from "../components/arguments";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { awsMocks } from "../src/synth/mocks";
import { resource, resourcesOf, TEST_CERTIFICATE, TEST_NETWORK, testEnvironment } from "./helpers";

const LB = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";
const RULE = "aws:lb/listenerRule:ListenerRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const GROUP = "aws:ec2/securityGroup:SecurityGroup";

function service(environment: ServiceEnvironment, name: string, priority: number) {
  return new BlueGreenService(name, { environment, image: "nginx:1.27", port: 8080, pathPatterns: [`/${name}/*`], priority, hooks: { smokeTest: false } }, { providers: [environment.provider] });
}

function program(build: (environment: Environment) => unknown, extra: Parameters<typeof testEnvironment>[1] = {}, tier: "dev" | "production" = "production"): Promise<SynthDocument> {
  return synthesizeProgram({ stack: tier, tier, region: "eu-west-1" }, async () => {
    const environment = testEnvironment(tier, { loadBalancers: ["b"], accessLogs: {}, ...extra });
    const result = build(environment);
    return result && typeof result === "object" && "apply" in result ? { result } : {};
  });
}

describe("an environment with a second load balancer", () => {
  it("makes it beside main: its own resources, physical name and security group, main's access logs and deletion protection", async () => {
    const d = await program(() => undefined);
    const main = resource(d, LB, "env-lb");
    const b = resource(d, LB, "env-lb-b");
    expect(main.inputs.name).toBe("env");
    expect(b.inputs.name).toBe("env-b");
    for (const key of ["subnets", "internal", "enableDeletionProtection", "accessLogs", "idleTimeout", "dropInvalidHeaderFields"]) {
      expect(b.inputs[key], key).toEqual(main.inputs[key]);
    }
    expect(main.inputs.securityGroups).toEqual([resource(d, GROUP, "env-lb").outputs.id]);
    expect(b.inputs.securityGroups).toEqual([resource(d, GROUP, "env-lb-b").outputs.id]);
    expect(b.inputs.enableDeletionProtection).toBe(true);
    // Each waits for its own group and for the access-log bucket's policy.
    expect(b.dependencies).toEqual(main.dependencies.map((urn) => (urn.endsWith("SecurityGroup::env-lb") ? `${urn}-b` : urn)));
    expect(resourcesOf(d, LISTENER).map((l) => l.name).sort()).toEqual(["env-http-redirect", "env-lb-b-http-redirect", "env-lb-b-production", "env-lb-b-test", "env-production", "env-test"]);
    const bArn = b.outputs.arn;
    for (const [listener, port] of [["env-lb-b-production", 443], ["env-lb-b-http-redirect", 80], ["env-lb-b-test", 9000]] as const) {
      expect(resource(d, LISTENER, listener).inputs.loadBalancerArn, listener).toBe(bArn);
      expect(resource(d, LISTENER, listener).inputs.port, listener).toBe(port);
    }
    expect(resource(d, LISTENER, "env-lb-b-production").inputs.certificateArn).toBe(TEST_CERTIFICATE);
  });

  it("cuts a long physical name to AWS's 32 characters with a digest", async () => {
    const d = await program(() => undefined, { namePrefix: "a-rather-long-environment-prefix", loadBalancers: ["second"] });
    const name = String(resource(d, LB, "env-lb-second").inputs.name);
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name).toMatch(/-[0-9a-f]{6}$/);
  });

  it("keeps main, b and c apart when a long prefix starting internal- gets AWS's lb- in front (the digest covers it)", async () => {
    const d = await program(() => undefined, { namePrefix: "internal-platform-production1", loadBalancers: ["b", "c"] });
    const names = ["env-lb", "env-lb-b", "env-lb-c"].map((name) => String(resource(d, LB, name).inputs.name));
    expect(new Set(names).size).toBe(3);
    // Main's name fits with lb- in front, as before; b's and c's do not and end in a digest.
    expect(names[0]).toBe("lb-internal-platform-production1");
    for (const name of names) expect(name).toMatch(/^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/);
  });

  it("each load balancer's group admits what main's admits: the production ports from allowedCidrs, the hooks to its test listener", async () => {
    const ingressOf = (d: SynthDocument, group: string) =>
      resourcesOf(d, INGRESS)
        .filter((rule) => rule.inputs.securityGroupId === resource(d, GROUP, group).outputs.id)
        .map(({ inputs }) => JSON.stringify({ ...inputs, securityGroupId: undefined }))
        .sort();
    const cidrs = { allowedCidrs: ["10.0.0.0/8", "2001:db8::/32"], testListenerCidrs: ["192.0.2.0/24"] };
    for (const internal of [true, false]) {
      const d = await program(() => undefined, { internal, ...cidrs });
      const main = ingressOf(d, "env-lb");
      // 443 and 80 from each allowed CIDR, the hooks (or the NAT gateways), the testListenerCidrs entry.
      expect(main, `internal ${internal}`).toHaveLength(6);
      expect(ingressOf(d, "env-lb-b"), `internal ${internal}`).toEqual(main);
      const hooks = resource(d, GROUP, "env-hooks").outputs.id;
      const hooksEgress = resourcesOf(d, EGRESS).filter((rule) => rule.inputs.securityGroupId === hooks);
      if (internal) {
        expect(resource(d, INGRESS, "env-lb-b-test-from-hooks").inputs).toMatchObject({ fromPort: 9000, referencedSecurityGroupId: hooks });
        expect(hooksEgress.map((rule) => [rule.name, rule.inputs.referencedSecurityGroupId]).sort()).toEqual([
          ["env-hooks-to-b-test", resource(d, GROUP, "env-lb-b").outputs.id],
          ["env-hooks-to-test", resource(d, GROUP, "env-lb").outputs.id],
        ]);
      } else {
        expect(resource(d, INGRESS, "env-lb-b-test-from-nat").inputs.prefixListId).toBe(resource(d, "aws:ec2/managedPrefixList:ManagedPrefixList", "env-nat").outputs.id);
        // One rule to any address on the test port reaches every public test listener (a second like it AWS refuses).
        expect(hooksEgress.map((rule) => [rule.name, rule.inputs.cidrIpv4, rule.inputs.fromPort])).toEqual([["env-hooks-to-test", "0.0.0.0/0", 9000]]);
      }
    }
  });

  it("a service on b adds its outbound rule to b's group, a service on main to main's", async () => {
    const d = await program((environment) => {
      service(environment, "api", 10);
      service(environment.loadBalancer("b"), "web", 10);
    });
    const group = (name: string) => resource(d, GROUP, name).outputs.id;
    expect(resource(d, EGRESS, "web-lb-to-tasks-8080").inputs.securityGroupId).toBe(group("env-lb-b"));
    expect(resource(d, INGRESS, "web-tasks-from-lb-8080").inputs.referencedSecurityGroupId).toBe(group("env-lb-b"));
    expect(resource(d, EGRESS, "api-lb-to-tasks-8080").inputs.securityGroupId).toBe(group("env-lb"));
    expect(resource(d, INGRESS, "api-tasks-from-lb-8080").inputs.referencedSecurityGroupId).toBe(group("env-lb"));
  });

  it("a service joined with loadBalancer(\"b\") routes on b's listeners, main's services on main's, each with its own priorities", async () => {
    const d = await program((environment) => {
      service(environment, "api", 10);
      service(environment.loadBalancer("b"), "web", 10);
    });
    const listenerArn = (name: string) => resource(d, LISTENER, name).outputs.arn;
    expect(resource(d, RULE, "web-production").inputs.listenerArn).toBe(listenerArn("env-lb-b-production"));
    expect(resource(d, RULE, "web-test").inputs.listenerArn).toBe(listenerArn("env-lb-b-test"));
    expect(resource(d, RULE, "api-production").inputs.listenerArn).toBe(listenerArn("env-production"));
    expect(resource(d, RULE, "api-test").inputs.listenerArn).toBe(listenerArn("env-test"));
  });
});

describe("loadBalancers argument", () => {
  const problems = (loadBalancers: string[]) =>
    environmentArgsProblems({ tier: "dev", region: "eu-west-1", ...TEST_NETWORK, loadBalancers }).map(describeProblem);

  it("takes short lower-case names, each once, besides main, at most 10", () => {
    expect(problems(["b", "intern2"])).toEqual([
      'loadBalancers[1] must be a load balancer name: a lower-case letter, then at most 5 letters or digits (it is part of the physical name) (got "intern2")',
    ]);
    expect(problems(["main"])).toEqual(['loadBalancers[0] is the environment\'s first load balancer, always there: list only the others (got "main")']);
    expect(problems(["b", "b"])).toEqual(['loadBalancers[1] is listed twice (got "b")']);
    expect(problems(["B-1"])).toHaveLength(1);
    expect(problems(Array.from({ length: 10 }, (_, i) => `lb${i}`))).toEqual([]);
    expect(problems(Array.from({ length: 11 }, (_, i) => `lb${i}`))).toEqual([
      'loadBalancers lists 11 load balancers besides main; at most 10 (AWS: "Application Load Balancers per Region: 50", shared by the account\'s environments) (got 11)',
    ]);
  });
});

describe("environment.contract()", () => {
  it("exports every field, load balancers main first, routes with their defaults, and reads back", async () => {
    const d = await program((environment) =>
      environment.contract(
        { web: { pathPatterns: ["/web/*"], priority: 20, loadBalancer: "b" }, api: { hostHeaders: ["api.example.com"], priority: 10, stack: "acme/api/production" } },
        { flagStore: { backend: "appconfig", applicationId: "app1" } },
      ),
    );
    const contract = d.outputs.result as Record<string, unknown>;
    const read = readEnvironmentContract(contract);
    expect("problems" in read ? read.problems : []).toEqual([]);
    expect((contract.loadBalancers as { name: string }[]).map((lb) => lb.name)).toEqual(["main", "b"]);
    const b = (contract.loadBalancers as Record<string, string>[])[1];
    expect(b).toEqual({
      name: "b",
      arn: resource(d, LB, "env-lb-b").outputs.arn,
      arnSuffix: resource(d, LB, "env-lb-b").outputs.arnSuffix,
      dnsName: resource(d, LB, "env-lb-b").outputs.dnsName,
      productionListenerArn: resource(d, LISTENER, "env-lb-b-production").outputs.arn,
      testListenerArn: resource(d, LISTENER, "env-lb-b-test").outputs.arn,
      securityGroupId: resource(d, GROUP, "env-lb-b").outputs.id,
    });
    expect((contract.loadBalancers as Record<string, string>[])[0].securityGroupId).toBe(contract.loadBalancerSecurityGroupId);
    expect(contract.routes).toEqual({
      web: { pathPatterns: ["/web/*"], hostHeaders: [], priority: 20, loadBalancer: "b" },
      api: { pathPatterns: [], hostHeaders: ["api.example.com"], priority: 10, loadBalancer: "main", stack: "acme/api/production" },
    });
    expect(contract).toMatchObject({
      version: 1,
      tier: "production",
      namePrefix: "env",
      region: "eu-west-1",
      vpcId: TEST_NETWORK.vpcId,
      publicSubnetIds: TEST_NETWORK.publicSubnetIds,
      privateSubnetIds: TEST_NETWORK.privateSubnetIds,
      internal: false,
      productionPort: 443,
      productionProtocol: "HTTPS",
      testListenerPort: 9000,
      flagStore: { backend: "appconfig", applicationId: "app1" },
    });
    for (const key of ["loadBalancerSecurityGroupId", "hooksSecurityGroupId", "natPrefixListId", "accessLogBucket", "clusterArn", "clusterName", "alertTopicArn", "alertKeyArn"]) {
      expect(typeof contract[key], key).toBe("string");
    }
    expect(contract.alertKeyArn).toBe(resource(d, "aws:kms/key:Key", "env-alerts").outputs.arn);
  });
});

/** Refusals, outside the synth (a program that throws would leave the synth's run behind it): one environment, main and b. */
describe("refused on an environment with load balancers main and b", () => {
  let env: Environment;
  beforeAll(async () => {
    await pulumi.runtime.setMocks(awsMocks({ region: "eu-west-1", stackOutputs: {}, onPlaceholder: () => undefined }), "release-platform", "production");
    env = testEnvironment("production", { loadBalancers: ["b"] });
  });

  it("two services on one load balancer cannot share a priority; b's priorities are not main's", () => {
    expect(env.loadBalancer("b").claimPriority(10, "web")).toBeUndefined();
    expect(env.loadBalancer("b").claimPriority(10, "shop")).toEqual({ field: ["priority"], message: "is already taken by service web on load balancer b's listeners", got: 10 });
    expect(env.loadBalancer("b").claimPriority(10, "web")).toBeUndefined();
    expect(env.claimPriority(10, "api")).toBeUndefined();
    expect(env.loadBalancer("main").claimPriority(10, "checkout")).toEqual({ field: ["priority"], message: "is already taken by service api on this environment's listeners", got: 10 });
  });

  it("an unknown load balancer", () => {
    expect(() => env.loadBalancer("c")).toThrow('Environment env: loadBalancer is not a load balancer of this environment, which has main, b (got "c")');
  });

  it("a route on a load balancer the environment does not have", () => {
    expect(() => env.contract({ web: { priority: 1, loadBalancer: "c" } }, { flagStore: { backend: "appconfig" } })).toThrow(
      'Environment env: loadBalancer is not a load balancer of this environment, which has main, b (got "c")',
    );
  });
});
