import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, type DescribeAlarmsCommandOutput } from "@aws-sdk/client-cloudwatch";
import { DescribeServiceDeploymentsCommand, ECSClient } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type AlarmGateOptions, createAlarmGate, NO_ALARM_ROLLBACK } from "../components/lifecycle-hooks/handlers/alarm-gate";
import { configError, resource, resourcesOf, setPath, shippedConfig, synth } from "./helpers";

const NAMES = ["svc-error-rate", "svc-latency"];
const FAST: AlarmGateOptions = { requestTimeoutMs: 100, deadlineMs: 600, backoffMs: [20, 40, 80, 160], maxPages: 5 };

const DEPLOYMENT = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/c/s/EZe5RNVLH6PPzHXINuP28";
/** When the deployment the gate runs in was created (DescribeServiceDeployments' createdAt). */
const CREATED = new Date("2026-12-06T20:00:00.000Z");

const gateEvent = (extra: Record<string, unknown> = {}) => ({
  executionId: "exec-1",
  lifecycleStage: "PRE_SCALE_UP",
  resourceArn: DEPLOYMENT,
  executionDetails: { serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/c/s" },
  hookDetails: { alarmNames: NAMES, maxAttempts: 5, callBackDelaySeconds: 30, ...extra },
});

const page = (states: string[], nextToken?: string): DescribeAlarmsCommandOutput => ({
  $metadata: {},
  MetricAlarms: states.map((state, index) => ({ AlarmName: NAMES[index], StateValue: state as "OK", StateReason: `reason ${index}` })),
  NextToken: nextToken,
});

/** An error as the SDK raises it for an HTTP 500 from CloudWatch. */
const serverError = () => Object.assign(new Error("Internal failure"), { name: "InternalServiceFault", $fault: "server", $metadata: { httpStatusCode: 500 } });

let logs: Record<string, unknown>[] = [];
beforeEach(() => {
  logs = [];
  vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    logs.push(JSON.parse(String(line)) as Record<string, unknown>);
  });
});
afterEach(() => vi.restoreAllMocks());
// One mocked instance: the clients of the fake-endpoint tests below stay real.
const mockedClient = new CloudWatchClient({ region: "eu-west-1" });
const cloudwatch = mockClient(mockedClient);
const mockedEcs = new ECSClient({ region: "eu-west-1" });
const ecs = mockClient(mockedEcs);
/** A deployment ECS watches the alarms of, as DescribeServiceDeployments returns it. */
const deployment = (alarms: { status?: string } | null = { status: "MONITORING" }) => ({
  serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT, createdAt: CREATED, ...(alarms ? { alarms: { alarmNames: NAMES, ...alarms } } : {}) }],
});
beforeEach(() => {
  cloudwatch.reset();
  ecs.reset();
  // By default nothing changed state since the deployment started.
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  ecs.on(DescribeServiceDeploymentsCommand).resolves(deployment() as never);
});

