import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BlueGreenService } from "../blue-green-service/blue-green-service";
import { refuseBadArguments } from "../arguments";
import type { DeploymentStrategy } from "../blue-green-service/strategy";
import type { DashboardService } from "../environment/dashboard";
import { type ClusterContract, ENVIRONMENT_OUTPUT, type EnvironmentContract } from "../environment/contract";
import { Environment } from "../environment/environment";
import type { JoinedEnvironment } from "../environment/joined";
import type { ServiceEnvironment } from "../environment/service-environment";
import { FLAG_BACKENDS } from "../feature-flag-store/backends";
import type { FeatureFlagStore } from "../feature-flag-store/backends/appconfig/store";
import type { FlagdServer } from "../feature-flag-store/backends/flagd/server";
import type { KubernetesService } from "../kubernetes-service/kubernetes-service";
import { type Runtime, RUNTIMES } from "../runtimes";
import type { DeployedService, RuntimeContext, ServiceRuntime } from "../service/runtime";
import type { Tier } from "../tiers";
import type { ReleaseEnvironmentArgs, ReleaseServiceArgs } from "./args";
import { environmentArgs, flagEnvironment } from "./children";
import { releaseEnvironmentArgsProblems } from "./problems";
import { type ResolvedCluster, type ResolvedReleaseEnvironment, type ResolvedService, resolveReleaseEnvironment } from "./resolve";

/**
 * Everything this component creates was once created at the stack's root by the program: the alias keeps each (and,
 * through the engine, its children) the resource already deployed instead of a new one beside it.
 */
const MOVED_FROM_ROOT: pulumi.Alias[] = [{ parent: pulumi.rootStackResource }];

/** What a team reads of a ReleaseEnvironment's settings once its tier has filled them in. */
export interface ReleaseEnvironmentSettings {
  readonly tier: Tier;
  readonly region: string;
  /** Each service's runtime and the strategy it settled on, sorted by name. */
  readonly services: readonly {
    readonly name: string;
    readonly runtime: NonNullable<ReleaseServiceArgs["runtime"]>;
    readonly deployment: DeploymentStrategy;
  }[];
}

/** A runtime's services by name, as its component. */
type ServicesOn<R extends Runtime> = Readonly<Record<string, ReturnType<(typeof RUNTIMES)[R]["create"]>["component"]>>;

/**
 * A whole release environment from its settings: the `Environment` (load balancer, listeners, cluster, alert topic and
 * notifications), each service with its alarms and hooks (ECS, or Kubernetes with Argo Rollouts), the feature-flag
 * store monitored by the services' alarms, and the dashboards. The stack program and platform teams use this one API.
 */
export class ReleaseEnvironment extends pulumi.ComponentResource {
  /** The settings with the tier's defaults filled in. */
  public readonly settings: ReleaseEnvironmentSettings;
  /** The environment made here, or the one a service stack joins. */
  public readonly environment: Environment | JoinedEnvironment;
  /** ECS services by name. */
  public readonly services: Readonly<Record<string, BlueGreenService>>;
  /** Kubernetes services by name. */
  public readonly kubernetesServices: Readonly<Record<string, KubernetesService>>;
  /** The AppConfig store; none with the flagd backend. */
  public readonly flagStore?: FeatureFlagStore;
  /** The flagd server of the Kubernetes services; only with the flagd backend and a cluster. */
  public readonly flagd?: FlagdServer;
  /** The production listener's URL. */
  public readonly url: pulumi.Output<string>;
  /** The test listener's URL, where a new version answers before users see it. */
  public readonly testUrl: pulumi.Output<string>;
  public readonly alertTopicArn: pulumi.Output<string>;
  /** What the stack exports: URLs, the alert topic, the flag store's ids and each service's strategy, alarms and ARNs. */
  public readonly outputs: Record<string, unknown>;

