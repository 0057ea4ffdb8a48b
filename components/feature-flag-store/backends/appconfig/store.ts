import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "../../../iam";
import { refuseBadArguments } from "../../../arguments";
import { NAME_LIMITS, physicalName } from "../../../naming";
import { agentPrefetchPath, FLAG_PROFILE_NAME } from "./agent";
import { type FeatureFlagStoreArgs, MAX_APPCONFIG_MONITORS, type MonitoredAlarm, monitoredAlarms, storeSettings } from "./args";
import { featureFlagStoreArgsProblems } from "./problems";
import { rampExecutionName } from "./ramp";
import { createRamp, readRamp } from "./ramp-resources";

/** An AppConfig composite alarm rule over alarm names: `ALARM("a") OR ALARM("b")`. */
export function anyAlarmRule(names: readonly string[]): string {
  return names.map((name) => `ALARM(${JSON.stringify(name)})`).join(" OR ");
}

/**
 * An AppConfig feature-flag store: application, one environment with alarm monitors, a FeatureFlags profile, the
 * current version of the document, a deployment strategy and the deployment that rolls each new version out. AWS
 * rolls a flag deployment back when a monitor fires.
 */
export class FeatureFlagStore extends pulumi.ComponentResource {
  public readonly applicationId: pulumi.Output<string>;
  public readonly environmentId: pulumi.Output<string>;
  public readonly profileId: pulumi.Output<string>;
  /** `arn:…:application/<app>/environment/<env>/configuration/<profile>`: what a reader is granted. */
  public readonly configurationArn: pulumi.Output<string>;
  public readonly versionNumber: pulumi.Output<number>;
  /** A policy document granting StartConfigurationSession and GetLatestConfiguration on exactly this store. */
  public readonly readerPolicy: pulumi.Output<string>;
  public readonly prefetchPath: string;
  /** The ramp's state machine, when the store ramps. */
  public readonly rampStateMachineArn?: pulumi.Output<string>;
  /** The execution name that starts this ramp from the stage reached (the same steps, the same name). */
  public readonly rampName?: pulumi.Output<string>;
  private readonly componentName: string;

