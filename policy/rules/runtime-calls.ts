import { accountOf, MANAGED_POLICIES, type RuntimeCall } from "./iam-simulation";
import { at, list, parsed } from "./props";
import type { PolicyResource, StackContext } from "./types";

/*
 * A helper of the runtime-paths-allowed rule (not a rule: RULES in index.ts lists those): the calls the running system
 * makes, read from the synthesized graph, each with the policies AWS evaluates for it.
 */

/** Every call the running system makes that starts at `resource`; unknown values (a preview of a new stack) are skipped. */
export function runtimeCalls(resource: PolicyResource, stack: StackContext): RuntimeCall[] {
  switch (resource.type) {
    case "aws:ecs/service:Service":
      return serviceCalls(resource, stack.resources);
    case "aws:ecs/taskDefinition:TaskDefinition":
      return taskCalls(resource, stack.resources);
    case "aws:lambda/function:Function":
      return functionCalls(resource, stack.resources);
    case "aws:appconfig/environment:Environment":
      return monitorCalls(resource, stack.resources);
    case "aws:sns/topic:Topic":
      return publisherCalls(resource, stack.resources, stack.environment);
    case "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration":
      return asRole(resource.props.iamRoleArn, "chatbot.amazonaws.com", `AWS Chatbot posts to Slack for ${resource.name}`, stack.resources, []);
    default:
      return [];
  }
}

type RoleCall = Omit<RuntimeCall, "principal" | "caller" | "identityPolicies">;

/** `principal` may assume the role (its trust policy), then the role's policies decide `calls`. */
function asRole(roleArn: unknown, principal: string, caller: string, resources: readonly PolicyResource[], calls: RoleCall[]): RuntimeCall[] {
  if (typeof roleArn !== "string") return [];
  const role = resources.find((r) => r.type === "aws:iam/role:Role" && r.props.arn === roleArn);
  const assume: RuntimeCall = { caller, principal, action: "sts:AssumeRole", resource: roleArn, resourcePolicy: role ? parsed(role.props.assumeRolePolicy) : undefined };
  return [assume, ...byRole(roleArn, caller, resources, calls)];
}

/** Calls made with a role's session, decided by the role's policies. */
function byRole(roleArn: unknown, caller: string, resources: readonly PolicyResource[], calls: RoleCall[]): RuntimeCall[] {
  if (typeof roleArn !== "string") return [];
  const role = resources.find((r) => r.type === "aws:iam/role:Role" && r.props.arn === roleArn);
  const identityPolicies = role ? rolePolicies(role, resources) : [];
  return calls.map((call) => ({ ...call, caller, principal: roleArn, identityPolicies }));
}

/** Inline policies (on the role or as RolePolicy resources) and the managed policies this check models. */
function rolePolicies(role: PolicyResource, resources: readonly PolicyResource[]): { name: string; policy: unknown }[] {
  const names: unknown[] = [role.props.name, role.props.id].filter((value) => value !== undefined);
  const attached = resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && names.includes(r.props.role));
  const attachments = resources
    .filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && names.includes(r.props.role))
    .map((r) => r.props.policyArn);
  return [
    ...attached.map((policy) => ({ name: policy.name, policy: parsed(policy.props.policy) })),
    ...list(role.props.inlinePolicies).map((inline, index) => ({ name: String(at(inline, "name") ?? `inline-${index}`), policy: parsed(at(inline, "policy")) })),
    ...[...list(role.props.managedPolicyArns), ...attachments].flatMap((arn) => {
      const managed = MANAGED_POLICIES[String(arn).split("/").pop() ?? ""];
      return managed ? [{ name: String(arn), policy: managed }] : [];
    }),
  ];
}

