/** The store's AppConfig application, its environment with the monitors, and the FeatureFlags profile. */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { FLAG_PROFILE_NAME } from "./agent";
import type { FeatureFlagStoreArgs } from "./args";
import { createMonitors, type FlagMonitors } from "./monitors";

export interface FlagApplicationArgs extends Pick<FeatureFlagStoreArgs, "applicationName" | "environmentName" | "monitors"> {
  /** `protect` the application and profile. */
  readonly protectHistory: boolean;
  readonly tags: Record<string, string>;
}

export interface FlagApplication {
  readonly application: aws.appconfig.Application;
  readonly monitors: FlagMonitors;
  readonly environment: aws.appconfig.Environment;
  readonly profile: aws.appconfig.ConfigurationProfile;
}

/** The application, the monitors, the environment that watches them and the hosted FeatureFlags profile; children of `parent`. */
export function createFlagApplication(name: string, args: FlagApplicationArgs, parent: pulumi.Resource): FlagApplication {
  const { tags } = args;
  const history: pulumi.CustomResourceOptions = { parent, protect: args.protectHistory };
  const application = new aws.appconfig.Application(
    `${name}-app`,
    { name: args.applicationName, description: "Feature flags (release-platform)", tags },
    history,
  );
  const monitors = createMonitors(name, args, parent);
  const monitorRole = monitors.role;
  const environment = new aws.appconfig.Environment(
    `${name}-env`,
    {
      applicationId: application.id,
      name: args.environmentName,
      description: `Flags of ${args.environmentName}; deployments roll back when a monitor alarms`,
      monitors: monitorRole ? monitors.alarms.map((alarm) => ({ alarmArn: alarm.arn, alarmRoleArn: monitorRole.arn })) : [],
      tags,
    },
    { parent },
  );
  const profile = new aws.appconfig.ConfigurationProfile(
    `${name}-profile`,
    {
      applicationId: application.id,
      name: FLAG_PROFILE_NAME,
      type: "AWS.AppConfig.FeatureFlags",
      locationUri: "hosted",
      description: "Feature flags declared in the stack file",
      tags,
    },
    history,
  );
  return { application, monitors, environment, profile };
}
