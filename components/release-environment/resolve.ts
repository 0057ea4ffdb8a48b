import * as pulumi from "@pulumi/pulumi";
import type { DeploymentStrategy } from "../blue-green-service/strategy";
import type { AlarmTiming, CustomAlarm } from "../deployment-alarms/alarm-math";
import { type EnvironmentContract, MAIN_LOAD_BALANCER, type RouteContract } from "../environment/contract";
import type { SlackChannel } from "../environment/notifications";
import { DEFAULT_FLAG_BACKEND } from "../feature-flag-store/backends";
import type { Flags } from "../feature-flag-store/flags/model";
import type { StepInput } from "../kubernetes-service/steps";
import { serviceTierDefaults } from "../service/settings";
import { resolveStrategy } from "../service/strategy";
import { type AlarmSettings, alarmsWithTierDefaults } from "../deployment-alarms/deployment-alarms";
import { type Thresholds, thresholdsOf } from "../deployment-alarms/kinds";
import { AGENT_IMAGE } from "../feature-flag-store/backends/appconfig/agent";
import { storeSettings } from "../feature-flag-store/backends/appconfig/args";
import { smokeTestSettings } from "../lifecycle-hooks/lifecycle-hooks";
import { TIER_DEFAULTS, type Tier, type TierDefaults } from "../tiers";
import { joinedClusterArgs } from "./joined";
import type { ReleaseClusterArgs, ReleaseEnvironmentArgs, ReleaseFlagStoreArgs, ReleaseRouteArgs, ReleaseServiceArgs } from "./args";

/** A service with every setting its tier leaves out filled in. @internal */
export interface ResolvedService {
  readonly name: string;
  readonly image: pulumi.Input<string>;
  readonly port: number;
  readonly pathPatterns: readonly string[];
  readonly hostHeaders: readonly string[];
  readonly priority: number;
  /** The environment's load balancer the service is on: its route's, `main` where the environment is made here. */
  readonly loadBalancer: string;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly autoscaling: { readonly min: number; readonly max: number; readonly cpuTargetPercent: number };
  readonly healthCheck: TierDefaults["healthCheck"];
  readonly deregistrationDelaySeconds: number;
  readonly deployment: DeploymentStrategy;
  readonly smokeTest: {
    readonly enabled: boolean;
    readonly paths: readonly string[];
    readonly samples: number;
    readonly minSuccessRate: number;
    readonly timeoutMs: number;
    readonly expectedStatuses: string;
  };
  readonly alarmGate: boolean;
  /** Why the alarm gate lets a deployment through while alarms fire (an incident or ticket); undefined normally. */
  readonly alarmGateOverride?: string;
  readonly alarms: Thresholds & AlarmTiming & { readonly custom: readonly CustomAlarm[] };
  /** Plain environment variables: visible in the task definition and the plan. */
  readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
  /** Secret environment variables: stored in Secrets Manager by the service, never in its task definition. */
  readonly secretEnvironment: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secrets: Readonly<Record<string, string>>;
  /** How long a secret of `secretEnvironment` stays restorable once the service no longer uses it. */
  readonly secretRecoveryWindowDays: number;
  readonly logRetentionDays: number;
  /** Where the service runs: a key of `RUNTIMES` (ECS by default). */
  readonly runtime: NonNullable<ReleaseServiceArgs["runtime"]>;
  /** Kubernetes only: arbitrary traffic stages instead of the strategy's. */
  readonly steps?: readonly StepInput[];
  readonly stepPauseMinutes: number;
}

/** The cluster of `runtime: kubernetes` services. @internal */
export interface ResolvedCluster {
  readonly source: { readonly kind: "stackReference"; readonly name: string } | { readonly kind: "kubeconfig"; readonly kubeconfig: pulumi.Input<string> };
  /** Namespace of every Kubernetes object of the environment. */
  readonly namespace: string;
  readonly name?: string;
  readonly securityGroupId?: string;
  readonly controllers: readonly string[];
}