function serviceCalls(service: PolicyResource, resources: readonly PolicyResource[]): RuntimeCall[] {
  const calls: RuntimeCall[] = [];
  for (const hook of list(at(service.props, "deploymentConfiguration", "lifecycleHooks"))) {
    const target = at(hook, "hookTargetArn");
    if (typeof target !== "string") continue;
    calls.push(...asRole(at(hook, "roleArn"), "ecs.amazonaws.com", `ECS invokes hook ${target.split(":").pop()} of ${service.name}`, resources, [{ action: "lambda:InvokeFunction", resource: target }]));
    // The alarm gate asks DescribeAlarms for metric and composite alarms; Lambda's assuming its role is the function's path.
    if (Array.isArray(at(hook, "hookDetails", "alarmNames"))) {
      const fn = resources.find((r) => r.type === "aws:lambda/function:Function" && r.props.arn === target);
      calls.push(
        ...byRole(fn?.props.role, `alarm gate ${fn?.name ?? target} of ${service.name}`, resources, [
          { action: "cloudwatch:DescribeAlarms", resource: "*", compositeAlarms: true },
          // Each alarm's history since the deployment began, and the deployment itself (the event's resourceArn).
          { action: "cloudwatch:DescribeAlarmHistory", resource: "*" },
          { action: "ecs:DescribeServiceDeployments", resource: serviceDeploymentArn(service) },
        ]),
      );
    }
  }
  for (const balancer of list(service.props.loadBalancers)) {
    const advanced = at(balancer, "advancedConfiguration");
    if (advanced === undefined) continue;
    const rules = [at(advanced, "productionListenerRule"), at(advanced, "testListenerRule")].filter((arn): arn is string => typeof arn === "string");
    const groups = [at(balancer, "targetGroupArn"), at(advanced, "alternateTargetGroupArn")].filter((arn): arn is string => typeof arn === "string");
    calls.push(
      ...asRole(at(advanced, "roleArn"), "ecs.amazonaws.com", `ECS shifts traffic of ${service.name}`, resources, [
        ...rules.map((rule) => ({ action: "elasticloadbalancing:ModifyRule", resource: rule })),
        ...groups.flatMap((group) => ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"].map((action) => ({ action, resource: group }))),
        { action: "elasticloadbalancing:DescribeTargetHealth", resource: "*" },
      ]),
    );
  }
  return calls;
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/;

function taskCalls(task: PolicyResource, resources: readonly PolicyResource[]): RuntimeCall[] {
  const containers = list(task.props.containerDefinitions) as Record<string, unknown>[];
  const executionRole = task.props.executionRoleArn;
  const partition = typeof executionRole === "string" ? executionRole.split(":")[1] : "aws";
  const account = typeof executionRole === "string" ? accountOf(executionRole) : undefined;
  const execution: RoleCall[] = [];
  const reads: RoleCall[] = [];
  for (const container of containers) {
    const image = ECR_IMAGE.exec(String(container.image ?? ""));
    if (image) {
      const repository = `arn:${partition}:ecr:${image[2]}:${image[1]}:repository/${image[3]}`;
      execution.push(
        { action: "ecr:GetAuthorizationToken", resource: "*" },
        { action: "ecr:BatchGetImage", resource: repository },
        { action: "ecr:GetDownloadUrlForLayer", resource: repository },
      );
    }
    const logs = at(container, "logConfiguration", "options");
    const group = at(logs, "awslogs-group");
    if (at(container, "logConfiguration", "logDriver") === "awslogs" && typeof group === "string" && account) {
      const stream = `arn:${partition}:logs:${String(at(logs, "awslogs-region"))}:${account}:log-group:${group}:log-stream:${String(at(logs, "awslogs-stream-prefix"))}/${String(container.name)}/task`;
      execution.push({ action: "logs:CreateLogStream", resource: stream }, { action: "logs:PutLogEvents", resource: stream });
    }
    for (const secret of list(container.secrets)) {
      const from = String(at(secret, "valueFrom") ?? "");
      if (from.includes(":secretsmanager:")) {
        const { arn, key } = secretAsAws(from, resources);
        execution.push({ action: "secretsmanager:GetSecretValue", resource: arn }, ...(key ? [decryptVia("secretsmanager", arn, key, resources)] : []));
      } else if (from.includes(":ssm:")) execution.push({ action: "ssm:GetParameters", resource: from }, decryptVia("ssm", from, "customer"));
    }
    const prefetch = list(container.environment).find((variable) => at(variable, "name") === "PREFETCH_LIST");
    if (String(container.image ?? "").includes("aws-appconfig-agent") && prefetch) {
      for (const path of String(at(prefetch, "value")).split(",")) {
        const configuration = configurationArn(path, resources);
        if (configuration) {
          reads.push({ action: "appconfig:StartConfigurationSession", resource: configuration }, { action: "appconfig:GetLatestConfiguration", resource: configuration });
        }
      }
    }
  }
  return [
    ...asRole(executionRole, "ecs-tasks.amazonaws.com", `ECS starts tasks of ${task.name} (execution role)`, resources, execution),
    ...(reads.length > 0 ? asRole(task.props.taskRoleArn, "ecs-tasks.amazonaws.com", `the AppConfig agent in ${task.name} (task role)`, resources, reads) : []),
  ];
}

/**
 * The ARN IAM authorizes a secret read against, and the key it may be under. IAM matches the secret's real ARN, which
 * ends in a hyphen and six random characters, whatever partial ARN the container names (Secrets Manager resolves it):
 * a secret of this stack has its ARN in the graph; another, named without the suffix, gets a stand-in suffix. A secret
 * this stack created without `kmsKeyId` is under AWS's managed key, whose policy lets Secrets Manager decrypt for any
 * principal of the account; any other may be under a customer managed key that needs kms:Decrypt from IAM.
 */
function secretAsAws(reference: string, resources: readonly PolicyResource[]): { arn: string; key?: string } {
  const named = reference.split(":").slice(0, 7).join(":");
  const own = resources.find((r) => r.type === "aws:secretsmanager/secret:Secret" && r.props.arn === named);
  if (own) return own.props.kmsKeyId === undefined ? { arn: named } : { arn: named, key: String(own.props.kmsKeyId) };
  return { arn: /-[A-Za-z0-9]{6}$/.test(named.split(":")[6] ?? "") ? named : `${named}-Xy98Zw`, key: "customer" };
}

/**
 * kms:Decrypt as Secrets Manager or Parameter Store asks it for the caller, on the key (`customer`: a stand-in key of
 * that account). KMS needs the key policy too; a key the graph does not hold is taken with AWS's default key policy,
 * which lets IAM policies of the account grant it ("Enable IAM User Permissions", Principal the account root).
 */
function decryptVia(service: "secretsmanager" | "ssm", resource: string, key: string, resources: readonly PolicyResource[] = []): RoleCall {
  const [, partition, , region, account] = resource.split(":");
  const keyArn = key.startsWith("arn:") ? key : `arn:${partition}:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const own = resources.find((r) => r.type === "aws:kms/key:Key" && (r.props.arn === key || r.props.keyId === key));
  const keyPolicy = own
    ? parsed(own.props.policy)
    : { Version: "2012-10-17", Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${keyArn.split(":")[4]}:root` }, Action: "kms:*", Resource: "*" }] };
  return { action: "kms:Decrypt", resource: keyArn, context: { "kms:ViaService": `${service}.${region}.amazonaws.com` }, resourcePolicy: keyPolicy };
}

