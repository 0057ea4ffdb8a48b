/** What a KubernetesService takes, and the same once its tier has filled what the caller left out. */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { DeploymentStrategy } from "../blue-green-service/strategy";
import type { AlarmSettings } from "../deployment-alarms/deployment-alarms";
import type { EnvironmentFacts, ServiceArgsBase } from "../service/args";
import type { ServiceAlarmsArgs, ServiceHooksArgs, ServiceTierSettings } from "../service/settings";
import type { CanaryDnsZone } from "./dns";
import type { StepInput } from "./steps";

export interface KubernetesServiceArgs extends ServiceArgsBase {
  /** The cluster's provider: every Kubernetes object of the service is created through it. */
  readonly provider: k8s.Provider;
  /** Namespace of the service's objects (it must exist or be created by the caller). */
  readonly namespace: string;
  /** blue-green, canary or linear, as on ECS. @default the tier's, as a BlueGreenService's; canary when `steps` are given */
  readonly deployment?: DeploymentStrategy;
  /** Arbitrary stages instead of the strategy's; each percent above the last, at most 100. @default none */
  readonly steps?: readonly StepInput[];
  /** Pause after each bare-number step. @default 0 */
  readonly stepPauseMinutes?: number;
  /**
   * The ECS alarm thresholds and timing: the service's CloudWatch alarms (blue/green) and Argo's analysis use the same.
   * `extraAlarmNames` does not apply: Argo judges metrics, not alarms. @default the tier's (`TIER_DEFAULTS[tier].alarms`)
   */
  readonly alarms?: ServiceAlarmsArgs;
  /**
   * `smokeTest`: a job analysis against the new version's Service before it gets user traffic; `alarmGate`: an
   * analysis of the alarm math on the new version right before promotion (both @default none / on / on). Argo has no
   * lifecycle hooks or gate override: `extraLifecycleHooks` and `alarmGate.override` do not apply.
   */
  readonly hooks?: ServiceHooksArgs;
  /** Security group of the pods (the EKS cluster security group): blue/green opens it to the load balancer. @default none (blue/green requires it) */
  readonly podSecurityGroupId?: pulumi.Input<string>;
  /** Canary Ingress: subnets of the controller-managed load balancer (public, or private when internal). @default none (canary, linear and steps require it) */
  readonly ingressSubnetIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** @default false */
  readonly internal?: boolean;
  /** HTTPS on the canary Ingress. @default HTTP only */
  readonly certificateArn?: pulumi.Input<string>;
  /** @default ["0.0.0.0/0"] */
  readonly allowedCidrs?: readonly string[];
  /** EKS Pod Identity: a role for the service account, e.g. for the AppConfig Agent. @default no role */
  readonly podIdentity?: { readonly clusterName: pulumi.Input<string> };
  /**
   * Canary, linear and steps: the Route 53 hosted zone of `hostHeaders`, where each host gets an alias record to the
   * controller's load balancer (DNS sends a host, never a path, to a load balancer). @default none (canary, linear and steps require it)
   */
  readonly dnsZone?: CanaryDnsZone;
  /** Canary Ingress: the controller's load balancer's idle timeout, as the environment's. @default 60 */
  readonly idleTimeoutSeconds?: number;
}

/** A service's arguments once its tier has filled them: strategy, size, count, health, hooks, alarm thresholds and timing. */
export type ResolvedKubernetesServiceArgs<A extends KubernetesServiceArgsToCheck = KubernetesServiceArgs> = A &
  ServiceTierSettings & { readonly deployment: DeploymentStrategy; readonly alarms: ServiceAlarmsArgs & AlarmSettings };

/** A service's arguments as its validator takes them: the environment as facts, and no cluster provider. */
export type KubernetesServiceArgsToCheck = Omit<KubernetesServiceArgs, "environment" | "provider"> & { readonly environment: EnvironmentFacts };
