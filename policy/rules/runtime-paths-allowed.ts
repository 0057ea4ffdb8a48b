import { decide } from "./iam-simulation";
import { asArray, at, list, parsed, statementsOf } from "./props";
import { joinsEnvironment } from "./environment";
import { defineRule, judged, NOT_APPLICABLE, skipped } from "./result";
import { runtimeCalls } from "./runtime-calls";
import type { PolicyResource, Rule, StackContext } from "./types";

const SOURCE_KEYS = new Set(["aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid"]);

/**
 * Allow statements of the topic and key policies that admit an AWS service without saying on whose behalf (AWS's
 * confused-deputy guidance), except EventBridge in a key policy, where SNS documents source conditions as unsupported.
 */
function confusedDeputies(topic: PolicyResource, resources: readonly PolicyResource[]): string[] {
  const topicPolicy = resources.find((r) => r.type === "aws:sns/topicPolicy:TopicPolicy" && r.props.arn === topic.props.arn);
  const keyId = topic.props.kmsMasterKeyId;
  const key = resources.find((r) => r.type === "aws:kms/key:Key" && keyId !== undefined && (r.props.arn === keyId || r.props.keyId === keyId));
  const problems: string[] = [];
  const check = (owner: string, policy: unknown, exempt: (service: string) => boolean) => {
    for (const statement of statementsOf(policy)) {
      if (statement.Effect !== "Allow") continue;
      const conditioned = Object.values((statement.Condition ?? {}) as Record<string, Record<string, unknown>>).some((keys) =>
        Object.keys(keys).some((name) => SOURCE_KEYS.has(name.toLowerCase())),
      );
      for (const service of asArray(at(statement, "Principal", "Service")).map(String)) {
        if (!conditioned && !exempt(service)) problems.push(`${owner} admits ${service} without an aws:SourceAccount or aws:SourceArn condition (confused deputy)`);
      }
    }
  };
  if (topicPolicy) check(`topic policy ${topicPolicy.name}`, parsed(topicPolicy.props.policy), () => false);
  if (key) check(`key ${key.name}`, parsed(key.props.policy), (service) => service === "events.amazonaws.com");
  return problems;
}

const ALARM_TYPES = new Set(["aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"]);

/** The SNS topics a service stack's alarm notifies that are not in its graph (the environment's). */
function notifiesOtherStacks(resource: PolicyResource, stack: StackContext): string[] {
  if (!ALARM_TYPES.has(resource.type) || !joinsEnvironment(stack)) return [];
  const actions = [...list(resource.props.alarmActions), ...list(resource.props.okActions), ...list(resource.props.insufficientDataActions)].filter((arn): arn is string => typeof arn === "string" && arn.split(":")[2] === "sns");
  return [...new Set(actions)].filter((arn) => !stack.resources.some((r) => r.type === "aws:sns/topic:Topic" && r.props.arn === arn));
}

export const runtimePathsAllowed: Rule = defineRule({
  id: "runtime-paths-allowed",
  description:
    "Every call the running system makes (ECS -> hooks, hooks -> CloudWatch, AppConfig -> alarms, tasks -> ECR/Logs/Secrets/AppConfig, CloudWatch and EventBridge -> SNS/KMS, ECS -> listener rules, Chatbot -> its role) is allowed by the synthesized IAM",
  enforcement: "mandatory",
  judge(resource, stack) {
    const foreignTopics = notifiesOtherStacks(resource, stack);
    if (foreignTopics.length > 0) {
      return skipped(`notifies ${foreignTopics.join(", ")}, the environment's alert topic: whether its topic and key policies let CloudWatch publish for this alarm is judged by the environment stack's check, for an alarm of any service stack`);
    }
    const calls = runtimeCalls(resource, stack);
    // A resource that makes no call at runtime (and no topic, whose publishers are judged): nothing to judge.
    if (calls.length === 0 && resource.type !== "aws:sns/topic:Topic") return NOT_APPLICABLE;
    const denied = calls
      .map((call) => ({ call, decision: decide(call) }))
      .filter(({ decision }) => decision !== "Allowed")
      .map(({ call, decision }) => {
        const why = call.compositeAlarms
          ? " (composite alarms need the permission on *)"
          : call.action === "sts:AssumeRole"
            ? " (trust policy)"
            : call.action === "sns:Publish" && call.resourcePolicy === undefined
              ? " (no topic policy in the stack grants it)"
              : "";
        return `${call.caller}: ${call.principal} ${call.action} on ${call.resource} is ${decision}${why}`;
      });
    return judged([...denied, ...(resource.type === "aws:sns/topic:Topic" ? confusedDeputies(resource, stack.resources) : [])]);
  },
});
