import { z } from "zod";
import { ALARM_KINDS, type AlarmSetting } from "../deployment-alarms/kinds";
import * as format from "../formats";
import { KUBERNETES_NAME } from "../naming";
import { RUNTIME_NAMES } from "../runtimes";
import { SLACK_CHANNEL_ID, SLACK_WORKSPACE_ID } from "../environment/notifications";
import { LOAD_BALANCER_NAME } from "../environment/contract";
import { environmentContractSchema } from "../environment/contract-schema";
import { awsProviderSettingsSchema } from "../environment/provider-settings";
import { FLAG_BACKEND_NAMES } from "../feature-flag-store/backends";

/**
 * The value ranges and formats of a ReleaseEnvironment's args, field for field as `ReleaseEnvironmentArgs` types them:
 * what AWS would refuse halfway through `pulumi up`. A stack file's schema derives from this one (src/config/schema.ts).
 * Every field but the few AWS needs is optional: tiers fill the rest.
 */

export const TIERS = ["dev", "staging", "production"] as const;

const int = (min: number, max: number) =>
  z.number({ error: "expected a number" }).int({ error: "expected a whole number" }).min(min).max(max);
const num = (min: number, max: number) => z.number({ error: "expected a number" }).min(min).max(max);
const bool = () => z.boolean({ error: "expected true or false" });
const str = (max = 256) => z.string({ error: "expected a string" }).min(1, { error: "must not be empty" }).max(max);
const list = <T extends z.ZodType>(item: T, max: number) => z.array(item, { error: "expected a list" }).max(max);

export const SERVICE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const FLAG_KEY = /^[a-z][a-zA-Z\d_-]{0,63}$/;

export const networkSchema = z.union(
  [
    z.strictObject({
      vpcId: format.orOutput(format.vpcId),
      publicSubnetIds: format.orOutput(list(format.orOutput(format.subnetId), 16).min(2, { error: "an ALB needs subnets in at least 2 availability zones" })),
      privateSubnetIds: format.orOutput(list(format.orOutput(format.subnetId), 16).min(1, { error: "at least one private subnet is needed" })),
    }),
    z.strictObject({ stackReference: format.stackReference }),
  ],
  { error: "expected {vpcId, publicSubnetIds, privateSubnetIds} or {stackReference: org/project/stack}" },
);

export const ingressSchema = z.strictObject({
  certificateArn: format.orOutput(format.certificateArn).optional(),
  allowedCidrs: list(format.cidr, 50).min(1).optional(),
  internal: bool().optional(),
  testListenerPort: int(1, 65535).optional(),
  /** Sources besides the hooks allowed to reach the test listener, e.g. NAT gateway addresses for an internet-facing ALB. */
  testListenerCidrs: list(format.cidr, 20).optional(),
  idleTimeoutSeconds: int(1, 4000).optional(),
  /** Route 53 hosted zone (its name) where Kubernetes canary services' hosts point at the controller's load balancer. */
  hostedZone: z
    .string({ error: "expected a hosted zone's domain name" })
    .max(253)
    .regex(/^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)(\.(?!-)[a-zA-Z0-9-]{1,63}(?<!-))*\.?$/, { error: "expected a hosted zone's domain name like shop.example.com" })
    .optional(),
  accessLogs: z
    .strictObject({
      enabled: bool().optional(),
      expirationDays: int(1, 3650).optional(),
    })
    .optional(),
});

export const notificationsSchema = z.strictObject({
  emails: list(format.orOutput(format.email), 100).optional(),
  httpsEndpoints: list(format.orOutput(format.httpsUrl), 20).optional(),
  /** Alerts in a Slack channel through AWS Chatbot (the workspace is authorized once in the Chatbot console). */
  slack: z
    .strictObject({
      workspaceId: z.string({ error: "expected a string" }).regex(SLACK_WORKSPACE_ID, { error: "expected a Slack workspace id, e.g. T0123ABCD" }),
      channelId: z.string({ error: "expected a string" }).regex(SLACK_CHANNEL_ID, { error: "expected a Slack channel id, e.g. C0123ABCD" }),
    })
    .optional(),
});

