import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenService } from "../components/blue-green-service/blue-green-service";
import type { ServiceAlarmsArgs, ServiceSmokeTest } from "../components/blue-green-service/guards";
import { Environment } from "../components/environment/environment";
import { expiredFlagWarnings, toAppConfigDocument, toFlagdDocument } from "../components/feature-flag-store/documents";
import {
  agentContainer,
  agentPrefetchPath,
  FeatureFlagStore,
  FLAG_PROFILE_NAME,
} from "../components/feature-flag-store/feature-flag-store";
import { FLAGD_PORT, FlagdServer } from "../components/kubernetes-service/flagd-server";
import { KubernetesService } from "../components/kubernetes-service/kubernetes-service";
import { rampStepsForStore } from "../components/feature-flag-store/ramp";
import { KUBERNETES_CONTROLLERS } from "./config/schema";
import { loadReleaseConfig, PROJECT_NAMESPACE, type ReleaseConfig, type ResolvedCluster, type ResolvedService } from "./config/load";
import { stackFileBeside } from "./synth/stack-file";

/** Pulumi's own test of `--secret` keys; the SDK exports it without declaring it. */
function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  if (runtime.isConfigSecret) return runtime.isConfigSecret(key);
  const listed: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
  return Array.isArray(listed) && listed.includes(key);
}

/** Reads the stack's config from Pulumi: every `release:` key plus `aws:region`, with which keys are secret. */
export function readStackConfig(): ReleaseConfig {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(values).filter(isConfigSecret));
  const stack = pulumi.getStack();
  const file = stackFileBeside(stack, PROJECT_NAMESPACE);
  return loadReleaseConfig({ stack, stackFile: `Pulumi.${stack}.yaml`, values, secretKeys, secretPaths: file?.secretPaths, fileProblems: file?.problems });
}

/** Network ids from the stack file, or from another stack's outputs (vpcId, publicSubnetIds, privateSubnetIds). */
function network(config: ReleaseConfig) {
  if (config.network.kind === "ids") return config.network;
  const reference = new pulumi.StackReference(config.network.name);
  return {
    vpcId: reference.requireOutput("vpcId") as pulumi.Output<string>,
    publicSubnetIds: reference.requireOutput("publicSubnetIds") as pulumi.Output<string[]>,
    privateSubnetIds: reference.requireOutput("privateSubnetIds") as pulumi.Output<string[]>,
  };
}

/** Warnings about a valid config, e.g. expired flags. `today` is yyyy-mm-dd. */
export function configWarnings(config: ReleaseConfig, today: string): string[] {
  return [...expiredFlagWarnings(config.flags, today), ...kubernetesWarnings(config)];
}

/** What the stack file cannot prove about the cluster: the controllers Kubernetes services rely on. */
export function kubernetesWarnings(config: ReleaseConfig): string[] {
  if (!config.cluster || !config.services.some((service) => service.runtime === "kubernetes")) return [];
  const listed = new Set(config.cluster.controllers);
  const needs: Record<(typeof KUBERNETES_CONTROLLERS)[number], string> = {
    "aws-load-balancer-controller": "TargetGroupBinding (blue/green) and the canary Ingress need the AWS Load Balancer Controller",
    "argo-rollouts": "Rollouts and AnalysisTemplates need the Argo Rollouts controller, with cloudwatch:GetMetricData, AWS_REGION and --aws-verify-target-group",
  };
  return KUBERNETES_CONTROLLERS.filter((controller) => !listed.has(controller)).map(
    (controller) =>
      `release:cluster: cannot tell whether ${controller} runs in the cluster: ${needs[controller]}. Install it (README, "Kubernetes runtime"), then list it in release:cluster.controllers`,
  );
}

