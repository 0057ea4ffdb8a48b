import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { type EnvironmentContract, ENVIRONMENT_OUTPUT, type RouteContract } from "../components/environment/contract";
import { judgeStack, report, reportJson, reportSarif } from "../policy/evaluate";
import { environmentOfStack, policyResources } from "../policy/from-synth";
import { JOINED_ENVIRONMENT_TYPE, SERVICE_COMPONENT_TYPES } from "../policy/rules/environment";
import { runtimePathsReachable } from "../policy/rules/runtime-paths-reachable";
import type { PolicyResource, StackContext } from "../policy/rules/types";
import { synthesize } from "../src/synth/capture";
import { loadStack, PROJECT_ROOT, readStackOutputs } from "../src/synth/run";
import { shippedConfig, synth } from "./helpers";

/*
 * The check on the two new kinds of stack, before a service-stack synth exists: the shipped production stack's graph,
 * split as the two stacks would hold it. The service stack keeps what its services make (their rules on the
 * environment's listeners, their egress rule on the load balancer's security group, alarms notifying the environment's
 * topic) and loses the environment's resources; the environment stack keeps those and loses the services. The contract
 * is what the environment's resources say, as the environment stack exports it.
 */

let whole: PolicyResource[];
let serviceStack: PolicyResource[];
let environmentStack: PolicyResource[];
let contract: EnvironmentContract;

const one = (resources: readonly PolicyResource[], type: string, name: string) => {
  const found = resources.find((resource) => resource.type === type && resource.name === name);
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
};
const str = (value: unknown) => String(value);

function underService(resource: PolicyResource, byUrn: ReadonlyMap<string, PolicyResource>): boolean {
  for (let at: PolicyResource | undefined = resource; at; at = at.parent ? byUrn.get(at.parent) : undefined) if (SERVICE_COMPONENT_TYPES.has(at.type)) return true;
  return false;
}

function contractOf(resources: readonly PolicyResource[], routes: Record<string, RouteContract>): EnvironmentContract {
  const balancer = one(resources, "aws:lb/loadBalancer:LoadBalancer", "production-lb");
  const listener = (name: string) => str(one(resources, "aws:lb/listener:Listener", name).props.arn);
  const test = one(resources, "aws:lb/listener:Listener", "production-test");
  return {
    version: 1,
    tier: "production",
    namePrefix: "production",
    region: "eu-west-1",
    vpcId: "vpc-0abc",
    publicSubnetIds: [],
    privateSubnetIds: ["subnet-c"],
    internal: balancer.props.internal === true,
    productionPort: 443,
    productionProtocol: "HTTPS",
    testListenerPort: Number(test.props.port),
    loadBalancerSecurityGroupId: str(one(resources, "aws:ec2/securityGroup:SecurityGroup", "production-lb").props.id),
    hooksSecurityGroupId: str(one(resources, "aws:ec2/securityGroup:SecurityGroup", "production-hooks").props.id),
    clusterArn: str(one(resources, "aws:ecs/cluster:Cluster", "production-cluster").props.arn),
    clusterName: "production",
    alertTopicArn: str(one(resources, "aws:sns/topic:Topic", "production-alerts").props.arn),
    alertKeyArn: str(one(resources, "aws:kms/key:Key", "production-alerts").props.arn),
    loadBalancers: [
      {
        name: "main",
        arn: str(balancer.props.arn),
        arnSuffix: str(balancer.props.arnSuffix),
        dnsName: str(balancer.props.dnsName),
        productionListenerArn: listener("production-production"),
        testListenerArn: str(test.props.arn),
        securityGroupId: str(one(resources, "aws:ec2/securityGroup:SecurityGroup", "production-lb").props.id),
      },
    ],
    routes,
    flagStore: { backend: "appconfig" },
  };
}

const manyRoutes = (count: number, loadBalancer = () => "main"): Record<string, RouteContract> =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [`team${index}`, { pathPatterns: [`/team${index}/*`], hostHeaders: [], priority: 100 + index, loadBalancer: loadBalancer() }]));

const asService = (resources: readonly PolicyResource[], known?: EnvironmentContract) => judgeStack(resources, "production", [], undefined, [], known ? { role: "service", contract: known } : undefined);
const asEnvironment = (resources: readonly PolicyResource[], known: EnvironmentContract) => judgeStack(resources, "production", [], undefined, [], { role: "environment", contract: known });
const of = (result: ReturnType<typeof judgeStack>, rule: string) => ({
  violations: result.violations.filter((violation) => violation.rule === rule).map((violation) => `${violation.resource}: ${violation.message}`),
  skipped: result.skipped.filter((skip) => skip.rule === rule).map((skip) => `${skip.resource}: ${skip.reason}`),
});