  constructor(name: string, args: ReleaseEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    refuseBadArguments("ReleaseEnvironment", name, releaseEnvironmentArgsProblems(name, args, { stack: thisStack() }));
    const settings = resolveReleaseEnvironment(name, args);
    super("release:aws:ReleaseEnvironment", name, {}, opts);
    this.settings = {
      tier: settings.tier,
      region: settings.region,
      services: settings.services.map(({ name: serviceName, runtime, deployment }) => ({ name: serviceName, runtime, deployment })),
    };
    const joined = settings.environment;
    // In a service stack too: a service moved in from its environment stack by `pulumi state move` arrives re-parented
    // to the stack's root (its parent stays behind), and this alias is how the service stack finds it there.
    const moved = (more: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({ ...more, parent: this, aliases: MOVED_FROM_ROOT });

    // One reference a stack: network and cluster may name the same stack, and two of one name are a duplicate URN.
    const references = new Map<string, pulumi.StackReference>();
    const reference = (stack: string) => references.get(stack) ?? references.set(stack, new pulumi.StackReference(stack, undefined, moved())).get(stack)!;
    const made = joined ? undefined : makeEnvironment(name, settings, moved, reference);
    // A service stack's own resources (its flag store's rule, its dashboard) are `<namePrefix>-<name>-...`.
    const environment = made?.environment ?? Environment.fromContract(name, joined!, { aws: settings.aws, ownName: name }, moved());
    this.environment = environment;
    const publicSubnetIds = made?.publicSubnetIds ?? [...joined!.publicSubnetIds];
    const providers = [environment.provider];
    const clusterSettings = settings.cluster;
    const onCluster = settings.services.some((service) => RUNTIMES[service.runtime].onCluster);
    // An environment stack makes its namespace for the service stacks' Kubernetes services; a service stack uses it.
    const kubernetes = clusterSettings && (onCluster || (!joined && args.routes !== undefined)) ? cluster(clusterSettings, moved, reference) : undefined;
    const namespace =
      kubernetes && clusterSettings && !joined
        ? new k8s.core.v1.Namespace("namespace", { metadata: { name: clusterSettings.namespace } }, moved({ provider: kubernetes.provider }))
        : undefined;
    const flagBackend = FLAG_BACKENDS[settings.flagStore.backend];
    const flagContext = flagEnvironment(name, settings);
    const kubernetesFlags =
      kubernetes && clusterSettings
        ? flagBackend.serveKubernetes?.(flagContext, { provider: kubernetes.provider, namespace: clusterSettings.namespace }, moved({ dependsOn: namespace ? [namespace] : [] }))
        : undefined;
    this.flagd = kubernetesFlags?.flagd;

    const context: RuntimeContext<ServiceEnvironment> = {
      settings,
      environment,
      sidecars: flagBackend.sidecars(flagContext),
      privateSubnetSidecars: flagBackend.sidecars(flagContext, environment.privateSubnetRoutes),
      ownLoadBalancerSubnetIds: settings.ingress.internal ? environment.privateSubnetIds : publicSubnetIds,
      hostedZoneId: once(() => hostedZone(settings, { parent: this, provider: environment.provider })),
      ...(kubernetes && clusterSettings
        ? {
            cluster: {
              provider: kubernetes.provider,
              namespace: clusterSettings.namespace,
              podSecurityGroupId: kubernetes.securityGroupId,
              clusterName: kubernetes.name,
              environmentVariables: kubernetesFlags?.environmentVariables,
            },
          }
        : {}),
    };
    // Every service in name order: the flag store's monitors follow it.
    const deployed = settings.services.map((service) => {
      const runtime: ServiceRuntime<unknown> = RUNTIMES[service.runtime];
      const opts = { ...moved(runtime.onCluster ? { dependsOn: namespace ? [namespace] : [] } : {}), providers };
      // A service stack's service is on its route's load balancer, with that load balancer's listeners and priorities.
      const placed = joined ? { ...context, environment: environment.loadBalancer(service.loadBalancer) } : context;
      return { runtime: service.runtime, service, ...runtime.create(service.name, runtime.args(service, placed), opts) };
    });
    const servicesOn = <R extends Runtime>(runtime: R) =>
      Object.fromEntries(deployed.filter((entry) => entry.runtime === runtime).map((entry) => [entry.service.name, entry.component])) as ServicesOn<R>;
    this.services = servicesOn("ecs");
    this.kubernetesServices = servicesOn("kubernetes");
    // By runtime, in the table's order.
    const byRuntime = (Object.keys(RUNTIMES) as Runtime[]).map((runtime) => ({ runtime, deployed: deployed.filter((entry) => entry.runtime === runtime) }));

    // An environment stack with neither flags nor services of its own has nothing for a store to serve, and no alarm to
    // guard it (the service stacks' alarms watch their own stores): it makes none, and its contract names only the backend.
    const storeless = !joined && args.routes !== undefined && settings.services.length === 0 && Object.keys(settings.flags).length === 0;
    const store = storeless ? undefined : flagBackend.createStore?.(
      flagContext,
      {
        // An environment stack with no service of its own: its load balancers' alarms watch its environment-wide flags.
        monitors: made && deployed.length === 0 ? made.environment.loadBalancerAlarms() : deployed.map((entry) => entry.component),
        readers: byRuntime.flatMap((group) => group.deployed.map((entry) => entry.component)),
        alertTopicArn: environment.alertTopicArn,
      },
      { ...moved(), providers },
    );
    this.flagStore = store?.flagStore;
    if (store?.flagStore) environment.notifyFlagDeployments(store.flagStore);
    environment.addDashboards(byRuntime.flatMap((group) => group.deployed.flatMap(dashboard)));
    // An environment stack cannot list the services of the stacks that join it: its route pages find them by search.
    if (made && args.routes !== undefined) made.environment.addRouteDashboards();

    this.url = environment.productionUrl();
    this.testUrl = environment.testUrl();
    this.alertTopicArn = environment.alertTopicArn;
    this.outputs = {
      tier: settings.tier,
      url: this.url,
      testUrl: this.testUrl,
      alertTopicArn: this.alertTopicArn,
      flags: store ? store.outputs : { backend: settings.flagStore.backend },
      ...Object.fromEntries(
        byRuntime.flatMap(({ runtime, deployed: entries }) => {
          const { key, whenNone } = RUNTIMES[runtime].outputs;
          return entries.length > 0 || whenNone === "empty" ? [[key, Object.fromEntries(entries.map((entry) => [entry.service.name, entry.outputs]))]] : [];
        }),
      ),
      // A service stack's services may be on different load balancers of the environment: each one's own URL.
      ...(joined ? { urls: Object.fromEntries(settings.services.map((service) => [service.name, environment.loadBalancer(service.loadBalancer).productionUrl()])) } : {}),
      // Only an environment stack exports the contract: a single-stack file's outputs stay as they were.
      ...(made && args.routes !== undefined ? { [ENVIRONMENT_OUTPUT]: contractOutput(made.environment, settings, store?.outputs) } : {}),
    };
    this.registerOutputs(this.outputs);
  }
}

/** The stack's `org/project/stack`, as a route's `stack` names one; Pulumi's DIY-backend organization where the engine gives none. */
function thisStack(): string {
  let organization = "organization";
  try {
    organization = pulumi.getOrganization();
  } catch {
    // Mocks set up without an organization (a test): the DIY backend's name.
  }
  return `${organization}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** The environment a ReleaseEnvironment makes, on its network (given, or another stack's). */
function makeEnvironment(name: string, settings: ResolvedReleaseEnvironment, moved: (more?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions, reference: StackReferences) {
  // The rules refuse an environment made here without a network.
  const { vpcId, publicSubnetIds, privateSubnetIds } = network(settings.network!, reference);
  return { environment: new Environment(name, environmentArgs(name, settings, { vpcId, publicSubnetIds, privateSubnetIds }), moved()), publicSubnetIds };
}

/** What an environment stack exports for its service stacks: its routes, its flag store's ids, its cluster as they reach it. */
function contractOutput(environment: Environment, settings: ResolvedReleaseEnvironment, store: Record<string, unknown> | undefined): pulumi.Output<EnvironmentContract> {
  const cluster = settings.cluster;
  const clusterContract: ClusterContract | undefined = cluster && {
    namespace: cluster.namespace,
    ...(cluster.source.kind === "stackReference" ? { stackReference: cluster.source.name } : {}),
    ...(cluster.name !== undefined ? { name: cluster.name } : {}),
    ...(cluster.securityGroupId !== undefined ? { securityGroupId: cluster.securityGroupId } : {}),
    controllers: cluster.controllers,
  };
  const ids = store ? { applicationId: store.applicationId, environmentId: store.environmentId, profileId: store.profileId } : {};
  // A route of a service this stack still releases (a move not finished) says so: no service stack may release it too.
  const released = new Set(settings.services.map((service) => service.name));
  return pulumi.output(ids).apply((flagStoreIds) =>
    environment
      .contract(settings.routes, {
        flagStore: { backend: settings.flagStore.backend, ...(flagStoreIds as Record<string, string>) },
        ...(clusterContract ? { cluster: clusterContract } : {}),
        ...(settings.ingress.hostedZone !== undefined ? { hostedZone: settings.ingress.hostedZone } : {}),
      })
      .apply((contract) => ({
        ...contract,
        routes: Object.fromEntries(Object.entries(contract.routes).map(([name, route]) => [name, released.has(name) ? { ...route, releasedByEnvironment: true as const } : route])),
      })),
  );
}

/** `make`'s value, made on the first call only. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * The id of `ingress.hostedZone`, where canary services' hosts get their records: the private zone of that name for an
 * internal load balancer, else the public one ("If you use the name argument for a private Hosted Zone, you need to set
 * the privateZone argument to true", aws.route53.getZone; the filter "must match exactly one Hosted Zone").
 */
function hostedZone(settings: ResolvedReleaseEnvironment, invoke: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  return aws.route53.getZoneOutput({ name: settings.ingress.hostedZone, privateZone: settings.ingress.internal }, invoke).zoneId;
}

/** The component's reference to a stack, made on first use (named after the stack, as each was before it was shared). */
type StackReferences = (stack: string) => pulumi.StackReference;

/** Network ids as given, or from another stack's outputs (vpcId, publicSubnetIds, privateSubnetIds). */
function network(settings: NonNullable<ReleaseEnvironmentArgs["network"]>, references: StackReferences) {
  if (!("stackReference" in settings)) return settings;
  const reference = references(settings.stackReference);
  return {
    vpcId: reference.requireOutput("vpcId") as pulumi.Output<string>,
    publicSubnetIds: reference.requireOutput("publicSubnetIds") as pulumi.Output<string[]>,
    privateSubnetIds: reference.requireOutput("privateSubnetIds") as pulumi.Output<string[]>,
  };
}

/** The cluster's provider and what its stack knows: kubeconfig, the EKS cluster's name and the pods' security group. */
function cluster(settings: ResolvedCluster, moved: (more?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions, references: StackReferences) {
  const reference = settings.source.kind === "stackReference" ? references(settings.source.name) : undefined;
  // A kubeconfig is a credential even when the cluster's stack forgot to export it as a secret, or the stack file to set it with --secret.
  const kubeconfig = pulumi.secret(settings.source.kind === "kubeconfig" ? settings.source.kubeconfig : (reference!.requireOutput("kubeconfig") as pulumi.Output<string>));
  // Namespaced objects name their namespace; the provider never falls back to the kubeconfig's.
  const provider = new k8s.Provider("cluster", { kubeconfig, namespace: settings.namespace }, moved());
  return {
    provider,
    name: (): pulumi.Input<string> => settings.name ?? (reference!.requireOutput("clusterName") as pulumi.Output<string>),
    securityGroupId: (): pulumi.Input<string> => settings.securityGroupId ?? (reference!.requireOutput("clusterSecurityGroupId") as pulumi.Output<string>),
  };
}

/** A service's row on the environment's dashboards, when its runtime gives it one. */
function dashboard({ service, dashboard: row }: DeployedService & { readonly service: ResolvedService }): pulumi.Output<DashboardService>[] {
  if (!row) return [];
  return [
    pulumi.all([pulumi.all(row.targetGroupArnSuffixes), row.alarmArns, row.loadBalancerArnSuffix]).apply(([targetGroups, arns, loadBalancerArnSuffix]) => ({
      name: service.name,
      ...(loadBalancerArnSuffix !== undefined ? { loadBalancerArnSuffix } : {}),
      targetGroupArnSuffixes: targetGroups.filter((suffix): suffix is string => suffix !== undefined),
      alarmArns: arns,
      errorRatePercent: service.alarms.errorRatePercent,
      p99LatencyMs: service.alarms.p99LatencyMs,
    })),
  ];
}
