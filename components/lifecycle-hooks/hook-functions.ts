import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "../iam";
import { NAME_LIMITS, physicalName } from "../naming";
import { bundleHook, HOOK_RUNTIME, type HookName } from "./bundle";
import { ALARM_GATE_TIMEOUT_SECONDS, NO_ALARM_ROLLBACK } from "./handlers/hook-event";
import { SMOKE_CONCURRENCY, smokeWorstCaseSeconds } from "./handlers/smoke-decision";

/** What every hook function of one service is made with. */
export interface HookContext {
  /** The component's name, which names the children. */
  readonly name: string;
  readonly namePrefix: string;
  readonly serviceName: string;
  readonly logRetentionDays: number;
  readonly parent: pulumi.Resource;
}

/** A function ECS invokes at a stage of a deployment, with the details it receives. */
export interface HookFunction {
  readonly stage: string;
  readonly fn: aws.lambda.Function;
  readonly details: pulumi.Output<string>;
}

/** The smoke test as its function runs it: the caller's arguments with the tier's settings filled in. */
export interface SmokeTestHook {
  readonly url: pulumi.Input<string>;
  readonly paths: readonly string[];
  readonly samples: number;
  readonly minSuccessRate: number;
  readonly timeoutMs: number;
  readonly expectedStatuses: string;
  readonly hostHeader?: string;
  readonly headers?: pulumi.Input<Readonly<Record<string, string>>>;
  readonly maxAttempts?: number;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
}

/** The alarm gate as its function runs it (`AlarmGateHookArgs`), and the topic told when its override lets a deployment through. */
export interface AlarmGateHook {
  readonly alarmNames: pulumi.Input<string[]>;
  readonly enabled?: boolean;
  readonly override?: string;
  readonly alertTopicArn?: pulumi.Input<string>;
}

