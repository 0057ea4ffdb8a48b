import type { z } from "zod";
import { type ArgumentProblem, issueProblems, renderField, under } from "../arguments";
import { blueGreenServiceArgsProblems, type EnvironmentFacts } from "../blue-green-service/blue-green-service";
import { environmentArgsProblems, priorityTakenProblem } from "../environment/environment";
import { DEFAULT_FLAG_BACKEND, FLAG_BACKENDS } from "../feature-flag-store/backends";
import { flagsProblems } from "../feature-flag-store/flags/problems";
import { kubernetesServiceArgsProblems } from "../kubernetes-service/kubernetes-service";
import { KUBERNETES_NAME } from "../naming";
import { TIER_DEFAULTS, type Tier } from "../tiers";
import type { ReleaseEnvironmentArgs, ReleaseServiceArgs } from "./args";
import { ecsServiceArgs, environmentArgs, flagEnvironment, kubernetesServiceArgs } from "./children";
import { resolveReleaseEnvironment } from "./resolve";
import { releaseEnvironmentArgsSchema, serviceSchema, tierSchema } from "./schema";

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
  // The Ingresses of Kubernetes canaries share one IngressGroup, so one controller-made load balancer: the same quota.
  const ingressServices = Object.values(services).filter((service) => service?.runtime === "kubernetes" && strategyOf(service, tier) !== "blue-green").length;
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
    ...(2 * ingressServices <= limit
      ? []
      : [
          {
            field: ["services"],
            message: `${ingressServices} Kubernetes canary, linear or steps services need ${2 * ingressServices} target groups (stable and canary) on their IngressGroup's one load balancer; AWS allows ${LOAD_BALANCER_LIMITS.targetGroups} per Application Load Balancer (not adjustable): at most ${limit / 2}; split the services over more stacks`,
            got: `${ingressServices} services`,
          },
        ]),
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
    ...canaryHostProblems(services, args.tier),
  ];
}

/**
 * A Kubernetes canary's hosts get DNS records pointing at the controller's load balancer: a host has one such record,
 * so no other service may answer on it (on the environment's load balancer, the name would lead elsewhere).
 */
function canaryHostProblems(services: readonly [string, ReleaseServiceArgs][], tier: Tier): ArgumentProblem[] {
  const onController = (service: ReleaseServiceArgs) => service.runtime === "kubernetes" && strategyOf(service, tier) !== "blue-green";
  return services.flatMap(([serviceName, service]) =>
    onController(service)
      ? (service.hostHeaders ?? []).flatMap((host, index) => {
          const holder = services.find(([other, candidate]) => other !== serviceName && (candidate.hostHeaders ?? []).some((its) => its.toLowerCase() === host.toLowerCase()));
          return holder
            ? [{ field: ["services", serviceName, "hostHeaders", index], message: `is also a host of service ${holder[0]}: this service's DNS record sends the host to the AWS Load Balancer Controller's load balancer, so one host serves one such service only`, got: host }]
            : [];
        })
      : [],
  );
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
      message: "kubernetes needs a cluster (cluster.stackReference to a stack exporting kubeconfig, or cluster.kubeconfig)",
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
    const agent = (args.flagStore?.backend ?? DEFAULT_FLAG_BACKEND) === "appconfig" && (args.flagStore?.agent ?? true);
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
export function releaseEnvironmentArgsProblems(name: string, args: ReleaseEnvironmentArgs): ArgumentProblem[] {
  const parsed = releaseEnvironmentArgsSchema.safeParse(args);
  if (parsed.success) return ruleProblems(name, args);
  // Several issues inside one Output are one problem.
  const valueProblems = [...new Map(parsed.error.issues.flatMap((issue) => issueProblems(issue, args)).map((problem) => [`${renderField(problem.field)}\n${problem.message}`, problem])).values()];
  const sound = soundParts(args);
  if (sound === undefined) return valueProblems;
  const stoodIn = (field: readonly (string | number)[]) => sound.standIns.some((prefix) => prefix.every((part, index) => field[index] === part));
  return [...valueProblems, ...ruleProblems(name, sound.args).filter((problem) => !stoodIn(problem.field))];
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
  const part = <K extends "region" | "aws" | "network" | "ingress" | "notifications" | "flags" | "flagStore" | "cluster">(key: K, standIn: ReleaseEnvironmentArgs[K]): ReleaseEnvironmentArgs[K] => {
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
function ruleProblems(name: string, args: ReleaseEnvironmentArgs): ArgumentProblem[] {
  const settings = resolveReleaseEnvironment(name, args);
  const facts: EnvironmentFacts = { tier: args.tier, namePrefix: name };
  const flagBackend = FLAG_BACKENDS[settings.flagStore.backend];
  const flagContext = flagEnvironment(name, settings);
  const sidecars = flagBackend.sidecars(flagContext);
  const namespace = settings.cluster?.namespace ?? name;
  const placement = { namespace, podSecurityGroupId: () => "", ingressSubnetIds: [], clusterName: () => "", hostedZoneId: () => "" };
  const flags = args.flags ?? {};
  const flagProblems = flagsProblems(flags, args.flagStore);
  // Left out, the namespace is the environment's name: when that is no Kubernetes name, the namespace is required.
  const unnamed = settings.cluster && args.cluster?.namespace === undefined && !KUBERNETES_NAME.test(name);
  const problems = [
    ...(unnamed ? [{ field: ["cluster", "namespace"], message: `required: the environment's name ${name} is not a Kubernetes name`, got: undefined }] : []),
    ...placed(ENVIRONMENT_FIELDS, [], environmentArgsProblems(environmentArgs(name, settings, "vpcId" in args.network ? args.network : NO_NETWORK))),
    ...crossServiceProblems(args),
    ...settings.services.flatMap((service) => [
      ...settingsThatDoNotApply(service.name, args.services[service.name], args.tier),
      ...placed(
        serviceFields(service.name),
        ["services", service.name],
        service.runtime === "kubernetes"
          ? kubernetesServiceArgsProblems(kubernetesServiceArgs(service, settings, facts, sidecars, placement))
          : blueGreenServiceArgsProblems(ecsServiceArgs(service, settings, facts, sidecars)),
      ),
    ]),
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
  if (service.runtime !== "kubernetes") {
    if (deployment.steps !== undefined) {
      add(["deployment", "steps"], "arbitrary steps need runtime: kubernetes (Argo Rollouts); ECS's native engine shifts by one canary step or equal linear steps: use strategy canary or linear", deployment.steps);
    }
    if (deployment.stepPauseMinutes !== undefined) add(["deployment", "stepPauseMinutes"], "applies to steps, which need runtime: kubernetes", deployment.stepPauseMinutes);
    return problems;
  }
  if (deployment.steps === undefined && deployment.stepPauseMinutes !== undefined) add(["deployment", "stepPauseMinutes"], "applies to steps only", deployment.stepPauseMinutes);
  // The Kubernetes runtime has no secret store of its own: a secret value would reach no pod.
  for (const variable of Object.keys(service.secretEnvironment ?? {}).sort()) {
    add(["secretEnvironment", variable], "secret values are ECS-only (Secrets Manager): on kubernetes, keep the secret in the cluster (Secrets Store CSI driver, External Secrets) and pass its name in environment", undefined);
  }
  if (Object.keys(service.secrets ?? {}).length > 0) {
    add(["secrets"], "Secrets Manager and SSM references are ECS-only: on kubernetes, mount them with the Secrets Store CSI driver or External Secrets and pass names in environment", Object.keys(service.secrets ?? {}));
  }
  return problems;
}
