/** Where a Kubernetes service's failed releases are told: Argo's notifications, through a queue, to the alert topic. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import { NAME_LIMITS, physicalName } from "../naming";
import type { ChildContext } from "./child-context";

/**
 * Argo Rollouts' notification triggers that mean a release did not go through, as its built-in catalog names them
 * ("on-rollout-aborted when a rollout process is aborted before completion", "on-analysis-run-failed",
 * "on-analysis-run-error", docs/features/notifications.md), each subscribed for the `awssqs` service with the
 * service's queue as recipient ("queue - name of the queue ... Can be overridden with target destination annotation",
 * docs/generated/notification-services/awssqs.md).
 */
export const RELEASE_FAILURE_TRIGGERS = ["on-rollout-aborted", "on-analysis-run-failed", "on-analysis-run-error"] as const;

export function subscriptions(queueName: string): Record<string, string> {
  return Object.fromEntries(RELEASE_FAILURE_TRIGGERS.map((trigger) => [`notifications.argoproj.io/subscribe.${trigger}.awssqs`, queueName]));
}

/** The queue Argo's notifications of a failed release go to, and the pipe that forwards them. */
export interface ReleaseEvents {
  readonly queue: aws.sqs.Queue;
  readonly pipe: aws.pipes.Pipe;
}

/**
 * Where Argo's notifications of a failed release go: a queue of this service (Argo's notification engine has an SQS
 * service, not an SNS one), and an EventBridge pipe that publishes each message's body to the environment's alert
 * topic, as the EventBridge rule does for ECS deployments. The pipe's role may publish to the topic and have SNS use
 * its key for this topic only (the key policy leaves grants to the account's IAM, the topic policy lets the account
 * publish).
 */
export function createReleaseEvents(context: ChildContext, env: ServiceEnvironment): ReleaseEvents {
  const { name, tags, awsOpts } = context;
  const queue = new aws.sqs.Queue(
    `${name}-release-events`,
    { name: physicalName([env.namePrefix, name], "release-events", 80), sqsManagedSseEnabled: true, messageRetentionSeconds: 4 * 24 * 3600, tags },
    awsOpts,
  );
  const account = aws.getCallerIdentityOutput({}, { parent: awsOpts.parent });
  const role = new aws.iam.Role(
    `${name}-release-events`,
    {
      name: physicalName([env.namePrefix, name], "release-events", NAME_LIMITS.iamRole),
      assumeRolePolicy: account.accountId.apply((accountId) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "pipes.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": accountId } } }],
        }),
      ),
      tags,
    },
    awsOpts,
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-release-events`,
    {
      role: role.name,
      policy: pulumi.all([queue.arn, env.alertTopicArn]).apply(([queueArn, topicArn]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: queueArn },
            { Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
            // SNS asks KMS with the encryption context aws:sns:topicArn, as the key policy's statements expect.
            { Effect: "Allow", Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } } },
          ],
        }),
      ),
    },
    awsOpts,
  );
  const pipe = new aws.pipes.Pipe(
    `${name}-release-events`,
    {
      name: physicalName([env.namePrefix, name], "release-events", 64),
      roleArn: role.arn,
      source: queue.arn,
      sourceParameters: { sqsQueueParameters: { batchSize: 1 } },
      target: env.alertTopicArn,
      // The notification's text, as Argo's template wrote it.
      targetParameters: { inputTemplate: "<$.body>" },
      tags,
    },
    { ...awsOpts, dependsOn: [policy] },
  );
  return { queue, pipe };
}