/** The cluster's provider and what its stack knows: kubeconfig, the EKS cluster's name and the pods' security group. */
function cluster(config: ResolvedCluster) {
  const reference = config.source.kind === "stackReference" ? new pulumi.StackReference(config.source.name) : undefined;
  // A kubeconfig is a credential even when the cluster's stack forgot to export it as a secret.
  const kubeconfig = config.source.kind === "kubeconfig" ? config.source.kubeconfig : pulumi.secret(reference!.requireOutput("kubeconfig") as pulumi.Output<string>);
  // Namespaced objects name their namespace; the provider never falls back to the kubeconfig's.
  const provider = new k8s.Provider("cluster", { kubeconfig, namespace: config.namespace });
  return {
    provider,
    name: (): pulumi.Input<string> => config.name ?? (reference!.requireOutput("clusterName") as pulumi.Output<string>),
    securityGroupId: (): pulumi.Input<string> => config.securityGroupId ?? (reference!.requireOutput("clusterSecurityGroupId") as pulumi.Output<string>),
  };
}

/** A service's alarms as the stack file resolves them. */
function serviceAlarms(service: ResolvedService): ServiceAlarmsArgs {
  const { errorRatePercent, minRequests, p99LatencyMs, unhealthyHosts, custom, periodSeconds, evaluationPeriods, datapointsToAlarm } = service.alarms;
  return { errorRatePercent, minRequests, p99LatencyMs, unhealthyHosts, custom, timing: { periodSeconds, evaluationPeriods, datapointsToAlarm } };
}

/** A service's smoke test as the stack file resolves it. */
function serviceSmokeTest(service: ResolvedService): ServiceSmokeTest {
  const { paths, samples, minSuccessRate, timeoutMs, expectedStatuses } = service.smokeTest;
  return { paths, samples, minSuccessRate, timeoutMs, expectedStatuses };
}

/** What a service asks of either runtime: its image, routing, size, scaling, health check and strategy. */
function workloadArgs(service: ResolvedService) {
  return {
    image: service.image,
    port: service.port,
    pathPatterns: service.pathPatterns,
    hostHeaders: service.hostHeaders,
    priority: service.priority,
    cpu: service.cpu,
    memory: service.memory,
    desiredCount: service.desiredCount,
    autoscaling: service.autoscaling,
    healthCheck: service.healthCheck,
    deregistrationDelaySeconds: service.deregistrationDelaySeconds,
    deployment: service.deployment,
  };
}

export interface ProgramOptions {
  /** Where warnings go: Pulumi's log by default, the synth document's diagnostics offline. */
  readonly warn?: (message: string) => void;
  readonly today?: string;
  /** Resolves once pending registrations are done; the offline synth passes one, `pulumi up` does not. */
  readonly settle?: () => Promise<void>;
}

