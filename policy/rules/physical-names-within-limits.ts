import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

/**
 * The longest physical name AWS takes for each resource type the program names, by input, from each API's Name
 * constraints (and the provider's docs where they state them): e.g. load balancers and target groups "can have a maximum
 * of 32 characters", AppConfig applications and environments "Maximum length of 64", IAM roles 64, Lambda functions 64,
 * EventBridge rules 64, Step Functions state machines 80, SNS topics "between 1 and 256 characters", log groups 512.
 * A name AWS refuses fails `pulumi up` part-way through, after other resources changed.
 */
export const NAME_LIMITS_BY_TYPE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  "aws:lb/loadBalancer:LoadBalancer": { name: 32 },
  "aws:lb/targetGroup:TargetGroup": { name: 32 },
  "aws:ecs/cluster:Cluster": { name: 255 },
  "aws:ecs/service:Service": { name: 255 },
  "aws:ecs/taskDefinition:TaskDefinition": { family: 255 },
  "aws:iam/role:Role": { name: 64 },
  "aws:iam/rolePolicy:RolePolicy": { name: 128 },
  "aws:lambda/function:Function": { name: 64 },
  "aws:cloudwatch/logGroup:LogGroup": { name: 512 },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { alarmName: 255 },
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": { alarmName: 255 },
  "aws:cloudwatch/dashboard:Dashboard": { dashboardName: 255 },
  "aws:cloudwatch/eventRule:EventRule": { name: 64 },
  "aws:sns/topic:Topic": { name: 256 },
  "aws:ec2/managedPrefixList:ManagedPrefixList": { name: 255 },
  "aws:ec2/securityGroup:SecurityGroup": { name: 255 },
  "aws:appconfig/application:Application": { name: 64 },
  "aws:appconfig/environment:Environment": { name: 64 },
  "aws:appconfig/configurationProfile:ConfigurationProfile": { name: 128 },
  "aws:appconfig/deploymentStrategy:DeploymentStrategy": { name: 64 },
  "aws:appautoscaling/policy:Policy": { name: 256 },
  "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": { configurationName: 128 },
  "aws:sfn/stateMachine:StateMachine": { name: 80 },
  "aws:secretsmanager/secret:Secret": { name: 512 },
  "aws:s3/bucket:Bucket": { bucket: 63, bucketPrefix: 37 },
};

export const physicalNamesWithinLimits: Rule = defineRule({
  id: "physical-names-within-limits",
  description: "Every physical name the program sets fits AWS's length limit for its resource type (load balancers 32, AppConfig 64, IAM roles 64, ...)",
  enforcement: "mandatory",
  judge(resource) {
    const limits = NAME_LIMITS_BY_TYPE[resource.type];
    // A type whose names this rule does not bound, or one that sets none of them (AWS or Pulumi names it).
    if (limits === undefined || Object.keys(limits).every((input) => typeof resource.props[input] !== "string")) return NOT_APPLICABLE;
    return judged(Object.entries(limits).flatMap(([input, max]) => {
      const value = resource.props[input];
      return typeof value === "string" && value.length > max ? [`${input} "${value}" has ${value.length} characters; AWS takes at most ${max}`] : [];
    }));
  },
});
