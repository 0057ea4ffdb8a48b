import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { refuseBadArguments } from "../../../arguments";
import { agentPrefetchPath, FLAG_PROFILE_NAME } from "./agent";
import { createFlagApplication } from "./application";
import { type FeatureFlagStoreArgs, storeSettings } from "./args";
import { createFlagDeployment } from "./deployment";
import { featureFlagStoreArgsProblems } from "./problems";
import { rampExecutionName } from "./ramp";
import { createRamp, readRamp } from "./ramp-resources";

/** A policy document granting StartConfigurationSession and GetLatestConfiguration on one store's configuration. */
function readerPolicy(configurationArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadFeatureFlags",
        Effect: "Allow",
        Action: ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
        Resource: configurationArn,
      },
    ],
  });
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
    const { application, environment, profile } = createFlagApplication(name, { ...args, protectHistory, tags }, this);
    const ramp = args.ramp ? readRamp(args.applicationName, args.environmentName, args.ramp.flags, this) : undefined;
    // With a ramp: each ramping flag at the stage its ramp reached, never back at the stack file's first stage.
    const document = ramp ? ramp.document : args.document;
    const { version, deploymentStrategy } = createFlagDeployment(name, { ...args, document, strategy, protectHistory, tags }, { application, environment, profile }, this);
    if (ramp) {
      const machine = createRamp(name, args, ramp, { application, environment, profile, deploymentStrategy, tags }, this);
      this.rampStateMachineArn = machine.arn;
      this.rampName = ramp.steps.apply(rampExecutionName);
    }

    this.applicationId = application.id;
    this.environmentId = environment.environmentId;
    this.profileId = profile.configurationProfileId;
    this.versionNumber = version.versionNumber;
    this.configurationArn = pulumi.interpolate`${application.arn}/environment/${environment.environmentId}/configuration/${profile.configurationProfileId}`;
    this.readerPolicy = readerPolicy(this.configurationArn);
    this.prefetchPath = agentPrefetchPath(args.applicationName, args.environmentName, FLAG_PROFILE_NAME);
    for (const reader of args.readers ?? []) {
      const role = "roleName" in reader ? reader : reader.flagReader;
      if (role) this.grantRead(role.name, role.roleName);
    }
    this.registerOutputs({
      // The provider keeps a version's content secret; the document is repeated here so previews show flag changes.
      document,
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
}
