import type * as pulumi from "@pulumi/pulumi";
import type { ServiceAlarmsArgs, ServiceSmokeTest } from "../service/settings";
import { MAIN_LOAD_BALANCER } from "../environment/contract";
import type { EnvironmentArgs } from "../environment/environment";
import type { FlagEnvironment } from "../feature-flag-store/backends/backend";
import type { ResolvedReleaseEnvironment, ResolvedService } from "./resolve";

/**
 * The arguments a ReleaseEnvironment gives each child, built one way for its constructor and for its validator (which
 * runs before any child exists, with stand-ins for what only a child knows once created). A service's are its
 * runtime's (`RUNTIMES`), from the pieces every runtime shares below.
 */

/** The network of an environment: as given, or read from another stack. */
export interface NetworkIds {
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
}

/** @internal */
export function environmentArgs(name: string, settings: ResolvedReleaseEnvironment, network: NetworkIds): EnvironmentArgs {
  // One load balancer for each name the routes give besides main (which is always there).
  const loadBalancers = [...new Set(Object.values(settings.routes).map((route) => route.loadBalancer))].filter((balancer) => balancer !== MAIN_LOAD_BALANCER).sort();
  return {
    ...(loadBalancers.length > 0 ? { loadBalancers } : {}),
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

/**
 * What the environment's flag backend is given. A service stack's store is its own, named after the environment and
 * the service stack (`<namePrefix>-<name>`): apart from the environment's and every other service stack's. @internal
 */
export function flagEnvironment(name: string, settings: ResolvedReleaseEnvironment): FlagEnvironment {
  return { name: settings.environment ? `${settings.environment.namePrefix}-${name}` : name, region: settings.region, flags: settings.flags, flagStore: settings.flagStore, protectStateful: settings.defaults.protectStateful };
}

/** A service's alarms as its settings resolve them. @internal */
export function serviceAlarms(service: ResolvedService): ServiceAlarmsArgs {
  const { custom, periodSeconds, evaluationPeriods, datapointsToAlarm, ...thresholds } = service.alarms;
  return { ...thresholds, custom, timing: { periodSeconds, evaluationPeriods, datapointsToAlarm } };
}

/** A service's smoke test as its settings resolve it. @internal */
export function serviceSmokeTest(service: ResolvedService): ServiceSmokeTest {
  const { paths, samples, minSuccessRate, timeoutMs, expectedStatuses } = service.smokeTest;
  return { paths, samples, minSuccessRate, timeoutMs, expectedStatuses };
}

/** What a service asks of any runtime: its image, routing, size, scaling, health check and strategy. @internal */
export function workloadArgs(service: ResolvedService) {
  const { image, port, pathPatterns, hostHeaders, priority, cpu, memory, desiredCount, autoscaling, healthCheck, deregistrationDelaySeconds, deployment } = service;
  return { image, port, pathPatterns, hostHeaders, priority, cpu, memory, desiredCount, autoscaling, healthCheck, deregistrationDelaySeconds, deployment };
}
