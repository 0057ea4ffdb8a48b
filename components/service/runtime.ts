import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../arguments";
import type { ServiceEnvironment } from "../environment/service-environment";
import type { AlarmedService, FlagReadingService } from "../feature-flag-store/backends/appconfig/args";
import type { ReleaseClusterArgs, ReleaseServiceArgs } from "../release-environment/args";
import type { ResolvedReleaseEnvironment, ResolvedService } from "../release-environment/resolve";
import type { Tier } from "../tiers";
import type { EnvironmentFacts, Sidecar } from "./args";

/** The Elastic Load Balancing quotas every service of an environment shares: they all sit on its one load balancer. */
export const LOAD_BALANCER_LIMITS = {
  /** "Target Groups per Application Load Balancer: 100, not adjustable"; blue/green, canary and linear take two. */
  targetGroups: 100,
  /** "Rules per Application Load Balancer (excluding default rules): 100" (adjustable); a traffic-shifting service takes a production and a test rule. */
  rules: 100,
} as const;

/**
 * Where a service runs, as one entry of `RUNTIMES` (components/runtimes.ts): everything a `ReleaseEnvironment` asks
 * of a runtime, so it branches on none. Methods, not function-valued fields, so a `ServiceRuntime<EcsArgs>` fits a
 * `ServiceRuntime<unknown>` (method parameters are compared both ways).
 * @internal
 */
export interface ServiceRuntime<A, C extends pulumi.ComponentResource = pulumi.ComponentResource> {
  /** Its services run on the environment's cluster (`release:cluster`), which is made, with its namespace, before them. */
  readonly onCluster: boolean;
  /** Where the stack outputs list its services (`<key>.<service>`), and whether the key stays when it has none. */
  readonly outputs: { readonly key: string; readonly whenNone: "empty" | "absent" };
  /** Target groups (and listener rules) a service of `strategy` takes on the environment's load balancer. */
  loadBalancerShare(strategy: string): number;
  /**
   * The quotas of load balancers its services make beside the environment's, given their strategies; cheap on any
   * number of services, as the environment's own (checked before anything else).
   */
  ownLoadBalancerProblems(strategies: readonly string[]): ArgumentProblem[];
  /**
   * Its rules across the environment: what its services (`own`, maybe none) need of the rest of the args, and of the
   * environment's other services (`all`); both sorted by name.
   */
  environmentProblems(own: readonly RuntimeServiceEntry[], all: readonly RuntimeServiceEntry[], args: RuntimeEnvironmentArgs): ArgumentProblem[];
  /** A service's settings this runtime does not read, each field under the service. */
  settingsThatDoNotApply(service: ReleaseServiceArgs, tier: Tier): ArgumentProblem[];
  /** The component's arguments for one service; with stand-ins for what exists only once created when only checked. */
  args<E extends EnvironmentFacts>(service: ResolvedService, context: RuntimeContext<E>): A & { readonly environment: E };
  /** The component's own rules on those arguments, each field the component's. */
  problems(args: A): ArgumentProblem[];
  /** The service's component, and what the environment reads of it. */
  create(name: string, args: A & { readonly environment: ServiceEnvironment }, opts: pulumi.ComponentResourceOptions): DeployedService<C>;
}

/** A service as the rules across an environment's services read it: its name, its args, the strategy it ends up with. @internal */
export interface RuntimeServiceEntry {
  readonly name: string;
  readonly service: ReleaseServiceArgs;
  readonly strategy: string;
}

/** What a runtime's rules across the environment read of its args. @internal */
export interface RuntimeEnvironmentArgs {
  readonly tier: Tier;
  readonly cluster?: ReleaseClusterArgs;
  readonly flagStore?: { readonly backend?: string; readonly agent?: boolean };
}

/** What an environment gives a runtime to build a service's arguments; stand-ins for the ids of resources when only checked. @internal */
export interface RuntimeContext<E extends EnvironmentFacts> {
  readonly settings: ResolvedReleaseEnvironment;
  readonly environment: E;
  /** The flag agent beside each service (none without it). */
  readonly sidecars: readonly Sidecar[];
  /** The same, for tasks in the private subnets: an image they cannot reach from there stops the deployment with a clear error. */
  readonly privateSubnetSidecars: readonly Sidecar[];
  /** Subnets of a load balancer a service makes beside the environment's: the private ones when `ingress.internal`. */
  readonly ownLoadBalancerSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The id of `ingress.hostedZone` (looked up once, for every service that asks). */
  readonly hostedZoneId: () => pulumi.Input<string>;
  /** The cluster of `onCluster` runtimes: none when no service runs on it. */
  readonly cluster?: ClusterPlacement;
}

/** The environment's cluster as its services see it. @internal */
export interface ClusterPlacement {
  /** None when only checked. */
  readonly provider?: k8s.Provider;
  readonly namespace: string;
  /** The pods' security group (the referenced stack's, when not given). */
  readonly podSecurityGroupId: () => pulumi.Input<string>;
  readonly clusterName: () => pulumi.Input<string>;
  /** Variables every workload on the cluster gets (where the flagd server answers). */
  readonly environmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** A service once created: its component and what the environment reads of it. @internal */
export interface DeployedService<C extends pulumi.ComponentResource = pulumi.ComponentResource> {
  /** The flag store watches its alarms and grants its role reading. */
  readonly component: C & AlarmedService & FlagReadingService;
  /** Its row on the environment's dashboard; none when it has no alarms or target groups to show. */
  readonly dashboard?: DashboardRow;
  /** What the stack exports of it. */
  readonly outputs: unknown;
}

/** A service's target groups (and load balancer, when not the environment's) and alarms, for the dashboard. @internal */
export interface DashboardRow {
  readonly targetGroupArnSuffixes: pulumi.Input<string | undefined>[];
  readonly alarmArns: pulumi.Input<string[]>;
  readonly loadBalancerArnSuffix?: pulumi.Input<string>;
}
