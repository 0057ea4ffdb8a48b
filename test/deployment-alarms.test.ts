import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { detectionSeconds, timingProblems } from "../components/deployment-alarms/alarm-math";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";
import { ALARM_KINDS, ALARM_SETTINGS } from "../components/deployment-alarms/kinds";
import { errorRateAlarm } from "../components/deployment-alarms/kinds/error-rate";
import { latencyAlarm } from "../components/deployment-alarms/kinds/p99-latency";
import { dashboardBody } from "../components/environment/dashboard";
import { TIER_DEFAULTS } from "../components/tiers";
import { Environment } from "../components/environment/environment";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { resource, resourcesOf, setPath, shippedConfig, synth, TEST_NETWORK } from "./helpers";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

// The one test that pins the whole built-in alarm list: other tests derive it (builtInAlarmNames, ALARM_KINDS).
describe("the built-in alarm kinds", () => {
  it("every service gets error-rate, p99-latency and unhealthy-hosts alarms, in that order, set by four thresholds", () => {
    expect(ALARM_KINDS.map((kind) => kind.name)).toEqual(["error-rate", "p99-latency", "unhealthy-hosts"]);
    expect(ALARM_SETTINGS).toEqual(["errorRatePercent", "minRequests", "p99LatencyMs", "unhealthyHosts"]);
    expect(builtInAlarmNames("production", "checkout")).toEqual(["production-checkout-error-rate", "production-checkout-p99-latency", "production-checkout-unhealthy-hosts"]);
  });
});
const targets = { loadBalancerArnSuffix: "app/lb/1", targetGroupArnSuffixes: ["targetgroup/b/1", "targetgroup/g/2"] };

describe("alarm math", () => {
  it("the error rate judges each target group on its own, counts refused connections, and is 0 below the group's request minimum", () => {
    const alarm = errorRateAlarm(targets, 1, 50, 60);
    const expressions = alarm.metricQueries.filter((query) => query.expression).map((query) => [query.id, query.expression, query.returnData]);
    expect(expressions).toEqual([
      ["failed0", "FILL(errors0, 0) + FILL(refused0, 0)", false],
      ["rate0", "IF(FILL(requests0, 0) >= 50, IF(failed0 >= 2, 100 * failed0 / FILL(requests0, 0), 0), 0)", false],
      ["failed1", "FILL(errors1, 0) + FILL(refused1, 0)", false],
      ["rate1", "IF(FILL(requests1, 0) >= 50, IF(failed1 >= 2, 100 * failed1 / FILL(requests1, 0), 0), 0)", false],
      ["errorRate", "MAX([rate0, rate1])", true],
    ]);
    expect(alarm.metricQueries.filter((query) => query.metric).map((query) => query.metric?.metricName)).toEqual([
      "RequestCount",
      "RequestCount",
      "HTTPCode_Target_5XX_Count",
      "HTTPCode_Target_5XX_Count",
      "TargetConnectionErrorCount",
      "TargetConnectionErrorCount",
    ]);
    expect(alarm.metricQueries.filter((query) => query.returnData)).toHaveLength(1);
    expect(alarm.threshold).toBe(1);
    expect(alarm.treatMissingData).toBe("notBreaching");
  });

  it("latency is the worse of the two target groups' p99, in seconds", () => {
    const alarm = latencyAlarm(targets, 800, 60);
    expect(alarm.threshold).toBe(0.8);
    expect(alarm.metricQueries.filter((query) => query.metric).map((query) => query.metric?.stat)).toEqual(["p99", "p99"]);
    expect(alarm.metricQueries.find((query) => query.returnData)?.expression).toBe("MAX([latency0f, latency1f])");
  });

  it("production detects a sustained error burst within 3 minutes; dev and staging take longer", () => {
    const seconds = (tier: "dev" | "staging" | "production") => detectionSeconds(TIER_DEFAULTS[tier].alarms.timing);
    expect(seconds("production")).toBeLessThanOrEqual(180);
    expect(seconds("staging")).toBe(240);
    expect(seconds("dev")).toBe(300);
  });

  it("refuses timings CloudWatch would refuse", () => {
    expect(timingProblems({ periodSeconds: 45, evaluationPeriods: 2, datapointsToAlarm: 3 })).toEqual([
      { field: ["periodSeconds"], message: "must be 10, 20, 30 or a multiple of 60", got: 45 },
      { field: ["datapointsToAlarm"], message: "must be 1-2", got: 3 },
    ]);
  });
});

