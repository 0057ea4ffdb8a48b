import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../arguments";
import type { Tier } from "../tiers";
import type { Autoscaling, Sidecar } from "./args";
import { imageTag } from "./image";

/* The checks a service of either runtime (ECS BlueGreenService, KubernetesService) passes, each naming its field. */

/** A listener rule needs a condition to route by and takes at most five values across them. */
export function routeProblems(args: { readonly pathPatterns?: readonly string[]; readonly hostHeaders?: readonly string[] }): ArgumentProblem[] {
  const routes = (args.pathPatterns?.length ?? 0) + (args.hostHeaders?.length ?? 0);
  if (routes === 0) return [{ field: ["pathPatterns"], message: "or hostHeaders must name at least one route", got: undefined }];
  if (routes > 5) return [{ field: ["pathPatterns"], message: "and hostHeaders together take at most 5 values on a listener rule", got: args.pathPatterns }];
  return [];
}

/** ELB listener rule priorities are 1-50000. */
export function priorityProblems(priority: number): ArgumentProblem[] {
  return Number.isInteger(priority) && priority >= 1 && priority <= 50000 ? [] : [{ field: ["priority"], message: "must be 1-50000", got: priority }];
}

export function autoscalingProblems(autoscaling: Autoscaling | undefined): ArgumentProblem[] {
  return autoscaling && autoscaling.min > autoscaling.max
    ? [{ field: ["autoscaling", "min"], message: `must not exceed autoscaling.max (${autoscaling.max})`, got: autoscaling.min }]
    : [];
}

/** `latest` moves under a running service: a production rollback would not bring the old version back. */
export function latestImageProblems(image: pulumi.Input<string>, tier: Tier): ArgumentProblem[] {
  return tier === "production" && typeof image === "string" && imageTag(image) === "latest"
    ? [{ field: ["image"], message: "must pin a version tag or digest in production: latest changes under a running service", got: image }]
    : [];
}

/** Containers of a task (or a pod) share one network namespace: the service's port must be free of its sidecars'. */
export function sidecarPortProblems(port: number, sidecars: readonly Sidecar[] | undefined): ArgumentProblem[] {
  const taken = (sidecars ?? []).flatMap((sidecar) => {
    // A definition still to be resolved (an Output) is checked by ECS itself.
    const definition = sidecar.definition as { name?: unknown; portMappings?: { containerPort?: unknown }[] };
    return (Array.isArray(definition.portMappings) ? definition.portMappings : []).map((mapping) => ({ name: String(definition.name), port: mapping.containerPort }));
  });
  const holder = taken.find((sidecar) => sidecar.port === port);
  return holder ? [{ field: ["port"], message: `is the port of the sidecar ${holder.name} beside it (task or pod); choose another`, got: port }] : [];
}