/** The AppConfig configuration ARN an agent prefetch path (`/applications/<app>/environments/<env>/configurations/<profile>`) names. */
function configurationArn(path: string, resources: readonly PolicyResource[]): string | undefined {
  const match = /^\/applications\/([^/]+)\/environments\/([^/]+)\/configurations\/([^/]+)$/.exec(path.trim());
  if (!match) return undefined;
  const application = resources.find((r) => r.type === "aws:appconfig/application:Application" && (r.props.name === match[1] || r.props.id === match[1]));
  if (!application || typeof application.props.arn !== "string") return undefined;
  const applicationId = application.props.id;
  const environment = resources.find(
    (r) => r.type === "aws:appconfig/environment:Environment" && r.props.applicationId === applicationId && (r.props.name === match[2] || r.props.environmentId === match[2]),
  );
  const profile = resources.find(
    (r) =>
      r.type === "aws:appconfig/configurationProfile:ConfigurationProfile" &&
      r.props.applicationId === applicationId &&
      (r.props.name === match[3] || r.props.configurationProfileId === match[3]),
  );
  if (!environment || !profile) return undefined;
  return `${application.props.arn}/environment/${String(environment.props.environmentId)}/configuration/${String(profile.props.configurationProfileId)}`;
}

const VPC_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
];

function functionCalls(fn: PolicyResource, resources: readonly PolicyResource[]): RuntimeCall[] {
  const arn = fn.props.arn;
  if (typeof arn !== "string") return [];
  const [, partition, , region, account] = arn.split(":");
  const group = String(at(fn.props.loggingConfig, "logGroup") ?? `/aws/lambda/${String(fn.props.name)}`);
  const stream = `arn:${partition}:logs:${region}:${account}:log-group:${group}:log-stream:invocation`;
  return asRole(fn.props.role, "lambda.amazonaws.com", `Lambda runs ${fn.name}`, resources, [
    { action: "logs:CreateLogStream", resource: stream },
    { action: "logs:PutLogEvents", resource: stream },
    // Lambda's developer guide: the function's own role creates and manages its network interfaces in the VPC.
    ...(at(fn.props.vpcConfig, "subnetIds") !== undefined ? VPC_ACTIONS.map((action) => ({ action, resource: "*" })) : []),
  ]);
}

