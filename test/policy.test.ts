import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { evaluate, report } from "../policy/evaluate";
import { policyResources } from "../policy/from-synth";
import { RULES } from "../policy/rules";
import type { PolicyResource, Rule, StackContext } from "../policy/rules/types";
import { readSuppressions } from "../policy/suppressions";
import type { SynthDocument } from "../src/synth/capture";
import { PROJECT_ROOT } from "../src/synth/run";
import { runtimePathsFixtures } from "./fixtures/network-wiring";
import { kubernetesAlbFixtures } from "./fixtures/kubernetes-alb";
import { setPath, shippedConfig, synth } from "./helpers";

const res = (type: string, props: Record<string, unknown>, options: Partial<PolicyResource["options"]> = {}, name = "r", parent?: string): PolicyResource => ({
  type,
  name,
  urn: `urn:pulumi:production::release-platform::${type}::${name}`,
  props,
  options: { protect: false, ignoreChanges: [], ...options },
  parent,
});
const production = (...resources: PolicyResource[]): StackContext => ({ tier: "production", resources });
const rule = (id: string): Rule => {
  const found = RULES.find((candidate) => candidate.id === id);
  if (!found) throw new Error(id);
  return found;
};

const ecsTrust = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "ecs.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const lambdaTrust = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const invokePolicy = (resource: string) =>
  JSON.stringify({ Statement: [{ Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [resource] }] });