beforeAll(async () => {
  whole = policyResources(await synth(shippedConfig("production"), "production"));
  const byUrn = new Map(whole.map((resource) => [resource.urn, resource]));
  const joined: PolicyResource = { type: JOINED_ENVIRONMENT_TYPE, name: "production", urn: "urn:pulumi:production::checkout::release:aws:JoinedEnvironment::production", props: {}, options: { protect: false, ignoreChanges: [] } };
  serviceStack = [joined, ...whole.filter((resource) => resource.type.startsWith("pulumi:providers:") || underService(resource, byUrn))];
  environmentStack = whole.filter((resource) => !underService(resource, byUrn));
  contract = contractOf(whole, {
    checkout: { pathPatterns: ["/checkout/*"], hostHeaders: [], priority: 10, loadBalancer: "main" },
    catalog: { pathPatterns: ["/catalog/*"], hostHeaders: [], priority: 20, loadBalancer: "main" },
  });
}, 120_000);

describe("the single stack is judged as before", () => {
  it("skips nothing: every resource its rules reach is in its graph", () => {
    const result = judgeStack(whole, "production");
    expect(result.violations).toEqual([]);
    expect(result.skipped).toEqual([]);
  });
});

describe("a service stack", () => {
  it("passes with the contract, and says what the environment stack's check judges instead", () => {
    const result = asService(serviceStack, contract);
    expect(result.violations).toEqual([]);
    // The hooks' path to the test listener is the environment's on both ends.
    const reach = of(result, "runtime-paths-reachable").skipped;
    expect(reach.map((skip) => skip.split(":")[0]).sort()).toEqual(["catalog-service", "checkout-service"]);
    for (const skip of reach) expect(skip).toMatch(/not judged here: the egress rules of hook \S+ on the way to the test listener \(tcp \d+\) is in the environment stack, not this one.*the ingress rules of the environment's load balancer main/);
    expect(of(result, "within-aws-quotas").skipped).toEqual(expect.arrayContaining([expect.stringContaining("on the environment's listener: the environment stack's check counts its load balancer's rules")]));
    expect(of(result, "runtime-paths-allowed").skipped).toEqual(expect.arrayContaining([expect.stringContaining("the environment's alert topic: whether its topic and key policies let CloudWatch publish")]));
  });

  it("judges the load balancer's path to the tasks from the contract: without the tasks' rule from it, a violation", () => {
    const ingress = serviceStack.filter((resource) => !(resource.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && resource.name.startsWith("checkout-tasks-from-lb")));
    expect(ingress.length).toBe(serviceStack.length - 1);
    expect(of(asService(ingress, contract), "runtime-paths-reachable").violations).toEqual([
      expect.stringContaining("checkout-service: the environment's load balancer main cannot reach the tasks of checkout-service on tcp 8080: no ingress rule of the tasks of checkout-service admits"),
    ]);
  });

  it("without the contract, never passes the path through the environment's load balancer in silence", () => {
    const result = asService(serviceStack);
    const reach = of(result, "runtime-paths-reachable");
    expect(reach.violations).toEqual([]);
    expect(reach.skipped.length).toBeGreaterThanOrEqual(2);
    for (const skip of reach.skipped) expect(skip).toContain("was not given (npm run check -- <stack> --stack-outputs <file>)");
  });

  it("judges the alarms on the environment's load balancer by the rules on its listeners: an unwatched target group is a violation", () => {
    expect(of(asService(serviceStack, contract), "load-balancer-has-rollback-alarms")).toEqual({ violations: [], skipped: [] });
    const suffix = contract.loadBalancers[0].arnSuffix;
    // The alarms of checkout now watch another load balancer: its groups on the environment's are unwatched.
    const elsewhere = serviceStack.map((resource) =>
      resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && resource.name.startsWith("checkout")
        ? { ...resource, props: JSON.parse(JSON.stringify(resource.props).split(suffix).join("app/other/0123456789abcdef")) as Record<string, unknown> }
        : resource,
    );
    const violations = of(asService(elsewhere, contract), "load-balancer-has-rollback-alarms").violations;
    expect(violations.length).toBeGreaterThan(0);
    for (const violation of violations) expect(violation).toMatch(new RegExp(`^checkout-(production|test): target group targetgroup/production-checkout-\\w+/\\w+ serves traffic on load balancer ${suffix} \\(of another stack\\) and no alarm judges it there$`));
    // Without the contract the load balancer is the one the listener's ARN names: the same judgement.
    expect(of(asService(elsewhere), "load-balancer-has-rollback-alarms").violations).toEqual(violations);
  });
});

describe("an environment stack", () => {
  it("passes with routes of service stacks it cannot see, judging the hooks' path to its test listener itself", () => {
    const result = asEnvironment(environmentStack, contract);
    expect(result.violations).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.counts.compliant).toBeGreaterThan(asEnvironment(environmentStack, { ...contract, loadBalancers: [{ ...contract.loadBalancers[0], testListenerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2" }] }).counts.compliant);
  });

  it("refuses a test listener the hooks cannot reach, with no service in the stack to find it by", () => {
    const closed = environmentStack.filter((resource) => resource.name !== "production-lb-test-from-nat");
    expect(of(asEnvironment(closed, contract), "runtime-paths-reachable").violations).toEqual([
      expect.stringContaining("production-test: the hooks of every service stack cannot reach load balancer production-lb on tcp"),
    ]);
  });

  it("counts the routes of service stacks in its load balancer's target groups and rules", () => {
    expect(of(asEnvironment(environmentStack, { ...contract, routes: manyRoutes(50) }), "within-aws-quotas").violations.filter((v) => v.startsWith("production-lb:"))).toEqual([]);
    expect(of(asEnvironment(environmentStack, { ...contract, routes: manyRoutes(51) }), "within-aws-quotas").violations.filter((v) => v.startsWith("production-lb:"))).toEqual([
      "production-lb: has 102 listener rules (with the 102 of the routes whose services are in service stacks); AWS allows 100 per Application Load Balancer (excluding default rules) by default",
      "production-lb: routes to 102 target groups (with the 102 of the routes whose services are in service stacks); AWS allows 100 per Application Load Balancer (not adjustable)",
    ]);
  });

  it("counts an egress rule on a load balancer's security group for each route of a service stack on that load balancer", () => {
    const two = { ...contract.loadBalancers[0], name: "two", arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/production-two/1", securityGroupId: "sg-0two" };
    const withTwo = { ...contract, loadBalancers: [...contract.loadBalancers, two] };
    const groupViolations = (known: EnvironmentContract) => of(asEnvironment(environmentStack, known), "within-aws-quotas").violations.filter((violation) => / outbound rules/.test(violation));
    // 61 routes over two load balancers: 31 egress rules on main's group, 30 on two's (not in this graph).
    let index = 0;
    expect(groupViolations({ ...withTwo, routes: manyRoutes(61, () => (index++ % 2 === 0 ? "main" : "two")) })).toEqual([]);
    // 61 on main's group alone are past AWS's 60.
    expect(groupViolations({ ...withTwo, routes: manyRoutes(61) })).toEqual([
      expect.stringMatching(/^production-lb: has 61 IPv4 outbound rules \(with the 61 the services of the routes in service stacks add/),
      expect.stringMatching(/^production-lb: has 61 IPv6 outbound rules/),
    ]);
    expect(groupViolations({ ...withTwo, routes: manyRoutes(60) })).toEqual([]);
  });

  it("judges its alert topic for the alarms of service stacks: a topic policy without CloudWatch is a violation", () => {
    const policy = one(environmentStack, "aws:sns/topicPolicy:TopicPolicy", "production-alerts");
    const document = JSON.parse(str(policy.props.policy)) as { Statement: { Principal?: { Service?: string } }[] };
    const withoutCloudWatch = { ...document, Statement: document.Statement.filter((statement) => statement.Principal?.Service !== "cloudwatch.amazonaws.com") };
    const broken = environmentStack.map((resource) => (resource === policy ? { ...resource, props: { ...resource.props, policy: JSON.stringify(withoutCloudWatch) } } : resource));
    expect(of(asEnvironment(broken, contract), "runtime-paths-allowed").violations).toEqual([
      expect.stringContaining("production-alerts: an alarm of a service stack notifies: cloudwatch.amazonaws.com sns:Publish on"),
    ]);
    // As a single stack with no service, nothing publishes that the graph shows.
    expect(judgeStack(broken, "production").violations.filter((violation) => violation.rule === "runtime-paths-allowed")).toEqual([]);
  });
});

describe("the check's output", () => {
  it("lists what it skipped, with why, in text and JSON", () => {
    const result = asService(serviceStack, contract);
    const text = report(result.violations, result.counts, result.skipped);
    expect(text).toMatch(/^SKIPPED runtime-paths-reachable checkout-service \(aws:ecs\/service:Service\): not judged here: /m);
    const json = JSON.parse(reportJson(result.violations, { stack: "production" }, undefined, result.skipped)) as { skipped: unknown[] };
    expect(json.skipped).toHaveLength(result.skipped.length);
    expect(JSON.parse(reportJson([], { stack: "production" }))).not.toHaveProperty("skipped");
    const source = { stack: "production", stackFile: "Pulumi.production.yaml", stackFileText: "config:\n", version: "0.0.0", serviceOf: new Map<string, string>() };
    const results = (JSON.parse(reportSarif(result.violations, source, undefined, result.skipped)) as { runs: { results: { level: string; message: { text: string } }[] }[] }).runs[0].results;
    expect(results).toHaveLength(result.skipped.length);
    for (const found of results) expect(found).toMatchObject({ level: "note", message: { text: expect.stringContaining("in stack production: skipped: ") } });
  });

  it("finds the contract a stack exports, or the one it joins in --stack-outputs", () => {
    const exported = environmentOfStack({ outputs: { [ENVIRONMENT_OUTPUT]: contract } }, undefined, {});
    expect(exported).toEqual({ role: "environment", contract });
    const joined: StackContext["environment"] = environmentOfStack({ outputs: {} }, "acme/platform/production", { "acme/platform/production": { [ENVIRONMENT_OUTPUT]: contract } });
    expect(joined).toEqual({ role: "service", contract });
    expect(environmentOfStack({ outputs: {} }, "acme/platform/production", {})).toBeUndefined();
    expect(environmentOfStack({ outputs: {} }, "acme/platform/production", { "acme/platform/production": { [ENVIRONMENT_OUTPUT]: { version: 0 } } })).toBeUndefined();
  });
});

describe("npm run check's judgement of the two stack files of test/fixtures/service-stacks (synthesized)", () => {
  const FIXTURES = join(PROJECT_ROOT, "test/fixtures/service-stacks");
  const STACK_OUTPUTS = join(FIXTURES, "stack-outputs.json");
  const REFERENCE = "acme/platform/production";

  async function checkStack(directory: string, stackOutputsFile?: string) {
    const configFile = join(FIXTURES, directory, "Pulumi.production.yaml");
    const stackOutputs = readStackOutputs(stackOutputsFile);
    const document = await synthesize({ config: loadStack({ stack: "production", configFile, stackOutputsFile }), stackOutputs, stackOutputsFile });
    const reference = (parse(readFileSync(configFile, "utf8")) as { config: Record<string, { stackReference?: string } | undefined> }).config["release:environment"]?.stackReference;
    const environment = environmentOfStack(document, reference, stackOutputs);
    return { document, environment, result: judgeStack(policyResources(document), "production", [], undefined, [], environment) };
  }

  it("the environment stack exports the contract the service stack is given, and judges its test listeners for the hooks of every service stack", async () => {
    const { document, environment, result } = await checkStack("environment");
    expect(environment?.role).toBe("environment");
    expect(document.outputs[ENVIRONMENT_OUTPUT]).toEqual(readStackOutputs(STACK_OUTPUTS)[REFERENCE][ENVIRONMENT_OUTPUT]);
    expect(result.skipped).toEqual([]);
    // Without flags or services of its own, the environment stack makes no flag store: none is left unwatched.
    expect(result.violations.map((violation) => `${violation.rule} ${violation.resource}`)).toEqual([]);
    const listeners = policyResources(document).filter((resource) => resource.type === "aws:lb/listener:Listener" && environment?.contract.loadBalancers.some((balancer) => balancer.testListenerArn === resource.props.arn));
    expect(listeners).toHaveLength(2);
    for (const listener of listeners) expect(runtimePathsReachable.judge(listener, { tier: "production", resources: policyResources(document), environment })).toEqual({ compliance: "compliant" });
  }, 120_000);

  it("the service stack passes with the contract, judging the load balancer's path to its tasks and the alarms on the environment's load balancers", async () => {
    const { environment, result } = await checkStack("checkout", STACK_OUTPUTS);
    expect(environment?.role).toBe("service");
    expect(result.violations).toEqual([]);
    const skippedRules = [...new Set(result.skipped.map((skip) => skip.rule))].sort();
    expect(skippedRules).toEqual(["runtime-paths-allowed", "runtime-paths-reachable", "within-aws-quotas"]);
    // The rules on the environment's listeners were judged (compliant), not skipped.
    expect(result.skipped.filter((skip) => skip.rule === "load-balancer-has-rollback-alarms")).toEqual([]);
  }, 120_000);
});