/** A release environment's settings with its tier's defaults filled in: what the ReleaseEnvironment builds. @internal */
export interface ResolvedReleaseEnvironment {
  readonly tier: Tier;
  readonly region: string;
  /** The AWS provider's other settings (`aws:` keys), as given. */
  readonly aws: NonNullable<ReleaseEnvironmentArgs["aws"]>;
  /** None in a service stack: the environment it joins has its network. */
  readonly network: ReleaseEnvironmentArgs["network"];
  /** A service stack: the environment it joins, as its stack exported it. */
  readonly environment?: EnvironmentContract;
  /** An environment stack's routing table, by service name, sorted: each route with its load balancer. */
  readonly routes: Readonly<Record<string, RouteContract>>;
  readonly ingress: {
    readonly certificateArn?: pulumi.Input<string>;
    readonly allowedCidrs: readonly string[];
    readonly internal: boolean;
    readonly testListenerPort: number;
    readonly testListenerCidrs: readonly string[];
    readonly idleTimeoutSeconds: number;
    readonly hostedZone?: string;
    readonly accessLogs?: { readonly expirationDays: number };
  };
  readonly notifications: {
    readonly emails: readonly pulumi.Input<string>[];
    readonly httpsEndpoints: readonly pulumi.Input<string>[];
    readonly slack?: SlackChannel;
  };
  /** Sorted by name, so output does not depend on the order of keys. */
  readonly services: readonly ResolvedService[];
  /** Sorted by key. */
  readonly flags: Flags;
  readonly flagStore: {
    readonly backend: NonNullable<ReleaseFlagStoreArgs["backend"]>;
    readonly ownership: "pulumi" | "console";
    readonly agent: boolean;
    readonly agentImage: string;
    readonly deployment: TierDefaults["flagStore"];
  };
  readonly defaults: TierDefaults;
  readonly cluster?: ResolvedCluster;
}

const byName = <T>(record: Readonly<Record<string, T>>): [string, T][] => Object.entries(record).sort(([a], [b]) => a.localeCompare(b));

/**
 * The settings of a release environment named `name` with everything its args leave out taken from the tier
 * (`TIER_DEFAULTS`, `STRATEGY_FILL`): the one place a stack file's silence becomes a value.
 * @internal
 */
export function resolveReleaseEnvironment(name: string, args: ReleaseEnvironmentArgs): ResolvedReleaseEnvironment {
  const defaults = TIER_DEFAULTS[args.tier];
  const joined = args.environment;
  // A service stack's listeners and topic are its environment's: what its services read of them (a Kubernetes canary's
  // own load balancer: certificate, sources, idle timeout) comes from the contract.
  const ingress: NonNullable<ReleaseEnvironmentArgs["ingress"]> = joined
    ? {
        internal: joined.internal,
        testListenerPort: joined.testListenerPort,
        hostedZone: joined.hostedZone,
        certificateArn: joined.certificateArn,
        allowedCidrs: joined.allowedCidrs,
        idleTimeoutSeconds: joined.idleTimeoutSeconds,
      }
    : (args.ingress ?? {});
  const notifications = joined ? {} : (args.notifications ?? {});
  const flagStore = args.flagStore ?? {};
  // A service stack's cluster is its environment's (joined.ts).
  const clusterArgs = joined ? joinedClusterArgs(joined, args.cluster) : args.cluster;
  const cluster = clusterArgs && resolveCluster(clusterArgs, name);
  return {
    tier: args.tier,
    region: args.region,
    aws: args.aws ?? {},
    network: joined ? undefined : args.network,
    ...(joined ? { environment: joined } : {}),
    routes: Object.fromEntries(byName(args.routes ?? {}).map(([service, route]) => [service, resolveRoute(route)])),
    ingress: {
      certificateArn: ingress.certificateArn,
      allowedCidrs: ingress.allowedCidrs ?? defaults.ingress.allowedCidrs,
      internal: ingress.internal ?? false,
      testListenerPort: ingress.testListenerPort ?? defaults.ingress.testListenerPort,
      testListenerCidrs: args.ingress?.testListenerCidrs ?? [],
      idleTimeoutSeconds: ingress.idleTimeoutSeconds ?? defaults.ingress.idleTimeoutSeconds,
      ...(ingress.hostedZone !== undefined ? { hostedZone: ingress.hostedZone.replace(/\.$/, "") } : {}),
      accessLogs:
        !joined && (args.ingress?.accessLogs?.enabled ?? defaults.ingress.accessLogs)
          ? { expirationDays: args.ingress?.accessLogs?.expirationDays ?? defaults.ingress.accessLogExpirationDays }
          : undefined,
    },
    notifications: {
      emails: notifications.emails ?? [],
      httpsEndpoints: notifications.httpsEndpoints ?? [],
      ...(notifications.slack ? { slack: notifications.slack } : {}),
    },
    services: byName(args.services).map(([serviceName, service]) => resolveService(serviceName, service, args.tier, joined?.routes[serviceName])),
    flags: Object.fromEntries(byName(args.flags ?? {})),
    flagStore: {
      backend: flagStore.backend ?? DEFAULT_FLAG_BACKEND,
      ownership: flagStore.ownership ?? "pulumi",
      agent: flagStore.agent ?? true,
      agentImage: flagStore.agentImage ?? AGENT_IMAGE,
      deployment: storeSettings({ tier: args.tier, strategy: flagStore.deployment }).strategy,
    },
    defaults,
    ...(cluster ? { cluster } : {}),
  };
}

