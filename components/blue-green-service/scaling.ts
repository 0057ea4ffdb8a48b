import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import type { Autoscaling } from "../service/args";

export interface ScalingArgs {
  readonly environment: Pick<ServiceEnvironment, "clusterName">;
  readonly service: aws.ecs.Service;
  /** `max` at `min`: the task count stays there. */
  readonly autoscaling: Autoscaling;
  readonly desiredCount: number;
  readonly tags: Record<string, string>;
}

export interface Scaling {
  readonly target: aws.appautoscaling.Target;
  /** Tracks the CPU target; only when the count may move (`max` above `min`). */
  readonly cpuPolicy?: aws.appautoscaling.Policy;
}

/** The service's task count as an Application Auto Scaling target, scaled on CPU; children of `parent`. */
export function createScaling(name: string, args: ScalingArgs, parent: pulumi.Resource): Scaling {
  const opts: pulumi.CustomResourceOptions = { parent };
  const scaling = args.autoscaling;
  const target = new aws.appautoscaling.Target(
    `${name}-scaling`,
    {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: pulumi.interpolate`service/${args.environment.clusterName}/${args.service.name}`,
      minCapacity: scaling.min,
      maxCapacity: scaling.max,
      tags: args.tags,
    },
    opts,
  );
  const cpuPolicy =
    scaling.max > scaling.min
      ? new aws.appautoscaling.Policy(
          `${name}-cpu`,
          {
            policyType: "TargetTrackingScaling",
            serviceNamespace: target.serviceNamespace,
            scalableDimension: target.scalableDimension,
            resourceId: target.resourceId,
            targetTrackingScalingPolicyConfiguration: {
              targetValue: scaling.cpuTargetPercent,
              predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
              scaleInCooldown: 300,
              scaleOutCooldown: 60,
            },
          },
          opts,
        )
      : undefined;
  return { target, cpuPolicy };
}
