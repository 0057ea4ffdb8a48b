import type * as pulumi from "@pulumi/pulumi";
import type { BlueGreenServiceArgs } from "../blue-green-service/blue-green-service";
import type { EnvironmentContract } from "../environment/contract";
import type { EnvironmentArgs } from "../environment/environment";
import type { AwsProviderSettings } from "../environment/provider-settings";
import type { ServiceAlarmsArgs, ServiceSmokeTest } from "../service/settings";
import type { SlackChannel } from "../environment/notifications";
import type { Thresholds } from "../deployment-alarms/kinds";
import type { Flags } from "../feature-flag-store/flags/model";
import type { StepInput } from "../kubernetes-service/steps";
import type { Tier } from "../tiers";

/**
 * The arguments of a `ReleaseEnvironment`: the typed form of a stack file's `release:` settings, field for field, so a
 * problem's field is the stack file's path. Everything a stack file may leave out is optional here too and comes from
 * the tier (`TIER_DEFAULTS`).
 */
export interface ReleaseEnvironmentArgs {
  /** dev is fast, staging production-like, production careful; decides every default below. */
  readonly tier: Tier;
  /** AWS Region of every resource. */
  readonly region: string;
  /**
   * The AWS provider's other settings, a stack file's other `aws:` keys (allowedAccountIds, assumeRoles, profile,
   * defaultTags, ...): they reach every AWS resource through the environment's provider. @default {}
   */
  readonly aws?: AwsProviderSettings;
  /**
   * The VPC and its subnets, or a stack that exports `vpcId`, `publicSubnetIds` and `privateSubnetIds`. Required unless
   * `environment` is given (then it is the environment stack's, and refused here).
   * @default none: required where the environment is made here; refused with `environment`
   */
  readonly network?: ReleaseNetworkArgs;
  /** The load balancer's listeners. @default HTTPS (HTTP in dev without a certificate) open to all, test listener on 9000 */
  readonly ingress?: ReleaseIngressArgs;
  /** Who hears of alarms, rollbacks and flag deployments. Staging and production need at least one subscriber. @default none */
  readonly notifications?: ReleaseNotificationsArgs;
  /** Services by name (lower-case, hyphenated); each is released by ECS's native engine or by Argo Rollouts. */
  readonly services: Readonly<Record<string, ReleaseServiceArgs>>;
  /** Feature flags, stored in AWS AppConfig (or flagd) and rolled back when a service's alarms fire. @default {} */
  readonly flags?: Flags;
  /** Where the flags live and how they roll out. @default AppConfig, owned by Pulumi, the agent in every task, the tier's strategy */
  readonly flagStore?: ReleaseFlagStoreArgs;
  /** The EKS cluster of `runtime: kubernetes` services. @default none (no Kubernetes service allowed) */
  readonly cluster?: ReleaseClusterArgs;
  /**
   * The routing table of an environment stack: where each service of the service stacks that join it goes (its paths
   * or hosts, priority and load balancer). An environment with routes exports its contract (`ENVIRONMENT_OUTPUT`).
   * @default none
   */
  readonly routes?: Readonly<Record<string, ReleaseRouteArgs>>;
  /**
   * A service stack: the environment it joins, as that environment's stack exported it (read it with
   * `readEnvironmentContract`). Its services take their routes from the contract; it makes no network, load balancer,
   * cluster or alert topic of its own. @default none (the environment is made here)
   */
  readonly environment?: EnvironmentContract;
}

/** One route of an environment stack's routing table. At least one of pathPatterns and hostHeaders. */
export interface ReleaseRouteArgs {
  /** Path patterns of the service's listener rules. @default [] */
  readonly pathPatterns?: readonly string[];
  /** Host headers of the service's listener rules. @default [] */
  readonly hostHeaders?: readonly string[];
  /** The listener rule priority, unique among the routes of its load balancer. */
  readonly priority: number;
  /** The load balancer the route is on; each name is a load balancer with its own listeners. @default "main" */
  readonly loadBalancer?: string;
  /** The only stack that may release the service, `org/project/stack`. @default any stack */
  readonly stack?: string;
}

export type ReleaseNetworkArgs =
  | {
      readonly vpcId: pulumi.Input<string>;
      /** Subnets of the load balancer, in at least two availability zones. */
      readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
      /** Subnets of the tasks and the hook functions. */
      readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    }
  | {
      /** `org/project/stack` of a stack exporting vpcId, publicSubnetIds and privateSubnetIds. */
      readonly stackReference: string;
    };

/** The load balancer's listeners, as `Environment` takes them. */
export interface ReleaseIngressArgs
  extends Pick<EnvironmentArgs, "certificateArn" | "allowedCidrs" | "internal" | "testListenerPort" | "testListenerCidrs" | "idleTimeoutSeconds"> {
  /**
   * The Route 53 hosted zone (its name, e.g. `shop.example.com`; the private zone of that name when `internal`) in which
   * each host of a Kubernetes canary, linear or steps service gets an alias record to the AWS Load Balancer
   * Controller's load balancer. @default none (such services are refused without it)
   */
  readonly hostedZone?: string;
  /** Load balancer access logs in an S3 bucket. @default off / off / on (dev / staging / production), objects kept 90 days */
  readonly accessLogs?: { readonly enabled?: boolean; readonly expirationDays?: number };
}