/** The program: config -> components -> stack outputs. Config errors throw before any resource is registered. */
export async function releasePlatform(
  config: ReleaseConfig = readStackConfig(),
  options: ProgramOptions = {},
): Promise<Record<string, unknown>> {
  const warn = options.warn ?? ((message: string) => void pulumi.log.warn(message));
  for (const warning of configWarnings(config, options.today ?? new Date().toISOString().slice(0, 10))) warn(warning);
  const { vpcId, publicSubnetIds, privateSubnetIds } = network(config);
  const environment = new Environment(config.stack, {
    tier: config.tier,
    region: config.region,
    namePrefix: config.stack,
    vpcId,
    publicSubnetIds: publicSubnetIds as pulumi.Input<string[]>,
    privateSubnetIds: privateSubnetIds as pulumi.Input<string[]>,
    certificateArn: config.ingress.certificateArn,
    allowedCidrs: config.ingress.allowedCidrs,
    internal: config.ingress.internal,
    testListenerPort: config.ingress.testListenerPort,
    testListenerCidrs: config.ingress.testListenerCidrs,
    idleTimeoutSeconds: config.ingress.idleTimeoutSeconds,
    deletionProtection: config.defaults.deletionProtection,
    containerInsights: config.defaults.containerInsights,
    accessLogs: config.ingress.accessLogs ?? false,
    alertEmails: config.notifications.emails,
    alertHttpsEndpoints: config.notifications.httpsEndpoints,
    alertSlack: config.notifications.slack,
    protectStateful: config.defaults.protectStateful,
  });
  const providers = [environment.provider];
  const flagApplication = `release-platform-${config.stack}`;
  const useAppConfig = config.flagStore.backend === "appconfig";
  // The agent finds the store by name, so the task definitions need not wait for the store to exist.
  const agent =
    useAppConfig && config.flagStore.agent
      ? [{ definition: agentContainer(agentPrefetchPath(flagApplication, config.stack, FLAG_PROFILE_NAME), config.region) }]
      : [];
  const onKubernetes = config.services.filter((service) => service.runtime === "kubernetes");
  const kubernetes = config.cluster && onKubernetes.length > 0 ? cluster(config.cluster) : undefined;
  const namespace = kubernetes
    ? new k8s.core.v1.Namespace("namespace", { metadata: { name: config.cluster!.namespace } }, { provider: kubernetes.provider })
    : undefined;
  const flagd =
    kubernetes && config.flagStore.backend === "flagd"
      ? new FlagdServer(`${config.stack}-flagd`, { provider: kubernetes.provider, namespace: config.cluster!.namespace, document: JSON.stringify(toFlagdDocument(config.flags)) }, { dependsOn: namespace ? [namespace] : [] })
      : undefined;
  const kubernetesServices = new Map<string, KubernetesService>();
  const ecsServices = config.services.filter((service) => service.runtime === "ecs");
  const services: BlueGreenService[] = [];
  // Every service in the stack file's order: the flag store's monitors follow it.
  const deployedServices: (BlueGreenService | KubernetesService)[] = [];
  for (const service of config.services) {
    if (kubernetes && service.runtime === "kubernetes") {
      const deployed = new KubernetesService(
        service.name,
        {
          environment,
          provider: kubernetes.provider,
          namespace: config.cluster!.namespace,
          ...workloadArgs(service),
          steps: service.steps,
          stepPauseMinutes: service.stepPauseMinutes,
          environmentVariables: flagd
            ? { ...service.environment, FLAGD_HOST: `${config.stack}-flagd.${config.cluster!.namespace}.svc.cluster.local`, FLAGD_PORT: String(FLAGD_PORT) }
            : service.environment,
          sidecars: agent,
          alarms: serviceAlarms(service),
          hooks: { smokeTest: service.smokeTest.enabled ? serviceSmokeTest(service) : false, alarmGate: service.alarmGate ? {} : false },
          podSecurityGroupId: service.deployment.strategy === "blue-green" ? kubernetes.securityGroupId() : undefined,
          ingressSubnetIds: service.deployment.strategy === "blue-green" ? undefined : config.ingress.internal ? environment.privateSubnetIds : (publicSubnetIds as pulumi.Input<string[]>),
          internal: config.ingress.internal,
          certificateArn: config.ingress.certificateArn,
          allowedCidrs: config.ingress.allowedCidrs,
          podIdentity: agent.length > 0 ? { clusterName: kubernetes.name() } : undefined,
        },
        { providers, dependsOn: namespace ? [namespace] : [] },
      );
      kubernetesServices.set(service.name, deployed);
      deployedServices.push(deployed);
      await options.settle?.();
      continue;
    }
    const deployed = new BlueGreenService(
      service.name,
      {
        environment,
        ...workloadArgs(service),
        environmentVariables: service.environment,
        secretEnvironmentVariables: service.secretEnvironment,
        secretRecoveryWindowDays: service.secretRecoveryWindowDays,
        secrets: service.secrets,
        logRetentionDays: service.logRetentionDays,
        waitForSteadyState: config.defaults.waitForSteadyState,
        alarms: serviceAlarms(service),
        hooks: {
          smokeTest: service.smokeTest.enabled && service.deployment.strategy !== "rolling" ? serviceSmokeTest(service) : false,
          alarmGate: service.alarmGate ? { override: service.alarmGateOverride } : false,
        },
        sidecars: agent,
      },
      { providers },
    );
    services.push(deployed);
    deployedServices.push(deployed);
    // Offline, let this service's registrations finish before the next: the same graph, a fraction of the memory.
    await options.settle?.();
  }

  const ramp = rampStepsForStore(config.flags);
  const flagStore = useAppConfig
    ? new FeatureFlagStore(
        `${config.stack}-flags`,
        {
          applicationName: flagApplication,
          environmentName: config.stack,
          document: JSON.stringify(toAppConfigDocument(config.flags)),
          strategy: config.flagStore.deployment,
          monitors: deployedServices,
          readers: [...services, ...kubernetesServices.values()],
          protectHistory: config.defaults.protectStateful,
          ownership: config.flagStore.ownership,
          ...(ramp.length > 0 ? { ramp: { steps: ramp, alertTopicArn: environment.alertTopicArn } } : {}),
        },
        { providers },
      )
    : undefined;
  if (flagStore) environment.notifyFlagDeployments(flagStore);

  environment.addDashboards(
    ecsServices.map((service, index) => {
      const deployed = services[index];
      return pulumi
        .all([deployed.blueTargetGroupArnSuffix, deployed.greenTargetGroupArnSuffix, deployed.alarms?.alarmArns ?? []])
        .apply(([blue, green, alarmArns]) => ({
          name: service.name,
          targetGroupArnSuffixes: green ? [blue, green] : [blue],
          alarmArns,
          errorRatePercent: service.alarms.errorRatePercent,
          p99LatencyMs: service.alarms.p99LatencyMs,
        }));
    }).concat(
      // Blue/green Kubernetes services share the environment's load balancer, so its dashboard shows them too.
      onKubernetes.flatMap((service) => {
        const deployed = kubernetesServices.get(service.name);
        if (!deployed?.alarms || !deployed.activeTargetGroupArnSuffix || !deployed.previewTargetGroupArnSuffix) return [];
        return [
          pulumi.all([deployed.activeTargetGroupArnSuffix, deployed.previewTargetGroupArnSuffix, deployed.alarms.alarmArns]).apply(([active, preview, alarmArns]) => ({
            name: service.name,
            targetGroupArnSuffixes: [active, preview],
            alarmArns,
            errorRatePercent: service.alarms.errorRatePercent,
            p99LatencyMs: service.alarms.p99LatencyMs,
          })),
        ];
      }),
    ),
  );

  return {
    tier: config.tier,
    url: environment.productionUrl(),
    testUrl: environment.testUrl(),
    alertTopicArn: environment.alertTopicArn,
    flags: flagStore
      ? {
          applicationId: flagStore.applicationId,
          environmentId: flagStore.environmentId,
          profileId: flagStore.profileId,
          version: flagStore.versionNumber,
          ...(flagStore.rampStateMachineArn ? { ramp: { stateMachineArn: flagStore.rampStateMachineArn, name: flagStore.rampName } } : {}),
        }
      : { backend: config.flagStore.backend },
    services: Object.fromEntries(
      services.map((service, index) => [
        ecsServices[index].name,
        {
          strategy: service.strategySummary,
          detection: service.alarms?.detectionSummary,
          alarmNames: service.alarmNames,
          serviceArn: service.serviceArn,
          testUrl: service.testUrl,
          url: service.productionUrl,
          blueTargetGroupArn: service.blueTargetGroupArn,
          greenTargetGroupArn: service.greenTargetGroupArn,
        },
      ]),
    ),
    ...(kubernetesServices.size > 0
      ? {
          kubernetes: Object.fromEntries(
            [...kubernetesServices].map(([name, deployed]) => [
              name,
              {
                strategy: deployed.strategySummary,
                afterAbort: deployed.afterAbort,
                ...(deployed.ingressName
                  ? { url: `the address of Ingress ${config.cluster!.namespace}/${deployed.ingressName} (the AWS Load Balancer Controller's load balancer, group ${config.stack})` }
                  : { activeTargetGroupArn: deployed.activeTargetGroupArn, previewTargetGroupArn: deployed.previewTargetGroupArn }),
              },
            ]),
          ),
        }
      : {}),
  };
}
