import type * as pulumi from "@pulumi/pulumi";

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
