import { runSimulation } from "@cloud-copilot/iam-simulate";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluate } from "../policy/evaluate";
import { policyResources } from "../policy/from-synth";
import { decide, type RuntimeCall } from "../policy/rules/iam-simulation";
import { runtimeCalls } from "../policy/rules/runtime-calls";
import { runtimePathsAllowed } from "../policy/rules/runtime-paths-allowed";
import type { PolicyResource, StackContext } from "../policy/rules/types";
import { setPath, shippedConfig, synth } from "./helpers";

type Graph = PolicyResource[];

const stacks: Record<string, Graph> = {};
beforeAll(async () => {
  for (const stack of ["dev", "staging", "production"]) stacks[stack] = policyResources(await synth(shippedConfig(stack), stack));
});

/** The metric alarms of a stack: every service's built-in ones and its task-start watch, each publishing to the alert topic. */
const metricAlarms = (resources: Graph) => resources.filter((resource) => resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm").length;
/** A stack's event rules that notify the alert topic (each ECS service's task-start watch). */
const TASK_START_RULES = 4;

const context = (resources: Graph): StackContext => ({ tier: "production", resources });
const callsOf = (resources: Graph): RuntimeCall[] => resources.flatMap((resource) => runtimeCalls(resource, context(resources)));
const findings = (resources: Graph): string[] => resources.flatMap((resource) => runtimePathsAllowed.check(resource, context(resources)));

/** The graph with one resource's props changed. */
function edit(resources: Graph, type: string, name: string, change: (props: Record<string, unknown>) => Record<string, unknown>): Graph {
  let found = false;
  const edited = resources.map((resource) => {
    if (resource.type !== type || resource.name !== name) return resource;
    found = true;
    return { ...resource, props: change({ ...resource.props }) };
  });
  if (!found) throw new Error(`no ${type} ${name}`);
  return edited;
}
const policyOf = (props: Record<string, unknown>, key = "policy") => JSON.parse(String(props[key])) as { Statement: Record<string, unknown>[] };
const withPolicy = (props: Record<string, unknown>, change: (statements: Record<string, unknown>[]) => Record<string, unknown>[], key = "policy") => ({
  ...props,
  [key]: JSON.stringify({ Version: "2012-10-17", Statement: change(policyOf(props, key).Statement) }),
});
const arnsOf = (resources: Graph, type: string, prefix: string) =>
  resources.filter((r) => r.type === type && r.name.startsWith(prefix)).map((r) => String(r.props.arn));

/** Today's (pre-fix) wiring: the gate and the AppConfig monitors read only named alarms, the key trusts CloudWatch unconditionally, no topic policy. */
function todaysWiring(resources: Graph): Graph {
  let graph = edit(resources, "aws:iam/rolePolicy:RolePolicy", "checkout-hooks-alarm-gate", (props) =>
    withPolicy(props, (statements) => statements.map((s) => (s.Sid === "ReadServiceAlarms" ? { ...s, Resource: arnsOf(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "checkout-") } : s))),
  );
  graph = edit(graph, "aws:iam/role:Role", "production-flags-monitors", (props) => ({
    ...props,
    inlinePolicies: [
      {
        name: "describe-monitored-alarms",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: arnsOf(resources, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "") }],
        }),
      },
    ],
  }));
  graph = edit(graph, "aws:kms/key:Key", "production-alerts", (props) =>
    withPolicy(props, (statements) => statements.filter((s) => s.Sid !== "EventBridgeRulesPublish").map(({ Condition: _condition, ...s }) => s)),
  );
  return graph.filter((r) => !["aws:sns/topicPolicy:TopicPolicy", "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"].includes(r.type));
}