  constructor(name: string, args: FeatureFlagStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    refuseBadArguments("FeatureFlagStore", name, featureFlagStoreArgsProblems(args));
    const { strategy, protectHistory } = storeSettings(args);
    super("release:aws:FeatureFlagStore", name, {}, opts);
    this.componentName = name;

    const tags = { ...args.tags };
    const history: pulumi.CustomResourceOptions = { parent: this, protect: protectHistory };
    const application = new aws.appconfig.Application(
      `${name}-app`,
      { name: args.applicationName, description: "Feature flags (release-platform)", tags },
      history,
    );

    const monitored = this.monitoredAlarms(name, args.applicationName, monitoredAlarms(args.monitors ?? []));
    const monitorRole =
      monitored.length > 0
        ? new aws.iam.Role(
            `${name}-monitors`,
            {
              name: physicalName([args.applicationName], "monitors", NAME_LIMITS.iamRole),
              assumeRolePolicy: assumeRolePolicy("appconfig.amazonaws.com"),
              inlinePolicies: [
                {
                  name: "describe-monitored-alarms",
                  policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    // The monitors are composite alarms: "you can't return information about composite alarms if your cloudwatch:DescribeAlarms permission has a narrower scope" than * (CloudWatch API reference).
                    Statement: [{ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" }],
                  }),
                },
              ],
              tags,
            },
            { parent: this },
          )
        : undefined;
    const environment = new aws.appconfig.Environment(
      `${name}-env`,
      {
        applicationId: application.id,
        name: args.environmentName,
        description: `Flags of ${args.environmentName}; deployments roll back when a monitor alarms`,
        monitors: monitorRole ? monitored.map((alarm) => ({ alarmArn: alarm.arn, alarmRoleArn: monitorRole.arn })) : [],
        tags,
      },
      { parent: this },
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
    const consoleOwned = args.ownership === "console";
    const ramp = args.ramp ? readRamp(args.applicationName, args.environmentName, args.ramp.flags, this) : undefined;
    const version = new aws.appconfig.HostedConfigurationVersion(
      `${name}-version`,
      {
        applicationId: application.id,
        configurationProfileId: profile.configurationProfileId,
        contentType: "application/json",
        // With a ramp: each ramping flag at the stage its ramp reached, never back at the stack file's first stage.
        content: ramp ? ramp.document : args.document,
        description: consoleOwned ? "First version; later versions are made in the console" : "Flags from the stack file",
      },
      {
        parent: this,
        // Old versions are the flag history: a new version replaces this resource without deleting the old one.
        retainOnDelete: protectHistory,
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
      { parent: this },
    );
    new aws.appconfig.Deployment(
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
      { parent: this, ...(consoleOwned ? { ignoreChanges: ["configurationVersion"] } : {}) },
    );

    if (args.ramp && ramp) {
      const machine = createRamp(name, args, ramp, { application, environment, profile, deploymentStrategy, tags }, this);
      this.rampStateMachineArn = machine.arn;
      this.rampName = ramp.steps.apply(rampExecutionName);
    }

    this.applicationId = application.id;
    this.environmentId = environment.environmentId;
    this.profileId = profile.configurationProfileId;
    this.versionNumber = version.versionNumber;
    this.configurationArn = pulumi.interpolate`${application.arn}/environment/${environment.environmentId}/configuration/${profile.configurationProfileId}`;
    this.readerPolicy = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadFeatureFlags",
          Effect: "Allow",
          Action: ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
          Resource: this.configurationArn,
        },
      ],
    });
    this.prefetchPath = agentPrefetchPath(args.applicationName, args.environmentName, FLAG_PROFILE_NAME);
    for (const reader of args.readers ?? []) {
      const role = "roleName" in reader ? reader : reader.flagReader;
      if (role) this.grantRead(role.name, role.roleName);
    }
    this.registerOutputs({
      // The provider keeps a version's content secret; the document is repeated here so previews show flag changes.
      document: ramp ? ramp.document : args.document,
      applicationId: this.applicationId,
      environmentId: this.environmentId,
      profileId: this.profileId,
      configurationArn: this.configurationArn,
      versionNumber: this.versionNumber,
      rampStateMachineArn: this.rampStateMachineArn,
      rampName: this.rampName,
      // What the ramp deploys, for previews and the synth tree: `+30m new-checkout 5%`.
      rampSteps: ramp?.steps.apply((steps) => steps.map((step) => `+${step.holdMinutes}m ${step.description}`)),
      readerPolicy: this.readerPolicy,
    });
  }

  /** Lets a task role read this store's flags (and nothing else in AppConfig). */
  public grantRead(name: string, roleName: pulumi.Input<string>): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(`${this.componentName}-read-${name}`, { role: roleName, policy: this.readerPolicy }, { parent: this });
  }

  /** At most 5 monitors: more alarms are folded into composites of up to 100 each. */
  private monitoredAlarms(name: string, prefix: string, alarms: readonly MonitoredAlarm[]): MonitoredAlarm[] {
    if (alarms.length <= MAX_APPCONFIG_MONITORS) return [...alarms];
    const groups: MonitoredAlarm[][] = [];
    for (let start = 0; start < alarms.length; start += 100) groups.push(alarms.slice(start, start + 100));
    return groups.map((group, index) => {
      const composite = new aws.cloudwatch.CompositeAlarm(
        `${name}-monitor-${index}`,
        {
          alarmName: physicalName([prefix], `flag-monitor-${index}`, NAME_LIMITS.alarm),
          alarmDescription: "Any service alarm: rolls a flag deployment back",
          alarmRule: pulumi.all(group.map((alarm) => pulumi.output(alarm.name))).apply(anyAlarmRule),
          actionsEnabled: false,
        },
        { parent: this },
      );
      return { name: composite.alarmName, arn: composite.arn };
    });
  }
}