describe("alarms under mocks", () => {
  let document: SynthDocument;
  const load = async () => (document ??= await synth(shippedConfig("production"), "production"));

  it("dimensions are the mocked arnSuffix values of the load balancer and both target groups", async () => {
    const d = await load();
    const lb = resource(d, "aws:lb/loadBalancer:LoadBalancer", "production-lb").outputs.arnSuffix;
    const blue = resource(d, "aws:lb/targetGroup:TargetGroup", "checkout-blue").outputs.arnSuffix;
    const green = resource(d, "aws:lb/targetGroup:TargetGroup", "checkout-green").outputs.arnSuffix;
    const alarm = resource(d, ALARM, "checkout-alarms-error-rate");
    const dimensions = (alarm.inputs.metricQueries as { metric?: { dimensions: unknown } }[])
      .filter((query) => query.metric)
      .map((query) => query.metric?.dimensions);
    expect(dimensions).toEqual([
      { LoadBalancer: lb, TargetGroup: blue },
      { LoadBalancer: lb, TargetGroup: green },
      { LoadBalancer: lb, TargetGroup: blue },
      { LoadBalancer: lb, TargetGroup: green },
      { LoadBalancer: lb, TargetGroup: blue },
      { LoadBalancer: lb, TargetGroup: green },
    ]);
  });

  it("every alarm notifies the environment's alert topic on ALARM and OK", async () => {
    const d = await load();
    const topic = resource(d, "aws:sns/topic:Topic", "production-alerts").outputs.arn;
    const alarms = resourcesOf(d, ALARM);
    // One per alarm kind per service, and each service's task-start watch.
    expect(alarms.length).toBe(2 * (ALARM_KINDS.length + 1));
    for (const alarm of alarms) {
      expect(alarm.inputs.alarmActions).toEqual([topic]);
      expect(alarm.inputs.okActions).toEqual([topic]);
    }
  });

  it("each ECS service rolls back on exactly its own alarms", async () => {
    const d = await load();
    for (const service of ["checkout", "catalog"]) {
      const own = resourcesOf(d, ALARM)
        .filter((alarm) => alarm.name.startsWith(`${service}-alarms-`) || alarm.name === `${service}-task-start-impaired`)
        .map((alarm) => alarm.inputs.name)
        .sort();
      const alarms = resource(d, "aws:ecs/service:Service", `${service}-service`).inputs.alarms as { alarmNames: string[] };
      expect({ ...alarms, alarmNames: [...alarms.alarmNames].sort() }).toEqual({
        alarmNames: own,
        enable: true,
        rollback: true,
      });
    }
  });

  it("thresholds come from the service's config over the tier defaults", async () => {
    const d = await load();
    expect(resource(d, ALARM, "catalog-alarms-error-rate").inputs.threshold).toBe(2);
    expect(resource(d, ALARM, "catalog-alarms-p99-latency").inputs.threshold).toBe(1.2);
    expect(resource(d, ALARM, "checkout-alarms-error-rate").inputs).toMatchObject({ evaluationPeriods: 1, datapointsToAlarm: 1 });
    // A slow start is not a bad version: unhealthy hosts need two minutes of three.
    expect(resource(d, ALARM, "checkout-alarms-unhealthy-hosts").inputs).toMatchObject({ evaluationPeriods: 3, datapointsToAlarm: 2 });
  });

  it("a composite alarm per service is in ALARM when any of its alarms is", async () => {
    const d = await load();
    const composite = resource(d, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "checkout-alarms-any");
    expect(composite.inputs.alarmRule).toBe(builtInAlarmNames("production", "checkout").map((name) => `ALARM("${name}")`).join(" OR "));
  });

  it("a custom alarm from config is created and watched by ECS", async () => {
    const config = setPath(shippedConfig("staging"), "release:services.checkout.alarms", {
      custom: [
        {
          name: "payment-failures",
          namespace: "Checkout",
          metric: "PaymentFailures",
          dimensions: { Service: "checkout" },
          statistic: "Sum",
          comparison: "GreaterThanThreshold",
          threshold: 5,
          periodSeconds: 60,
        },
      ],
    });
    const d = await synth(config);
    const alarm = resource(d, ALARM, "checkout-alarms-payment-failures");
    expect(alarm.inputs.metricQueries).toEqual([
      {
        id: "custom",
        returnData: true,
        metric: { namespace: "Checkout", metricName: "PaymentFailures", dimensions: { Service: "checkout" }, period: 60, stat: "Sum" },
      },
    ]);
    expect((resource(d, "aws:ecs/service:Service", "checkout-service").inputs.alarms as { alarmNames: string[] }).alarmNames).toContain(
      "staging-checkout-payment-failures",
    );
  });
});

