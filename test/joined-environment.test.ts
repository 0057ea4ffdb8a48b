import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { BlueGreenService } from "../components/blue-green-service/blue-green-service";
import { type EnvironmentContract } from "../components/environment/contract";
import { readEnvironmentContract } from "../components/environment/contract-read";
import { Environment, JoinedEnvironment } from "../components/environment/environment";
import { alertKeyPolicy, alertTopicPolicy } from "../components/environment/notifications";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { awsMocks } from "../src/synth/mocks";
import { resource, resourcesOf } from "./helpers";

const RULE = "aws:lb/listenerRule:ListenerRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const ACCOUNT = "210987654321";
const ENVIRONMENT_STACK = "acme/release-platform/shared";

const lb = (name: string, id: string) => ({
  name,
  arn: `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/app/shared-${name}/${id}`,
  arnSuffix: `app/shared-${name}/${id}`,
  dnsName: `shared-${name}-1.eu-west-1.elb.amazonaws.com`,
  productionListenerArn: `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener/app/shared-${name}/${id}/p${id}`,
  testListenerArn: `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:listener/app/shared-${name}/${id}/t${id}`,
  securityGroupId: name === "main" ? "sg-0aaaaaaaaaaaaaaa1" : `sg-0bbbbbbbbbbbbbbb${id.slice(-1)}`,
});

/** An environment stack's contract, every id distinct from what the mocks would make up. */
export const CONTRACT: EnvironmentContract = {
  version: 1,
  tier: "staging",
  namePrefix: "shared",
  region: "eu-west-1",
  vpcId: "vpc-0aaaaaaaaaaaaaaa1",
  publicSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
  privateSubnetIds: ["subnet-0aaaaaaaaaaaaaaa3"],
  internal: false,
  productionPort: 443,
  productionProtocol: "HTTPS",
  testListenerPort: 9000,
  loadBalancerSecurityGroupId: "sg-0aaaaaaaaaaaaaaa1",
  hooksSecurityGroupId: "sg-0aaaaaaaaaaaaaaa2",
  natPrefixListId: "pl-0aaaaaaaaaaaaaaa1",
  clusterArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/shared`,
  clusterName: "shared",
  alertTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:shared-alerts`,
  alertKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
  loadBalancers: [lb("main", "1111111111111111"), lb("b", "2222222222222222")],
  routes: { api: { pathPatterns: ["/api/*"], hostHeaders: [], priority: 10, loadBalancer: "main" } },
  flagStore: { backend: "appconfig" },
};

function service(environment: Environment["loadBalancer"] extends (name: string) => infer V ? V : never, name = "api", priority = 10) {
  return new BlueGreenService(name, { environment, image: "nginx:1.27", port: 8080, pathPatterns: ["/api/*"], priority, hooks: { smokeTest: false } }, { providers: [environment.provider] });
}

function joinedProgram(build: (joined: JoinedEnvironment) => void, args: { tags?: Record<string, string> } = {}): Promise<SynthDocument> {
  return synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1", project: "orders" }, async () => {
    build(Environment.fromContract("orders", CONTRACT, { tags: args.tags, aws: { allowedAccountIds: [ACCOUNT] } }));
    return {};
  });
}