describe("alarm gate with a mocked CloudWatch", () => {
  const gate = createAlarmGate(mockedClient, mockedEcs, FAST);

  it("retries a transient 500 as it does throttling, and decides on the answer", async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejectsOnce(serverError()).resolves(page(["OK", "OK"]));
    expect(await gate(gateEvent())).toEqual({ hookStatus: "SUCCEEDED" });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(2);
  });

  it("500s until the deadline: IN_PROGRESS carrying the gate's settings and the attempt, nothing else", async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(serverError());
    expect(await gate(gateEvent({ unrelated: "x".repeat(5000) }))).toEqual({ hookStatus: "IN_PROGRESS", callBackDelay: 30, hookDetails: { alarmNames: NAMES, maxAttempts: 5, callBackDelaySeconds: 30, attempt: 1 } });
    // One call and one per backoff step.
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(5);
  });

  it("a call that never answers times out per request and the invocation answers before its deadline", async () => {
    cloudwatch.on(DescribeAlarmsCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const response = await gate(gateEvent());
    const elapsed = Date.now() - started;
    expect(response).toEqual({ hookStatus: "IN_PROGRESS", callBackDelay: 30, hookDetails: { alarmNames: NAMES, maxAttempts: 5, callBackDelaySeconds: 30, attempt: 1 } });
    expect(elapsed).toBeLessThan(FAST.deadlineMs + 100);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).length).toBeGreaterThanOrEqual(3);
    expect(logs[0]).toMatchObject({ decision: "IN_PROGRESS", reason: expect.stringContaining("RequestTimeout: no answer within 100 ms") });
  });

  it("the deadline stays inside the Lambda's remaining time", async () => {
    cloudwatch.on(DescribeAlarmsCommand).callsFake(() => new Promise(() => undefined));
    const slowGate = createAlarmGate(mockedClient, mockedEcs, { ...FAST, requestTimeoutMs: 10_000, deadlineMs: 20_000 });
    const started = Date.now();
    // 3.3 s left in the invocation: 3 s are kept for answering, so the gate gives up after about 300 ms.
    const response = await slowGate(gateEvent(), { getRemainingTimeInMillis: () => 3300 });
    expect(response.hookStatus).toBe("IN_PROGRESS");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("the last attempt that still cannot read the alarms fails closed", async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(serverError());
    const response = await gate(gateEvent({ attempt: 4 }));
    expect(response).toEqual({ hookStatus: "FAILED", hookDetails: { reason: "cannot read the alarms (InternalServiceFault: Internal failure (after 5 calls)); failing closed" } });
  });

  it("a NextToken that never ends is followed at most maxPages times, then fails closed", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"], "again"));
    const response = await gate(gateEvent());
    expect(response).toEqual({
      hookStatus: "FAILED",
      hookDetails: { reason: "cannot read the alarms (DescribeAlarms still returned a NextToken after 5 pages for 2 names); failing closed" },
    });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(5);
  });

  it("follows real pages and asks for up to 100 names per call, metric and composite alarms alike", async () => {
    const names = Array.from({ length: 150 }, (_, index) => `alarm-${index}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) => {
      const half = input.NextToken ? input.AlarmNames.slice(50) : input.AlarmNames.slice(0, 50);
      return { MetricAlarms: half.map((name) => ({ AlarmName: name, StateValue: "OK" })), NextToken: input.NextToken || input.AlarmNames.length <= 50 ? undefined : "second" };
    });
    expect(await gate(gateEvent({ alarmNames: names }))).toEqual({ hookStatus: "SUCCEEDED" });
    const inputs = cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.AlarmNames?.length, input.NextToken, input.MaxRecords])).toEqual([
      [100, undefined, 100],
      [100, "second", 100],
      [50, undefined, 100],
    ]);
    expect(inputs[0].AlarmTypes).toEqual(["MetricAlarm", "CompositeAlarm"]);
  });

  it("access denied is not transient: FAILED at the first call", async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error("not allowed"), { name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 } }));
    expect((await gate(gateEvent())).hookStatus).toBe("FAILED");
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it("responses stay small when many alarms fire: the reason is cut, nothing of hookDetails is echoed", async () => {
    const names = Array.from({ length: 300 }, (_, index) => `very-long-alarm-name-of-service-checkout-${index}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.map((name) => ({ AlarmName: name, StateValue: "ALARM", StateReason: "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (1.0)." })),
    }));
    const response = await gate(gateEvent({ alarmNames: names }));
    expect(response.hookStatus).toBe("FAILED");
    expect(Object.keys(response.hookDetails ?? {})).toEqual(["reason"]);
    expect(JSON.stringify(response).length).toBeLessThan(1100);
  });
});