describe("notifications", () => {
  it("the alert topic is encrypted with a key CloudWatch may use", async () => {
    const d = await synth(shippedConfig("staging"));
    const key = resource(d, "aws:kms/key:Key", "staging-alerts");
    expect(resource(d, "aws:sns/topic:Topic", "staging-alerts").inputs.kmsMasterKeyId).toBe(key.outputs.arn);
    const policy = JSON.parse(String(key.inputs.policy));
    expect(policy.Statement[1]).toEqual({
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": "123456789012", "kms:EncryptionContext:aws:sns:topicArn": resource(d, "aws:sns/topic:Topic", "staging-alerts").outputs.arn } },
    });
  });

  it("configured e-mails and https endpoints subscribe to the topic", async () => {
    const config = setPath(shippedConfig("staging"), "release:notifications", {
      emails: ["a@example.com", "b@example.com"],
      httpsEndpoints: ["https://events.example.com/hook"],
    });
    const d = await synth(config);
    const topic = resource(d, "aws:sns/topic:Topic", "staging-alerts").outputs.arn;
    const subscriptions = resourcesOf(d, "aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs.topic, s.inputs.protocol, s.inputs.endpoint]);
    expect(subscriptions.sort()).toEqual([
      [topic, "email", "a@example.com"],
      [topic, "email", "b@example.com"],
      [topic, "https", "https://events.example.com/hook"],
    ]);
  });
});

/** The dashboard body format, written from CloudWatch's "Dashboard Body Structure and Syntax" reference. */
const dashboardSchema = {
  type: "object",
  required: ["widgets"],
  additionalProperties: false,
  properties: {
    start: { type: "string" },
    end: { type: "string" },
    periodOverride: { enum: ["auto", "inherit"] },
    widgets: {
      type: "array",
      maxItems: 500,
      items: {
        type: "object",
        required: ["type", "properties"],
        additionalProperties: false,
        properties: {
          type: { enum: ["metric", "text", "log", "alarm", "explorer", "custom"] },
          x: { type: "integer", minimum: 0, maximum: 23 },
          y: { type: "integer", minimum: 0 },
          width: { type: "integer", minimum: 1, maximum: 24 },
          height: { type: "integer", minimum: 1, maximum: 1000 },
          properties: { type: "object" },
        },
        allOf: [
          {
            if: { properties: { type: { const: "metric" } } },
            then: {
              properties: {
                properties: {
                  type: "object",
                  required: ["metrics", "region"],
                  properties: {
                    region: { type: "string", pattern: "^[a-z]{2}(-[a-z]+)+-\\d$" },
                    view: { enum: ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"] },
                    period: { type: "integer", minimum: 1 },
                    metrics: {
                      type: "array",
                      items: {
                        type: "array",
                        minItems: 1,
                        // [namespace, metricName, dimName, dimValue, ..., {rendering}] or [{expression}]
                        items: { anyOf: [{ type: "string" }, { type: "object" }] },
                      },
                    },
                  },
                },
              },
            },
          },
          {
            if: { properties: { type: { const: "alarm" } } },
            then: {
              properties: {
                properties: {
                  type: "object",
                  required: ["alarms"],
                  properties: { alarms: { type: "array", maxItems: 100, items: { type: "string", pattern: "^arn:aws[a-z-]*:cloudwatch:" } } },
                },
              },
            },
          },
        ],
      },
    },
  },
};

describe("dashboard", () => {
  const body = dashboardBody({
    region: "eu-west-1",
    loadBalancerArnSuffix: "app/production/abc",
    services: [
      {
        name: "checkout",
        targetGroupArnSuffixes: ["targetgroup/b/1", "targetgroup/g/2"],
        alarmArns: ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:production-checkout-error-rate"],
        errorRatePercent: 1,
        p99LatencyMs: 800,
      },
      { name: "catalog", targetGroupArnSuffixes: ["targetgroup/b/3", "targetgroup/g/4"], alarmArns: [], errorRatePercent: 2, p99LatencyMs: 1200 },
    ],
  });

  it("is valid dashboard JSON", () => {
    const validate = new Ajv({ allErrors: true }).compile(dashboardSchema);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  });

  it("has a row per service with blue and green side by side and an alarm-status widget", () => {
    const widgets = body.widgets as { type: string; y: number; x: number; width: number; properties: { title: string; metrics?: unknown[][] } }[];
    expect(widgets.filter((widget) => widget.y === 0).map((widget) => widget.properties.title)).toEqual([
      "checkout: requests per target group",
      "checkout: error rate (%)",
      "checkout: p99 latency (s)",
      "checkout: healthy hosts",
      "checkout: alarms",
    ]);
    expect(widgets[0].properties.metrics?.map((metric) => metric[5])).toEqual(["targetgroup/b/1", "targetgroup/g/2"]);
    for (const row of [0, 6]) expect(widgets.filter((widget) => widget.y === row).reduce((sum, widget) => sum + widget.width, 0)).toBe(24);
  });

  it("more than 100 services spread over dashboards of at most 500 widgets", async () => {
    // One load balancer takes at most 50 such services (a ReleaseEnvironment refuses more): the Environment's
    // dashboards are built past that for teams that compose services on it by hand.
    const services = Array.from({ length: 102 }, (_, i) => ({
      name: `svc${i}`,
      targetGroupArnSuffixes: [`targetgroup/svc${i}-b/1`, `targetgroup/svc${i}-g/2`],
      alarmArns: ALARM_KINDS.map(({ name: kind }) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:dev-svc${i}-${kind}`),
      errorRatePercent: 5,
      p99LatencyMs: 2000,
    }));
    const d = await synthesizeProgram({ stack: "dev", tier: "dev", region: "eu-west-1" }, async () => {
      const environment = new Environment("dev", { tier: "dev", region: "eu-west-1", ...TEST_NETWORK });
      environment.addDashboards(services);
      return {};
    });
    const dashboards = resourcesOf(d, "aws:cloudwatch/dashboard:Dashboard");
    expect(dashboards.map((dashboard) => dashboard.inputs.dashboardName)).toEqual(["dev-release", "dev-release-2"]);
    const widgets = dashboards.map((dashboard) => (JSON.parse(String(dashboard.inputs.dashboardBody)) as { widgets: unknown[] }).widgets.length);
    expect(widgets).toEqual([500, 10]);
  });

  it("the environment's dashboard carries every service with the mocked target groups", async () => {
    const d = await synth(shippedConfig("staging"));
    const dashboard = resource(d, "aws:cloudwatch/dashboard:Dashboard", "staging-dashboard");
    const parsed = JSON.parse(String(dashboard.inputs.dashboardBody));
    expect(new Ajv().compile(dashboardSchema)(parsed)).toBe(true);
    expect(String(dashboard.inputs.dashboardBody)).toContain(String(resource(d, "aws:lb/targetGroup:TargetGroup", "catalog-green").outputs.arnSuffix));
  });
});