describe("a joined environment", () => {
  it("gives a service exactly the contract's listeners, security groups, VPC, cluster and topic", async () => {
    const d = await joinedProgram((joined) => service(joined));
    const rules = resourcesOf(d, RULE);
    expect(resource(d, RULE, "api-production").inputs.listenerArn).toBe(CONTRACT.loadBalancers[0].productionListenerArn);
    expect(resource(d, RULE, "api-test").inputs.listenerArn).toBe(CONTRACT.loadBalancers[0].testListenerArn);
    expect(rules).toHaveLength(2);
    expect(resource(d, INGRESS, "api-tasks-from-lb-8080").inputs.referencedSecurityGroupId).toBe(CONTRACT.loadBalancerSecurityGroupId);
    expect(resource(d, EGRESS, "api-lb-to-tasks-8080").inputs.securityGroupId).toBe(CONTRACT.loadBalancerSecurityGroupId);
    expect(resource(d, "aws:lb/targetGroup:TargetGroup", "api-blue").inputs.vpcId).toBe(CONTRACT.vpcId);
    expect(resource(d, "aws:ecs/service:Service", "api-service").inputs.cluster).toBe(CONTRACT.clusterArn);
    const alarms = resourcesOf(d, ALARM);
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.inputs.alarmActions, alarm.name).toEqual([CONTRACT.alertTopicArn]);
    // Nothing of the environment is made again: no load balancer, listener, cluster, topic or security group of its own.
    for (const type of ["aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener", "aws:ecs/cluster:Cluster", "aws:sns/topic:Topic", "aws:ec2/securityGroup:SecurityGroup"]) {
      expect(resourcesOf(d, type).map((r) => r.name), type).toEqual(type === "aws:ec2/securityGroup:SecurityGroup" ? ["api-tasks"] : []);
    }
  });

  it("has a provider of its own: the contract's Region, the environment's default tags and the stack's settings", async () => {
    const d = await joinedProgram(() => undefined, { tags: { team: "orders" } });
    const provider = resource(d, "pulumi:providers:aws", "orders-aws");
    expect(provider.inputs.region).toBe("eu-west-1");
    // Providers take their inputs as strings, lists JSON-encoded.
    expect(JSON.parse(String(provider.inputs.allowedAccountIds))).toEqual([ACCOUNT]);
    expect(JSON.parse(String(provider.inputs.defaultTags))).toEqual({ tags: { team: "orders", environment: "shared", tier: "staging", service: "release-platform", "managed-by": "pulumi" } });
    expect(resource(d, "release:aws:JoinedEnvironment", "orders").custom).toBe(false);
  });

  it("a service on the joined environment's load balancer b routes on b's listeners, with b's metrics and b's security group", async () => {
    const d = await joinedProgram((joined) => service(joined.loadBalancer("b")));
    expect(CONTRACT.loadBalancers[1].securityGroupId).not.toBe(CONTRACT.loadBalancerSecurityGroupId);
    expect(resource(d, EGRESS, "api-lb-to-tasks-8080").inputs.securityGroupId).toBe(CONTRACT.loadBalancers[1].securityGroupId);
    expect(resource(d, INGRESS, "api-tasks-from-lb-8080").inputs.referencedSecurityGroupId).toBe(CONTRACT.loadBalancers[1].securityGroupId);
    expect(resource(d, RULE, "api-production").inputs.listenerArn).toBe(CONTRACT.loadBalancers[1].productionListenerArn);
    expect(resource(d, RULE, "api-test").inputs.listenerArn).toBe(CONTRACT.loadBalancers[1].testListenerArn);
    const dimensions = resourcesOf(d, ALARM).flatMap((alarm) => JSON.stringify(alarm.inputs).match(/app\/shared-[a-z]+\/\d+/g) ?? []);
    expect(dimensions.length).toBeGreaterThan(0);
    expect(new Set(dimensions)).toEqual(new Set([CONTRACT.loadBalancers[1].arnSuffix]));
  });

  it("flag deployments and the dashboard are the service stack's own, named apart from the environment stack's", async () => {
    const d = await joinedProgram((joined) => {
      joined.notifyFlagDeployments({ applicationId: "app1234", environmentId: "env1234" });
      joined.addDashboards([]);
    });
    const rule = resource(d, "aws:cloudwatch/eventRule:EventRule", "orders-flag-deployments");
    expect(rule.inputs.name).toBe("shared-orders-flag-deployments");
    const target = resource(d, "aws:cloudwatch/eventTarget:EventTarget", "orders-flag-deployments");
    expect(target.inputs.arn).toBe(CONTRACT.alertTopicArn);
    expect(resource(d, "aws:appconfig/extensionAssociation:ExtensionAssociation", "orders-flag-events").inputs.resourceArn).toMatch(/application\/app1234\/environment\/env1234$/);
    // The environment stack's own are `shared-release` and `shared-flag-deployments`.
    expect(resource(d, "aws:cloudwatch/dashboard:Dashboard", "orders-dashboard").inputs.dashboardName).toBe("shared-orders-release");
  });

  it("the environment's topic and key admit the alarms and rules of every stack of the account, not only the environment stack's", () => {
    const account = { partition: "aws", region: "eu-west-1", accountId: ACCOUNT };
    const statements = (alertTopicPolicy(account, CONTRACT.alertTopicArn).Statement as { Sid: string; Condition: Record<string, Record<string, string>> }[]);
    expect(statements.find((s) => s.Sid === "EventBridgeRulesPublish")!.Condition.ArnLike["aws:SourceArn"]).toBe(`arn:aws:events:eu-west-1:${ACCOUNT}:rule/*`);
    expect(statements.find((s) => s.Sid === "CloudWatchAlarmsPublish")!.Condition.ArnLike["aws:SourceArn"]).toBe(`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:*`);
    const key = JSON.stringify(alertKeyPolicy(account, CONTRACT.alertTopicArn));
    expect(key).not.toContain("aws:SourceArn");
  });

});

