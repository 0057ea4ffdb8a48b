import type { ArgumentProblem } from "../arguments";
import { closest } from "../edit-distance";
import { type EnvironmentContract, MAIN_LOAD_BALANCER, ROUTES_PER_LOAD_BALANCER, type RouteContract } from "../environment/contract";
import { runtimeOf } from "../runtimes";
import { LOAD_BALANCER_LIMITS } from "../service/runtime";
import type { ReleaseRouteArgs, ReleaseServiceArgs } from "./args";

/** The service fields a route gives a service: a service stack's services must not set them. */
export const ROUTE_FIELDS = ["pathPatterns", "hostHeaders", "priority"] as const;

/*
 * The rules of routes: an environment stack's routing table (`release:routes`) beside its own services, and a service
 * stack's services against the routes of the contract it joins. Pure functions over plain data, each problem naming its
 * path in the stack file (`routes.<name>.priority`, `services.<name>.hostHeaders`), cheap at hundreds of routes: every
 * comparison goes through a map, none through a scan of all pairs.
 */

/** What the route rules read of a service, with the strategy it ends up with (a `RuntimeServiceEntry` fits). */
export interface RoutedService {
  readonly name: string;
  readonly service: Pick<ReleaseServiceArgs, "runtime"> & { readonly pathPatterns?: readonly string[]; readonly hostHeaders?: readonly string[]; readonly priority?: number };
  readonly strategy: string;
}

/**
 * Target groups a route holds on its load balancer: the environment stack cannot know which strategy the service stack
 * picks, so a route is counted as a traffic-shifting service (`ROUTES_PER_LOAD_BALANCER` of them fill the quota).
 */
export const ROUTE_SHARE = LOAD_BALANCER_LIMITS.targetGroups / ROUTES_PER_LOAD_BALANCER;

const TARGET_GROUP_QUOTA = `AWS allows ${LOAD_BALANCER_LIMITS.targetGroups} target groups per Application Load Balancer ("Target Groups per Application Load Balancer: 100", not adjustable), and a route counts as ${ROUTE_SHARE} (a blue/green, canary or linear service's two)`;

/** One rule on one load balancer's production listener: a route's, or a service's of the environment stack. */
interface Rule {
  readonly kind: "routes" | "services";
  readonly name: string;
  readonly loadBalancer: string;
  readonly priority: number;
  readonly pathPatterns: readonly string[];
  readonly hostHeaders: readonly string[];
}

const describeRule = (rule: Pick<Rule, "kind" | "name">) => (rule.kind === "routes" ? `route ${rule.name}` : `service ${rule.name}`);

/** The conditions of a rule as ALB matches them: host names case-insensitively, paths as written; order aside. */
function conditionsKey(rule: Pick<Rule, "pathPatterns" | "hostHeaders">): string {
  return JSON.stringify([[...rule.pathPatterns].sort(), rule.hostHeaders.map((host) => host.toLowerCase()).sort()]);
}

const sameList = (a: readonly string[] = [], b: readonly string[] = []) => a.length === b.length && a.every((value, index) => value === b[index]);

/**
 * The route of a service the environment stack still holds (a service being moved out to a service stack): it is the
 * same listener rule, so it must say what the service says, exactly; each field that differs, at the route's field.
 */
function movedServiceProblems(name: string, route: ReleaseRouteArgs, service: RoutedService): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const why = "the route of a service being moved out to a service stack must equal the service's own, so its listener rule stays as it is when the service moves";
  for (const field of ["pathPatterns", "hostHeaders"] as const) {
    if (!sameList(route[field], service.service[field])) {
      problems.push({ field: ["routes", name, field], message: `differs from services.${name}.${field} (${JSON.stringify(service.service[field] ?? [])}): ${why}`, got: route[field] ?? [] });
    }
  }
  if (route.priority !== service.service.priority) {
    problems.push({ field: ["routes", name, "priority"], message: `differs from services.${name}.priority (${String(service.service.priority)}): ${why}`, got: route.priority });
  }
  const onMain = runtimeOf(service.service).loadBalancerShare(service.strategy) > 0;
  if (onMain && (route.loadBalancer ?? MAIN_LOAD_BALANCER) !== MAIN_LOAD_BALANCER) {
    problems.push({ field: ["routes", name, "loadBalancer"], message: `differs from the load balancer of service ${name} (${MAIN_LOAD_BALANCER}, where every service of the environment stack is): ${why}`, got: route.loadBalancer });
  }
  return problems;
}

