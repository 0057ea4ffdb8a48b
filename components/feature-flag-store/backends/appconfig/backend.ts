import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../../../arguments";
import type { SubnetDefaultRoute } from "../../../environment/environment";
import type { Sidecar } from "../../../service/args";
import type { FlagBackend, FlagEnvironment } from "../backend";
import { agentContainer, agentPrefetchPath, FLAG_PROFILE_NAME } from "./agent";
import { appConfigName, type FeatureFlagStoreArgs } from "./args";
import { toAppConfigDocument } from "./document";
import { featureFlagStoreArgsProblems } from "./problems";
import { rampStepsForStore } from "./ramp";
import { FeatureFlagStore } from "./store";

/** The AppConfig application the environment's flags live in, and its one environment: within AppConfig's 64 characters. */
export const flagApplicationName = (name: string) => appConfigName(`release-platform-${name}`);
export const flagEnvironmentName = (name: string) => appConfigName(name);

/** The AppConfig Agent beside every service when the flags are AppConfig's; it finds the store by name, so tasks need not wait for it. */
function agentSidecars(environment: FlagEnvironment, routes?: pulumi.Output<readonly SubnetDefaultRoute[]>): Sidecar[] {
  const { name, flagStore } = environment;
  if (!flagStore.agent) return [];
  const definition = agentContainer(agentPrefetchPath(flagApplicationName(name), flagEnvironmentName(name), FLAG_PROFILE_NAME), environment.region, flagStore.agentImage);
  return [{ definition: routes ? routes.apply((answer) => (publicImageProblem(name, flagStore.agentImage, answer) ?? definition)) : definition }];
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

/** The flag store's arguments, less its monitors and readers (the services, once they exist). */
export function flagStoreArgs(environment: FlagEnvironment, alertTopicArn: pulumi.Input<string>): FeatureFlagStoreArgs {
  const ramps = rampStepsForStore(environment.flags).length > 0;
  return {
    applicationName: flagApplicationName(environment.name),
    environmentName: flagEnvironmentName(environment.name),
    document: JSON.stringify(toAppConfigDocument(environment.flags)),
    strategy: environment.flagStore.deployment,
    protectHistory: environment.protectStateful,
    ownership: environment.flagStore.ownership,
    ...(ramps ? { ramp: { flags: environment.flags, alertTopicArn } } : {}),
  };
}

/** The store's fields whose place in the ReleaseEnvironment's args is not under `flagStore`. */
const STORE_FIELDS: readonly { readonly from: string; readonly to: readonly string[] }[] = [
  { from: "document", to: ["flags"] },
  { from: "ramp", to: ["flags"] },
  { from: "strategy", to: ["flagStore", "deployment"] },
];

/** The store's problems, each field moved to its place in the ReleaseEnvironment's args. */
function storeProblems(environment: FlagEnvironment): ArgumentProblem[] {
  return featureFlagStoreArgsProblems(flagStoreArgs(environment, "")).map((problem) => {
    const place = STORE_FIELDS.find((candidate) => problem.field[0] === candidate.from);
    return { ...problem, field: place ? [...place.to, ...problem.field.slice(1)] : ["flagStore", ...problem.field] };
  });
}

/** AWS AppConfig: a FeatureFlags profile deployed with a strategy, rolled back by the services' alarms, read through the AppConfig Agent. */
export const appConfigBackend: FlagBackend = {
  capabilities: { ramp: true, alarmRollback: true, documentFormat: "AWS.AppConfig.FeatureFlags" },
  document: toAppConfigDocument,
  sidecars: agentSidecars,
  problems: storeProblems,
  createStore(environment, services, opts) {
    const flagStore = new FeatureFlagStore(
      `${environment.name}-flags`,
      { ...flagStoreArgs(environment, services.alertTopicArn), monitors: services.monitors, readers: services.readers },
      opts,
    );
    return {
      flagStore,
      outputs: {
        applicationId: flagStore.applicationId,
        environmentId: flagStore.environmentId,
        profileId: flagStore.profileId,
        version: flagStore.versionNumber,
        ...(flagStore.rampStateMachineArn ? { ramp: { stateMachineArn: flagStore.rampStateMachineArn, name: flagStore.rampName } } : {}),
      },
    };
  },
};
