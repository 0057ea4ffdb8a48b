import type { z } from "zod";
import { type ArgumentProblem, issueProblems, renderField, under } from "../arguments";
import type { EnvironmentFacts } from "../blue-green-service/blue-green-service";
import { environmentArgsProblems, priorityTakenProblem } from "../environment/environment";
import { FLAG_BACKENDS } from "../feature-flag-store/backends";
import { flagsProblems } from "../feature-flag-store/flags/problems";
import { KUBERNETES_NAME } from "../naming";
import { RUNTIMES, runtimeOf } from "../runtimes";
import { LOAD_BALANCER_LIMITS, type RuntimeContext, type RuntimeServiceEntry, type ServiceRuntime } from "../service/runtime";
import { TIER_DEFAULTS, type Tier } from "../tiers";
import type { ReleaseEnvironmentArgs, ReleaseServiceArgs } from "./args";
import { environmentArgs, flagEnvironment } from "./children";
import { joinedClusterArgs, joinedEnvironmentProblems, type JoinedPlace, madeEnvironmentProblems } from "./joined";
import { resolveReleaseEnvironment } from "./resolve";
import { joinedServiceProblems, routesProblems } from "./routes";
import { releaseEnvironmentArgsSchema, serviceSchema, tierSchema } from "./schema";

/** What the load-balancer rules read of a service; a stack file's services, parsed or not yet, have this shape. */
export type ServiceOnLoadBalancer = Pick<ReleaseServiceArgs, "runtime"> & { readonly deployment?: Pick<NonNullable<ReleaseServiceArgs["deployment"]>, "strategy" | "steps"> };

/** The strategy a service ends up with: its own, a canary for `steps`, else its tier's. */
function strategyOf(service: ServiceOnLoadBalancer, tier: Tier): string {
  return service.deployment?.strategy ?? (service.deployment?.steps ? "canary" : TIER_DEFAULTS[tier].deployment.strategy);
}

/**
 * The problem of more services than the environment's one load balancer takes. Cheap on any number of services, so a
 * caller can check it before anything else (a stack file of thousands of services fails at once, with the quota).
 */
export function loadBalancerProblems(tier: Tier, services: Readonly<Record<string, ServiceOnLoadBalancer | null | undefined>>): ArgumentProblem[] {
  const count = Object.keys(services).length;
  const share = Object.values(services).reduce((sum, service) => sum + runtimeOf(service).loadBalancerShare(strategyOf(service ?? {}, tier)), 0);
  const limit = Math.min(LOAD_BALANCER_LIMITS.targetGroups, LOAD_BALANCER_LIMITS.rules);
  return [
    ...(share <= limit
      ? []
      : [
          {
            field: ["services"],
            message: `${count} services need ${share} target groups and listener rules on the environment's load balancer; AWS allows ${LOAD_BALANCER_LIMITS.targetGroups} target groups per Application Load Balancer (not adjustable): at most ${limit / 2} blue-green, canary or linear services (a rolling one takes half as much); split the services over more stacks`,
            got: `${count} services`,
          },
        ]),
    ...Object.values(RUNTIMES).flatMap((runtime) =>
      runtime.ownLoadBalancerProblems(Object.values(services).flatMap((service) => (runtimeOf(service) === runtime ? [strategyOf(service ?? {}, tier)] : []))),
    ),
  ];
}

/**
 * The rules of a release environment that no one component can check, each problem's field its path in the arguments
 * (a stack file's path): an alert subscriber outside dev, listener priorities unique across services, the services'
 * share of the load balancer, and the cluster Kubernetes services need (its namespace is each KubernetesService's rule).
 */
