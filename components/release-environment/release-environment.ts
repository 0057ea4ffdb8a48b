import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenService } from "../blue-green-service/blue-green-service";
import { refuseBadArguments } from "../arguments";
import type { DashboardService } from "../environment/dashboard";
import { Environment } from "../environment/environment";
import { FLAG_BACKENDS } from "../feature-flag-store/backends";
import type { FeatureFlagStore } from "../feature-flag-store/backends/appconfig/store";
import type { FlagdServer } from "../feature-flag-store/backends/flagd/server";
import { KubernetesService } from "../kubernetes-service/kubernetes-service";
import type { ReleaseEnvironmentArgs } from "./args";
import { ecsServiceArgs, environmentArgs, flagEnvironment, kubernetesServiceArgs } from "./children";
import { releaseEnvironmentArgsProblems } from "./problems";
import { type ResolvedCluster, type ResolvedReleaseEnvironment, type ResolvedService, resolveReleaseEnvironment } from "./resolve";

/**
 * Everything this component creates was once created at the stack's root by the program: the alias keeps each (and,
 * through the engine, its children) the resource already deployed instead of a new one beside it.
 */
const MOVED_FROM_ROOT: pulumi.Alias[] = [{ parent: pulumi.rootStackResource }];

/** What a team reads of one ECS service after `pulumi up`. */
export interface ReleaseServiceOutputs {
  readonly strategy: string;
  readonly detection?: string;
  readonly alarmNames: pulumi.Output<string[]>;
  readonly serviceArn: pulumi.Output<string>;
  readonly testUrl: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly blueTargetGroupArn: pulumi.Output<string>;
  readonly greenTargetGroupArn?: pulumi.Output<string>;
}

/**
 * A whole release environment from its settings: the `Environment` (load balancer, listeners, cluster, alert topic and
 * notifications), each service with its alarms and hooks (ECS, or Kubernetes with Argo Rollouts), the feature-flag
 * store monitored by the services' alarms, and the dashboards. The stack program and platform teams use this one API.
 */
