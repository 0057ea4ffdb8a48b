import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import type { EnvironmentContract } from "../components/environment/contract";
import { type Series, evaluateExpression } from "../components/deployment-alarms/metric-math";
import { TIER_DEFAULTS } from "../components/tiers";
import { judgeStack } from "../policy/evaluate";
import { environmentOfStack, policyResources } from "../policy/from-synth";
import { runtimePathsReachable } from "../policy/rules/runtime-paths-reachable";
import type { SynthDocument } from "../src/synth/capture";
import { PROJECT_ROOT } from "../src/synth/run";
import { resourcesOf, setPath, type StackConfig, synth } from "./helpers";

/*
 * An environment stack of many routes and load balancers, and one whose own flags no service of its own watches:
 * each load balancer's security group counts only its own routes' egress rules, and each load balancer's error-rate
 * alarm watches the environment-wide flags.
 */

const ENVIRONMENT_FILE = join(PROJECT_ROOT, "test/fixtures/service-stacks/environment/Pulumi.production.yaml");
const environmentStackFile = (): StackConfig => (parse(readFileSync(ENVIRONMENT_FILE, "utf8")) as { config: StackConfig }).config;
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** `count` routes, a path each, spread evenly over `loadBalancers` (`ROUTES_PER_LOAD_BALANCER` fit on each). */
function routes(count: number, loadBalancers: readonly string[]) {
  return Object.fromEntries(
    Array.from({ length: count }, (_, index) => [`team${index}`, { pathPatterns: [`/team${index}/*`], priority: 100 + index, loadBalancer: loadBalancers[index % loadBalancers.length] }]),
  );
}

function check(document: SynthDocument, environment = environmentOfStack(document, undefined, {})) {
  return judgeStack(policyResources(document), "production", [], undefined, [], environment);
}

const quotaViolations = (result: ReturnType<typeof judgeStack>) => result.violations.filter((violation) => violation.rule === "within-aws-quotas").map((violation) => `${violation.resource}: ${violation.message}`);