function monitorCalls(environment: PolicyResource, resources: readonly PolicyResource[]): RuntimeCall[] {
  return list(environment.props.monitors).flatMap((monitor) => {
    const alarm = at(monitor, "alarmArn");
    if (typeof alarm !== "string") return [];
    const composite = resources.some((r) => r.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm" && r.props.arn === alarm);
    return asRole(at(monitor, "alarmRoleArn"), "appconfig.amazonaws.com", `AppConfig watches ${alarm.split(":").pop()} for ${environment.name}`, resources, [
      composite ? { action: "cloudwatch:DescribeAlarms", resource: "*", compositeAlarms: true } : { action: "cloudwatch:DescribeAlarms", resource: alarm },
    ]);
  });
}

const ALARM_TYPES = new Set(["aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"]);

function publisherCalls(topic: PolicyResource, resources: readonly PolicyResource[], environment?: StackContext["environment"]): RuntimeCall[] {
  const topicArn = topic.props.arn;
  if (typeof topicArn !== "string") return [];
  const account = accountOf(topicArn) ?? "";
  const topicPolicy = resources.find((r) => r.type === "aws:sns/topicPolicy:TopicPolicy" && r.props.arn === topicArn);
  const keyId = topic.props.kmsMasterKeyId;
  const key = resources.find((r) => r.type === "aws:kms/key:Key" && keyId !== undefined && (r.props.arn === keyId || r.props.keyId === keyId));
  const publishers: { caller: string; principal: string; context: Record<string, string>; keyContext: Record<string, string> }[] = [];
  for (const alarm of resources.filter((r) => ALARM_TYPES.has(r.type))) {
    const actions = [...list(alarm.props.alarmActions), ...list(alarm.props.okActions), ...list(alarm.props.insufficientDataActions)];
    if (!actions.includes(topicArn) || typeof alarm.props.arn !== "string") continue;
    const context = { "aws:SourceAccount": account, "aws:SourceArn": alarm.props.arn };
    publishers.push({ caller: `alarm ${alarm.name} notifies`, principal: "cloudwatch.amazonaws.com", context, keyContext: context });
  }
  // An environment stack's topic is notified by the alarms of every service stack that joins it, which its graph cannot
  // hold: one stands in, named as a service stack names its alarms (they start with the contract's namePrefix).
  if (environment?.role === "environment" && environment.contract.alertTopicArn === topicArn) {
    const alarm = `arn:${topicArn.split(":")[1]}:cloudwatch:${environment.contract.region}:${account}:alarm:${environment.contract.namePrefix}-service-stack-alarm`;
    const context = { "aws:SourceAccount": account, "aws:SourceArn": alarm };
    publishers.push({ caller: "an alarm of a service stack notifies", principal: "cloudwatch.amazonaws.com", context, keyContext: context });
  }
  for (const target of resources.filter((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget" && r.props.arn === topicArn)) {
    const rule = resources.find((r) => r.type === "aws:cloudwatch/eventRule:EventRule" && (r.props.name === target.props.rule || r.props.id === target.props.rule));
    if (!rule || typeof rule.props.arn !== "string") continue;
    // SNS's guide: source conditions in a key policy are "not supported for EventBridge-to-encrypted topics".
    publishers.push({ caller: `event rule ${rule.name} notifies`, principal: "events.amazonaws.com", context: { "aws:SourceAccount": account, "aws:SourceArn": rule.props.arn }, keyContext: {} });
  }
  // SNS asks KMS with the topic's ARN as encryption context.
  const encryptionContext = { "kms:EncryptionContext:aws:sns:topicArn": topicArn };
  return publishers.flatMap(({ caller, principal, context, keyContext }) => [
    { caller, principal, action: "sns:Publish", resource: topicArn, context, resourcePolicy: topicPolicy ? parsed(topicPolicy.props.policy) : undefined },
    ...(key && typeof key.props.arn === "string"
      ? ["kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({ caller, principal, action, resource: String(key.props.arn), context: { ...keyContext, ...encryptionContext }, resourcePolicy: parsed(key.props.policy) }))
      : []),
  ]);
}

/** A deployment of the service as ECS names it in a hook's event: `arn:...:service-deployment/<cluster>/<service>/<id>`. */
function serviceDeploymentArn(service: PolicyResource): string {
  const cluster = String(service.props.cluster ?? "");
  const [prefix, clusterName] = cluster.split(":cluster/");
  return `${prefix}:service-deployment/${clusterName ?? ""}/${String(service.props.name ?? "")}/sample-deployment-id`;
}