/** For each rule: a resource (with its stack) that passes and one that fails. */
const fixtures: Record<string, { pass: [PolicyResource, StackContext]; fail: [PolicyResource, StackContext] }> = {
  "production-service-rolls-back-on-alarm": {
    pass: [res("aws:ecs/service:Service", { deploymentConfiguration: { strategy: "CANARY" }, alarms: { alarmNames: ["a"], enable: true, rollback: true } }), production()],
    fail: [res("aws:ecs/service:Service", { deploymentConfiguration: { strategy: "ROLLING" } }), production()],
  },
  "alarm-has-actions": {
    pass: [res("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: ["arn:aws:sns:eu-west-1:1:t"] }), production()],
    fail: [res("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: [] }), production()],
  },
  "blue-green-rule-ignores-actions": {
    pass: [res("aws:lb/listenerRule:ListenerRule", { actions: [{ forward: { targetGroups: [{}, {}] } }] }, { ignoreChanges: ["actions"] }), production()],
    fail: [res("aws:lb/listenerRule:ListenerRule", { actions: [{ forward: { targetGroups: [{}, {}] } }] }), production()],
  },
  "target-group-has-health-check": {
    pass: [res("aws:lb/targetGroup:TargetGroup", { healthCheck: { enabled: true, path: "/healthz" } }), production()],
    fail: [res("aws:lb/targetGroup:TargetGroup", { healthCheck: { enabled: false } }), production()],
  },
  "production-load-balancer-hardened": {
    pass: [res("aws:lb/loadBalancer:LoadBalancer", { enableDeletionProtection: true, dropInvalidHeaderFields: true }), production()],
    fail: [res("aws:lb/loadBalancer:LoadBalancer", { enableDeletionProtection: false, dropInvalidHeaderFields: true }), production()],
  },
  "listener-uses-tls13": {
    pass: [res("aws:lb/listener:Listener", { protocol: "HTTPS", port: 443, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }), production()],
    fail: [res("aws:lb/listener:Listener", { protocol: "HTTPS", port: 443, sslPolicy: "ELBSecurityPolicy-2016-08" }), production()],
  },
  "only-load-balancer-open-to-internet": (() => {
    const lb = res("aws:lb/loadBalancer:LoadBalancer", { arn: "lb-arn", securityGroups: ["sg-lb"] });
    const listener = res("aws:lb/listener:Listener", { loadBalancerArn: "lb-arn", port: 443 });
    const stack = production(lb, listener);
    return {
      pass: [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-lb", cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 }), stack],
      fail: [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-tasks", cidrIpv4: "0.0.0.0/0", fromPort: 8080, toPort: 8080 }), stack],
    };
  })(),
  "analysis-arguments-written": (() => {
    const albArgs = [{ name: "target-group", valueFrom: { fieldRef: { fieldPath: "status.alb.canaryTargetGroup.fullName" } } }];
    const canary = (startingStep: number, steps: unknown[]) =>
      res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { canary: { analysis: { templates: [{ templateName: "a" }], args: albArgs, startingStep }, steps } } } });
    const precondition = { analysis: { templates: [{ templateName: "p" }] } };
    return {
      // The first weight, a precondition that reads no status, then the background run.
      pass: [canary(2, [{ setWeight: 5 }, precondition, { pause: { duration: "10m" } }, { setWeight: 100 }]), production()],
      // d65906f: the background run starts at the first weight, with the status of the previous release.
      fail: [canary(0, [{ setWeight: 5 }, { pause: { duration: "10m" } }, { setWeight: 100 }]), production()],
    };
  })(),
  "rollout-awaited": (() => {
    const rollout = res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { canary: { steps: [{ setWeight: 5 }, { pause: { duration: "10m" } }] } } } });
    const waiter = (timeout: number) =>
      res("kubernetes:batch/v1:Job", {
        metadata: { name: "web-release-0123456789", namespace: "shop", annotations: { "pulumi.com/timeoutSeconds": String(timeout) } },
        spec: { backoffLimit: 0, template: { spec: { containers: [{ image: "quay.io/argoproj/kubectl-argo-rollouts:v1.7.2", args: ["status", "web", "--namespace", "shop"] }] } } },
      });
    return {
      pass: [rollout, production(rollout, waiter(40 * 60))],
      // d65906f: nothing waits (and a waiter shorter than the pauses plus 30 minutes would give up on a healthy release).
      fail: [rollout, production(rollout)],
    };
  })(),
  "log-group-has-retention": {
    pass: [res("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }), production()],
    fail: [res("aws:cloudwatch/logGroup:LogGroup", {}), production()],
  },
  "secrets-not-in-plaintext": {
    pass: [res("aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: JSON.stringify([{ name: "app", environment: [{ name: "LOG_LEVEL", value: "info" }], secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf" }] }]) }), production()],
    fail: [res("aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: JSON.stringify([{ name: "app", environment: [{ name: "DB_PASSWORD", value: "hunter2" }] }]) }), production()],
  },
  "production-flag-environment-has-monitors": {
    pass: [res("aws:appconfig/environment:Environment", { monitors: [{ alarmArn: "a", alarmRoleArn: "r" }] }), production()],
    fail: [res("aws:appconfig/environment:Environment", { monitors: [] }), production()],
  },
  "ramp-step-has-catch": (() => {
    // Today's (d65906f) Deploy step: retries on named errors and catches only a conflict; its other steps catch nothing.
    const deploy = { Type: "Task", Resource: "arn:aws:states:::aws-sdk:appconfig:startDeployment", Retry: [{ ErrorEquals: ["AppConfig.ThrottlingException"] }] };
    const machine = (state: Record<string, unknown>) => res("aws:sfn/stateMachine:StateMachine", { definition: JSON.stringify({ StartAt: "Deploy 1", States: { "Deploy 1": { ...deploy, ...state, End: true } } }) });
    return {
      pass: [machine({ Catch: [{ ErrorEquals: ["States.ALL"], Next: "Verify 1" }] }), production()],
      fail: [machine({ Catch: [{ ErrorEquals: ["AppConfig.ConflictException"], Next: "Wait out 1" }] }), production()],
    };
  })(),
  "hook-lambda-has-timeout": {
    pass: [res("aws:lambda/function:Function", { timeout: 30 }), production()],
    fail: [res("aws:lambda/function:Function", {}), production()],
  },
  "hook-invoke-role-is-ecs-only": (() => {
    const goodRole = res("aws:iam/role:Role", { name: "hooks", assumeRolePolicy: ecsTrust }, {}, "hooks");
    const badRole = res("aws:iam/role:Role", { name: "fn", assumeRolePolicy: lambdaTrust }, {}, "fn");
    return {
      pass: [res("aws:iam/rolePolicy:RolePolicy", { role: "hooks", policy: invokePolicy("arn:aws:lambda:eu-west-1:1:function:smoke") }), production(goodRole)],
      fail: [res("aws:iam/rolePolicy:RolePolicy", { role: "fn", policy: invokePolicy("*") }), production(badRole)],
    };
  })(),
  "runtime-paths-allowed": (() => {
    const composite = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:production-checkout-any";
    const roleArn = "arn:aws:iam::123456789012:role/flags-monitors";
    const monitorRole = (resource: unknown) =>
      res("aws:iam/role:Role", {
        arn: roleArn,
        name: "flags-monitors",
        assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "appconfig.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        inlinePolicies: [{ name: "describe", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: resource }] }) }],
      });
    const alarm = res("aws:cloudwatch/compositeAlarm:CompositeAlarm", { arn: composite });
    const environment = res("aws:appconfig/environment:Environment", { monitors: [{ alarmArn: composite, alarmRoleArn: roleArn }] });
    // Today's wiring scoped the monitor role to the composite's ARN; CloudWatch returns composites only to `*`.
    return { pass: [environment, production(monitorRole("*"), alarm)], fail: [environment, production(monitorRole([composite]), alarm)] };
  })(),
  "production-stateful-resources-protected": {
    pass: [res("aws:appconfig/application:Application", {}, { protect: true }), production()],
    fail: [res("aws:s3/bucket:Bucket", {}), production()],
  },
  "runtime-paths-reachable": runtimePathsFixtures(),
  "production-image-pinned": {
    pass: [res("aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: JSON.stringify([{ image: "repo/app:1.2.3" }]) }), production()],
    fail: [res("aws:ecs/taskDefinition:TaskDefinition", { containerDefinitions: JSON.stringify([{ image: "repo/app:latest" }]) }), production()],
  },
  "kubernetes-service-has-analysis": (() => {
    const query = (metricName: string) => ({ metricStat: { metric: { namespace: "AWS/ApplicationELB", metricName } } });
    const template = (name: string, ...metrics: string[]) =>
      res("kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", { metadata: { name, namespace: "shop" }, spec: { metrics: [{ name: "m", provider: { cloudWatch: { metricDataQueries: metrics.map(query) } } }] } }, {}, name);
    const rollout = res("kubernetes:argoproj.io/v1alpha1:Rollout", { metadata: { name: "web", namespace: "shop" }, spec: { strategy: { canary: { analysis: { templates: [{ templateName: "t" }] } } } } });
    return {
      pass: [rollout, production(template("t", "RequestCount", "HTTPCode_Target_5XX_Count", "TargetResponseTime"))],
      fail: [rollout, production(template("t", "RequestCount", "HTTPCode_Target_5XX_Count"))],
    };
  })(),
  "kubernetes-manifest-valid": {
    pass: [res("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", { apiVersion: "elbv2.k8s.aws/v1beta1", kind: "TargetGroupBinding", metadata: { name: "web", namespace: "shop" }, spec: { serviceRef: { name: "web", port: 80 }, targetGroupARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef", targetType: "ip" } }), production()],
    fail: [res("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", { apiVersion: "elbv2.k8s.aws/v1beta1", kind: "TargetGroupBinding", metadata: { name: "web", namespace: "shop" }, spec: { serviceRef: { name: "web" }, targetGroupARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef", targetType: "pod" } }), production()],
  },
  "production-keeps-protected-resources": (() => {
    const bucket = res("aws:s3/bucket:Bucket", {}, { protect: true }, "production-access-logs");
    return { pass: [bucket, { tier: "production", resources: [bucket], deleted: [] }], fail: [bucket, { tier: "production", resources: [], deleted: [bucket] }] };
  })(),
  "alarm-sensitivity": (() => {
    // Synthesized production checkout: today's (main) summed error rate, and the per-target-group alarms.
    const stack = (file: string) => production(...policyResources(JSON.parse(readFileSync(join(__dirname, "fixtures", file), "utf8")) as SynthDocument));
    const serviceIn = (context: StackContext): [PolicyResource, StackContext] => [context.resources.find((r) => r.type === "aws:ecs/service:Service") as PolicyResource, context];
    return { pass: serviceIn(stack("alarms-per-group-checkout.json")), fail: serviceIn(stack("alarms-main-checkout.json")) };
  })(),
  "load-balancer-has-rollback-alarms": kubernetesAlbFixtures(),
  "within-aws-quotas": (() => {
    // Today's wiring with 40 allowedCidrs: 40 x 2 listener ports + 1 test-listener CIDR, and the NAT prefix list of 2.
    const group = res("aws:ec2/securityGroup:SecurityGroup", { id: "sg-lb" }, {}, "production-lb");
    const natList = res("aws:ec2/managedPrefixList:ManagedPrefixList", { id: "pl-nat", addressFamily: "IPv4", maxEntries: 2 }, {}, "production-nat");
    const ingress = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: i % 2 ? 80 : 443, toPort: i % 2 ? 80 : 443, cidrIpv4: `198.51.100.${i}/32` }, {}, `rule-${i}`),
      );
    const fromNat = res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: 9000, toPort: 9000, prefixListId: "pl-nat" }, {}, "from-nat");
    return { pass: [group, production(natList, fromNat, ...ingress(57))], fail: [group, production(natList, fromNat, ...ingress(81))] };
  })(),
  "physical-names-within-limits": {
    // Today's wiring for an 84-character stack name: release-platform-<stack>, 101 characters.
    pass: [res("aws:appconfig/application:Application", { name: "release-platform-production" }), production()],
    fail: [res("aws:appconfig/application:Application", { name: `release-platform-production-eu-central-with-a-very-long-descriptive-stack-name-for-testing-0123456789` }), production()],
  },
  "services-available-in-region": (() => {
    // Today's wiring: the Slack channel configuration with the environment's provider, in a stack in eu-central-1.
    const provider = res("pulumi:providers:aws", { region: "eu-central-1" }, {}, "production-aws");
    const channel = (props: Record<string, unknown>) => ({ ...res("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", props, {}, "production-slack"), provider: `${provider.urn}::production-aws-provider` });
    return { pass: [channel({ region: "us-east-2" }), production(provider)], fail: [channel({}), production(provider)] };
  })(),
  "ignore-changes-whole-sets": {
    pass: [res("aws:ecs/service:Service", {}, { ignoreChanges: ["desiredCount", "loadBalancers"] }), production()],
    // Today's wiring.
    fail: [res("aws:ecs/service:Service", {}, { ignoreChanges: ["desiredCount", "loadBalancers[0].targetGroupArn", "loadBalancers[0].advancedConfiguration.alternateTargetGroupArn"] }), production()],
  },
};

describe("every rule has a passing and a failing fixture", () => {
  it("covers every rule", () => {
    expect(Object.keys(fixtures).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(RULES.map((r) => [r.id]))("%s", (id) => {
    const { pass, fail } = fixtures[id];
    expect(rule(id).check(...pass)).toEqual([]);
    expect(rule(id).check(...fail).length).toBeGreaterThan(0);
  });

  it("production-only rules do not apply in dev", () => {
    const [service] = fixtures["production-service-rolls-back-on-alarm"].fail;
    expect(rule("production-service-rolls-back-on-alarm").check(service, { tier: "dev", resources: [] })).toEqual([]);
  });
});

describe("the shipped stacks", () => {
  it.each(["dev", "staging", "production"])("%s passes every rule", async (stack) => {
    const document = await synth(shippedConfig(stack), stack);
    expect(evaluate(policyResources(document), stack)).toEqual([]);
  });

  it("the rules really look at the synthesized production stack: removing protection is caught", async () => {
    const document = await synth(shippedConfig("production"), "production");
    const resources = policyResources(document).map((resource) =>
      resource.type === "aws:appconfig/application:Application" ? { ...resource, options: { ...resource.options, protect: false } } : resource,
    );
    expect(evaluate(resources, "production").map((violation) => [violation.rule, violation.resource])).toEqual([
      ["production-stateful-resources-protected", "production-flags-app"],
    ]);
  });
});

describe("check --base: what a change deletes", () => {
  it("turning off production's access logs deletes the protected bucket: a mandatory violation; the same stack, none", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const head = await synth(setPath(shippedConfig("production"), "release:ingress.accessLogs", { enabled: false }), "production");
    const dir = mkdtempSync(join(tmpdir(), "check-base-"));
    writeFileSync(join(dir, "base.json"), JSON.stringify(base));
    const check = (...args: string[]) =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "check", "production", "--base", join(dir, "base.json"), ...args], { encoding: "utf8" });
    writeFileSync(join(dir, "head.yaml"), stringify({ config: setPath(shippedConfig("production"), "release:ingress.accessLogs", { enabled: false }) }));
    const refused = check("--config-file", join(dir, "head.yaml"));
    expect(refused.stdout).toContain(
      "MANDATORY production-keeps-protected-resources production-access-logs (aws:s3/bucket:Bucket): is protected, and this change deletes it",
    );
    expect(refused.status).toBe(1);
    expect(check().status).toBe(0);
    expect(head.resources.some((resource) => resource.name === "production-access-logs")).toBe(false);
  });
});

describe("suppressions", () => {
  it("need a reason, and are listed in the report", () => {
    const dir = mkdtempSync(join(tmpdir(), "suppress-"));
    writeFileSync(join(dir, "bad.yaml"), "suppressions:\n  - { rule: log-group-has-retention, resource: '*' }\n");
    expect(() => readSuppressions(join(dir, "bad.yaml"), RULES.map((r) => r.id))).toThrow("reason");
    writeFileSync(join(dir, "unknown.yaml"), "suppressions:\n  - { rule: no-such-rule, resource: x, reason: because we said so }\n");
    expect(() => readSuppressions(join(dir, "unknown.yaml"), RULES.map((r) => r.id))).toThrow("no rule no-such-rule");

    writeFileSync(
      join(dir, "ok.yaml"),
      "suppressions:\n  - { rule: log-group-has-retention, resource: 'legacy-*', stacks: [production], reason: archived by the legacy team's own export }\n",
    );
    const suppressions = readSuppressions(join(dir, "ok.yaml"), RULES.map((r) => r.id));
    const violations = evaluate([res("aws:cloudwatch/logGroup:LogGroup", {}, {}, "legacy-logs"), res("aws:cloudwatch/logGroup:LogGroup", {}, {}, "new-logs")], "production", suppressions);
    expect(violations.map((v) => [v.resource, v.suppressedBecause])).toEqual([
      ["legacy-logs", "archived by the legacy team's own export"],
      ["new-logs", undefined],
    ]);
    expect(report(violations)).toContain(
      "SUPPRESSED log-group-has-retention legacy-logs (aws:cloudwatch/logGroup:LogGroup): retentionInDays is not set (suppressed: archived by the legacy team's own export)",
    );
    expect(report(violations)).toContain("1 mandatory violation(s), 0 advisory, 1 suppressed");
  });

  it("the shipped suppressions file is valid", () => {
    expect(readSuppressions(join(PROJECT_ROOT, "policy", "suppressions.yaml"), RULES.map((r) => r.id))).toEqual([]);
  });
});

describe("npm run check", () => {
  it("passes the production stack with exit 0 and names the rule count", () => {
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), join(PROJECT_ROOT, "src/check-cli.ts"), "production"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`production: ${RULES.length} rules over`);
    expect(result.stdout).toContain("0 mandatory violation(s)");
  });
});

describe("the Kubernetes release rules' edges", () => {
  it("analysis-arguments-written: starting after the first weight is not enough without a precondition step before the run", () => {
    const [passing] = fixtures["analysis-arguments-written"].pass;
    const canary = (passing.props.spec as { strategy: { canary: { steps: unknown[]; analysis: { startingStep: number } } } }).strategy.canary;
    const noPrecondition = res(passing.type, { ...passing.props, spec: { strategy: { canary: { ...canary, steps: [{ setWeight: 5 }, { pause: { duration: "10m" } }], analysis: { ...canary.analysis, startingStep: 1 } } } } });
    expect(rule("analysis-arguments-written").check(noPrecondition, production())).toEqual([expect.stringContaining("no precondition step")]);
  });

  it("rollout-awaited: a waiter shorter than the pauses plus 30 minutes fails; dev is not awaited", () => {
    const [rollout, stack] = fixtures["rollout-awaited"].pass;
    const waiter = stack.resources.find((candidate) => candidate.type === "kubernetes:batch/v1:Job")!;
    const short = res(waiter.type, { ...waiter.props, metadata: { ...(waiter.props.metadata as object), annotations: { "pulumi.com/timeoutSeconds": "1800" } } });
    expect(rule("rollout-awaited").check(rollout, production(rollout, short))).toEqual([expect.stringContaining("(1800) is shorter than the release's pauses plus 30 minutes (2400)")]);
    expect(rule("rollout-awaited").check(rollout, { tier: "dev", resources: [rollout] })).toEqual([]);
  });
});