describe("250 routes over 5 load balancers, each with its own security group", () => {
  const balancers = ["main", "b", "c", "d", "e"];
  let document: SynthDocument;
  const synthesized = async () => (document ??= await synth(setPath(environmentStackFile(), "release:routes", routes(250, balancers)), "production"));

  it("pass the quota rule: each group holds its 50 routes' egress rules, and each test listener admits the hooks", async () => {
    const d = await synthesized();
    const environment = environmentOfStack(d, undefined, {});
    const contract = environment!.contract;
    expect(contract.loadBalancers.map((balancer) => balancer.name)).toEqual(balancers);
    const groups = contract.loadBalancers.map((balancer) => balancer.securityGroupId);
    expect(new Set(groups).size).toBe(5);
    expect(groups[0]).toBe(contract.loadBalancerSecurityGroupId);
    for (const [index, balancer] of contract.loadBalancers.entries()) {
      const resource = resourcesOf(d, "aws:lb/loadBalancer:LoadBalancer").find((candidate) => candidate.outputs.arn === balancer.arn)!;
      expect(resource.inputs.securityGroups, balancer.name).toEqual([groups[index]]);
    }
    const result = check(d, environment);
    expect(quotaViolations(result)).toEqual([]);
    const resources = policyResources(d);
    const listeners = resources.filter((resource) => resource.type === "aws:lb/listener:Listener" && contract.loadBalancers.some((balancer) => balancer.testListenerArn === resource.props.arn));
    expect(listeners).toHaveLength(5);
    for (const listener of listeners) expect(runtimePathsReachable.judge(listener, { tier: "production", resources, environment }), listener.name).toEqual({ compliance: "compliant" });
  }, 120_000);

  it("one group for all (the contract before each load balancer had its own) fails it: 250 outbound rules on main's", async () => {
    const d = await synthesized();
    const environment = environmentOfStack(d, undefined, {})!;
    const shared: EnvironmentContract = { ...environment.contract, loadBalancers: environment.contract.loadBalancers.map((balancer) => ({ ...balancer, securityGroupId: environment.contract.loadBalancerSecurityGroupId })) };
    expect(quotaViolations(check(d, { role: "environment", contract: shared }))).toEqual([
      expect.stringMatching(/^production-lb: has 250 IPv4 outbound rules \(with the 250 the services of the routes in service stacks add/),
      expect.stringMatching(/^production-lb: has 250 IPv6 outbound rules/),
    ]);
  }, 120_000);
});

describe("an environment stack with flags and no service of its own", () => {
  const FLAGS = { "new-search": { description: "New search everywhere", owner: "platform", expires: "2027-03-01", enabled: true } };

  it("its flag store is watched by each load balancer's error-rate alarm, at the tier's thresholds, and npm run check passes", async () => {
    const d = await synth(setPath(environmentStackFile(), "release:flags", FLAGS), "production");
    const alarms = resourcesOf(d, ALARM);
    expect(alarms.map((alarm) => alarm.name)).toEqual(["production-main-lb-error-rate", "production-second-lb-error-rate"]);
    const store = resourcesOf(d, "aws:appconfig/environment:Environment")[0];
    expect((store.inputs.monitors as { alarmArn: string }[]).map((monitor) => monitor.alarmArn)).toEqual(alarms.map((alarm) => alarm.outputs.arn));
    const { thresholds, timing } = TIER_DEFAULTS.production.alarms;
    const contract = environmentOfStack(d, undefined, {})!.contract;
    for (const [index, alarm] of alarms.entries()) {
      expect(alarm.inputs).toMatchObject({ threshold: thresholds.errorRatePercent, evaluationPeriods: timing.evaluationPeriods, alarmActions: [contract.alertTopicArn], okActions: [contract.alertTopicArn] });
      const dimensions = (alarm.inputs.metricQueries as { metric?: { dimensions: Record<string, string> } }[]).flatMap((query) => (query.metric ? [query.metric.dimensions] : []));
      expect(dimensions).toEqual([1, 2, 3].map(() => ({ LoadBalancer: contract.loadBalancers[index].arnSuffix })));
    }
    expect(check(d).violations).toEqual([]);
  }, 120_000);

  it("with more load balancers than AppConfig takes monitors, the store watches a composite of their alarms", async () => {
    const config = setPath(setPath(environmentStackFile(), "release:flags", FLAGS), "release:routes", routes(6, ["main", "b", "c", "d", "e", "f"]));
    const d = await synth(config, "production");
    expect(resourcesOf(d, ALARM)).toHaveLength(6);
    const store = resourcesOf(d, "aws:appconfig/environment:Environment")[0];
    const composite = resourcesOf(d, "aws:cloudwatch/compositeAlarm:CompositeAlarm");
    expect((store.inputs.monitors as { alarmArn: string }[]).map((monitor) => monitor.alarmArn)).toEqual(composite.map((alarm) => alarm.outputs.arn));
    expect(composite).toHaveLength(1);
    for (const alarm of resourcesOf(d, ALARM)) expect(String(composite[0].inputs.alarmRule)).toContain(`ALARM("${String(alarm.inputs.name)}")`);
    expect(check(d).violations).toEqual([]);
  }, 120_000);

  it("the alarm's math: 5xx of the targets or of the load balancer at twice the threshold breach it; a stray error in a quiet minute does not", async () => {
    const d = await synth(setPath(environmentStackFile(), "release:flags", FLAGS), "production");
    const queries = resourcesOf(d, ALARM)[0].inputs.metricQueries as { id: string; expression?: string; metric?: { metricName: string }; returnData: boolean }[];
    const { errorRatePercent, minRequests } = TIER_DEFAULTS.production.alarms.thresholds;
    const rate = (requests: number, target5xx: number, elb5xx: number): Series => {
      const byMetric: Record<string, number> = { RequestCount: requests, HTTPCode_Target_5XX_Count: target5xx, HTTPCode_ELB_5XX_Count: elb5xx };
      const lookup = (id: string): Series => {
        const query = queries.find((candidate) => candidate.id === id)!;
        return query.metric ? [byMetric[query.metric.metricName]] : evaluateExpression(query.expression!, 1, lookup);
      };
      return evaluateExpression(queries.find((query) => query.returnData)!.expression!, 1, lookup);
    };
    const requests = 100 * minRequests;
    const doubled = (2 * errorRatePercent * requests) / 100;
    expect(rate(requests, doubled, 0)[0]).toBeGreaterThan(errorRatePercent);
    expect(rate(requests, 0, doubled)[0]).toBeGreaterThan(errorRatePercent);
    expect(rate(requests, doubled / 2, doubled / 2)[0]).toBeGreaterThan(errorRatePercent);
    expect(rate(requests, 0, 0)[0]).toBe(0);
    expect(rate(minRequests - 1, 1, 1)[0]).toBe(0);
    expect(rate(requests, 1, 0)[0]).toBe(0);
  }, 120_000);
});
