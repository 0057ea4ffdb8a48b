import type * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";

/* The shapes a service of either runtime takes (ECS BlueGreenService, KubernetesService), apart from either. */

export interface HealthCheck {
  /** @default "/" */
  readonly path?: string;
  /** @default "200-399" */
  readonly matcher?: string;
  /** @default 10 in dev, 15 in staging and production (`TIER_DEFAULTS`) */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 2 */
  readonly healthyThreshold?: number;
  /** @default 3 */
  readonly unhealthyThreshold?: number;
}

export interface Autoscaling {
  readonly min: number;
  readonly max: number;
  /** Average CPU utilization the service scales to hold. */
  readonly cpuTargetPercent: number;
}

export interface Sidecar {
  /** A container definition as ECS takes it (name, image, portMappings, environment...); logs go to the service's log group unless it sets logConfiguration. */
  readonly definition: pulumi.Input<Record<string, unknown>>;
}

/** What a service's validator reads of its environment, so arguments can be checked before any environment exists. */
export type EnvironmentFacts = Pick<ServiceEnvironment, "tier" | "namePrefix">;

/** The arguments a service of either runtime takes: its image and port, its routes on the environment's listeners, its size, count and health. */
export interface ServiceArgsBase {
  /** The environment whose load balancer, listeners, alert topic and tier the service joins (an ECS service also its cluster). */
  readonly environment: ServiceEnvironment;
  /** Container image, pinned to a tag or digest. */
  readonly image: pulumi.Input<string>;
  /** The container's port: the target groups forward to it, and a Kubernetes service's Services listen on it. */
  readonly port: number;
  /** Path patterns of the listener rules. At least one of pathPatterns and hostHeaders. @default [] */
  readonly pathPatterns?: readonly string[];
  /** Host headers of the listener rules. @default [] */
  readonly hostHeaders?: readonly string[];
  /** Listener rule priority, unique on the environment's listeners (a Kubernetes service puts rules there for blue/green only). */
  readonly priority: number;
  /**
   * CPU units, 1024 to a vCPU: the Fargate task's size on ECS, the container's request and limit on Kubernetes.
   * @default 256 / 512 / 512 (dev / staging / production, `TIER_DEFAULTS`)
   */
  readonly cpu?: number;
  /** Memory in MiB: the Fargate task's on ECS, the container's request and limit on Kubernetes. @default 512 / 1024 / 1024 */
  readonly memory?: number;
  /**
   * Tasks (replicas) when the service is created; autoscaling owns the count afterwards (on Kubernetes a
   * HorizontalPodAutoscaler, when autoscaling has room). @default 1 / 2 / 3
   */
  readonly desiredCount?: number;
  /** Task (replica) count scaling on CPU. @default fixed / desiredCount..2x, 60% / desiredCount..4x, 60% */
  readonly autoscaling?: Autoscaling;
  /**
   * The target groups' health check, and on Kubernetes the readiness and liveness probes; each field left out is the
   * tier's. @default `GET /`, 200-399, every 10 s (dev) or 15 s
   */
  readonly healthCheck?: HealthCheck;
  /** Seconds a target drains before it leaves a target group. @default 5 / 30 / 60 */
  readonly deregistrationDelaySeconds?: number;
  /** Plain environment variables of the container. @default {} */
  readonly environmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Containers beside the service's own, e.g. the AWS AppConfig Agent, as ECS container definitions (on Kubernetes their
   * name, image, portMappings and environment). @default []
   */
  readonly sidecars?: readonly Sidecar[];
}
