import { type ArgumentProblem, under } from "../arguments";
import { priorityTakenProblem } from "../environment/environment";
import { TIER_DEFAULTS, type Tier } from "../tiers";
import type { ReleaseEnvironmentArgs, ReleaseServiceArgs } from "./args";

/** The Elastic Load Balancing quotas every service of an environment shares: they all sit on its one load balancer. */
export const LOAD_BALANCER_LIMITS = {
  /** "Target Groups per Application Load Balancer: 100, not adjustable"; blue/green, canary and linear take two. */
  targetGroups: 100,
  /** "Rules per Application Load Balancer (excluding default rules): 100" (adjustable); a traffic-shifting service takes a production and a test rule. */
  rules: 100,
} as const;

/** What the load-balancer rules read of a service; a stack file's services, parsed or not yet, have this shape. */
export type ServiceOnLoadBalancer = Pick<ReleaseServiceArgs, "runtime"> & { readonly deployment?: Pick<NonNullable<ReleaseServiceArgs["deployment"]>, "strategy" | "steps"> };

/** The strategy a service ends up with: its own, a canary for `steps`, else its tier's. */
function strategyOf(service: ServiceOnLoadBalancer, tier: Tier): string {
  return service.deployment?.strategy ?? (service.deployment?.steps ? "canary" : TIER_DEFAULTS[tier].deployment.strategy);
}

/**
 * Target groups (and listener rules) a service takes on the environment's load balancer: two to shift traffic, one
 * for rolling; none for a Kubernetes canary, whose Ingress gets a load balancer of the AWS Load Balancer Controller.
 */
function loadBalancerShare(service: ServiceOnLoadBalancer, tier: Tier): number {
  const strategy = strategyOf(service, tier);
  if (service.runtime === "kubernetes") return strategy === "blue-green" ? 2 : 0;
  return strategy === "rolling" ? 1 : 2;
}

/**
 * The problem of more services than the environment's one load balancer takes. Cheap on any number of services, so a
 * caller can check it before anything else (a stack file of thousands of services fails at once, with the quota).
 */
export function loadBalancerProblems(tier: Tier, services: Readonly<Record<string, ServiceOnLoadBalancer | null | undefined>>): ArgumentProblem[] {
  const count = Object.keys(services).length;
  const share = Object.values(services).reduce((sum, service) => sum + loadBalancerShare(service ?? {}, tier), 0);
  const limit = Math.min(LOAD_BALANCER_LIMITS.targetGroups, LOAD_BALANCER_LIMITS.rules);
  if (share <= limit) return [];
  return [
    {
      field: ["services"],
      message: `${count} services need ${share} target groups and listener rules on the environment's load balancer; AWS allows ${LOAD_BALANCER_LIMITS.targetGroups} target groups per Application Load Balancer (not adjustable): at most ${limit / 2} blue-green, canary or linear services (a rolling one takes half as much); split the services over more stacks`,
      got: `${count} services`,
    },
  ];
}

/**
 * The rules of a release environment that no one component can check, each problem's field its path in the arguments
 * (a stack file's path): an alert subscriber outside dev, listener priorities unique across services, the services'
 * share of the load balancer, and the cluster Kubernetes services need (its namespace is each KubernetesService's rule).
 */
export function crossServiceProblems(
  args: Pick<ReleaseEnvironmentArgs, "tier" | "services" | "notifications" | "cluster" | "flagStore">,
): ArgumentProblem[] {
  const services = Object.entries(args.services).sort(([a], [b]) => a.localeCompare(b));
  return [
    ...alertSubscriptionProblems(args),
    ...loadBalancerProblems(args.tier, args.services),
    ...priorityProblems(services, args.tier),
    ...clusterProblems(args, services),
  ];
}

/** Alarms and rollbacks notify the alert topic; with no subscriber they reach no one, and nothing says so. */
function alertSubscriptionProblems(args: Pick<ReleaseEnvironmentArgs, "tier" | "notifications">): ArgumentProblem[] {
  const notifications = args.notifications ?? {};
  const subscribers = (notifications.emails?.length ?? 0) + (notifications.httpsEndpoints?.length ?? 0) + (notifications.slack ? 1 : 0);
  return args.tier !== "dev" && subscribers === 0
    ? [
        {
          field: ["notifications"],
          message: `${args.tier} needs at least one alert subscription (emails, httpsEndpoints or slack): without one, alarms and rollbacks reach no one`,
          got: args.notifications,
        },
      ]
    : [];
}

/** Every service on the environment's listeners (ECS, and Kubernetes blue/green) needs a priority of its own there. */
function priorityProblems(services: readonly [string, ReleaseServiceArgs][], tier: Tier): ArgumentProblem[] {
  const holders = new Map<number, string>();
  return services.flatMap(([serviceName, service]) => {
    if (service.runtime === "kubernetes" && strategyOf(service, tier) !== "blue-green") return [];
    const holder = holders.get(service.priority);
    if (holder === undefined) holders.set(service.priority, serviceName);
    return holder === undefined ? [] : under(["services", serviceName], [priorityTakenProblem(service.priority, holder)]);
  });
}

/** Kubernetes services need a cluster, and what the cluster's stack would tell when only a kubeconfig is given. */
function clusterProblems(
  args: Pick<ReleaseEnvironmentArgs, "tier" | "cluster" | "flagStore">,
  services: readonly [string, ReleaseServiceArgs][],
): ArgumentProblem[] {
  const cluster = args.cluster;
  const onKubernetes = services.filter(([, service]) => service.runtime === "kubernetes");
  if (!cluster) {
    return onKubernetes.map(([serviceName, service]) => ({
      field: ["services", serviceName, "runtime"],
      message: "kubernetes needs release:cluster (stackReference to a stack exporting kubeconfig, or kubeconfig)",
      got: service.runtime,
    }));
  }
  const problems: ArgumentProblem[] = [];
  if ((cluster.stackReference === undefined) === (cluster.kubeconfig === undefined)) {
    problems.push({
      field: ["cluster"],
      message: "give exactly one of stackReference (a stack exporting kubeconfig) or kubeconfig",
      got: cluster.stackReference ?? (cluster.kubeconfig ? "[kubeconfig]" : undefined),
    });
  }
  if (onKubernetes.length > 0 && cluster.kubeconfig !== undefined && cluster.stackReference === undefined) {
    const blueGreen = onKubernetes.filter(([, service]) => strategyOf(service, args.tier) === "blue-green");
    if (blueGreen.length > 0 && cluster.securityGroupId === undefined) {
      problems.push({
        field: ["cluster", "securityGroupId"],
        message: `required for blue-green on kubernetes (${blueGreen.map(([serviceName]) => serviceName).join(", ")}): the load balancer reaches the pods through it`,
        got: undefined,
      });
    }
    const agent = (args.flagStore?.backend ?? "appconfig") === "appconfig" && (args.flagStore?.agent ?? true);
    if (agent && cluster.name === undefined) {
      problems.push({
        field: ["cluster", "name"],
        message: "required: the AppConfig Agent in each pod reads flags with EKS Pod Identity, which associates a role on a named cluster",
        got: undefined,
      });
    }
  }
  return problems;
}
