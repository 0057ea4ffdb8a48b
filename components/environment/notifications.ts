import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../arguments";
import { physicalName, shortHash } from "../naming";

/** A Slack channel that AWS Chatbot posts the alert topic's messages to. */
export interface SlackChannel {
  /** The Slack workspace (team) id, authorized once in the AWS Chatbot console, e.g. `T0123ABCD`. */
  readonly workspaceId: string;
  /** The channel id, e.g. `C0123ABCD` (Slack: channel details, bottom). */
  readonly channelId: string;
}

/** The id formats AWS Chatbot's API accepts (`SlackTeamId`, `SlackChannelId`). */
export const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
export const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;

/**
 * The Regions AWS Chatbot's API exists in. AWS: "APIs are currently available in the following Regions: US East (Ohio) -
 * us-east-2, US West (Oregon) - us-west-2, Asia Pacific (Singapore) - ap-southeast-1, Europe (Ireland) - eu-west-1"
 * (Chatbot API Reference, Welcome); elsewhere `CreateSlackChannelConfiguration` cannot even connect.
 */
export const CHATBOT_REGIONS: readonly string[] = ["us-east-2", "us-west-2", "ap-southeast-1", "eu-west-1"];

/**
 * Where the Slack channel configuration is created: the stack's Region when Chatbot has one there, else us-east-2, the
 * Region of Chatbot's console ("The AWS Chatbot console can only be used in US East (Ohio)"). The topic stays in the
 * stack's Region; Chatbot subscribes to it across Regions like any SNS subscriber (judged: SNS delivers to
 * subscribers in other Regions; the console offers topics of every Region).
 */
export function chatbotRegion(stackRegion: string): string {
  return CHATBOT_REGIONS.includes(stackRegion) ? stackRegion : "us-east-2";
}

/** Problems with a Slack channel's ids, each naming its field. */
export function slackChannelProblems(slack: SlackChannel | undefined): ArgumentProblem[] {
  if (!slack) return [];
  return [
    ...(SLACK_WORKSPACE_ID.test(slack.workspaceId) ? [] : [{ field: ["workspaceId"], message: "must be upper-case letters and digits, e.g. T0123ABCD", got: slack.workspaceId }]),
    ...(SLACK_CHANNEL_ID.test(slack.channelId) ? [] : [{ field: ["channelId"], message: "must be letters and digits, e.g. C0123ABCD", got: slack.channelId }]),
  ];
}

export interface AlertNotificationsArgs {
  readonly namePrefix: string;
  /** Addresses subscribed by e-mail (each must confirm). @default [] */
  readonly emails?: readonly pulumi.Input<string>[];
  /** HTTPS endpoints subscribed (they must confirm the subscription themselves). @default [] */
  readonly httpsEndpoints?: readonly pulumi.Input<string>[];
  /** A Slack channel fed through AWS Chatbot. @default none */
  readonly slack?: SlackChannel;
  /** The ECS cluster whose service deployments (started or rolling back, completed, failed) notify the topic. */
  readonly clusterArn: pulumi.Input<string>;
}

interface Account {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** ECS names every service of a cluster `arn:…:service/<cluster name>/<service name>`. */
export function clusterServiceArnPrefix(clusterArn: string): string {
  return `${clusterArn.replace(":cluster/", ":service/")}/`;
}

/** @internal */
/**
 * ECS deployment state changes of one cluster's services. A rollback is a new deployment: ECS sends
 * SERVICE_DEPLOYMENT_IN_PROGRESS "for both initial deployments and rollback deployments", told apart by `reason`.
 */
export function ecsDeploymentEventPattern(clusterArn: string): Record<string, unknown> {
  return {
    source: ["aws.ecs"],
    "detail-type": ["ECS Deployment State Change"],
    resources: [{ prefix: clusterServiceArnPrefix(clusterArn) }],
    detail: { eventName: ["SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_DEPLOYMENT_FAILED"] },
  };
}

/** @internal */
/**
 * AppConfig deployment outcomes of one application. EventBridge's reference calls the rollback event "On Deployment
 * Rollback" while the extension's action point is ON_DEPLOYMENT_ROLLED_BACK; excluding the progress events matches it
 * under either name.
 */
export function flagDeploymentEventPattern(applicationId: string): Record<string, unknown> {
  return {
    source: ["aws.appconfig"],
    "detail-type": [{ "anything-but": ["On Deployment Start", "On Deployment Step", "On Deployment Baking"] }],
    detail: { Application: { Id: [applicationId] } },
  };
}

/** @internal */
/**
 * The key of the alert topic: the account administers it; CloudWatch and EventBridge may encrypt what they publish to
 * this topic only (SNS asks KMS with the encryption context `aws:sns:topicArn`).
 */
export function alertKeyPolicy(account: Account, topicArn: string): Record<string, unknown> {
  const thisTopic = { "kms:EncryptionContext:aws:sns:topicArn": topicArn };
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:${account.partition}:iam::${account.accountId}:root` }, Action: "kms:*", Resource: "*" },
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        // Confused deputy: only alarms of this account may have CloudWatch use the key.
        Condition: { StringEquals: { "aws:SourceAccount": account.accountId, ...thisTopic } },
      },
      {
        // "Adding the aws:SourceAccount and aws:SourceArn to a AWS KMS policy is not supported for EventBridge-to-encrypted topics" (SNS guide).
        Sid: "EventBridgeRulesPublish",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: thisTopic },
      },
    ],
  };
}

/** @internal */
/** The alert topic's policy: the account owns it; this account's alarms and event rules, and nothing else, may publish. */
export function alertTopicPolicy(account: Account, topicArn: string): Record<string, unknown> {
  const { partition, region, accountId } = account;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountOwns",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: [
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:AddPermission",
          "sns:RemovePermission",
          "sns:DeleteTopic",
          "sns:Subscribe",
          "sns:ListSubscriptionsByTopic",
          "sns:Publish",
        ],
        Resource: topicArn,
      },
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*` },
        },
      },
      {
        Sid: "EventBridgeRulesPublish",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": `arn:${partition}:events:${region}:${accountId}:rule/*` },
        },
      },
    ],
  };
}

