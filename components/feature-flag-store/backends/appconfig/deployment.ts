/** The store's hosted version of the flag document, its deployment strategy and the deployment that rolls the version out. */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { physicalName } from "../../../naming";
import type { FlagApplication } from "./application";
import type { FeatureFlagStoreArgs, FlagDeploymentStrategy } from "./args";

export interface FlagDeploymentArgs extends Pick<FeatureFlagStoreArgs, "applicationName" | "ownership"> {
  /** The document this version holds. */
  readonly document: pulumi.Input<string>;
  readonly strategy: Required<FlagDeploymentStrategy>;
  /** Keep old versions when a new one replaces them. */
  readonly protectHistory: boolean;
  readonly tags: Record<string, string>;
}

export interface FlagDeployment {
  readonly version: aws.appconfig.HostedConfigurationVersion;
  readonly deploymentStrategy: aws.appconfig.DeploymentStrategy;
  readonly deployment: aws.appconfig.Deployment;
}

/**
 * The document as a hosted version, the strategy AppConfig rolls it out with, and the deployment of it to the
 * environment; children of `parent`. With `ownership: "console"` Pulumi creates the first version only.
 */
export function createFlagDeployment(
  name: string,
  args: FlagDeploymentArgs,
  app: Pick<FlagApplication, "application" | "environment" | "profile">,
  parent: pulumi.Resource,
): FlagDeployment {
  const { strategy, tags } = args;
  const { application, environment, profile } = app;
  const consoleOwned = args.ownership === "console";
  const version = new aws.appconfig.HostedConfigurationVersion(
    `${name}-version`,
    {
      applicationId: application.id,
      configurationProfileId: profile.configurationProfileId,
      contentType: "application/json",
      content: args.document,
      description: consoleOwned ? "First version; later versions are made in the console" : "Flags from the stack file",
    },
    {
      parent,
      // Old versions are the flag history: a new version replaces this resource without deleting the old one.
      retainOnDelete: args.protectHistory,
      ...(consoleOwned ? { ignoreChanges: ["content"] } : {}),
    },
  );
  const deploymentStrategy = new aws.appconfig.DeploymentStrategy(
    `${name}-strategy`,
    {
      name: physicalName([args.applicationName], "rollout", 64),
      description: `${strategy.growthType} ${strategy.growthFactor}% steps over ${strategy.durationMinutes} min, bake ${strategy.bakeMinutes} min`,
      growthType: strategy.growthType,
      growthFactor: strategy.growthFactor,
      deploymentDurationInMinutes: strategy.durationMinutes,
      finalBakeTimeInMinutes: strategy.bakeMinutes,
      replicateTo: "NONE",
      tags,
    },
    { parent },
  );
  const deployment = new aws.appconfig.Deployment(
    `${name}-deployment`,
    {
      applicationId: application.id,
      environmentId: environment.environmentId,
      configurationProfileId: profile.configurationProfileId,
      // The version number is a string in this resource.
      configurationVersion: version.versionNumber.apply((number) => String(number)),
      deploymentStrategyId: deploymentStrategy.id,
      description: "Flags from the stack file",
      tags,
    },
    { parent, ...(consoleOwned ? { ignoreChanges: ["configurationVersion"] } : {}) },
  );
  return { version, deploymentStrategy, deployment };
}
