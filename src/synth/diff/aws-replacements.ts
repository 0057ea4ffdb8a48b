// What Pulumi does with a changed input, per resource type: replace, update in place, or leave it (ignoreChanges).

/**
 * Inputs whose change makes Pulumi replace the resource. pulumi-aws bridges terraform-provider-aws, whose schema marks
 * them `ForceNew` (e.g. internal/service/sns/topic_subscription.go: endpoint, protocol, topic_arn); the npm package
 * carries no schema, so the fields are listed here. `*` means every input but those in UPDATABLE_IN_PLACE.
 */
export const REPLACES_ON: Readonly<Record<string, readonly string[]>> = {
  // internal/service/ecs/task_definition.go: every argument is ForceNew but tags and skip_destroy (a new revision).
  "aws:ecs/taskDefinition:TaskDefinition": ["*"],
  "aws:sns/topicSubscription:TopicSubscription": ["endpoint", "protocol", "topic"],
  "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
  "aws:iam/role:Role": ["name", "namePrefix"],
  // internal/service/ec2/vpc_security_group.go: a new description or VPC means a new group (and new rules).
  "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "description", "vpcId"],
  "aws:ecs/cluster:Cluster": ["name"],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "internal", "loadBalancerType"],
  "aws:lb/targetGroup:TargetGroup": ["name", "port", "protocol", "targetType", "vpcId"],
  "aws:appconfig/application:Application": [],
  "aws:appconfig/environment:Environment": ["applicationId"],
  "aws:appconfig/configurationProfile:ConfigurationProfile": ["applicationId", "locationUri", "type"],
  "aws:ecs/service:Service": ["name", "cluster", "launchType"],
  "aws:s3/bucket:Bucket": ["bucket"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
  "aws:lambda/function:Function": ["name"],
  // internal/service/appconfig/hosted_configuration_version.go and deployment.go have no Update for these arguments:
  // new content is a new version, and a new version a new deployment.
  "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": ["*"],
  "aws:appconfig/deployment:Deployment": ["*"],
};

export const UPDATABLE_IN_PLACE = new Set(["tags", "tagsAll", "skipDestroy", "trackLatest"]);

/** Why the program puts a field under ignoreChanges, by resource type and field. */
const IGNORED_BECAUSE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "aws:lb/targetGroup:TargetGroup": {
    port: "ECS registers each task with its container port; the group's own port is only a default, and changing it would replace the group",
    name: "a rename would replace the group that ECS and the listener rules still name",
  },
  "aws:lb/listenerRule:ListenerRule": { actions: "ECS rewrites this rule's weights on every deployment; pulumi up keeps what ECS set" },
  "aws:ecs/service:Service": {
    desiredCount: "the count at creation; autoscaling owns it after (change autoscaling.min/max to resize)",
    loadBalancers:
      "ECS swaps the production and alternate target groups on every deployment, and the block is a set whose fields cannot be ignored one by one: a new container port does not reach the service (README: changing a service's port)",
  },
  "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": { content: "flagStore.ownership console: people manage later versions" },
  "aws:appconfig/deployment:Deployment": { configurationVersion: "flagStore.ownership console: people deploy later versions" },
};

export function ignoredBecause(type: string, field: string): string {
  const root = field.split(/[.[]/)[0];
  return IGNORED_BECAUSE[type]?.[root] ?? "under ignoreChanges: pulumi up keeps the value the resource has";
}

/** The ignoreChanges entry a changed input path falls under, if any. */
export function ignoredBy(path: string, ignoreChanges: readonly string[]): string | undefined {
  const field = path.replace(/^inputs\./, "");
  return ignoreChanges.find((ignored) => field === ignored || field.startsWith(`${ignored}.`) || field.startsWith(`${ignored}[`));
}

/** Replacing or removing these loses traffic, state or history: always called out. */
export const CRITICAL = new Map([
  ["aws:lb/loadBalancer:LoadBalancer", "load balancer"],
  ["aws:lb/targetGroup:TargetGroup", "target group"],
  ["aws:appconfig/application:Application", "flag store application"],
  ["aws:appconfig/environment:Environment", "flag store environment"],
  ["aws:appconfig/configurationProfile:ConfigurationProfile", "flag store profile"],
  ["release:aws:FeatureFlagStore", "flag store"],
  ["aws:ecs/service:Service", "ECS service"],
  ["aws:cloudwatch/logGroup:LogGroup", "log group (its logs go with it)"],
  ["aws:sns/topic:Topic", "alert topic"],
]);