describe("incident override (ECS lets a fix ship while an alarm fires; the gate may too, on the record)", () => {
  const gate = createAlarmGate(mockedClient, mockedEcs, FAST);

  it("without an override a firing alarm fails the deployment", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["ALARM", "OK"]));
    expect((await gate(gateEvent())).hookStatus).toBe("FAILED");
  });

  it("with an override the deployment proceeds, and the log line names the reason and the alarms it let through", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["ALARM", "OK"]));
    expect(await gate(gateEvent({ override: "INC-4711: roll forward the checkout fix" }))).toEqual({ hookStatus: "SUCCEEDED" });
    expect(logs).toEqual([
      expect.objectContaining({
        hook: "alarm-gate",
        decision: "SUCCEEDED",
        override: "INC-4711: roll forward the checkout fix",
        overridden: ["svc-error-rate"],
        alarmStates: { "svc-error-rate": "ALARM", "svc-latency": "OK" },
      }),
    ]);
  });

  it("an override does not excuse missing alarms or unreadable ones", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["ALARM"]));
    expect((await gate(gateEvent({ override: "INC-1" }))).hookDetails?.reason).toBe("alarms not found, so the deployment would be unguarded: svc-latency");
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error("no"), { name: "AccessDenied" }));
    expect((await gate(gateEvent({ override: "INC-1" }))).hookStatus).toBe("FAILED");
  });

  it("the stack file's override reaches the gate's hookDetails and the synth tree", async () => {
    const config = setPath(shippedConfig("production"), "release:services.checkout.alarmGate", { override: "INC-4711: roll forward" });
    const d = await synth(config, "production");
    const service = resource(d, "aws:ecs/service:Service", "checkout-service");
    const hooks = (service.inputs.deploymentConfiguration as { lifecycleHooks: { lifecycleStages: string[]; hookDetails: string }[] }).lifecycleHooks;
    const gateDetails = JSON.parse(hooks.find((hook) => hook.lifecycleStages[0] === "PRE_SCALE_UP")?.hookDetails ?? "{}");
    expect(gateDetails).toEqual({ alarmNames: expect.any(Array), maxAttempts: 5, callBackDelaySeconds: 30, override: "INC-4711: roll forward" });
    expect(String(resource(d, "release:aws:LifecycleHooks", "checkout-hooks").outputs.summary)).toMatch(
      /; alarm gate OVERRIDDEN: INC-4711: roll forward \(a deployment that starts with an alarm in ALARM has NO alarm rollback: ECS ignores the alarm configuration for the whole deployment\)$/,
    );
    // Said on every synth while the override stays, and on the alert topic when the gate lets such a deployment through.
    expect(d.diagnostics.map((diagnostic) => diagnostic.message)).toContain(
      `release:services.checkout.alarmGate.override: "INC-4711: roll forward": a deployment that starts with an alarm in ALARM has NO alarm rollback: ECS ignores the alarm configuration for the whole deployment. The gate lets such a deployment through, logs "${NO_ALARM_ROLLBACK}" and tells the alert topic; watch it by hand, and remove the override once the fix is out`,
    );
    const filter = resource(d, "aws:cloudwatch/logMetricFilter:LogMetricFilter", "checkout-hooks-no-alarm-rollback").inputs;
    expect(filter).toMatchObject({ logGroupName: "/aws/lambda/production-checkout-alarm-gate", pattern: JSON.stringify(NO_ALARM_ROLLBACK) });
    const alarm = resource(d, "aws:cloudwatch/metricAlarm:MetricAlarm", "checkout-hooks-no-alarm-rollback").inputs;
    expect(alarm).toMatchObject({ metricName: (filter.metricTransformation as { name: string }).name, threshold: 1, alarmActions: [resource(d, "aws:sns/topic:Topic", "production-alerts").outputs.arn] });
    // Not one of the alarms ECS rolls back on: it reports, it does not guard.
    expect((resource(d, "aws:ecs/service:Service", "checkout-service").inputs.alarms as { alarmNames: string[] }).alarmNames).not.toContain(alarm.name);
    expect(resourcesOf(d, "aws:cloudwatch/logMetricFilter:LogMetricFilter").map((resource) => resource.name)).toEqual(["checkout-hooks-no-alarm-rollback"]);
    expect(String(resource(d, "release:aws:LifecycleHooks", "catalog-hooks").outputs.summary)).toMatch(/; alarm gate$/);
    expect(resourcesOf(d, "aws:lambda/function:Function").find((fn) => fn.name === "checkout-hooks-alarm-gate")?.inputs.timeout).toBe(30);
  });

  it("the boolean form keeps working, and an override on a disabled gate is an error", () => {
    expect(configError(setPath(shippedConfig("production"), "release:services.checkout.alarmGate", { enabled: true }), "production")).toBeUndefined();
    expect(configError(setPath(shippedConfig("production"), "release:services.checkout.alarmGate", { enabled: false, override: "INC-1" }), "production")).toBe(
      'Pulumi.production.yaml: release:services.checkout.alarmGate.override: applies only to an enabled alarm gate: remove it, or set alarmGate.enabled (got "INC-1")',
    );
    expect(configError(setPath(shippedConfig("production"), "release:services.checkout.alarmGate", { override: "" }), "production")).toContain(
      "release:services.checkout.alarmGate.override: must not be empty",
    );
  });
});