describe("runtime paths allowed: the shipped stacks", () => {
  it.each(["dev", "staging", "production"])("%s: every runtime call is allowed", (stack) => {
    expect(findings(stacks[stack])).toEqual([]);
  });

  it("the production stack's calls cover every path the running system takes", () => {
    const calls = callsOf(stacks.production);
    const kinds = new Set(calls.map((call) => `${call.principal.endsWith(".amazonaws.com") ? call.principal : "role"} ${call.action}`));
    expect([...kinds].sort()).toEqual(
      [
        "appconfig.amazonaws.com sts:AssumeRole",
        "cloudwatch.amazonaws.com kms:Decrypt",
        "cloudwatch.amazonaws.com kms:GenerateDataKey",
        "cloudwatch.amazonaws.com sns:Publish",
        "ecs-tasks.amazonaws.com sts:AssumeRole",
        "ecs.amazonaws.com sts:AssumeRole",
        "events.amazonaws.com kms:Decrypt",
        "events.amazonaws.com kms:GenerateDataKey",
        "events.amazonaws.com sns:Publish",
        "lambda.amazonaws.com sts:AssumeRole",
        "role appconfig:GetLatestConfiguration",
        "role appconfig:StartConfigurationSession",
        "role cloudwatch:DescribeAlarmHistory",
        "role cloudwatch:DescribeAlarms",
        "role ec2:AssignPrivateIpAddresses",
        "role ec2:CreateNetworkInterface",
        "role ec2:DeleteNetworkInterface",
        "role ec2:DescribeNetworkInterfaces",
        "role ec2:UnassignPrivateIpAddresses",
        "role ecr:BatchGetImage",
        "role ecr:GetAuthorizationToken",
        "role ecr:GetDownloadUrlForLayer",
        "role ecs:DescribeServiceDeployments",
        "role elasticloadbalancing:DeregisterTargets",
        "role elasticloadbalancing:DescribeTargetHealth",
        "role elasticloadbalancing:ModifyRule",
        "role elasticloadbalancing:RegisterTargets",
        "role kms:Decrypt",
        "role lambda:InvokeFunction",
        "role logs:CreateLogStream",
        "role logs:PutLogEvents",
        "role secretsmanager:GetSecretValue",
      ].sort(),
    );
    // 2 services (hooks, gate, traffic shift, tasks, functions), 2 monitors, 6 alarms and 2 rules publishing.
    expect(calls.length).toBeGreaterThan(80);
  });

  it("each call is well formed for the validating simulator, which decides it the same way", async () => {
    let compared = 0;
    for (const call of callsOf(stacks.production)) {
      const result = await runSimulation(
        {
          request: {
            principal: call.principal,
            action: call.action,
            resource: { resource: call.resource, accountId: "123456789012" },
            contextVariables: { ...call.context },
          },
          identityPolicies: (call.identityPolicies ?? []).map(({ name, policy }) => ({ name, policy })),
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          ...(call.resourcePolicy ? { resourcePolicy: call.resourcePolicy } : {}),
        },
        {},
      );
      expect(result.resultType === "error" ? result.errors : undefined, `${call.caller}: ${call.action} ${call.resource}`).toBeUndefined();
      if (result.resultType === "error") continue;
      // The validating simulator matches variable context keys only in the `prefix/name` form, so it drops KMS's
      // `kms:EncryptionContext:<key>`; those calls are decided by `decide` alone.
      const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : result.results.flatMap((r) => r.ignoredContextKeys ?? []);
      expect(ignored.filter((key) => !key.startsWith("kms:EncryptionContext:"))).toEqual([]);
      if (ignored.length > 0) continue;
      expect([call.action, result.overallResult]).toEqual([call.action, decide({ ...call, compositeAlarms: false })]);
      compared += 1;
    }
    // Every call but the KMS calls of the alert key: GenerateDataKey and Decrypt for each alarm and event rule.
    expect(compared).toBe(callsOf(stacks.production).length - 2 * (metricAlarms(stacks.production) + TASK_START_RULES));
  }, 120_000);
});