/** Read-only: Chatbot renders alarm graphs, and channel members can run nothing beyond the guardrail. */
const CHATBOT_POLICY = "CloudWatchReadOnlyAccess";

export interface AlertNotifications {
  readonly key: aws.kms.Key;
  readonly topic: aws.sns.Topic;
  readonly topicPolicy: aws.sns.TopicPolicy;
}

/**
 * The environment's alert topic (encrypted with a key of its own: CloudWatch cannot use the AWS-managed SNS key), its
 * policy, its subscriptions, the optional Slack channel, and the EventBridge rule that reports ECS deployments of the
 * cluster. Resources keep the names they had as children of `Environment`.
 */
export function createAlertNotifications(name: string, args: AlertNotificationsArgs, opts: pulumi.CustomResourceOptions): AlertNotifications {
  const invoke: pulumi.InvokeOutputOptions = { parent: opts.parent, provider: opts.provider };
  const account = accountOf(invoke);
  const topicName = physicalName([args.namePrefix], "alerts", 256);
  const key = new aws.kms.Key(
    `${name}-alerts`,
    {
      description: `Encrypts the ${args.namePrefix} alert topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      // The topic's ARN follows from its name, so the key names it before the topic exists.
      policy: account.apply((values) => JSON.stringify(alertKeyPolicy(values, `arn:${values.partition}:sns:${values.region}:${values.accountId}:${topicName}`))),
    },
    opts,
  );
  const topic = new aws.sns.Topic(`${name}-alerts`, { name: topicName, kmsMasterKeyId: key.arn }, opts);
  const topicPolicy = new aws.sns.TopicPolicy(
    `${name}-alerts`,
    { arn: topic.arn, policy: pulumi.all([account, topic.arn]).apply(([values, arn]) => JSON.stringify(alertTopicPolicy(values, arn))) },
    opts,
  );
  subscribe(name, topic, "email", args.emails ?? [], opts);
  subscribe(name, topic, "https", args.httpsEndpoints ?? [], opts);
  if (args.slack) slackChannel(name, args.namePrefix, args.slack, topic, account, opts);
  publishEvents(
    `${name}-ecs-deployments`,
    {
      ruleName: physicalName([args.namePrefix], "ecs-deployments", 64),
      description: `ECS deployments of ${args.namePrefix} (started or rolling back, completed, failed)`,
      pattern: pulumi.output(args.clusterArn).apply(ecsDeploymentEventPattern),
      topicArn: topic.arn,
      topicPolicy,
    },
    opts,
  );
  return { key, topic, topicPolicy };
}

export interface FlagDeploymentNotificationsArgs {
  readonly namePrefix: string;
  readonly topicArn: pulumi.Input<string>;
  /**
   * The policy that lets EventBridge publish, so the rule's target works from its first event; none when the topic is
   * another stack's (an environment stack's policy admits every rule of the account and Region: `alertTopicPolicy`).
   */
  readonly topicPolicy?: pulumi.Resource;
  readonly applicationId: pulumi.Input<string>;
  readonly environmentId: pulumi.Input<string>;
}

/**
 * AppConfig flag deployments of one environment (completed, rolled back) notify the alert topic: AppConfig's own
 * "deployment events to Amazon EventBridge" extension, associated with the environment, sends them to the default bus.
 */
export function notifyFlagDeployments(name: string, args: FlagDeploymentNotificationsArgs, opts: pulumi.CustomResourceOptions): void {
  const account = accountOf({ parent: opts.parent, provider: opts.provider });
  new aws.appconfig.ExtensionAssociation(
    `${name}-flag-events`,
    {
      extensionArn: account.apply(({ partition, region }) => `arn:${partition}:appconfig:${region}::extension/AWS.AppConfig.DeploymentNotificationsToEventBridge/1`),
      resourceArn: pulumi
        .all([account, args.applicationId, args.environmentId])
        .apply(([{ partition, region, accountId }, application, environment]) => `arn:${partition}:appconfig:${region}:${accountId}:application/${application}/environment/${environment}`),
    },
    opts,
  );
  publishEvents(
    `${name}-flag-deployments`,
    {
      ruleName: physicalName([args.namePrefix], "flag-deployments", 64),
      description: `AppConfig flag deployments of ${args.namePrefix} (completed, rolled back)`,
      pattern: pulumi.output(args.applicationId).apply(flagDeploymentEventPattern),
      topicArn: args.topicArn,
      topicPolicy: args.topicPolicy,
    },
    opts,
  );
}

function accountOf(invoke: pulumi.InvokeOutputOptions): pulumi.Output<Account> {
  const caller = aws.getCallerIdentityOutput({}, invoke);
  const partition = aws.getPartitionOutput({}, invoke);
  const region = aws.getRegionOutput({}, invoke);
  return pulumi
    .all([partition.partition, region.region, caller.accountId])
    .apply(([partitionName, regionName, accountId]): Account => ({ partition: partitionName, region: regionName, accountId }));
}

function publishEvents(
  name: string,
  args: { ruleName: string; description: string; pattern: pulumi.Output<Record<string, unknown>>; topicArn: pulumi.Input<string>; topicPolicy?: pulumi.Resource },
  opts: pulumi.CustomResourceOptions,
): void {
  const rule = new aws.cloudwatch.EventRule(
    name,
    { name: args.ruleName, description: args.description, eventPattern: args.pattern.apply((pattern) => JSON.stringify(pattern)) },
    opts,
  );
  new aws.cloudwatch.EventTarget(name, { rule: rule.name, arn: args.topicArn }, args.topicPolicy ? { ...opts, dependsOn: [args.topicPolicy] } : opts);
}

/** AWS Chatbot subscribes itself to the topic; a Slack incoming webhook could never confirm an SNS subscription. */
function slackChannel(
  name: string,
  namePrefix: string,
  slack: SlackChannel,
  topic: aws.sns.Topic,
  account: pulumi.Output<Account>,
  opts: pulumi.CustomResourceOptions,
): void {
  const readOnly = account.apply(({ partition }) => `arn:${partition}:iam::aws:policy/${CHATBOT_POLICY}`);
  const role = new aws.iam.Role(
    `${name}-chatbot`,
    {
      name: physicalName([namePrefix], "chatbot", 64),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "chatbot.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
      managedPolicyArns: [readOnly],
    },
    opts,
  );
  new aws.chatbot.SlackChannelConfiguration(
    `${name}-slack`,
    {
      // Only where the stack's Region has no Chatbot API: elsewhere the provider's Region, as before.
      region: account.apply(({ region }) => (chatbotRegion(region) === region ? undefined : chatbotRegion(region))),
      configurationName: physicalName([namePrefix], "alerts", 128),
      iamRoleArn: role.arn,
      slackTeamId: slack.workspaceId,
      slackChannelId: slack.channelId,
      snsTopicArns: [topic.arn],
      // Without guardrails Chatbot applies AdministratorAccess to what channel members may run.
      guardrailPolicyArns: [readOnly],
      loggingLevel: "ERROR",
    },
    opts,
  );
}

/** Subscriptions named by a digest of the endpoint, so reordering the list changes nothing; secrets by position. */
function subscribe(
  name: string,
  topic: aws.sns.Topic,
  protocol: "email" | "https",
  endpoints: readonly pulumi.Input<string>[],
  opts: pulumi.CustomResourceOptions,
): void {
  endpoints.forEach((endpoint, index) => {
    const key = typeof endpoint === "string" ? shortHash(endpoint) : `${index}`;
    new aws.sns.TopicSubscription(
      `${name}-${protocol}-${key}`,
      {
        topic: topic.arn,
        protocol,
        endpoint,
        ...(protocol === "https" ? { endpointAutoConfirms: false } : {}),
      },
      opts,
    );
  });
}