export interface ReleaseNotificationsArgs {
  /** @default [] */
  readonly emails?: readonly pulumi.Input<string>[];
  /** @default [] */
  readonly httpsEndpoints?: readonly pulumi.Input<string>[];
  /** A Slack channel through AWS Chatbot. @default none */
  readonly slack?: SlackChannel;
}

/** A service's settings; those shared with `BlueGreenService` read as it documents them. */
export interface ReleaseServiceArgs
  extends Pick<BlueGreenServiceArgs, "port" | "pathPatterns" | "hostHeaders" | "cpu" | "memory" | "desiredCount" | "healthCheck" | "logRetentionDays"> {
  /**
   * The listener rule priority, unique on the environment's load balancer. Required where the environment is made here;
   * refused in a service stack (`environment`), whose services take theirs from their route.
   * @default none: required where the environment is made here; the route's (`routes.<service>.priority` of the environment stack) in a service stack
   */
  readonly priority?: number;
  /** @default "ecs" */
  readonly runtime?: "ecs" | "kubernetes";
  /**
   * Container image, pinned to a tag or digest (`latest` is refused in production). An Output (an image built in the
   * same program, e.g. with docker-build or awsx) is taken as it is: its tag is known only at deployment, where the
   * `production-image-pinned` policy rule checks it.
   */
  readonly image: pulumi.Input<string>;
  /** @default fixed / desiredCount..2x at 60% CPU / desiredCount..4x at 60% CPU */
  readonly autoscaling?: { readonly min?: number; readonly max?: number; readonly cpuTargetPercent?: number };
  /** @default blue-green, bake 0 / blue-green, bake 5 / canary 10%, bake 5 then 15 */
  readonly deployment?: ReleaseDeploymentArgs;
  /** The smoke test on the test listener before production traffic moves. @default off / on / on */
  readonly smokeTest?: Omit<ServiceSmokeTest, "maxAttempts"> & { readonly enabled?: boolean };
  /** Refuses to scale up a new version while the service's alarms fire; `override` names why to deploy anyway. @default off / on / on */
  readonly alarmGate?: { readonly enabled?: boolean; readonly override?: string };
  /** Rollback alarms over the service's target groups. @default the tier's thresholds */
  readonly alarms?: Partial<Thresholds> & Pick<ServiceAlarmsArgs, "custom">;
  /** Plain environment variables (visible in the task definition and the plan). @default {} */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Environment variables whose values are secret: stored in Secrets Manager by the service (ECS only). @default {} */
  readonly secretEnvironment?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Variables from Secrets Manager secret or SSM parameter ARNs (ECS only). @default {} */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface ReleaseDeploymentArgs {
  /** How a new version takes traffic; `rolling` (no test listener, no hooks) only in dev. @default blue-green / blue-green / canary */
  readonly strategy?: "blue-green" | "canary" | "linear" | "rolling";
  /** @default 10 */
  readonly canaryPercent?: number;
  /** @default 5 */
  readonly canaryBakeMinutes?: number;
  /** @default 10 */
  readonly stepPercent?: number;
  /** @default 2 */
  readonly stepBakeMinutes?: number;
  /** Minutes the new version serves everyone before the old one goes. @default 0 / 5 / 15 */
  readonly bakeMinutes?: number;
  /** Kubernetes only: arbitrary traffic stages (Argo Rollouts). @default none: the strategy's stages */
  readonly steps?: readonly StepInput[];
  /** Kubernetes only: the pause after each of `steps` without its own. @default 0 */
  readonly stepPauseMinutes?: number;
}

export interface ReleaseFlagStoreArgs {
  /** Where the flags are served from: a name in `FLAG_BACKENDS`, which must list every one of these. @default "appconfig" */
  readonly backend?: "appconfig" | "flagd";
  /** `console`: flags edited in the AppConfig console after the first deployment. @default "pulumi" */
  readonly ownership?: "pulumi" | "console";
  /** The AWS AppConfig Agent sidecar in every task. @default true */
  readonly agent?: boolean;
  /**
   * The agent's image. ECR Public, the default, is on the internet and VPC endpoints do not serve it: without NAT use an
   * ECR pull-through cache (`<account>.dkr.ecr.<region>.amazonaws.com/ecr-public/aws-appconfig/aws-appconfig-agent:2.x`)
   * or a private copy. @default "public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x"
   */
  readonly agentImage?: string;
  /** AppConfig deployment strategy. @default all at once / 50% steps over 4 min, bake 5 / 20% steps over 20 min, bake 10 */
  readonly deployment?: {
    readonly growthType?: "LINEAR" | "EXPONENTIAL";
    readonly growthFactor?: number;
    readonly durationMinutes?: number;
    readonly bakeMinutes?: number;
  };
}

export interface ReleaseClusterArgs {
  /** `org/project/stack` exporting kubeconfig (and clusterName, clusterSecurityGroupId); or give `kubeconfig`. @default none */
  readonly stackReference?: string;
  /** The cluster's kubeconfig, instead of `stackReference`. @default none */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Namespace of every Kubernetes object. @default the component's name */
  readonly namespace?: string;
  /** The EKS cluster's name, for Pod Identity. @default the referenced stack's clusterName */
  readonly name?: string;
  /** The pods' security group. @default the referenced stack's clusterSecurityGroupId */
  readonly securityGroupId?: string;
  /** Controllers the cluster runs, as its owner states it. @default [] */
  readonly controllers?: readonly ("aws-load-balancer-controller" | "argo-rollouts")[];
}
