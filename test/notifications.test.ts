import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { Environment } from "../components/environment/environment";
import { shortHash } from "../components/naming";
import type { SynthDocument } from "../src/synth/capture";
import { configError, resource, resourcesOf, setPath, shippedConfig, synth, inRegion } from "./helpers";

const ACCOUNT = "123456789012";

/** EventBridge's matching for the operators these rules use: exact values, `prefix`, `anything-but`; arrays match any element. */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return values.some((value) =>
      pattern.some((item) => {
        if (item !== null && typeof item === "object") {
          const operator = item as { prefix?: string; "anything-but"?: unknown[] };
          if (operator.prefix !== undefined) return typeof value === "string" && value.startsWith(operator.prefix);
          if (operator["anything-but"] !== undefined) return value !== undefined && !operator["anything-but"].includes(value);
          return false;
        }
        return item === value;
      }),
    );
  }
  if (pattern === null || typeof pattern !== "object") return pattern === event;
  return Object.entries(pattern).every(([key, inner]) => matches(inner, (event as Record<string, unknown> | undefined)?.[key]));
}

/** The ECS developer guide's example deployment event, for a service of `cluster`. */
const ecsEvent = (eventName: string, serviceArn: string) => ({
  version: "0",
  "detail-type": "ECS Deployment State Change",
  source: "aws.ecs",
  account: ACCOUNT,
  region: "eu-west-1",
  resources: [serviceArn],
  detail: { eventType: eventName === "SERVICE_DEPLOYMENT_FAILED" ? "ERROR" : "INFO", eventName, deploymentId: "ecs-svc/123", reason: "ECS deployment ecs-svc/123 in progress." },
});

/** The AppConfig guide's sample event from the deployment-events extension. */
const appConfigEvent = (detailType: string, applicationId: string) => ({
  "detail-type": detailType,
  source: "aws.appconfig",
  account: ACCOUNT,
  resources: [`arn:aws:appconfig:eu-west-1:${ACCOUNT}:extensionassociation/z763ff5`],
  detail: { Type: detailType.replace(/ /g, ""), Application: { Id: applicationId, Name: "MyApp" }, Environment: { Id: "pgil2o7", Name: "MyEnv" }, DeploymentNumber: 1 },
});

const patternOf = (d: SynthDocument, name: string) => JSON.parse(String(resource(d, "aws:cloudwatch/eventRule:EventRule", name).inputs.eventPattern));