export const STRATEGIES = ["blue-green", "canary", "linear", "rolling"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const bakeMinutes = int(0, 1440);

/** Inside the union of a step the loader's reading of `pulumi config set --path` text as numbers does not reach: read it here. */
const stepNumber = z.preprocess(
  (value) => (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value),
  z.number({ error: "expected a number" }),
);

export const deploymentSchema = z.strictObject({
  strategy: z.enum(STRATEGIES, { error: `expected one of ${STRATEGIES.join(", ")}` }).optional(),
  canaryPercent: num(0.1, 100).optional(),
  canaryBakeMinutes: bakeMinutes.optional(),
  stepPercent: num(3, 100).optional(),
  stepBakeMinutes: bakeMinutes.optional(),
  bakeMinutes: bakeMinutes.optional(),
  /** Arbitrary traffic stages, Kubernetes only: percents, or {percent, pauseMinutes}. Checked by the Kubernetes component's rules. */
  steps: list(z.union([stepNumber, z.strictObject({ percent: stepNumber, pauseMinutes: stepNumber.optional() })], { error: "expected a percent or {percent, pauseMinutes}" }), 100).optional(),
  stepPauseMinutes: z.number({ error: "expected a number" }).optional(),
});

export const healthCheckSchema = z.strictObject({
  path: z.string().regex(/^\/[\x21-\x7e]{0,1023}$/, { error: "expected a path starting with /" }).optional(),
  matcher: z
    .string()
    .regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, { error: "expected HTTP codes like 200 or 200-299" })
    .optional(),
  intervalSeconds: int(5, 300).optional(),
  timeoutSeconds: int(2, 120).optional(),
  healthyThreshold: int(2, 10).optional(),
  unhealthyThreshold: int(2, 10).optional(),
});

export const smokeTestSchema = z.strictObject({
  enabled: bool().optional(),
  paths: list(z.string().regex(/^\/\S*$/, { error: "expected a path starting with /" }), 20).min(1).optional(),
  samples: int(1, 500).optional(),
  minSuccessRate: num(0, 1).optional(),
  timeoutMs: int(100, 30000).optional(),
  expectedStatuses: str(200).optional(),
});

export const COMPARISONS = [
  "GreaterThanThreshold",
  "GreaterThanOrEqualToThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
] as const;
export const STATISTICS = ["Average", "Sum", "Minimum", "Maximum", "SampleCount"] as const;

export const customAlarmSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, { error: "expected a short lower-case name" }),
  namespace: str(255),
  metric: str(255),
  dimensions: z.record(z.string().min(1).max(255), str(1024)).optional(),
  statistic: z.union([z.enum(STATISTICS), z.string().regex(/^p\d{1,2}(\.\d{1,2})?$/)], {
    error: `expected one of ${STATISTICS.join(", ")} or a percentile like p99`,
  }),
  comparison: z.enum(COMPARISONS, { error: `expected one of ${COMPARISONS.join(", ")}` }),
  threshold: z.number({ error: "expected a number" }),
  periodSeconds: z
    .union([z.literal(10), z.literal(20), z.literal(30), z.number().int().min(60).multipleOf(60)], {
      error: "expected 10, 20, 30 or a multiple of 60",
    })
    .optional(),
});

/** One optional number per setting of the alarm kinds, in the kinds' order, within its range. */
const thresholdFields = Object.fromEntries(
  ALARM_KINDS.flatMap((kind) => Object.entries(kind.settings).map(([setting, range]) => [setting, (range.integer ? int : num)(range.min, range.max).optional()])),
) as Record<AlarmSetting, z.ZodOptional<z.ZodNumber>>;

export const alarmsSchema = z.strictObject({
  ...thresholdFields,
  custom: list(customAlarmSchema, 20).optional(),
});