/** The synth's mocks, a stack reference answered with `outputs[stack]`, outside the synth's capture. */
async function mockStackOutputs(outputs: Record<string, Record<string, unknown>>): Promise<void> {
  await pulumi.runtime.setMocks(awsMocks({ region: "eu-west-1", stackOutputs: outputs, onPlaceholder: () => undefined }), "orders", "staging");
}

describe("Environment.fromStackReference", () => {
  const join = (outputs: Record<string, Record<string, unknown>>) =>
    synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1", project: "orders", stackOutputs: outputs }, async () => {
      const joined = await Environment.fromStackReference("orders", ENVIRONMENT_STACK);
      return { listener: joined.productionListenerArn, region: joined.region };
    });

  it("joins the environment the stack's output describes", async () => {
    const d = await join({ [ENVIRONMENT_STACK]: { environment: CONTRACT } });
    expect(d.outputs).toEqual({ listener: CONTRACT.loadBalancers[0].productionListenerArn, region: "eu-west-1" });
  });

  it("refuses a stack without the output, naming the stack", async () => {
    await mockStackOutputs({ [ENVIRONMENT_STACK]: { vpcId: "vpc-1" } });
    await expect(Environment.fromStackReference("orders", ENVIRONMENT_STACK)).rejects.toThrow(
      `Environment orders: stack ${ENVIRONMENT_STACK} has no output "environment" (the environment contract): is it an environment stack of release-platform with release:routes?`,
    );
  });

  it("refuses an output that is no contract, naming each wrong field", async () => {
    const { alertTopicArn: _, ...withoutTopic } = CONTRACT;
    const bad = { ...withoutTopic, version: 2, loadBalancers: [{ ...CONTRACT.loadBalancers[0], name: "Main LB" }] };
    await mockStackOutputs({ [ENVIRONMENT_STACK]: { environment: bad } });
    const error = await Environment.fromStackReference("orders", new pulumi.StackReference(ENVIRONMENT_STACK)).catch((caught: Error) => caught.message);
    expect(error).toContain(`Environment orders: stack ${ENVIRONMENT_STACK}'s output "environment" is not an environment contract this release-platform reads:`);
    expect(error).toContain("environment.version expected version 1 of the environment contract");
    expect(error).toContain("environment.alertTopicArn");
    expect(error).toContain("environment.loadBalancers.0.name expected a load balancer name");
    expect(error).toContain("is it an environment stack of release-platform with release:routes?");
  });

  it("refuses an unknown load balancer, naming the ones it has", async () => {
    await mockStackOutputs({});
    const joined = Environment.fromContract("orders", CONTRACT);
    expect(() => joined.loadBalancer("c")).toThrow('JoinedEnvironment orders: loadBalancer is not a load balancer of this environment, which has main, b (got "c")');
    expect(joined.loadBalancer("b").loadBalancerName).toBe("b");
  });

  it("the contract it reads is the one readEnvironmentContract accepts", () => {
    expect(readEnvironmentContract(JSON.parse(JSON.stringify(CONTRACT)))).toEqual({ contract: CONTRACT });
  });

  it("reads a load balancer without its own securityGroupId (a contract of version 1 before the field) with the top-level group", () => {
    const older = JSON.parse(JSON.stringify(CONTRACT)) as { loadBalancers: Record<string, unknown>[] };
    for (const balancer of older.loadBalancers) delete balancer.securityGroupId;
    const read = readEnvironmentContract(older);
    expect("contract" in read && read.contract.loadBalancers.map((balancer) => balancer.securityGroupId)).toEqual(CONTRACT.loadBalancers.map(() => CONTRACT.loadBalancerSecurityGroupId));
  });
});