/**
 * Every problem of an environment stack's routes (`release:routes`) beside its own services (`services`, sorted by name;
 * a stack may hold both during a migration; every one of them is on the `main` load balancer): a route with neither
 * paths nor hosts, two rules with one priority on one load balancer, two rules with identical conditions on one load
 * balancer, more routes and services than a load balancer's target groups hold, and the route of a service being moved
 * out that says something else than the service. The services' priorities among themselves are `crossServiceProblems`'.
 */
export function routesProblems(routes: Readonly<Record<string, ReleaseRouteArgs>>, services: readonly RoutedService[]): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const servicesByName = new Map(services.map((service) => [service.name, service]));
  const rules: Rule[] = [];
  const targetGroups = new Map<string, { routes: number; share: number }>();
  const count = (loadBalancer: string, routeCount: number, share: number) => {
    const counted = targetGroups.get(loadBalancer) ?? { routes: 0, share: 0 };
    targetGroups.set(loadBalancer, { routes: counted.routes + routeCount, share: counted.share + share });
  };
  const names = Object.keys(routes).sort();
  for (const name of names) {
    const route = routes[name];
    const loadBalancer = route.loadBalancer ?? MAIN_LOAD_BALANCER;
    const pathPatterns = route.pathPatterns ?? [];
    const hostHeaders = route.hostHeaders ?? [];
    if (pathPatterns.length === 0 && hostHeaders.length === 0) {
      problems.push({ field: ["routes", name], message: "needs pathPatterns or hostHeaders: a listener rule matches on at least one condition", got: route });
    }
    const service = servicesByName.get(name);
    if (service) problems.push(...movedServiceProblems(name, route, service));
    count(loadBalancer, 1, ROUTE_SHARE);
    rules.push({ kind: "routes", name, loadBalancer, priority: route.priority, pathPatterns, hostHeaders });
  }
  for (const { name, service, strategy } of services) {
    const share = runtimeOf(service).loadBalancerShare(strategy);
    // A service with its route in the table is that route's rule: counted, and compared, once.
    if (share === 0 || Object.hasOwn(routes, name)) continue;
    count(MAIN_LOAD_BALANCER, 0, share);
    rules.push({ kind: "services", name, loadBalancer: MAIN_LOAD_BALANCER, priority: service.priority ?? 0, pathPatterns: service.pathPatterns ?? [], hostHeaders: service.hostHeaders ?? [] });
  }

  // ALB evaluates a listener's rules from the lowest priority up: of two rules with one condition, the later never matches.
  const byPriority = new Map<string, Rule>();
  const byConditions = new Map<string, Rule>();
  const ordered = [...rules].sort((a, b) => a.priority - b.priority || (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "routes" ? -1 : 1));
  for (const rule of ordered) {
    const priorityKey = `${rule.loadBalancer}\n${rule.priority}`;
    const holder = byPriority.get(priorityKey);
    // Two services of the stack on one priority are crossServiceProblems' to say.
    if (holder && (holder.kind === "routes" || rule.kind === "routes")) {
      problems.push({
        field: [rule.kind, rule.name, "priority"],
        message: `is also the priority of ${describeRule(holder)} on load balancer ${rule.loadBalancer}: ALB refuses two rules with one priority on a listener`,
        got: rule.priority,
      });
    } else if (!holder) byPriority.set(priorityKey, rule);
    if (rule.pathPatterns.length === 0 && rule.hostHeaders.length === 0) continue;
    const conditionKey = `${rule.loadBalancer}\n${conditionsKey(rule)}`;
    const first = byConditions.get(conditionKey);
    if (first && (first.kind === "routes" || rule.kind === "routes")) {
      problems.push({
        field: [rule.kind, rule.name],
        message: `has the same pathPatterns and hostHeaders as ${describeRule(first)} (priority ${first.priority}) on load balancer ${rule.loadBalancer}: two services on one route, and the later never matches; give each its own paths or hosts`,
        got: { pathPatterns: rule.pathPatterns, hostHeaders: rule.hostHeaders },
      });
    } else if (!first) byConditions.set(conditionKey, rule);
  }

  for (const [loadBalancer, { routes: routeCount, share }] of [...targetGroups].sort(([a], [b]) => a.localeCompare(b))) {
    if (share <= LOAD_BALANCER_LIMITS.targetGroups) continue;
    const services = share - routeCount * ROUTE_SHARE;
    problems.push({
      field: ["routes"],
      message: `load balancer ${loadBalancer} holds ${routeCount} routes${services > 0 ? ` and the environment stack's own services' ${services} target groups` : ""}: ${share} target groups; ${TARGET_GROUP_QUOTA}, so at most ${ROUTES_PER_LOAD_BALANCER} routes a load balancer: put some on another (routes.<name>.loadBalancer)`,
      got: `${routeCount} routes on ${loadBalancer}`,
    });
  }
  return problems;
}