export const autoscalingSchema = z.strictObject({
  min: int(0, 1000).optional(),
  max: int(1, 1000).optional(),
  cpuTargetPercent: num(10, 95).optional(),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" });
const environmentValue = z.string({ error: "expected a string" }).max(32768);

const pathPatterns = list(z.string().min(1).max(128).regex(/^[\w\-./*?~%&+=@:]+$/, { error: "expected a URL path pattern" }), 5);
const hostHeaders = list(z.string().min(1).max(128).regex(/^[a-zA-Z0-9*?.-]+$/, { error: "expected a host name pattern" }), 5);
const priority = int(1, 50000);

export const serviceSchema = z.strictObject({
  runtime: z.enum(RUNTIME_NAMES, { error: `expected one of ${RUNTIME_NAMES.join(", ")}` }).optional(),
  image: format.orOutput(format.image),
  port: int(1, 65535),
  pathPatterns: pathPatterns.optional(),
  hostHeaders: hostHeaders.optional(),
  priority: priority.optional(),
  cpu: int(256, 16384).optional(),
  memory: int(512, 122880).optional(),
  desiredCount: int(0, 1000).optional(),
  autoscaling: autoscalingSchema.optional(),
  healthCheck: healthCheckSchema.optional(),
  deployment: deploymentSchema.optional(),
  smokeTest: smokeTestSchema.optional(),
  alarmGate: z.strictObject({ enabled: bool().optional(), override: str(256).optional() }).optional(),
  alarms: alarmsSchema.optional(),
  environment: z.record(envName, format.orOutput(environmentValue)).optional(),
  /** Values a program holds as secrets (a stack file's `--secret` environment values arrive here). */
  secretEnvironment: z.record(envName, format.orOutput(environmentValue)).optional(),
  secrets: z.record(envName, format.secretReferenceArn).optional(),
  logRetentionDays: z
    .union(
      [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].map((d) =>
        z.literal(d),
      ) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>],
      { error: "expected a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653" },
    )
    .optional(),
});

/** How long a ramp holds a stage: minutes or hours, e.g. 30m, 2h. */
export const FLAG_HOLD = z.string().regex(/^[1-9]\d{0,4}[mh]$/, { error: "expected a duration like 30m or 2h" });

const FLAG_VALUE = z.union([z.string().max(1024), z.number(), z.boolean()], { error: "expected a string, number or boolean" });

export const flagRuleSchema = z.strictObject({
  attribute: z.string().regex(/^[a-zA-Z][\w.-]{0,63}$/, { error: "expected an attribute name like userId" }),
  equals: z.string().max(1024).optional(),
  in: list(z.string().max(1024), 100).min(1).optional(),
  startsWith: z.string().min(1).max(1024).optional(),
  serve: z.string().regex(/^[a-zA-Z][\w-]{0,63}$/, { error: "expected a variant name (on, off or a declared variant)" }),
});

export const flagSchema = z.strictObject({
  description: str(1024),
  owner: str(128),
  expires: z.iso.date({ error: "expected a date like 2027-03-01" }),
  enabled: bool(),
  rollout: z
    .strictObject({
      percent: num(0, 100).optional(),
      by: z.string().regex(/^[a-zA-Z][\w.-]{0,63}$/, { error: "expected an attribute name like userId" }).optional(),
      /** A guarded ramp: each percentage deployed in turn by the flag store's state machine. */
      stages: list(num(0, 100), 20).min(2, { error: "a ramp needs at least two stages" }).optional(),
      every: z.union([FLAG_HOLD, list(FLAG_HOLD, 19)], { error: "expected a duration like 30m or 2h, or a list of them" }).optional(),
    })
    .optional(),
  variants: z
    .record(
      z.string().regex(/^[a-zA-Z][\w-]{0,63}$/, { error: "expected a variant name" }),
      z.union([num(0, 100), z.strictObject({ weight: num(0, 100), value: FLAG_VALUE.optional() })], {
        error: "expected a weight (control: 50) or {weight, value}",
      }),
    )
    .optional(),
  defaultVariant: z.string().regex(/^[a-zA-Z][\w-]{0,63}$/, { error: "expected a declared variant name" }).optional(),
  bucketBy: z.string().regex(/^[a-zA-Z][\w.-]{0,63}$/, { error: "expected an attribute name like userId" }).optional(),
  rules: list(flagRuleSchema, 20).optional(),
  dependsOn: list(z.string(), 10).optional(),
});

export const flagStoreSchema = z.strictObject({
  backend: z.enum(FLAG_BACKEND_NAMES, { error: `expected ${FLAG_BACKEND_NAMES.join(" or ")}` }).optional(),
  ownership: z.enum(["pulumi", "console"], { error: "expected pulumi or console" }).optional(),
  agent: bool().optional(),
  /**
   * Where the AppConfig Agent sidecar's image comes from. @default public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x
   * (ECR Public, which VPC endpoints cannot reach: a network without NAT needs an ECR pull-through cache or a copy
   * in a private repository, e.g. <account>.dkr.ecr.<region>.amazonaws.com/ecr-public/aws-appconfig/aws-appconfig-agent:2.x).
   */
  agentImage: format.image.optional(),
  deployment: z
    .strictObject({
      growthType: z.enum(["LINEAR", "EXPONENTIAL"], { error: "expected LINEAR or EXPONENTIAL" }).optional(),
      growthFactor: num(1, 100).optional(),
      durationMinutes: int(0, 1440).optional(),
      bakeMinutes: int(0, 1440).optional(),
    })
    .optional(),
});

export const KUBERNETES_CONTROLLERS = ["aws-load-balancer-controller", "argo-rollouts"] as const;
const kubernetesName = z
  .string({ error: "expected a string" })
  .regex(KUBERNETES_NAME, { error: "expected a Kubernetes name: lower-case letters, digits and hyphens, at most 63" });

/** The EKS cluster of `runtime: kubernetes` services: a stack exporting kubeconfig (clusterName, clusterSecurityGroupId), or a kubeconfig. */
export const clusterSchema = z.strictObject({
  stackReference: format.stackReference.optional(),
  kubeconfig: format.orOutput(z.string({ error: "expected the kubeconfig's contents" }).min(1)).optional(),
  namespace: kubernetesName.optional(),
  /** The EKS cluster's name, for Pod Identity associations. */
  name: str(100).optional(),
  /** The pods' security group (the EKS cluster security group), which blue/green opens to the load balancer. */
  securityGroupId: format.securityGroupId.optional(),
  /** Controllers the cluster runs, as the user states it: the synth warns about those not listed. */
  controllers: list(z.enum(KUBERNETES_CONTROLLERS, { error: `expected ${KUBERNETES_CONTROLLERS.join(" or ")}` }), 2).optional(),
});

export { LOAD_BALANCER_NAME };

/** One route of an environment stack's routing table (`release:routes.<service>`): where the platform team puts a service. */
export const routeSchema = z.strictObject({
  pathPatterns: pathPatterns.optional(),
  hostHeaders: hostHeaders.optional(),
  priority,
  /** The load balancer the route is on: `main` (the first) unless named; each name is a load balancer of its own. */
  loadBalancer: z.string({ error: "expected a string" }).regex(LOAD_BALANCER_NAME, { error: "expected a load balancer name: a lower-case letter, then at most 5 letters or digits" }).optional(),
  /** The only stack that may release the service, `org/project/stack`. */
  stack: format.stackReference.optional(),
});

export const tierSchema = z.enum(TIERS, { error: `expected one of ${TIERS.join(", ")}` });

/** Services by name, each judged by `service` (a stack file's has no `secretEnvironment`). */
export function servicesOf<T extends z.ZodType>(service: T) {
  return z.record(
    z
      .string()
      .max(40, { error: "service names are at most 40 characters" })
      .regex(SERVICE_NAME, { error: "service names are lower-case letters, digits and single hyphens, starting with a letter" }),
    service,
    { error: "expected a map of service name to its settings (checkout: {image: ..., port: ...}), not a list" },
  );
}

/** `ReleaseEnvironmentArgs`: the value rules `releaseEnvironmentArgsProblems` checks before any other. */
export const releaseEnvironmentArgsSchema = z.strictObject({
  tier: tierSchema,
  region: format.awsRegion,
  aws: awsProviderSettingsSchema.optional(),
  network: networkSchema.optional(),
  ingress: ingressSchema.optional(),
  notifications: notificationsSchema.optional(),
  services: servicesOf(serviceSchema),
  flags: z
    .record(
      z.string().regex(FLAG_KEY, { error: "flag keys match ^[a-z][a-zA-Z\\d_-]{0,63}$ (AppConfig's key pattern)" }),
      flagSchema,
    )
    .optional(),
  flagStore: flagStoreSchema.optional(),
  cluster: clusterSchema.optional(),
  routes: servicesOf(routeSchema).optional(),
  environment: environmentContractSchema.optional(),
});