describe("the alert topic", () => {
  it("keeps the logical names and parent it had inside Environment, so existing stacks update in place", async () => {
    const d = await synth(setPath(shippedConfig("staging"), "release:notifications", { emails: ["oncall@example.com"] }));
    const environment = "urn:pulumi:staging::release-platform::release:aws:Environment";
    expect(resource(d, "aws:sns/topic:Topic", "staging-alerts").urn).toBe(`${environment}$aws:sns/topic:Topic::staging-alerts`);
    expect(resource(d, "aws:kms/key:Key", "staging-alerts").urn).toBe(`${environment}$aws:kms/key:Key::staging-alerts`);
    expect(resourcesOf(d, "aws:sns/topicSubscription:TopicSubscription").map((s) => s.urn)).toEqual([
      `${environment}$aws:sns/topicSubscription:TopicSubscription::staging-email-${shortHash("oncall@example.com")}`,
    ]);
  });

  it("lets this account's alarms and event rules publish, each only on behalf of this account", async () => {
    const d = await synth(shippedConfig("staging"));
    const topic = resource(d, "aws:sns/topic:Topic", "staging-alerts").outputs.arn;
    const policy = resource(d, "aws:sns/topicPolicy:TopicPolicy", "staging-alerts");
    expect(policy.inputs.arn).toBe(topic);
    const statements = JSON.parse(String(policy.inputs.policy)).Statement as Record<string, unknown>[];
    expect(statements.filter((s) => s.Sid !== "AccountOwns")).toEqual([
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topic,
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:*` } },
      },
      {
        Sid: "EventBridgeRulesPublish",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topic,
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": `arn:aws:events:eu-west-1:${ACCOUNT}:rule/*` } },
      },
    ]);
    expect(statements.find((s) => s.Sid === "AccountOwns")?.Principal).toEqual({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
  });

  it("its key serves this topic only: CloudWatch for this account, EventBridge without source conditions (SNS does not support them there)", async () => {
    const d = await synth(shippedConfig("staging"));
    const statements = JSON.parse(String(resource(d, "aws:kms/key:Key", "staging-alerts").inputs.policy)).Statement as Record<string, unknown>[];
    const thisTopic = { "kms:EncryptionContext:aws:sns:topicArn": resource(d, "aws:sns/topic:Topic", "staging-alerts").outputs.arn };
    expect(statements.map((s) => [s.Sid, s.Principal, s.Condition])).toEqual([
      ["AccountAdministers", { AWS: `arn:aws:iam::${ACCOUNT}:root` }, undefined],
      ["CloudWatchAlarmsPublish", { Service: "cloudwatch.amazonaws.com" }, { StringEquals: { "aws:SourceAccount": ACCOUNT, ...thisTopic } }],
      ["EventBridgeRulesPublish", { Service: "events.amazonaws.com" }, { StringEquals: thisTopic }],
    ]);
  });
});

describe("ECS deployment events", () => {
  it("started or rolling back, completed and failed deployments of this cluster's services reach the topic", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const pattern = patternOf(d, "production-ecs-deployments");
    const service = String(resource(d, "aws:ecs/service:Service", "checkout-service").outputs.arn);
    for (const eventName of ["SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_DEPLOYMENT_FAILED"]) {
      expect(matches(pattern, ecsEvent(eventName, service)), eventName).toBe(true);
    }
    expect(matches(pattern, ecsEvent("SERVICE_DEPLOYMENT_FAILED", `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/other-cluster/checkout`))).toBe(false);
    expect(matches(pattern, ecsEvent("SERVICE_DEPLOYMENT_FAILED", `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/production-2/checkout`))).toBe(false);
    expect(matches(pattern, { ...ecsEvent("SERVICE_DEPLOYMENT_FAILED", service), "detail-type": "ECS Task State Change" })).toBe(false);

    const target = resource(d, "aws:cloudwatch/eventTarget:EventTarget", "production-ecs-deployments");
    expect(target.inputs).toEqual({ rule: "production-ecs-deployments", arn: resource(d, "aws:sns/topic:Topic", "production-alerts").outputs.arn });
    // The target works from the first event only once the topic policy admits EventBridge.
    expect(target.dependencies).toContain(resource(d, "aws:sns/topicPolicy:TopicPolicy", "production-alerts").urn);
  });
});

describe("AppConfig deployment events", () => {
  it("AppConfig's EventBridge extension is associated with the flag environment", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const environment = resource(d, "aws:appconfig/environment:Environment", "production-flags-env");
    expect(resource(d, "aws:appconfig/extensionAssociation:ExtensionAssociation", "production-flag-events").inputs).toEqual({
      extensionArn: "arn:aws:appconfig:eu-west-1::extension/AWS.AppConfig.DeploymentNotificationsToEventBridge/1",
      resourceArn: environment.outputs.arn,
    });
  });

  it("completed and rolled-back flag deployments of this application reach the topic; starts and other applications do not", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const applicationId = String(resource(d, "aws:appconfig/application:Application", "production-flags-app").outputs.id);
    const pattern = patternOf(d, "production-flag-deployments");
    expect(matches(pattern, appConfigEvent("On Deployment Complete", applicationId))).toBe(true);
    expect(matches(pattern, appConfigEvent("On Deployment Rollback", applicationId))).toBe(true);
    expect(matches(pattern, appConfigEvent("On Deployment Rolled Back", applicationId))).toBe(true);
    expect(matches(pattern, appConfigEvent("On Deployment Start", applicationId))).toBe(false);
    expect(matches(pattern, appConfigEvent("On Deployment Complete", "other12"))).toBe(false);
    expect(resource(d, "aws:cloudwatch/eventTarget:EventTarget", "production-flag-deployments").inputs.arn).toBe(
      resource(d, "aws:sns/topic:Topic", "production-alerts").outputs.arn,
    );
  });

  it("a flagd store has no AppConfig events to forward", async () => {
    const d = await synth(setPath(shippedConfig("staging"), "release:flagStore", { backend: "flagd" }));
    expect(resourcesOf(d, "aws:appconfig/extensionAssociation:ExtensionAssociation")).toEqual([]);
    expect(resourcesOf(d, "aws:cloudwatch/eventRule:EventRule").map((rule) => rule.name)).toEqual(["catalog-task-start-impaired", "checkout-task-start-impaired", "staging-ecs-deployments"]);
  });
});

describe("Slack through AWS Chatbot", () => {
  it("notifications.slack subscribes a Chatbot channel to the topic, read-only with guardrails", async () => {
    const d = await synth(setPath(shippedConfig("staging"), "release:notifications.slack", { workspaceId: "T0123ABCD", channelId: "C0123ABCD" }));
    const role = resource(d, "aws:iam/role:Role", "staging-chatbot");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal).toEqual({ Service: "chatbot.amazonaws.com" });
    expect(role.inputs.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]);
    expect(resource(d, "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", "staging-slack").inputs).toEqual({
      configurationName: "staging-alerts",
      iamRoleArn: role.outputs.arn,
      slackTeamId: "T0123ABCD",
      slackChannelId: "C0123ABCD",
      snsTopicArns: [resource(d, "aws:sns/topic:Topic", "staging-alerts").outputs.arn],
      guardrailPolicyArns: ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"],
      loggingLevel: "ERROR",
    });
  });

  it("a stack outside Chatbot's four Regions creates the channel in us-east-2; inside them, in its own", async () => {
    const slack = { workspaceId: "T0123ABCD", channelId: "C0123ABCD" };
    const frankfurt = inRegion(setPath(shippedConfig("staging"), "release:notifications.slack", slack), "eu-central-1");
    const outside = resource(await synth(frankfurt), "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", "staging-slack");
    expect(outside.inputs.region).toBe("us-east-2");
    // The topic it subscribes stays in the stack's Region.
    expect(String((outside.inputs.snsTopicArns as string[])[0])).toContain(":sns:eu-central-1:");
    const oregon = inRegion(setPath(shippedConfig("staging"), "release:notifications.slack", slack), "us-west-2");
    expect(resource(await synth(oregon), "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", "staging-slack").inputs.region).toBeUndefined();
  });

  it("there is no Chatbot channel unless configured", async () => {
    const d = await synth(shippedConfig("staging"));
    expect(resourcesOf(d, "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")).toEqual([]);
  });

  it("ids Chatbot would refuse fail before anything is registered, naming the path", () => {
    const config = setPath(shippedConfig("staging"), "release:notifications.slack", { workspaceId: "https://hooks.slack.com/services/T0/B0/x", channelId: "#alerts" });
    expect(configError(config)).toBe(
      [
        'Pulumi.staging.yaml: release:notifications.slack.channelId: expected a Slack channel id, e.g. C0123ABCD (got "#alerts")',
        'Pulumi.staging.yaml: release:notifications.slack.workspaceId: expected a Slack workspace id, e.g. T0123ABCD (got "https://hooks.slack.com/services/T0/B0/x")',
      ].join("\n"),
    );
  });

  it("the Environment component refuses them too", async () => {
    await pulumi.runtime.setMocks({ newResource: (args) => ({ id: args.name, state: args.inputs }), call: () => ({}) }, "release-platform", "dev");
    expect(
      () =>
        new Environment("dev", {
          tier: "dev",
          region: "eu-west-1",
          vpcId: "vpc-1",
          publicSubnetIds: ["subnet-a", "subnet-b"],
          privateSubnetIds: ["subnet-c"],
          alertSlack: { workspaceId: "t0123", channelId: "C1" },
        }),
    ).toThrow("Environment dev: alertSlack.workspaceId must be upper-case letters and digits, e.g. T0123ABCD (got \"t0123\")");
  });
});