/** A hook's function with its own log group and a role that may write its logs and do what `policy` allows. */
function createHookFunction(
  context: HookContext,
  hook: HookName,
  policy: (logGroupArn: pulumi.Output<string>) => pulumi.Input<string>,
  extra: Partial<aws.lambda.FunctionArgs>,
): aws.lambda.Function {
  const { name, namePrefix, serviceName, parent } = context;
  const functionName = physicalName([namePrefix, serviceName], hook, NAME_LIMITS.lambda);
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-${hook}`,
    { name: `/aws/lambda/${functionName}`, retentionInDays: context.logRetentionDays, tags: { service: serviceName } },
    { parent },
  );
  const role = new aws.iam.Role(
    `${name}-${hook}`,
    {
      name: physicalName([namePrefix, serviceName], `${hook}-fn`, NAME_LIMITS.iamRole),
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
      tags: { service: serviceName },
    },
    { parent },
  );
  const rolePolicy = new aws.iam.RolePolicy(`${name}-${hook}`, { role: role.id, policy: policy(logGroup.arn) }, { parent });
  const bundle = bundleHook(hook);
  return new aws.lambda.Function(
    `${name}-${hook}`,
    {
      name: functionName,
      description: `${hook} lifecycle hook of ${serviceName} (ECS blue/green)`,
      runtime: HOOK_RUNTIME,
      architectures: ["arm64"],
      handler: "index.handler",
      role: role.arn,
      code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) }),
      memorySize: 256,
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      tags: { service: serviceName },
      ...extra,
    },
    { parent, dependsOn: [logGroup, rolePolicy] },
  );
}

function logStatement(logGroupArn: pulumi.Output<string>) {
  return {
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: pulumi.interpolate`${logGroupArn}:*`,
  };
}

/** The smoke test at POST_TEST_TRAFFIC_SHIFT: a function in the VPC that requests the test listener. */
export function createSmokeTestHook(context: HookContext, smoke: SmokeTestHook): HookFunction {
  const { samples, minSuccessRate, timeoutMs, expectedStatuses } = smoke;
  const fn = createHookFunction(
    context,
    "smoke-test",
    (logGroupArn) =>
      pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          logStatement(logGroupArn),
          {
            // A function in a VPC needs its network interfaces; these actions take no resource narrower than *.
            Sid: "RunInVpc",
            Effect: "Allow",
            Action: [
              "ec2:CreateNetworkInterface",
              "ec2:DescribeNetworkInterfaces",
              "ec2:DeleteNetworkInterface",
              "ec2:AssignPrivateIpAddresses",
              "ec2:UnassignPrivateIpAddresses",
            ],
            Resource: "*",
          },
        ],
      }),
    {
      timeout: smokeWorstCaseSeconds(smoke.paths.length, samples, timeoutMs),
      memorySize: 128,
      vpcConfig: { subnetIds: smoke.subnetIds, securityGroupIds: smoke.securityGroupIds },
    },
  );
  return {
    stage: "POST_TEST_TRAFFIC_SHIFT",
    fn,
    details: pulumi.jsonStringify({
      url: smoke.url,
      paths: [...smoke.paths],
      samples,
      minSuccessRate,
      timeoutMs,
      expectedStatuses,
      ...(smoke.hostHeader ? { hostHeader: smoke.hostHeader } : {}),
      headers: smoke.headers ?? {},
      maxAttempts: smoke.maxAttempts ?? 10,
      callBackDelaySeconds: 30,
      concurrency: SMOKE_CONCURRENCY,
    }),
  };
}

/**
 * The alarm gate at PRE_SCALE_UP: a function that reads the alarms, and, when its override lets deployments through,
 * an alarm on its NO_ALARM_ROLLBACK log line that tells the alert topic.
 */
export function createAlarmGateHook(context: HookContext, gate: AlarmGateHook): HookFunction {
  const { name, namePrefix, serviceName, parent } = context;
  const invoke = { parent };
  const partition = aws.getPartitionOutput({}, invoke);
  const region = aws.getRegionOutput({}, invoke);
  const caller = aws.getCallerIdentityOutput({}, invoke);
  const fn = createHookFunction(
    context,
    "alarm-gate",
    (logGroupArn) =>
      pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          logStatement(logGroupArn),
          // "To use this operation and return information about composite alarms, you must be signed on with the cloudwatch:DescribeAlarms permission that is scoped to *" (CloudWatch API reference); read-only.
          { Sid: "ReadServiceAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" },
          // Each alarm's state changes since the deployment began, metric and composite alike; read-only.
          { Sid: "ReadAlarmHistory", Effect: "Allow", Action: "cloudwatch:DescribeAlarmHistory", Resource: "*" },
          // When the deployment the gate runs in began, and whether ECS watches its alarms: this service's deployments only.
          {
            Sid: "ReadOwnDeployments",
            Effect: "Allow",
            Action: "ecs:DescribeServiceDeployments",
            Resource: pulumi.interpolate`arn:${partition.partition}:ecs:${region.region}:${caller.accountId}:service-deployment/*/${serviceName}/*`,
          },
        ],
      }),
    { timeout: ALARM_GATE_TIMEOUT_SECONDS },
  );
  if (gate.override && gate.enabled !== false && gate.alertTopicArn !== undefined) {
    // The gate logs NO_ALARM_ROLLBACK when it lets through a deployment ECS does not watch: the alert topic hears it.
    // A phrase, not a JSON pattern: with the Text log format each line carries the runtime's prefix, so it is no JSON.
    const metric = { namespace: "ReleasePlatform/AlarmGate", name: `${serviceName}-no-alarm-rollback` };
    new aws.cloudwatch.LogMetricFilter(
      `${name}-no-alarm-rollback`,
      {
        name: physicalName([namePrefix, serviceName], "no-alarm-rollback", 512),
        logGroupName: pulumi.output(fn.loggingConfig).apply((logging) => logging?.logGroup ?? `/aws/lambda/${physicalName([namePrefix, serviceName], "alarm-gate", NAME_LIMITS.lambda)}`),
        pattern: JSON.stringify(NO_ALARM_ROLLBACK),
        metricTransformation: { namespace: metric.namespace, name: metric.name, value: "1", defaultValue: "0" },
      },
      { parent },
    );
    new aws.cloudwatch.MetricAlarm(
      `${name}-no-alarm-rollback`,
      {
        name: physicalName([namePrefix, serviceName], "no-alarm-rollback", NAME_LIMITS.alarm),
        alarmDescription: `${serviceName}: the alarm gate's override (${gate.override}) let a deployment through that ECS does not watch: NO alarm rollback. Watch it by hand.`,
        namespace: metric.namespace,
        metricName: metric.name,
        statistic: "Sum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [gate.alertTopicArn],
        tags: { service: serviceName },
      },
      { parent },
    );
  }
  return {
    stage: "PRE_SCALE_UP",
    fn,
    details:
      gate.enabled === false
        ? pulumi.jsonStringify({ enabled: false })
        : pulumi.jsonStringify({ alarmNames: gate.alarmNames, maxAttempts: 5, callBackDelaySeconds: 30, ...(gate.override ? { override: gate.override } : {}) }),
  };
}

/** The role ECS assumes to invoke the hooks, which may do nothing else, and its ARN once it may invoke them. */
export interface InvokeRole {
  readonly role: aws.iam.Role;
  /** The role's ARN, resolved only after its policy exists: the role must be able to invoke before ECS is told to use it. */
  readonly readyArn: pulumi.Output<string>;
}

export function createInvokeRole(context: HookContext, functionArns: pulumi.Output<string[]>): InvokeRole {
  const { name, namePrefix, serviceName, parent } = context;
  const role = new aws.iam.Role(
    `${name}-invoke`,
    {
      name: physicalName([namePrefix, serviceName], "hooks", NAME_LIMITS.iamRole),
      assumeRolePolicy: assumeRolePolicy("ecs.amazonaws.com"),
      tags: { service: serviceName },
    },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-invoke`,
    {
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "InvokeHooks", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: functionArns }],
      }),
    },
    { parent },
  );
  return { role, readyArn: pulumi.all([role.arn, policy.id]).apply(([arn]) => arn) };
}
