import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import { NAME_LIMITS, physicalName } from "../naming";
import type { AwsAccount } from "./aws-account";

export interface TaskStartWatchArgs {
  readonly environment: Pick<ServiceEnvironment, "namePrefix" | "clusterName" | "alertTopicArn">;
  readonly tags: Record<string, string>;
  readonly account: AwsAccount;
}

export interface TaskStartWatch {
  readonly rule: aws.cloudwatch.EventRule;
  /** Sends the rule's events to the environment's alert topic. */
  readonly target: aws.cloudwatch.EventTarget;
  /** In ALARM while the rule matches: the service adds its name to the alarms ECS rolls a deployment back on. */
  readonly alarm: aws.cloudwatch.MetricAlarm;
}

/**
 * An EventBridge rule for the service's SERVICE_TASK_START_IMPAIRED events (to the alert topic) and an alarm on the
 * rule's `TriggeredRules` metric, whose name the service adds to the alarms ECS rolls a deployment back on.
 *
 * New tasks that never start: ECS's deployment circuit breaker would fail such a deployment, but it is documented for
 * rolling services ("The deployment circuit breaker can only be used for services using the rolling update (ECS)
 * deployment type", API reference) and at most blue/green ("Both methods only support rolling update deployment and
 * blue/green deployment types", developer guide), never canary or linear. So a traffic-shifting service watches
 * ECS's own SERVICE_TASK_START_IMPAIRED ("The service is unable to consistently start tasks successfully") through
 * an alarm ECS rolls back on, whatever the strategy; the rule also tells the alert topic.
 */
export function createTaskStartWatch(name: string, args: TaskStartWatchArgs, parent: pulumi.Resource): TaskStartWatch {
  const opts: pulumi.CustomResourceOptions = { parent };
  const { environment: env, tags, account } = args;
  const prefix = env.namePrefix;
  // Built, not read from the service: the service waits for this alarm, so it cannot be an input of it.
  const serviceArn = pulumi.interpolate`arn:${account.partition}:ecs:${account.region}:${account.accountId}:service/${env.clusterName}/${name}`;
  const rule = new aws.cloudwatch.EventRule(
    `${name}-task-start-impaired`,
    {
      name: physicalName([prefix, name], "task-start-impaired", 64),
      description: `${name}: ECS cannot consistently start the service's tasks (a deployment whose new tasks never become healthy)`,
      eventPattern: serviceArn.apply((arn) =>
        JSON.stringify({ source: ["aws.ecs"], "detail-type": ["ECS Service Action"], resources: [arn], detail: { eventName: ["SERVICE_TASK_START_IMPAIRED"] } }),
      ),
      tags,
    },
    opts,
  );
  const target = new aws.cloudwatch.EventTarget(`${name}-task-start-impaired`, { rule: rule.name, arn: env.alertTopicArn }, opts);
  const alarm = new aws.cloudwatch.MetricAlarm(
    `${name}-task-start-impaired`,
    {
      name: physicalName([prefix, name], "task-start-impaired", NAME_LIMITS.alarm),
      alarmDescription: `${name}: ECS reported SERVICE_TASK_START_IMPAIRED; ECS rolls the deployment back on this alarm`,
      namespace: "AWS/Events",
      metricName: "TriggeredRules",
      dimensions: { RuleName: rule.name },
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [env.alertTopicArn],
      okActions: [env.alertTopicArn],
      tags,
    },
    opts,
  );
  return { rule, target, alarm };
}
