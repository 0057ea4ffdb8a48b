/** The ramp's resources: the record read at preview, the state machine, its role and record, and its endings' notices. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "../../../iam";
import { NAME_LIMITS, physicalName } from "../../../naming";
import type { Flags } from "../../flags/model";
import type { FeatureFlagStoreArgs } from "./args";
import { toAppConfigDocument } from "./document";
import { type FlagRampStep, parseRampRecord, RAMP_RECORD_LEAF, type RampPlan, rampPlan, rampRecordPath, rampStepsForStore } from "./ramp";
import { rampDefinition } from "./ramp-definition";

export interface RampReading {
  /** The record parameter's name. */
  readonly recordName: string;
  readonly plan: pulumi.Output<RampPlan>;
  readonly document: pulumi.Output<string>;
  readonly steps: pulumi.Output<FlagRampStep[]>;
}

/**
 * Reads the record at preview and up. `getParametersByPath` answers no parameters (not an error) until the first
 * `pulumi up` has created it, so the first deploy serves the stack file's first stages.
 */
export function readRamp(applicationName: string, environmentName: string, flags: Flags, parent: pulumi.Resource): RampReading {
  const path = rampRecordPath(applicationName, environmentName);
  const recordName = `${path}${RAMP_RECORD_LEAF}`;
  // The data source marks every value sensitive; a record of percentages is not.
  const found = pulumi.unsecret(aws.ssm.getParametersByPathOutput({ path, recursive: false, withDecryption: false }, { parent }));
  const plan = found.apply((result) => {
    const index = (result.names ?? []).indexOf(recordName);
    const record = parseRampRecord(index >= 0 ? result.values?.[index] : undefined, recordName);
    try {
      return rampPlan(flags, record);
    } catch (error) {
      throw new Error(`flag ramp of ${applicationName}/${environmentName} (${recordName}): ${(error as Error).message}`);
    }
  });
  return {
    recordName,
    plan,
    document: plan.apply((at) => JSON.stringify(toAppConfigDocument(at.deploy))),
    steps: plan.apply((at) => rampStepsForStore(at.reached)),
  };
}

export interface StoreParts {
  readonly application: aws.appconfig.Application;
  readonly environment: aws.appconfig.Environment;
  readonly profile: aws.appconfig.ConfigurationProfile;
  readonly deploymentStrategy: aws.appconfig.DeploymentStrategy;
  readonly tags: Record<string, string>;
}

/**
 * The ramp's state machine, its role, its record and the EventBridge rule that reports its unsuccessful endings. The
 * role may read and deploy this environment's flag profile with this store's strategy, write the record and publish to
 * the alert topic, nothing else. Running executions keep the definition they started with, so a `pulumi up` that
 * updates it never changes a ramp in flight.
 */