describe("runtime paths allowed: today's wiring fails", () => {
  it("names the gate, the AppConfig monitors, the key's unconditioned CloudWatch grant and the missing topic policy", () => {
    const problems = findings(todaysWiring(stacks.production));
    expect(problems).toContainEqual(expect.stringMatching(/^alarm gate checkout-hooks-alarm-gate of checkout-service: .* cloudwatch:DescribeAlarms on \* is ImplicitlyDenied \(composite alarms need the permission on \*\)$/));
    expect(problems).toContainEqual(expect.stringMatching(/^AppConfig watches production-checkout-any for production-flags-env: .* cloudwatch:DescribeAlarms on \* is ImplicitlyDenied \(composite/));
    expect(problems).toContainEqual("key production-alerts admits cloudwatch.amazonaws.com without an aws:SourceAccount or aws:SourceArn condition (confused deputy)");
    expect(problems).toContainEqual(expect.stringMatching(/sns:Publish on .*:production-alerts is ImplicitlyDenied \(no topic policy in the stack grants it\)$/));
    expect(evaluate(todaysWiring(stacks.production), "production").filter((v) => v.rule === "runtime-paths-allowed").length).toBe(problems.length);
  });

  it("a metric alarm's ARN still allows DescribeAlarms of that alarm: the special case applies to composites only", () => {
    const graph = edit(todaysWiring(stacks.production), "aws:appconfig/environment:Environment", "production-flags-env", (props) => ({
      ...props,
      monitors: [{ alarmArn: arnsOf(stacks.production, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "")[0].replace("-any", "-error-rate"), alarmRoleArn: (props.monitors as { alarmRoleArn: string }[])[0].alarmRoleArn }],
    }));
    expect(findings(graph).filter((problem) => problem.startsWith("AppConfig"))).toEqual([
      expect.stringMatching(/production-catalog-error-rate .* on arn:aws:cloudwatch:eu-west-1:123456789012:alarm:production-catalog-error-rate is ImplicitlyDenied$/),
    ]);
  });
});

describe("runtime paths allowed: secret ARNs as IAM matches them", () => {
  /** The production graph with checkout's configured secret named by `reference` and the execution policy `change`d. */
  const withSecret = (reference: string, change: (statements: Record<string, unknown>[]) => Record<string, unknown>[]) => {
    const full = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/checkout/payment-api-key-Xy98Zw";
    let graph = edit(stacks.production, "aws:ecs/taskDefinition:TaskDefinition", "checkout-task", (props) => ({
      ...props,
      containerDefinitions: String(props.containerDefinitions).replace(full, reference),
    }));
    graph = edit(graph, "aws:iam/rolePolicy:RolePolicy", "checkout-execution", (props) =>
      withPolicy(props, (statements) => change(statements.map((s) => (s.Sid === "ReadSecrets" ? { ...s, Resource: (s.Resource as string[]).map((r) => r.replace(full, reference)) } : s)))),
    );
    return graph;
  };
  const partial = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/checkout/payment-api-key";

  it("today's wiring fails: a policy naming the partial ARN denies the read of the real, suffixed secret", () => {
    expect(findings(withSecret(partial, (statements) => statements))).toEqual([
      expect.stringMatching(/execution role.*secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:production\/checkout\/payment-api-key-Xy98Zw is ImplicitlyDenied$/),
    ]);
  });

  it("a stack file naming a partial ARN synthesizes a policy the simulation allows for the real secret", async () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.secrets.PAYMENT_API_KEY", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/checkout/payment-api-key");
    const graph = policyResources(await synth(config));
    expect(callsOf(graph).map((call) => call.resource)).toContain("arn:aws:secretsmanager:eu-west-1:123456789012:secret:staging/checkout/payment-api-key-Xy98Zw");
    expect(findings(graph)).toEqual([]);
  });

  it("the program's policy for a partial ARN (-??????) passes", () => {
    const graph = withSecret(partial, (statements) => statements.map((s) => (s.Sid === "ReadSecrets" ? { ...s, Resource: (s.Resource as string[]).map((r) => (r === partial ? `${r}-??????` : r)) } : s)));
    expect(findings(graph)).toEqual([]);
  });

  it("today's wiring fails: without kms:Decrypt a secret under a customer managed key cannot be read", () => {
    expect(findings(withSecret("arn:aws:secretsmanager:eu-west-1:123456789012:secret:production/checkout/payment-api-key-Xy98Zw", (statements) => statements.filter((s) => s.Sid !== "DecryptSecrets")))).toEqual([
      expect.stringMatching(/execution role.*kms:Decrypt on arn:aws:kms:eu-west-1:123456789012:key\/.* is ImplicitlyDenied$/),
    ]);
  });

  it("the decrypt grant holds only through Secrets Manager: another service's request is denied", () => {
    const calls = callsOf(stacks.production).filter((call) => call.action === "kms:Decrypt" && call.principal.includes("checkout-execution"));
    expect(calls).toHaveLength(1);
    expect(decide(calls[0])).toBe("Allowed");
    expect(decide({ ...calls[0], context: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } })).toBe("ImplicitlyDenied");
  });
});