/**
 * Every problem of a service stack's services (`services`, sorted by name) against the routes of the environment it
 * joins (`contract`, the stack `environmentStack`), as the stack `stack` (`org/project/stack`): a service with no route
 * (with the route names close to its own), a service the environment stack still releases itself, a route reserved for
 * another stack, a route on a load balancer the environment does not have, a service
 * writing what is the route's (pathPatterns, hostHeaders, priority), and a Kubernetes canary whose host is also
 * another route's (its DNS record would take the host away from the environment's load balancer).
 */
export function joinedServiceProblems(services: readonly RoutedService[], contract: Pick<EnvironmentContract, "routes" | "loadBalancers">, stack: string, environmentStack?: string): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const routeNames = Object.keys(contract.routes).sort();
  const loadBalancers = new Set(contract.loadBalancers.map((balancer) => balancer.name));
  // Host -> the routes that name it, for the canaries' DNS records: one map, not a scan per host.
  const routesByHost = new Map<string, string[]>();
  for (const name of routeNames) {
    for (const host of contract.routes[name].hostHeaders) routesByHost.set(host.toLowerCase(), [...(routesByHost.get(host.toLowerCase()) ?? []), name]);
  }
  for (const { name, service, strategy } of services) {
    for (const field of ROUTE_FIELDS) {
      if (service[field] !== undefined) {
        problems.push({ field: ["services", name, field], message: `is the route's: a service stack's services take their paths, hosts and priority from routes.${name} of the environment stack; remove it`, got: service[field] });
      }
    }
    const route: RouteContract | undefined = Object.hasOwn(contract.routes, name) ? contract.routes[name] : undefined;
    if (route === undefined) {
      const meant = closest(name, routeNames);
      const hint = meant ? `; did you mean ${meant}?` : routeNames.length > 0 && routeNames.length <= 10 ? `; its routes: ${routeNames.join(", ")}` : "";
      problems.push({ field: ["services", name], message: `has no route in the environment (release:routes.${name} of the environment stack): the platform team adds it there first${hint}`, got: name });
      continue;
    }
    if (route.releasedByEnvironment) {
      // Its physical names are [namePrefix, name] in either stack: the second to release it fails half way (IAM
      // EntityAlreadyExists, a target group that "already exists", PriorityInUse), or adopts a target group of the same name.
      problems.push({
        field: ["services", name],
        message: `is still released by ${environmentStack === undefined ? "the environment stack" : `the environment stack ${environmentStack}`} (its release:services.${name}): finish moving it first (npm run migrate, step (c) and the environment stack's pulumi up)`,
        got: name,
      });
      continue;
    }
    if (route.stack !== undefined && route.stack !== stack) {
      problems.push({ field: ["services", name], message: `its route is reserved for stack ${route.stack} (release:routes.${name}.stack of the environment stack); this stack is ${stack}`, got: stack });
    }
    if (runtimeOf(service).loadBalancerShare(strategy) > 0 && !loadBalancers.has(route.loadBalancer)) {
      problems.push({
        field: ["services", name],
        message: `its route is on load balancer ${route.loadBalancer}, which the environment does not export (it has ${[...loadBalancers].join(", ")}): update the environment stack first`,
        got: route.loadBalancer,
      });
    }
    if (runtimeOf(service).loadBalancerShare(strategy) === 0) {
      route.hostHeaders.forEach((host, index) => {
        const others = (routesByHost.get(host.toLowerCase()) ?? []).filter((other) => other !== name);
        if (others.length > 0) {
          problems.push({
            field: ["services", name, "hostHeaders", index],
            message: `(of routes.${name}) is also a host of route ${others.join(", ")}: this ${strategy} service's DNS record sends the host to the AWS Load Balancer Controller's load balancer, away from the environment's`,
            got: host,
          });
        }
      });
    }
  }
  return problems;
}