export function createRamp(name: string, args: FeatureFlagStoreArgs, reading: RampReading, parts: StoreParts, parent: pulumi.Resource): aws.sfn.StateMachine {
  const ramp = args.ramp as NonNullable<FeatureFlagStoreArgs["ramp"]>;
  const { application, environment, profile, deploymentStrategy, tags } = parts;
  const label = `${args.applicationName}/${args.environmentName}`;
  // Pulumi writes the record with what it deploys (so a flag that stops ramping is forgotten); the ramp overwrites it after each step.
  const record = new aws.ssm.Parameter(
    `${name}-ramp-reached`,
    {
      name: reading.recordName,
      type: "String",
      description: `Stages the flag ramp of ${label} reached; pulumi up deploys these, not the first stages`,
      // Not a secret: insecureValue keeps previews and the synth showing it.
      insecureValue: reading.plan.apply((plan) => JSON.stringify(plan.record)),
      tags,
    },
    { parent },
  );
  const role = new aws.iam.Role(
    `${name}-ramp`,
    {
      name: physicalName([args.applicationName], "ramp", NAME_LIMITS.iamRole),
      assumeRolePolicy: assumeRolePolicy("states.amazonaws.com"),
      inlinePolicies: [
        {
          name: "deploy-flag-ramp",
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              // AppConfig authorizes each call on the application as well as on the environment, profile or strategy it names.
              { Sid: "ReadDeployments", Effect: "Allow", Action: "appconfig:ListDeployments", Resource: [application.arn, environment.arn] },
              {
                Sid: "WatchDeployments",
                Effect: "Allow",
                Action: "appconfig:GetDeployment",
                Resource: [application.arn, environment.arn, pulumi.interpolate`${environment.arn}/deployment/*`],
              },
              { Sid: "CreateVersions", Effect: "Allow", Action: "appconfig:CreateHostedConfigurationVersion", Resource: [application.arn, profile.arn] },
              {
                Sid: "Deploy",
                Effect: "Allow",
                Action: "appconfig:StartDeployment",
                Resource: [application.arn, environment.arn, profile.arn, deploymentStrategy.arn],
              },
              { Sid: "RecordStage", Effect: "Allow", Action: "ssm:PutParameter", Resource: record.arn },
              { Sid: "Notify", Effect: "Allow", Action: "sns:Publish", Resource: ramp.alertTopicArn },
              // The alert topic is encrypted with a customer key whose policy defers to IAM: publishing needs the key, through SNS only.
              {
                Sid: "EncryptNotifications",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
                Condition: { StringLike: { "kms:ViaService": "sns.*.amazonaws.com" } },
              },
            ],
          }),
        },
      ],
      tags,
    },
    { parent },
  );
  const machine = new aws.sfn.StateMachine(
    `${name}-ramp`,
    {
      name: physicalName([args.applicationName], "flag-ramp", 80),
      roleArn: role.arn,
      type: "STANDARD",
      definition: pulumi
        .all([application.id, environment.environmentId, profile.configurationProfileId, deploymentStrategy.id, pulumi.output(ramp.alertTopicArn), reading.steps, reading.plan])
        .apply(([applicationId, environmentId, profileId, strategyId, alertTopicArn, steps, plan]) =>
          JSON.stringify(
            rampDefinition(
              { applicationId, environmentId, profileId, strategyId, alertTopicArn, label, recordName: reading.recordName, carried: plan.carried, deployed: plan.record.deployed },
              steps,
            ),
          ),
        ),
      tags,
    },
    { parent },
  );
  reportRampEndings(name, args.applicationName, label, machine, ramp.alertTopicArn, parent);
  return machine;
}

/** Step Functions' execution status events of one state machine that did not succeed. */
export function rampEndingEventPattern(stateMachineArn: string): Record<string, unknown> {
  return {
    source: ["aws.states"],
    "detail-type": ["Step Functions Execution Status Change"],
    detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [stateMachineArn] },
  };
}

/**
 * Every ramp execution that ends FAILED (a rollback, a superseded ramp, an error the Catch took), TIMED_OUT or ABORTED
 * (someone paused or aborted it) reaches the alert topic through EventBridge, whose SNS deliveries are retried (24 hours
 * by default), also when the state machine's own notice could not be published. The topic and key policies already let
 * this account's EventBridge rules publish (`alertTopicPolicy`, `alertKeyPolicy`). Step Functions sends these events
 * "best effort", so the state machine still publishes its own notices.
 */
function reportRampEndings(
  name: string,
  prefix: string,
  label: string,
  machine: aws.sfn.StateMachine,
  alertTopicArn: pulumi.Input<string>,
  parent: pulumi.Resource,
): void {
  const rule = new aws.cloudwatch.EventRule(
    `${name}-ramp-endings`,
    {
      name: physicalName([prefix], "ramp-endings", 64),
      description: `Flag ramp executions of ${label} that failed, timed out or were aborted`,
      eventPattern: machine.arn.apply((arn) => JSON.stringify(rampEndingEventPattern(arn))),
    },
    { parent },
  );
  new aws.cloudwatch.EventTarget(
    `${name}-ramp-endings`,
    {
      rule: rule.name,
      arn: alertTopicArn,
      inputTransformer: {
        inputPaths: { status: "$.detail.status", execution: "$.detail.name", arn: "$.detail.executionArn" },
        inputTemplate: JSON.stringify(
          `Flag ramp of ${label}: execution <execution> ended <status>. Its error and the step it stopped at: aws stepfunctions describe-execution --execution-arn <arn>. ` +
            "Resume an aborted or failed one with aws stepfunctions redrive-execution --execution-arn <arn>, or run pulumi up and start the ramp again (it continues from the stage reached).",
        ),
      },
    },
    { parent },
  );
}