/** A route with what it leaves out filled in: no paths or hosts, the main load balancer. @internal */
export function resolveRoute(route: ReleaseRouteArgs): RouteContract {
  return {
    pathPatterns: route.pathPatterns ?? [],
    hostHeaders: route.hostHeaders ?? [],
    priority: route.priority,
    loadBalancer: route.loadBalancer ?? MAIN_LOAD_BALANCER,
    ...(route.stack !== undefined ? { stack: route.stack } : {}),
  };
}

function resolveCluster(cluster: ReleaseClusterArgs, name: string): ResolvedCluster {
  return {
    // A kubeconfig is a credential whether or not its source marks it secret.
    source: cluster.stackReference !== undefined ? { kind: "stackReference", name: cluster.stackReference } : { kind: "kubeconfig", kubeconfig: pulumi.secret(cluster.kubeconfig ?? "") },
    namespace: cluster.namespace ?? name,
    ...(cluster.name !== undefined ? { name: cluster.name } : {}),
    ...(cluster.securityGroupId !== undefined ? { securityGroupId: cluster.securityGroupId } : {}),
    controllers: cluster.controllers ?? [],
  };
}

/** One service's settings with its tier's defaults. @internal */
export function resolveService(name: string, service: ReleaseServiceArgs, tier: Tier, route?: RouteContract): ResolvedService {
  const defaults = TIER_DEFAULTS[tier];
  // Size, count, autoscaling, health check and draining as a service of either runtime fills them.
  const { cpu, memory, desiredCount, autoscaling, healthCheck, deregistrationDelaySeconds } = serviceTierDefaults(defaults, service, false);
  const { custom, ...thresholds } = service.alarms ?? {};
  return {
    name,
    image: service.image,
    port: service.port,
    // A service stack's service is where its route puts it (its own settings there are refused).
    pathPatterns: route?.pathPatterns ?? service.pathPatterns ?? [],
    hostHeaders: route?.hostHeaders ?? service.hostHeaders ?? [],
    // A missing priority is refused before anything is built; 0 only while the rules judge the rest.
    priority: route?.priority ?? service.priority ?? 0,
    loadBalancer: route?.loadBalancer ?? MAIN_LOAD_BALANCER,
    cpu,
    memory,
    desiredCount,
    autoscaling,
    healthCheck,
    deregistrationDelaySeconds,
    deployment: resolveStrategy(service.deployment ?? {}, defaults.deployment),
    smokeTest: {
      enabled: service.smokeTest?.enabled ?? (service.smokeTest !== undefined || defaults.smokeTest.enabled),
      ...smokeTestSettings({ ...service.smokeTest, paths: service.smokeTest?.paths ?? [healthCheck.path] }, tier),
    },
    alarmGate: service.alarmGate?.enabled ?? defaults.alarmGate,
    alarmGateOverride: service.alarmGate?.override,
    alarms: { ...alarmSettings(alarmsWithTierDefaults(defaults, thresholds)), custom: custom ?? [] },
    environment: service.environment ?? {},
    secretEnvironment: service.secretEnvironment ?? {},
    secrets: service.secrets ?? {},
    secretRecoveryWindowDays: defaults.secretRecoveryWindowDays,
    logRetentionDays: service.logRetentionDays ?? defaults.logRetentionDays,
    runtime: service.runtime ?? "ecs",
    ...(service.deployment?.steps ? { steps: service.deployment.steps } : {}),
    stepPauseMinutes: service.deployment?.stepPauseMinutes ?? 0,
  };
}

/** The thresholds and timing the service's alarms settle on, in one flat record. */
function alarmSettings(alarms: AlarmSettings): Thresholds & AlarmTiming {
  return { ...thresholdsOf(alarms), ...alarms.timing };
}
