import type { ArgumentProblem } from "../arguments";
import type { EnvironmentContract } from "../environment/contract";
import type { ReleaseClusterArgs, ReleaseEnvironmentArgs } from "./args";

/*
 * The rules of the two ways a ReleaseEnvironment stands: making its environment (an environment stack, or a single
 * stack), or joining one an environment stack made (`environment`, a service stack). The routes themselves are judged
 * in routes.ts.
 */

/** Where a joined environment stands: the stack joining it, and the environment's stack as it names it. */
export interface JoinedPlace {
  /** The stack the ReleaseEnvironment is in, `org/project/stack`: a route reserved for a stack admits only it. */
  readonly stack?: string;
  /** The environment's stack, as the service stack names it (its problems name it). @default "the environment stack" */
  readonly environmentStack?: string;
}

const ENVIRONMENT_SETTINGS = ["network", "ingress", "notifications"] as const;
/** What a service stack may say of its cluster: how it reaches it, when the environment's contract names no stack for that. */
const OWN_CLUSTER_SETTINGS: readonly (keyof ReleaseClusterArgs)[] = ["kubeconfig"];

/**
 * The settings of a ReleaseEnvironment that makes its environment: a network, and a priority for each service on the
 * environment's listeners (a service stack's services take theirs from their route instead).
 */
export function madeEnvironmentProblems(args: Pick<ReleaseEnvironmentArgs, "network" | "services">): ArgumentProblem[] {
  return [
    ...(args.network === undefined ? [{ field: ["network"], message: "required", got: undefined }] : []),
    ...Object.entries(args.services)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([name, service]) => (service.priority === undefined ? [{ field: ["services", name, "priority"], message: "required", got: undefined }] : [])),
  ];
}

/**
 * The settings of a service stack that belong to the environment it joins: its network, listeners, alert subscribers,
 * routes and cluster are the environment stack's (its services' paths, hosts and priorities their routes', which
 * `joinedServiceProblems` says). Its tier and Region are the environment's.
 */
export function joinedEnvironmentProblems(args: ReleaseEnvironmentArgs, environment: EnvironmentContract, place: JoinedPlace = {}): ArgumentProblem[] {
  const stack = place.environmentStack ?? "the environment stack";
  const problems: ArgumentProblem[] = [];
  if (args.tier !== environment.tier) {
    problems.push({ field: ["tier"], message: `must be the tier of the environment it joins: ${stack} is ${environment.tier}`, got: args.tier });
  }
  if (args.region !== environment.region) {
    problems.push({ field: ["region"], message: `must be the Region of the environment it joins: ${stack} is in ${environment.region}`, got: args.region });
  }
  for (const key of ENVIRONMENT_SETTINGS) {
    if (args[key] !== undefined) problems.push({ field: [key], message: `is the environment stack's (${stack}): a service stack sets none`, got: args[key] });
  }
  if (args.routes !== undefined) {
    problems.push({ field: ["routes"], message: `are the environment stack's (${stack}): a service stack's services take their routes from it`, got: Object.keys(args.routes) });
  }
  for (const [key, value] of Object.entries(args.cluster ?? {})) {
    if (value === undefined || OWN_CLUSTER_SETTINGS.includes(key as keyof ReleaseClusterArgs)) continue;
    problems.push({ field: ["cluster", key], message: `is the environment stack's (${stack}): a service stack gives only cluster.kubeconfig, when it cannot read the cluster's stack`, got: value });
  }
  return problems;
}

/** The cluster a service stack's rules judge: the environment's, reached by the service stack's own kubeconfig if it gives one. */
export function joinedClusterArgs(environment: EnvironmentContract, own: ReleaseClusterArgs | undefined): ReleaseClusterArgs | undefined {
  const cluster = environment.cluster;
  if (!cluster) return undefined;
  const reach = own?.kubeconfig !== undefined ? { kubeconfig: own.kubeconfig } : cluster.stackReference !== undefined ? { stackReference: cluster.stackReference } : {};
  return {
    ...reach,
    namespace: cluster.namespace,
    ...(cluster.name !== undefined ? { name: cluster.name } : {}),
    ...(cluster.securityGroupId !== undefined ? { securityGroupId: cluster.securityGroupId } : {}),
    controllers: cluster.controllers as ReleaseClusterArgs["controllers"],
  };
}
