import type * as pulumi from "@pulumi/pulumi";
import type { Sidecar } from "../service/args";
import type { ServiceAlarmsArgs, ServiceSmokeTest } from "../service/settings";
import type { EnvironmentArgs, SubnetDefaultRoute } from "../environment/environment";
import { toAppConfigDocument } from "../feature-flag-store/documents";
import { agentContainer, agentPrefetchPath, appConfigName, type FeatureFlagStoreArgs, FLAG_PROFILE_NAME } from "../feature-flag-store/feature-flag-store";
import { rampStepsForStore } from "../feature-flag-store/ramp";
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

/** The AppConfig application the environment's flags live in, and its one environment: within AppConfig's 64 characters. */
export const flagApplicationName = (name: string) => appConfigName(`release-platform-${name}`);
export const flagEnvironmentName = (name: string) => appConfigName(name);

/** The AppConfig Agent beside every service when the flags are AppConfig's; it finds the store by name, so tasks need not wait for it. @internal */
export function agentSidecars(name: string, settings: ResolvedReleaseEnvironment, routes?: pulumi.Output<readonly SubnetDefaultRoute[]>): Sidecar[] {
  if (settings.flagStore.backend !== "appconfig" || !settings.flagStore.agent) return [];
  const definition = agentContainer(agentPrefetchPath(flagApplicationName(name), flagEnvironmentName(name), FLAG_PROFILE_NAME), settings.region, settings.flagStore.agentImage);
  return [{ definition: routes ? routes.apply((answer) => (publicImageProblem(name, settings.flagStore.agentImage, answer) ?? definition)) : definition }];
}

/**
 * ECR Public is on the internet: "VPC endpoints currently don't support Amazon ECR Public repositories. Consider using a
 * pull through cache rule to host the public image in a private repository in the same Region as the VPC endpoint"
 * (ECR guide, VPC endpoints; today's page: "VPC endpoints support Amazon ECR Public repositories through the API SDK
 * endpoint in US East (N. Virginia)", the API and not image pulls). Tasks in subnets with no default route can never pull
 * it, and every task of every service would fail to start: the deployment stops here instead.
 */
function publicImageProblem(name: string, image: string, routes: readonly SubnetDefaultRoute[]): never | undefined {
  if (!image.startsWith("public.ecr.aws/")) return undefined;
  const closed = routes.filter((subnet) => subnet.route === undefined);
  if (closed.length === 0) return undefined;
  throw new Error(
    `ReleaseEnvironment ${name}: the private subnets ${closed.map((subnet) => `${subnet.subnet} (route table ${subnet.table})`).join(", ")} have no route to the internet, ` +
      `so tasks cannot pull the AppConfig Agent from ECR Public (${image}), which VPC endpoints do not serve: set flagStore.agentImage ` +
      `(stack file: release:flagStore.agentImage) to a copy in ECR private, e.g. an ECR pull-through cache of public.ecr.aws, and add the appconfigdata endpoint`,
  );
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

/** The flag store's arguments, less its monitors and readers (the services, once they exist). @internal */
export function flagStoreArgs(name: string, settings: ResolvedReleaseEnvironment, alertTopicArn: pulumi.Input<string>): FeatureFlagStoreArgs {
  const ramps = rampStepsForStore(settings.flags).length > 0;
  return {
    applicationName: flagApplicationName(name),
    environmentName: flagEnvironmentName(name),
    document: JSON.stringify(toAppConfigDocument(settings.flags)),
    strategy: settings.flagStore.deployment,
    protectHistory: settings.defaults.protectStateful,
    ownership: settings.flagStore.ownership,
    ...(ramps ? { ramp: { flags: settings.flags, alertTopicArn } } : {}),
  };
}
