import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { NAME_LIMITS, physicalName } from "../naming";

/** The ECS cluster the environment's ECS services run in. */
export function createCluster(name: string, args: { readonly namePrefix: string; readonly containerInsights: boolean }, opts: pulumi.CustomResourceOptions): aws.ecs.Cluster {
  return new aws.ecs.Cluster(
    `${name}-cluster`,
    {
      name: physicalName([args.namePrefix], "", NAME_LIMITS.ecs),
      settings: [{ name: "containerInsights", value: args.containerInsights ? "enabled" : "disabled" }],
    },
    opts,
  );
}
