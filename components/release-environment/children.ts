import type * as pulumi from "@pulumi/pulumi";
import type { BlueGreenServiceArgsToCheck, EnvironmentFacts, Sidecar } from "../blue-green-service/blue-green-service";
import type { ServiceAlarmsArgs, ServiceSmokeTest } from "../blue-green-service/guards";
import type { EnvironmentArgs } from "../environment/environment";
import type { FlagEnvironment } from "../feature-flag-store/backends/backend";
import type { KubernetesServiceArgsToCheck } from "../kubernetes-service/kubernetes-service";
import type { ResolvedReleaseEnvironment, ResolvedService } from "./resolve";

/**
 * The arguments a ReleaseEnvironment gives each child, built one way for its constructor and for its validator (which
 * runs before any child exists, with stand-ins for what only a child knows once created).
 */

/** The network of an environment: as given, or read from another stack. */
export interface NetworkIds {
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
}

export function environmentArgs(name: string, settings: ResolvedReleaseEnvironment, network: NetworkIds): EnvironmentArgs {
  return {
    tier: settings.tier,
    region: settings.region,
    aws: settings.aws,
    namePrefix: name,
    ...network,
    certificateArn: settings.ingress.certificateArn,
    allowedCidrs: settings.ingress.allowedCidrs,
    internal: settings.ingress.internal,
    testListenerPort: settings.ingress.testListenerPort,
    testListenerCidrs: settings.ingress.testListenerCidrs,
    idleTimeoutSeconds: settings.ingress.idleTimeoutSeconds,
    deletionProtection: settings.defaults.deletionProtection,
    containerInsights: settings.defaults.containerInsights,
    accessLogs: settings.ingress.accessLogs ?? false,
    alertEmails: settings.notifications.emails,
    alertHttpsEndpoints: settings.notifications.httpsEndpoints,
    alertSlack: settings.notifications.slack,
    protectStateful: settings.defaults.protectStateful,
  };
}

/** What the environment's flag backend is given. */
export function flagEnvironment(name: string, settings: ResolvedReleaseEnvironment): FlagEnvironment {
  return { name, region: settings.region, flags: settings.flags, flagStore: settings.flagStore, protectStateful: settings.defaults.protectStateful };
}

/** A service's alarms as its settings resolve them. */
function serviceAlarms(service: ResolvedService): ServiceAlarmsArgs {
  const { errorRatePercent, minRequests, p99LatencyMs, unhealthyHosts, custom, periodSeconds, evaluationPeriods, datapointsToAlarm } = service.alarms;
  return { errorRatePercent, minRequests, p99LatencyMs, unhealthyHosts, custom, timing: { periodSeconds, evaluationPeriods, datapointsToAlarm } };
}

/** A service's smoke test as its settings resolve it. */
function serviceSmokeTest(service: ResolvedService): ServiceSmokeTest {
  const { paths, samples, minSuccessRate, timeoutMs, expectedStatuses } = service.smokeTest;
  return { paths, samples, minSuccessRate, timeoutMs, expectedStatuses };
}

/** What a service asks of either runtime: its image, routing, size, scaling, health check and strategy. */
function workloadArgs(service: ResolvedService) {
  const { image, port, pathPatterns, hostHeaders, priority, cpu, memory, desiredCount, autoscaling, healthCheck, deregistrationDelaySeconds, deployment } = service;
  return { image, port, pathPatterns, hostHeaders, priority, cpu, memory, desiredCount, autoscaling, healthCheck, deregistrationDelaySeconds, deployment };
}

/** A BlueGreenService's arguments (its environment a stand-in when only checked). */
export function ecsServiceArgs<E extends EnvironmentFacts>(
  service: ResolvedService,
  settings: ResolvedReleaseEnvironment,
  environment: E,
  sidecars: readonly Sidecar[],
): BlueGreenServiceArgsToCheck & { readonly environment: E } {
  return {
    environment,
    ...workloadArgs(service),
    environmentVariables: service.environment,
    secretEnvironmentVariables: service.secretEnvironment,
    secretRecoveryWindowDays: service.secretRecoveryWindowDays,
    secrets: service.secrets,
    logRetentionDays: service.logRetentionDays,
    waitForSteadyState: settings.defaults.waitForSteadyState,
    alarms: serviceAlarms(service),
    hooks: {
      smokeTest: service.smokeTest.enabled && service.deployment.strategy !== "rolling" ? serviceSmokeTest(service) : false,
      alarmGate: service.alarmGate ? { override: service.alarmGateOverride } : false,
    },
    sidecars,
  };
}

/** What a Kubernetes service needs of its cluster and network; stand-ins when only checked. */
export interface KubernetesPlacement {
  readonly namespace: string;
  readonly podSecurityGroupId: () => pulumi.Input<string>;
  readonly ingressSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly clusterName: () => pulumi.Input<string>;
  readonly environmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The id of `ingress.hostedZone` (looked up once, for every canary service). */
  readonly hostedZoneId: () => pulumi.Input<string>;
}

/** A KubernetesService's arguments, less its provider (its environment a stand-in when only checked). */
export function kubernetesServiceArgs<E extends EnvironmentFacts>(
  service: ResolvedService,
  settings: ResolvedReleaseEnvironment,
  environment: E,
  sidecars: readonly Sidecar[],
  placement: KubernetesPlacement,
): KubernetesServiceArgsToCheck & { readonly environment: E } {
  const blueGreen = service.deployment.strategy === "blue-green";
  return {
    environment,
    namespace: placement.namespace,
    ...workloadArgs(service),
    steps: service.steps,
    stepPauseMinutes: service.stepPauseMinutes,
    environmentVariables: { ...service.environment, ...placement.environmentVariables },
    sidecars,
    alarms: serviceAlarms(service),
    // The override reaches the component, whose rule says Argo Rollouts has none.
    hooks: { smokeTest: service.smokeTest.enabled ? serviceSmokeTest(service) : false, alarmGate: service.alarmGate ? { override: service.alarmGateOverride } : false },
    podSecurityGroupId: blueGreen ? placement.podSecurityGroupId() : undefined,
    ingressSubnetIds: blueGreen ? undefined : placement.ingressSubnetIds,
    internal: settings.ingress.internal,
    certificateArn: settings.ingress.certificateArn,
    allowedCidrs: settings.ingress.allowedCidrs,
    podIdentity: sidecars.length > 0 ? { clusterName: placement.clusterName() } : undefined,
    ...(blueGreen ? {} : { idleTimeoutSeconds: settings.ingress.idleTimeoutSeconds }),
    ...(!blueGreen && settings.ingress.hostedZone !== undefined ? { dnsZone: { id: placement.hostedZoneId(), name: settings.ingress.hostedZone } } : {}),
  };
}