describe("runtime paths allowed: each grant is load-bearing", () => {
  const only = (graph: Graph) => findings(graph);

  it("ECS must be trusted by the hook invoke role", () => {
    const graph = edit(stacks.production, "aws:iam/role:Role", "checkout-hooks-invoke", (props) => ({
      ...props,
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
    }));
    expect(only(graph)).toEqual([
      expect.stringMatching(/^ECS invokes hook production-checkout-smoke-test of checkout-service: ecs.amazonaws.com sts:AssumeRole on .*production-checkout-hooks is ImplicitlyDenied \(trust policy\)$/),
      expect.stringMatching(/^ECS invokes hook production-checkout-alarm-gate .* \(trust policy\)$/),
    ]);
  });

  it("the invoke role must reach every hook function", () => {
    const graph = edit(stacks.production, "aws:iam/rolePolicy:RolePolicy", "checkout-hooks-invoke", (props) =>
      withPolicy(props, (statements) => statements.map((s) => ({ ...s, Resource: (s.Resource as string[]).slice(0, 1) }))),
    );
    expect(only(graph)).toEqual([expect.stringMatching(/lambda:InvokeFunction on arn:aws:lambda:eu-west-1:123456789012:function:production-checkout-alarm-gate is ImplicitlyDenied$/)]);
  });

  it("the infrastructure role needs AWS's managed policy to move listener rules and targets", () => {
    const graph = edit(stacks.production, "aws:iam/role:Role", "checkout-ecs-lb", (props) => ({ ...props, managedPolicyArns: [] }));
    const problems = only(graph);
    expect(problems.filter((p) => p.includes("ModifyRule"))).toHaveLength(2);
    expect(problems.filter((p) => /RegisterTargets|DeregisterTargets/.test(p))).toHaveLength(4);
  });

  it("the execution role must read the task's secrets and write its logs", () => {
    const graph = edit(stacks.production, "aws:iam/rolePolicy:RolePolicy", "checkout-execution", (props) =>
      withPolicy(props, (statements) => statements.filter((s) => s.Sid !== "ReadSecrets" && s.Sid !== "WriteLogs")),
    );
    const problems = only(graph);
    expect(problems).toContainEqual(expect.stringMatching(/secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:production\/checkout\/payment-api-key-Xy98Zw is ImplicitlyDenied$/));
    expect(problems.filter((p) => p.includes("logs:PutLogEvents on arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/production/checkout:log-stream:"))).toHaveLength(2);
  });

  it("the task role must let the AppConfig agent read its profile", () => {
    const graph = stacks.production.filter((r) => r.name !== "production-flags-read-checkout");
    expect(only(graph)).toEqual([
      expect.stringMatching(/^the AppConfig agent in checkout-task \(task role\): .*production-checkout-task appconfig:StartConfigurationSession on arn:aws:appconfig:eu-west-1:123456789012:application\/.*\/configuration\/.* is ImplicitlyDenied$/),
      expect.stringMatching(/appconfig:GetLatestConfiguration .* is ImplicitlyDenied$/),
    ]);
  });

  it("EventBridge needs the topic policy and the key", () => {
    let graph = edit(stacks.production, "aws:sns/topicPolicy:TopicPolicy", "production-alerts", (props) =>
      withPolicy(props, (statements) => statements.filter((s) => s.Sid !== "EventBridgeRulesPublish")),
    );
    graph = edit(graph, "aws:kms/key:Key", "production-alerts", (props) => withPolicy(props, (statements) => statements.filter((s) => s.Sid !== "EventBridgeRulesPublish")));
    const problems = only(graph);
    expect(problems.filter((p) => p.startsWith("event rule production-ecs-deployments notifies: events.amazonaws.com"))).toHaveLength(3);
    expect(problems.filter((p) => p.startsWith("event rule production-flag-deployments"))).toHaveLength(3);
  });

  it("the smoke test's role must manage its network interfaces in the VPC", () => {
    const graph = edit(stacks.production, "aws:iam/rolePolicy:RolePolicy", "catalog-hooks-smoke-test", (props) =>
      withPolicy(props, (statements) => statements.filter((s) => s.Sid !== "RunInVpc")),
    );
    expect(only(graph).map((problem) => problem.split(" ")[4])).toEqual([
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]);
  });

  it("Chatbot must be able to assume its channel role", async () => {
    const graph = policyResources(await synth(setPath(shippedConfig("staging"), "release:notifications.slack", { workspaceId: "T0123ABCD", channelId: "C0123ABCD" })));
    expect(findings(graph)).toEqual([]);
    const broken = edit(graph, "aws:iam/role:Role", "staging-chatbot", (props) => ({
      ...props,
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
    }));
    expect(findings(broken)).toEqual([expect.stringMatching(/^AWS Chatbot posts to Slack for staging-slack: chatbot.amazonaws.com sts:AssumeRole on .*staging-chatbot is ImplicitlyDenied \(trust policy\)$/)]);
  });

  it("a key that serves another topic stops every publisher", () => {
    const graph = edit(stacks.production, "aws:kms/key:Key", "production-alerts", (props) =>
      JSON.parse(JSON.stringify(props).replaceAll(":production-alerts", ":other-topic")),
    );
    const problems = only(graph);
    expect(problems.every((p) => / kms:(GenerateDataKey|Decrypt) on arn:aws:kms:.* is ImplicitlyDenied$/.test(p))).toBe(true);
    // Every alarm and event rule (each service's task-start watch is one of each), each needing GenerateDataKey and Decrypt.
    expect(problems).toHaveLength(2 * (metricAlarms(stacks.production) + TASK_START_RULES));
  });

  it("a topic policy scoped to another account's alarms stops CloudWatch", () => {
    const graph = edit(stacks.production, "aws:sns/topicPolicy:TopicPolicy", "production-alerts", (props) =>
      withPolicy(props, (statements) =>
        statements.map((s) => (s.Sid === "CloudWatchAlarmsPublish" ? { ...s, Condition: { StringEquals: { "aws:SourceAccount": "999999999999" } } } : s)),
      ),
    );
    expect(only(graph)).toHaveLength(metricAlarms(stacks.production));
  });
});