export class ReleaseEnvironment extends pulumi.ComponentResource {
  /** The settings with the tier's defaults filled in. */
  public readonly settings: ResolvedReleaseEnvironment;
  public readonly environment: Environment;
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
    refuseBadArguments("ReleaseEnvironment", name, releaseEnvironmentArgsProblems(name, args));
    const settings = resolveReleaseEnvironment(name, args);
    super("release:aws:ReleaseEnvironment", name, {}, opts);
    this.settings = settings;
    const moved = (more: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({ ...more, parent: this, aliases: MOVED_FROM_ROOT });

    const { vpcId, publicSubnetIds, privateSubnetIds } = network(settings, moved());
    const environment = new Environment(name, environmentArgs(name, settings, { vpcId, publicSubnetIds, privateSubnetIds }), moved());
    this.environment = environment;
    const providers = [environment.provider];
    const flagBackend = FLAG_BACKENDS[settings.flagStore.backend];
    const flagContext = flagEnvironment(name, settings);
    const agent = flagBackend.sidecars(flagContext);
    // ECS tasks run in the private subnets: an image they cannot reach from there stops the deployment with a clear error.
    const ecsAgent = flagBackend.sidecars(flagContext, environment.privateSubnetRoutes);
    const onKubernetes = settings.services.filter((service) => service.runtime === "kubernetes");
    const clusterSettings = settings.cluster;
    const kubernetes = clusterSettings && onKubernetes.length > 0 ? cluster(clusterSettings, moved) : undefined;
    const namespace =
      kubernetes && clusterSettings
        ? new k8s.core.v1.Namespace("namespace", { metadata: { name: clusterSettings.namespace } }, moved({ provider: kubernetes.provider }))
        : undefined;
    const kubernetesFlags =
      kubernetes && clusterSettings
        ? flagBackend.serveKubernetes?.(flagContext, { provider: kubernetes.provider, namespace: clusterSettings.namespace }, moved({ dependsOn: namespace ? [namespace] : [] }))
        : undefined;
    this.flagd = kubernetesFlags?.flagd;

    const services: Record<string, BlueGreenService> = {};
    const kubernetesServices: Record<string, KubernetesService> = {};
    // Every service in name order: the flag store's monitors follow it.
    const deployed: (BlueGreenService | KubernetesService)[] = [];
    const hostedZoneId = once(() => hostedZone(settings, { parent: this, provider: environment.provider }));
    for (const service of settings.services) {
      if (kubernetes && clusterSettings && service.runtime === "kubernetes") {
        const created = new KubernetesService(
          service.name,
          {
            ...kubernetesServiceArgs(service, settings, environment, agent, {
              namespace: clusterSettings.namespace,
              podSecurityGroupId: kubernetes.securityGroupId,
              ingressSubnetIds: settings.ingress.internal ? environment.privateSubnetIds : publicSubnetIds,
              clusterName: kubernetes.name,
              hostedZoneId,
              environmentVariables: kubernetesFlags?.environmentVariables,
            }),
            provider: kubernetes.provider,
          },
          { ...moved({ dependsOn: namespace ? [namespace] : [] }), providers },
        );
        kubernetesServices[service.name] = created;
        deployed.push(created);
        continue;
      }
      const created = new BlueGreenService(service.name, ecsServiceArgs(service, settings, environment, ecsAgent), { ...moved(), providers });
      services[service.name] = created;
      deployed.push(created);
    }
    this.services = services;
    this.kubernetesServices = kubernetesServices;

    const store = flagBackend.createStore?.(
      flagContext,
      { monitors: deployed, readers: [...Object.values(services), ...Object.values(kubernetesServices)], alertTopicArn: environment.alertTopicArn },
      { ...moved(), providers },
    );
    this.flagStore = store?.flagStore;
    if (store?.flagStore) environment.notifyFlagDeployments(store.flagStore);
    environment.addDashboards(dashboards(settings, services, kubernetesServices));

    this.url = environment.productionUrl();
    this.testUrl = environment.testUrl();
    this.alertTopicArn = environment.alertTopicArn;
    this.outputs = {
      tier: settings.tier,
      url: this.url,
      testUrl: this.testUrl,
      alertTopicArn: this.alertTopicArn,
      flags: store ? store.outputs : { backend: settings.flagStore.backend },
      services: Object.fromEntries(Object.entries(services).map(([serviceName, service]) => [serviceName, serviceOutputs(service)])),
      ...(kubernetes && clusterSettings && Object.keys(kubernetesServices).length > 0
        ? {
            kubernetes: Object.fromEntries(
              Object.entries(kubernetesServices).map(([serviceName, service]) => [
                serviceName,
                {
                  strategy: service.strategySummary,
                  afterAbort: service.afterAbort,
                  ...(service.ingressName
                    ? {
                        url: service.url,
                        ingress: `${clusterSettings.namespace}/${service.ingressName} (the AWS Load Balancer Controller's load balancer, group ${service.ingressGroupName})`,
                        loadBalancerArnSuffix: service.ingressLoadBalancerArnSuffix,
                        targetGroupArnSuffixes: [service.stableTargetGroupArnSuffix, service.canaryTargetGroupArnSuffix],
                      }
                    : { activeTargetGroupArn: service.activeTargetGroupArn, previewTargetGroupArn: service.previewTargetGroupArn }),
                  ...(service.alarms ? { alarmNames: service.alarms.alarmNames, detection: service.alarms.detectionSummary } : {}),
                },
              ]),
            ),
          }
        : {}),
    };
    this.registerOutputs(this.outputs);
  }
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

function serviceOutputs(service: BlueGreenService): ReleaseServiceOutputs {
  return {
    strategy: service.strategySummary,
    detection: service.alarms?.detectionSummary,
    alarmNames: service.alarmNames,
    serviceArn: service.serviceArn,
    testUrl: service.testUrl,
    url: service.productionUrl,
    blueTargetGroupArn: service.blueTargetGroupArn,
    greenTargetGroupArn: service.greenTargetGroupArn,
  };
}

/** Network ids as given, or from another stack's outputs (vpcId, publicSubnetIds, privateSubnetIds). */
function network(settings: ResolvedReleaseEnvironment, opts: pulumi.CustomResourceOptions) {
  if (!("stackReference" in settings.network)) return settings.network;
  const reference = new pulumi.StackReference(settings.network.stackReference, undefined, opts);
  return {
    vpcId: reference.requireOutput("vpcId") as pulumi.Output<string>,
    publicSubnetIds: reference.requireOutput("publicSubnetIds") as pulumi.Output<string[]>,
    privateSubnetIds: reference.requireOutput("privateSubnetIds") as pulumi.Output<string[]>,
  };
}

/** The cluster's provider and what its stack knows: kubeconfig, the EKS cluster's name and the pods' security group. */
function cluster(settings: ResolvedCluster, moved: (more?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions) {
  const reference = settings.source.kind === "stackReference" ? new pulumi.StackReference(settings.source.name, undefined, moved()) : undefined;
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

/** One dashboard entry per service on the environment's load balancer: ECS services, and blue/green Kubernetes ones. */
function dashboards(
  settings: ResolvedReleaseEnvironment,
  services: Readonly<Record<string, BlueGreenService>>,
  kubernetesServices: Readonly<Record<string, KubernetesService>>,
): pulumi.Output<DashboardService>[] {
  const entry = (service: ResolvedService, suffixes: pulumi.Input<string | undefined>[], alarmArns: pulumi.Input<string[]>, loadBalancer?: pulumi.Input<string>) =>
    pulumi.all([pulumi.all(suffixes), alarmArns, loadBalancer]).apply(([targetGroups, arns, loadBalancerArnSuffix]) => ({
      name: service.name,
      ...(loadBalancerArnSuffix !== undefined ? { loadBalancerArnSuffix } : {}),
      targetGroupArnSuffixes: targetGroups.filter((suffix): suffix is string => suffix !== undefined),
      alarmArns: arns,
      errorRatePercent: service.alarms.errorRatePercent,
      p99LatencyMs: service.alarms.p99LatencyMs,
    }));
  const onEcs = settings.services.flatMap((service) => {
    const deployed = services[service.name];
    return deployed ? [entry(service, [deployed.blueTargetGroupArnSuffix, deployed.greenTargetGroupArnSuffix], deployed.alarms?.alarmArns ?? [])] : [];
  });
  // Blue/green Kubernetes services share the environment's load balancer; canaries are shown on the controller's.
  const onKubernetes = settings.services.flatMap((service) => {
    const deployed = kubernetesServices[service.name];
    if (deployed?.alarms && deployed.ingressLoadBalancerArnSuffix && deployed.stableTargetGroupArnSuffix && deployed.canaryTargetGroupArnSuffix) {
      return [entry(service, [deployed.stableTargetGroupArnSuffix, deployed.canaryTargetGroupArnSuffix], deployed.alarms.alarmArns, deployed.ingressLoadBalancerArnSuffix)];
    }
    if (!deployed?.alarms || !deployed.activeTargetGroupArnSuffix || !deployed.previewTargetGroupArnSuffix) return [];
    return [entry(service, [deployed.activeTargetGroupArnSuffix, deployed.previewTargetGroupArnSuffix], deployed.alarms.alarmArns)];
  });
  return [...onEcs, ...onKubernetes];
}