/** A local stand-in for CloudWatch's JSON protocol (X-Amz-Target GraniteServiceVersion20100801.DescribeAlarms). */
async function fakeCloudWatch(answer: (body: Record<string, unknown>, response: ServerResponse, index: number) => void) {
  const requests: Record<string, unknown>[] = [];
  const histories: Record<string, unknown>[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let text = "";
    request.on("data", (chunk) => (text += chunk));
    request.on("end", () => {
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      // Each alarm's history since the deployment began: none here (the decisions are tested on the mocked client).
      if (String(request.headers["x-amz-target"]).endsWith(".DescribeAlarmHistory")) {
        histories.push(body);
        json(response, 200, { AlarmHistoryItems: [] });
        return;
      }
      requests.push({ target: request.headers["x-amz-target"], ...body });
      answer(body, response, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fakes.push(server);
  const client = new CloudWatchClient({
    region: "eu-west-1",
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  return { client, requests, histories };
}
const fakes: Server[] = [];
afterEach(async () => {
  await Promise.all(
    fakes.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
});

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.0", ...headers });
  response.end(JSON.stringify(body));
};
/** Time enough for a real SDK's first call on a busy machine; the never-answering test keeps FAST's 100 ms. */
const PATIENT: AlarmGateOptions = { ...FAST, requestTimeoutMs: 3000, deadlineMs: 8000 };
const ok = { MetricAlarms: NAMES.map((name) => ({ AlarmName: name, StateValue: "OK", StateReason: "fine" })) };

describe("alarm gate against a local fake CloudWatch endpoint (the real SDK, real HTTP)", () => {
  it("reads the alarms through the real protocol", async () => {
    const { client, requests, histories } = await fakeCloudWatch((_body, response) => json(response, 200, ok));
    expect(await createAlarmGate(client, mockedEcs, PATIENT)(gateEvent())).toEqual({ hookStatus: "SUCCEEDED" });
    expect(requests).toEqual([
      { target: "GraniteServiceVersion20100801.DescribeAlarms", AlarmNames: NAMES, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100 },
    ]);
    // Each alarm's state changes from the deployment's creation, through the real protocol (dates as epoch seconds).
    expect(histories.map((history) => [history.AlarmName, history.HistoryItemType, history.StartDate, history.ScanBy])).toEqual(
      NAMES.map((name) => [name, "StateUpdate", CREATED.getTime() / 1000, "TimestampAscending"]),
    );
  });

  it("an endpoint that never answers: per-request timeouts, retries, then IN_PROGRESS before the deadline", async () => {
    const { client, requests } = await fakeCloudWatch(() => undefined);
    const started = Date.now();
    const response = await createAlarmGate(client, mockedEcs, FAST)(gateEvent());
    expect(response).toEqual({ hookStatus: "IN_PROGRESS", callBackDelay: 30, hookDetails: { alarmNames: NAMES, maxAttempts: 5, callBackDelaySeconds: 30, attempt: 1 } });
    expect(Date.now() - started).toBeLessThan(FAST.deadlineMs + 150);
    expect(requests.length).toBeGreaterThanOrEqual(2);
  });

  it("a transient HTTP 500 is retried and the answer decides", async () => {
    const { client, requests } = await fakeCloudWatch((_body, response, index) =>
      index === 0 ? json(response, 500, { __type: "InternalServiceFault", message: "Internal failure" }, { "x-amzn-query-error": "InternalServiceError;Receiver" }) : json(response, 200, ok),
    );
    expect(await createAlarmGate(client, mockedEcs, PATIENT)(gateEvent())).toEqual({ hookStatus: "SUCCEEDED" });
    expect(requests).toHaveLength(2);
  });

  it("throttling is retried the same way", async () => {
    const { client, requests } = await fakeCloudWatch((_body, response, index) =>
      index < 2 ? json(response, 400, { __type: "Throttling", message: "Rate exceeded" }, { "x-amzn-query-error": "Throttling;Sender" }) : json(response, 200, ok),
    );
    expect(await createAlarmGate(client, mockedEcs, PATIENT)(gateEvent())).toEqual({ hookStatus: "SUCCEEDED" });
    expect(requests).toHaveLength(3);
  });

  it("endless pagination stops at the page cap", async () => {
    const { client, requests } = await fakeCloudWatch((body, response) => json(response, 200, { ...ok, NextToken: `${String(body.NextToken ?? "")}x` }));
    const response = await createAlarmGate(client, mockedEcs, PATIENT)(gateEvent());
    expect(response.hookStatus).toBe("FAILED");
    expect(requests.map((request) => request.NextToken)).toEqual([undefined, "x", "xx", "xxx", "xxxx"]);
  });
});

/** A StateUpdate item of DescribeAlarmHistory, `minutes` after the deployment's creation. */
const change = (name: string, minutes: number, from: string, to: string) => ({
  AlarmName: name,
  AlarmType: "MetricAlarm" as const,
  HistoryItemType: "StateUpdate" as const,
  Timestamp: new Date(CREATED.getTime() + minutes * 60_000),
  HistorySummary: `Alarm updated from ${from} to ${to}`,
  HistoryData: JSON.stringify({ version: "1.0", oldState: { stateValue: from, stateReason: "before" }, newState: { stateValue: to, stateReason: "after" } }),
});
/** Answers DescribeAlarmHistory per alarm name, as CloudWatch does for AlarmName. */
const history = (byName: Record<string, ReturnType<typeof change>[]>) =>
  cloudwatch.on(DescribeAlarmHistoryCommand).callsFake((input: { AlarmName: string }) => ({ AlarmHistoryItems: byName[input.AlarmName] ?? [] }));

describe("the gate judges each alarm from the deployment's start (ECS ignores alarms that start in ALARM)", () => {
  const gate = createAlarmGate(mockedClient, mockedEcs, FAST);
  const reason = async (extra: Record<string, unknown> = {}) => (await gate(gateEvent(extra))).hookDetails?.reason;

  it("reads the deployment's creation time and each alarm's state changes from then, metric and composite", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    expect(await gate(gateEvent())).toEqual({ hookStatus: "SUCCEEDED" });
    expect(ecs.commandCalls(DescribeServiceDeploymentsCommand).map((call) => call.args[0].input)).toEqual([{ serviceDeploymentArns: [DEPLOYMENT] }]);
    const inputs = cloudwatch.commandCalls(DescribeAlarmHistoryCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.AlarmName, input.StartDate, input.HistoryItemType, input.AlarmTypes])).toEqual(
      NAMES.map((name) => [name, CREATED, "StateUpdate", ["MetricAlarm", "CompositeAlarm"]]),
    );
    expect(logs[0]).toMatchObject({ decision: "SUCCEEDED", statesAtStart: { "svc-error-rate": "OK", "svc-latency": "OK" }, deploymentCreatedAt: CREATED.toISOString(), ecsAlarmsStatus: "MONITORING" });
  });

  it("an alarm in ALARM at the start that recovered before PRE_SCALE_UP fails: ECS is not watching this deployment", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    history({ "svc-latency": [change("svc-latency", 0.5, "ALARM", "OK")] });
    expect(await reason()).toBe("svc-latency was in ALARM when the deployment started, so ECS ignores the alarm configuration for the whole deployment");
  });

  it("an alarm that went into ALARM since the start and recovered fails too", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    history({ "svc-error-rate": [change("svc-error-rate", 0.2, "OK", "ALARM"), change("svc-error-rate", 0.8, "ALARM", "OK")] });
    expect(await reason()).toBe("went into ALARM since the deployment started: svc-error-rate");
  });

  it("INSUFFICIENT_DATA at the start and now passes (no traffic is no evidence of failure)", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["INSUFFICIENT_DATA", "OK"]));
    history({ "svc-latency": [change("svc-latency", 0.1, "INSUFFICIENT_DATA", "OK")] });
    expect((await gate(gateEvent())).hookStatus).toBe("SUCCEEDED");
  });

  it.each([
    ["DISABLED", { status: "DISABLED" }, "ECS reports this deployment's alarms as DISABLED: it is not using them to fail the deployment"],
    ["no alarms at all", null, "ECS reports this deployment's alarms as absent: it is not using them to fail the deployment"],
  ])("ECS reporting the deployment's alarms %s fails the gate", async (_label, alarms, expected) => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves(deployment(alarms) as never);
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    expect(await reason()).toBe(expected);
  });

  it.each([
    ["a lower-case state now", () => cloudwatch.on(DescribeAlarmsCommand).resolves(page(["alarm", "OK"])), 'svc-error-rate is "alarm"'],
    ["an unknown state now", () => cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "PENDING"])), 'svc-latency is "PENDING"'],
    [
      "an unknown state in the history",
      () => {
        cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
        history({ "svc-latency": [change("svc-latency", 0.3, "PENDING", "OK")] });
      },
      'svc-latency changed "PENDING" -> "OK"',
    ],
  ])("%s fails closed, override or not", async (_label, arrange, named) => {
    arrange();
    expect(await reason()).toBe(`alarm states the gate cannot judge, failing closed: ${named}`);
    expect(await reason({ override: "INC-1" })).toBe(`alarm states the gate cannot judge, failing closed: ${named}`);
  });

  it.each([
    ["history without its states", () => cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [{ ...change("svc-latency", 1, "OK", "ALARM"), HistoryData: "{}" }] }), "DescribeAlarmHistory returned a state change of svc-error-rate without its states or time"],
    ["a deployment ECS does not know", () => ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [], failures: [{ arn: DEPLOYMENT, reason: "MISSING" }] }), `DescribeServiceDeployments did not return ${DEPLOYMENT} (MISSING)`],
  ])("%s fails closed", async (_label, arrange, why) => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    arrange();
    expect(await reason()).toBe(`cannot read the alarms (${why}); failing closed`);
  });

  it("an event that names no service deployment fails closed: the start is unknown", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    expect(await reason({})).toBeUndefined();
    const response = await gate({ ...gateEvent(), resourceArn: "arn:aws:ecs:eu-west-1:123456789012:service/c/s" });
    expect(response.hookDetails?.reason).toContain("the event's resourceArn is not a service deployment");
  });

  it("a throttled DescribeServiceDeployments is retried like CloudWatch's calls", async () => {
    ecs.on(DescribeServiceDeploymentsCommand).rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })).resolves(deployment() as never);
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    expect((await gate(gateEvent())).hookStatus).toBe("SUCCEEDED");
    expect(ecs.commandCalls(DescribeServiceDeploymentsCommand)).toHaveLength(2);
  });

  it("with an override an unwatched deployment goes ahead, and the gate says loudly that nothing rolls it back", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    history({ "svc-latency": [change("svc-latency", 0.5, "ALARM", "OK")] });
    expect(await gate(gateEvent({ override: "INC-4711: roll forward" }))).toEqual({ hookStatus: "SUCCEEDED" });
    expect(logs).toEqual([
      expect.objectContaining({ decision: "SUCCEEDED", override: "INC-4711: roll forward", noAlarmRollback: true, warning: NO_ALARM_ROLLBACK, overridden: ["svc-latency"] }),
    ]);
    expect(String(logs[0].reason)).toContain(`${NO_ALARM_ROLLBACK}: no alarm rolls it back, watch it by hand`);
  });

  it("an override on a watched deployment with an alarm that fired since the start passes without the warning (ECS still watches)", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(page(["OK", "OK"]));
    history({ "svc-error-rate": [change("svc-error-rate", 0.2, "OK", "ALARM"), change("svc-error-rate", 0.4, "ALARM", "OK")] });
    expect(await gate(gateEvent({ override: "INC-1" }))).toEqual({ hookStatus: "SUCCEEDED" });
    expect(logs[0]).not.toHaveProperty("noAlarmRollback");
  });

  it("a gate switched off passes at once and reads nothing", async () => {
    expect(await gate({ ...gateEvent(), hookDetails: { enabled: false } })).toEqual({ hookStatus: "SUCCEEDED" });
    expect(cloudwatch.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });
});