export function crossServiceProblems(
  args: Pick<ReleaseEnvironmentArgs, "tier" | "services" | "notifications" | "cluster" | "flagStore" | "environment">,
): ArgumentProblem[] {
  const services = Object.entries(args.services)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, service]): RuntimeServiceEntry => ({ name, service, strategy: strategyOf(service, args.tier) }));
  return [
    // A service stack's alert topic, load balancers and priorities are its environment's, judged by the environment stack's routes.
    ...(args.environment ? [] : [...alertSubscriptionProblems(args), ...loadBalancerProblems(args.tier, args.services), ...priorityProblems(services)]),
    ...Object.values(RUNTIMES).flatMap((runtime) => runtime.environmentProblems(services.filter(({ service }) => runtimeOf(service) === runtime), services, args)),
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

/** Every service on the environment's listeners (one that takes a share of its load balancer) needs a priority of its own there. */
function priorityProblems(services: readonly RuntimeServiceEntry[]): ArgumentProblem[] {
  const holders = new Map<number, string>();
  return services.flatMap(({ name: serviceName, service, strategy }) => {
    // A missing priority is a problem of its own (madeEnvironmentProblems).
    if (runtimeOf(service).loadBalancerShare(strategy) === 0 || service.priority === undefined) return [];
    const holder = holders.get(service.priority);
    if (holder === undefined) holders.set(service.priority, serviceName);
    return holder === undefined ? [] : under(["services", serviceName], [priorityTakenProblem(service.priority, holder)]);
  });
}

/** Where a child's argument is written in the ReleaseEnvironment's args: `from` (a prefix of the problem's field) becomes `to`. */
interface FieldPlace {
  readonly from: readonly string[];
  readonly to: readonly (string | number)[];
}

const startsWith = (field: readonly (string | number)[], prefix: readonly string[]) => prefix.every((part, index) => field[index] === part);

/** The problems of a child, each field moved to its place in the ReleaseEnvironment's args (under `base` unless the table says). */
function placed(places: readonly FieldPlace[], base: readonly (string | number)[], problems: readonly ArgumentProblem[]): ArgumentProblem[] {
  return problems.map((problem) => {
    const place = places.find((candidate) => startsWith(problem.field, candidate.from));
    return { ...problem, field: place ? [...place.to, ...problem.field.slice(place.from.length)] : [...base, ...problem.field] };
  });
}

const ENVIRONMENT_FIELDS: readonly FieldPlace[] = [
  { from: ["certificateArn"], to: ["ingress", "certificateArn"] },
  { from: ["allowedCidrs"], to: ["ingress", "allowedCidrs"] },
  { from: ["testListenerPort"], to: ["ingress", "testListenerPort"] },
  { from: ["testListenerCidrs"], to: ["ingress", "testListenerCidrs"] },
  { from: ["idleTimeoutSeconds"], to: ["ingress", "idleTimeoutSeconds"] },
  { from: ["accessLogs"], to: ["ingress", "accessLogs"] },
  { from: ["alertEmails"], to: ["notifications", "emails"] },
  { from: ["alertHttpsEndpoints"], to: ["notifications", "httpsEndpoints"] },
  { from: ["alertSlack"], to: ["notifications", "slack"] },
  { from: ["privateSubnetIds"], to: ["network", "privateSubnetIds"] },
  // The load balancers besides main are the routes' (their names are the routes' to check).
  { from: ["loadBalancers"], to: ["routes"] },
];

/** A service's component fields whose names in the args differ; the rest keep their names under `services.<name>`. */
function serviceFields(name: string): readonly FieldPlace[] {
  const at = (...rest: string[]) => ["services", name, ...rest];
  return [
    { from: ["environmentVariables"], to: at("environment") },
    { from: ["secretEnvironmentVariables"], to: at("secretEnvironment") },
    { from: ["hooks", "smokeTest"], to: at("smokeTest") },
    { from: ["hooks", "alarmGate"], to: at("alarmGate") },
    { from: ["steps"], to: at("deployment", "steps") },
    { from: ["stepPauseMinutes"], to: at("deployment", "stepPauseMinutes") },
    { from: ["namespace"], to: ["cluster", "namespace"] },
    { from: ["podSecurityGroupId"], to: ["cluster", "securityGroupId"] },
    { from: ["dnsZone"], to: ["ingress", "hostedZone"] },
    { from: ["idleTimeoutSeconds"], to: ["ingress", "idleTimeoutSeconds"] },
  ];
}

/** Ids only name things while checking: the network, the cluster's stack and the topic supply them once they exist. */
const NO_NETWORK = { vpcId: "", publicSubnetIds: [], privateSubnetIds: [] };

/**
 * Every problem with a ReleaseEnvironment's arguments, each field its path in the args (a stack file's path under
 * `release:`): first the value ranges and formats of `releaseEnvironmentArgsSchema`, then the rules of each child
 * (Environment, each service, the flag store) judged on the arguments the ReleaseEnvironment would give it, the rules
 * across services, and the settings that do not apply where they are written. The constructor refuses them before
 * registering anything; the stack program maps them to the stack file.
 */
export function releaseEnvironmentArgsProblems(name: string, args: ReleaseEnvironmentArgs, place: JoinedPlace = {}): ArgumentProblem[] {
  const parsed = releaseEnvironmentArgsSchema.safeParse(args);
  if (parsed.success) return ruleProblems(name, args, place);
  // Several issues inside one Output are one problem.
  const valueProblems = [...new Map(parsed.error.issues.flatMap((issue) => issueProblems(issue, args)).map((problem) => [`${renderField(problem.field)}\n${problem.message}`, problem])).values()];
  const sound = soundParts(args);
  if (sound === undefined) return valueProblems;
  const stoodIn = (field: readonly (string | number)[]) => sound.standIns.some((prefix) => prefix.every((part, index) => field[index] === part));
  return [...valueProblems, ...ruleProblems(name, sound.args, place).filter((problem) => !stoodIn(problem.field))];
}

const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * The args with each part that breaks the schema stood in empty, and where: the rules judge the rest, and their
 * problems inside a stand-in are dropped (its value problems say what is wrong there). A service keeps its sound
 * settings (a bad optional one is left to its tier) and is left out only when its name or a required setting is bad.
 * Undefined without a tier: every rule reads it.
 */
function soundParts(args: unknown): { args: ReleaseEnvironmentArgs; standIns: readonly (readonly (string | number)[])[] } | undefined {
  if (!isMap(args) || !tierSchema.safeParse(args.tier).success) return undefined;
  const shape = releaseEnvironmentArgsSchema.shape;
  const standIns: (string | number)[][] = [];
  const part = <K extends "region" | "aws" | "network" | "ingress" | "notifications" | "flags" | "flagStore" | "cluster" | "routes" | "environment">(key: K, standIn: ReleaseEnvironmentArgs[K]): ReleaseEnvironmentArgs[K] => {
    if (shape[key].safeParse(args[key]).success) return args[key] as ReleaseEnvironmentArgs[K];
    standIns.push([key]);
    return standIn;
  };
  if (!isMap(args.services)) standIns.push(["services"]);
  const services = Object.entries(isMap(args.services) ? args.services : {}).flatMap(([serviceName, service]) => {
    const sound = soundService(serviceName, service);
    standIns.push(...sound.standIns.map((field) => ["services", serviceName, field]));
    return sound.service ? [[serviceName, sound.service] as const] : [];
  });
  return {
    args: {
      tier: args.tier as Tier,
      region: part("region", ""),
      aws: part("aws", {}),
      network: part("network", NO_NETWORK),
      ingress: part("ingress", {}),
      notifications: part("notifications", {}),
      services: Object.fromEntries(services),
      flags: part("flags", {}),
      // As config's: a store that breaks the schema stands in without the agent, so no rule only the agent brings speaks.
      flagStore: part("flagStore", { agent: false }),
      cluster: part("cluster", {}),
      routes: part("routes", {}),
      environment: part("environment", undefined),
    },
    standIns,
  };
}

/** A service without its settings that break the schema (their fields), or none when its name or a required setting does. */
function soundService(serviceName: string, service: unknown): { service?: ReleaseServiceArgs; standIns: string[] } {
  const issues = releaseEnvironmentArgsSchema.shape.services.safeParse({ [serviceName]: service }).error?.issues ?? [];
  if (issues.length === 0) return { service: service as ReleaseServiceArgs, standIns: [] };
  const fields = issues.flatMap((issue) => (issue.code === "unrecognized_keys" && issue.path.length === 1 ? issue.keys : issue.path.length > 1 ? [String(issue.path[1])] : [undefined]));
  const settings = serviceSchema.shape as Record<string, z.ZodType | undefined>;
  if (!isMap(service) || fields.some((field) => field === undefined || (settings[field] !== undefined && !settings[field].isOptional()))) return { standIns: [] };
  const standIns = [...new Set(fields as string[])];
  return { service: Object.fromEntries(Object.entries(service).filter(([field]) => !standIns.includes(field))) as unknown as ReleaseServiceArgs, standIns };
}

/** The rules besides the schema's, on args whose values it accepts. */
function ruleProblems(name: string, args: ReleaseEnvironmentArgs, place: JoinedPlace): ArgumentProblem[] {
  const settings = resolveReleaseEnvironment(name, args);
  const joined = args.environment;
  const flagBackend = FLAG_BACKENDS[settings.flagStore.backend];
  const flagContext = flagEnvironment(name, settings);
  const sidecars = flagBackend.sidecars(flagContext);
  const context: RuntimeContext<EnvironmentFacts> = {
    settings,
    // A service stack's services are named from the environment's prefix, as the environment's own are.
    environment: { tier: args.tier, namePrefix: joined?.namePrefix ?? name },
    sidecars,
    privateSubnetSidecars: sidecars,
    ownLoadBalancerSubnetIds: [],
    hostedZoneId: () => "",
    cluster: { namespace: settings.cluster?.namespace ?? name, podSecurityGroupId: () => "", clusterName: () => "" },
  };
  const flags = args.flags ?? {};
  const flagProblems = flagsProblems(flags, args.flagStore);
  // Left out, the namespace is the environment's name: when that is no Kubernetes name, the namespace is required.
  const routed = Object.entries(args.services)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([serviceName, service]) => ({ name: serviceName, service, strategy: strategyOf(service, args.tier) }));
  const unnamed = !joined && settings.cluster && args.cluster?.namespace === undefined && !KUBERNETES_NAME.test(name);
  const problems = [
    ...(unnamed ? [{ field: ["cluster", "namespace"], message: `required: the environment's name ${name} is not a Kubernetes name`, got: undefined }] : []),
    ...(joined
      ? joinedEnvironmentProblems(args, joined, place)
      : [
          ...madeEnvironmentProblems(args),
          ...placed(ENVIRONMENT_FIELDS, [], environmentArgsProblems(environmentArgs(name, settings, args.network && "vpcId" in args.network ? args.network : NO_NETWORK))),
        ]),
    ...crossServiceProblems(joined ? { ...args, cluster: joinedClusterArgs(joined, args.cluster) } : args),
    ...(joined ? joinedServiceProblems(routed, joined, place.stack ?? "", place.environmentStack) : args.routes ? routesProblems(args.routes, routed) : []),
    ...settings.services.flatMap((service) => {
      // A service stack's service without a route has nowhere to be: that is its one problem (joinedServiceProblems).
      if (joined && !Object.hasOwn(joined.routes, service.name)) return settingsThatDoNotApply(service.name, args.services[service.name], args.tier);
      const runtime: ServiceRuntime<unknown> = RUNTIMES[service.runtime];
      return [
        ...settingsThatDoNotApply(service.name, args.services[service.name], args.tier),
        // A missing priority stands in as 0 for the component: its one problem is that it is missing (madeEnvironmentProblems).
        ...placed(serviceFields(service.name), ["services", service.name], runtime.problems(runtime.args(service, context))).filter(
          (problem) => joined || args.services[service.name].priority !== undefined || renderField(problem.field) !== `services.${service.name}.priority`,
        ),
      ];
    }),
    ...under(["flags"], flagProblems),
    // The backend's own rules read the document the flags make: only once they are sound.
    ...(flagProblems.length === 0 ? flagBackend.problems(flagContext) : []),
  ];
  // Each Kubernetes service judges the shared namespace: say a problem once, and the namespace's as written above.
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${renderField(problem.field)}\n${problem.message}`;
    if (seen.has(key) || (unnamed && problem !== problems[0] && renderField(problem.field) === "cluster.namespace")) return false;
    seen.add(key);
    return true;
  });
}

/** Settings a service's strategy or runtime does not read, and an override of an alarm gate that is off. */
function settingsThatDoNotApply(name: string, service: ReleaseServiceArgs, tier: Tier): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const add = (field: (string | number)[], message: string, got: unknown) => problems.push({ field: ["services", name, ...field], message, got });
  const deployment = service.deployment ?? {};
  const strategy = strategyOf(service, tier);
  const foreign: Record<string, readonly string[]> = {
    "blue-green": ["canaryPercent", "canaryBakeMinutes", "stepPercent", "stepBakeMinutes"],
    canary: ["stepPercent", "stepBakeMinutes"],
    linear: ["canaryPercent", "canaryBakeMinutes"],
    rolling: ["canaryPercent", "canaryBakeMinutes", "stepPercent", "stepBakeMinutes", "bakeMinutes"],
  };
  for (const field of foreign[strategy] ?? []) {
    const value = (deployment as Record<string, unknown>)[field];
    if (value !== undefined) add(["deployment", field], `does not apply to strategy ${strategy}`, value);
  }
  // A service's `alarmGate: false` has no override to refuse: only these settings can write one beside a gate that is off.
  if (service.alarmGate?.override !== undefined && !(service.alarmGate.enabled ?? TIER_DEFAULTS[tier].alarmGate)) {
    add(["alarmGate", "override"], "applies only to an enabled alarm gate: remove it, or set alarmGate.enabled", service.alarmGate.override);
  }
  // A rolling service has no test listener rule, so no smoke test could reach it.
  if (strategy === "rolling" && service.smokeTest !== undefined && service.smokeTest.enabled !== false) {
    add(["smokeTest"], "does not apply to strategy rolling, which has no test listener: remove it, or use blue-green, canary or linear", service.smokeTest);
  }
  return [...problems, ...under(["services", name], runtimeOf(service).settingsThatDoNotApply(service, tier))];
}
