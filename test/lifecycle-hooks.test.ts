import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeServiceDeploymentsCommand, ECSClient } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { buildHookUncached, bundleHook } from "../components/lifecycle-hooks/bundle";
import { createAlarmGate } from "../components/lifecycle-hooks/handlers/alarm-gate";
import { parseHookEvent } from "../components/lifecycle-hooks/handlers/hook-event";
import { handler as smokeTest } from "../components/lifecycle-hooks/handlers/smoke-test";
import { resource, resourcesOf, shippedConfig, synth } from "./helpers";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";

type Answer = (path: string, index: number) => { status: number; delayMs?: number };

/** A real HTTP server on 127.0.0.1 answering by a rule; closed after each test. */
async function serve(answer: Answer): Promise<{ url: string; server: Server; requests: () => number }> {
  let count = 0;
  const server = createServer((request, response) => {
    const { status, delayMs } = answer(request.url ?? "/", count++);
    setTimeout(() => {
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(String(status));
    }, delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, requests: () => count };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  vi.restoreAllMocks();
});
beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
});

function event(hookDetails: Record<string, unknown>) {
  return {
    executionId: "exec-1",
    lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
    resourceArn: "arn:aws:ecs:eu-west-1:123456789012:service-deployment/c/s/1",
    executionDetails: {
      serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/c/s",
      targetServiceRevisionArn: "arn:aws:ecs:eu-west-1:123456789012:service-revision/c/s/2",
    },
    hookDetails,
  };
}

async function smoke(answer: Answer, settings: Record<string, unknown> = {}) {
  const { url, server, requests } = await serve(answer);
  servers.push(server);
  const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, minSuccessRate: 0.95, timeoutMs: 500, ...settings }));
  return { response, requests: requests() };
}

describe("smoke test against a real server", () => {
  it("all 200s succeed, with every sample sent", async () => {
    const { response, requests } = await smoke(() => ({ status: 200 }));
    expect(response.hookStatus).toBe("SUCCEEDED");
    expect(requests).toBe(20);
  });

  it("all 500s fail, and the reason says what came back", async () => {
    const { response } = await smoke(() => ({ status: 500 }));
    expect(response.hookStatus).toBe("FAILED");
    expect(response.hookDetails?.reason).toBe('0/20 succeeded, 20 failures where at most 3 pass at minSuccessRate 0.95; answers {"500":20}');
  });

  it("a mix exactly at the threshold succeeds (19 of 20 at 95%)", async () => {
    const { response } = await smoke((_path, index) => ({ status: index === 7 ? 500 : 200 }));
    expect(response.hookStatus).toBe("SUCCEEDED");
  });

  it("sampling noise passes (17 of 20 at 95%: a 95% version shows 3 failures often enough)", async () => {
    const { response } = await smoke((_path, index) => ({ status: index < 3 ? 500 : 200 }));
    expect(response.hookStatus).toBe("SUCCEEDED");
  });

  it("more failures than a 95% version shows 95% of the time fail (16 of 20)", async () => {
    const { response } = await smoke((_path, index) => ({ status: index < 4 ? 500 : 200 }));
    expect(response.hookStatus).toBe("FAILED");
    expect(response.hookDetails?.reason).toContain("16/20 succeeded, 4 failures where at most 3 pass");
  });

  it("answers slower than the timeout count as failures", async () => {
    const { response } = await smoke(() => ({ status: 200, delayMs: 300 }), { timeoutMs: 100, samples: 5 });
    expect(response.hookStatus).toBe("FAILED");
    expect(response.hookDetails?.reason).toContain('answers {"timeout":5}');
  });

  it("probes every configured path", async () => {
    const seen = new Set<string>();
    const { response } = await smoke((path) => {
      seen.add(path);
      return { status: 200 };
    }, { paths: ["/healthz", "/checkout/ping"], samples: 3 });
    expect(response.hookStatus).toBe("SUCCEEDED");
    expect([...seen].sort()).toEqual(["/checkout/ping", "/healthz"]);
  });

  it("sends the configured Host header", async () => {
    let host = "";
    const { server, url } = await serve(() => ({ status: 200 }));
    servers.push(server);
    server.prependListener("request", (request) => {
      host = request.headers.host ?? "";
    });
    await smokeTest(event({ url, paths: ["/"], samples: 1, timeoutMs: 500, hostHeader: "shop.example.com" }));
    expect(host).toBe("shop.example.com");
  });

  it("a closed port means not ready: IN_PROGRESS with a callback delay and the attempt counted", async () => {
    const { url, server } = await serve(() => ({ status: 200 }));
    await new Promise((resolve) => server.close(resolve));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 3, timeoutMs: 500, maxAttempts: 3 }));
    expect(response).toEqual({ hookStatus: "IN_PROGRESS", callBackDelay: 30, hookDetails: { url, paths: ["/healthz"], samples: 3, timeoutMs: 500, maxAttempts: 3, attempt: 1 } });
  });

  it("a server that never comes up fails once the attempts run out", async () => {
    const { url, server } = await serve(() => ({ status: 200 }));
    await new Promise((resolve) => server.close(resolve));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 3, timeoutMs: 500, maxAttempts: 3, attempt: 2 }));
    expect(response.hookStatus).toBe("FAILED");
    expect(response.hookDetails?.reason).toBe('test listener not ready after 3 attempts ({"ECONNREFUSED":3})');
  });

  it("a server that comes up late: IN_PROGRESS while it answers 503, then SUCCEEDED, carrying the state between calls", async () => {
    let up = false;
    const { url, server } = await serve(() => ({ status: up ? 200 : 503 }));
    servers.push(server);
    const settings = { url, paths: ["/healthz"], samples: 5, timeoutMs: 500 };
    const first = await smokeTest(event(settings));
    expect(first).toMatchObject({ hookStatus: "IN_PROGRESS", hookDetails: { attempt: 1 } });
    up = true;
    // Merged with the configured hookDetails or in their place (ECS's docs do not say which): either way it decides.
    const merged = await smokeTest(event({ ...settings, ...first.hookDetails }));
    expect(merged.hookStatus).toBe("SUCCEEDED");
    const replaced = await smokeTest(event({ ...first.hookDetails }));
    expect(replaced.hookStatus).toBe("SUCCEEDED");
  });

  it("a malformed event fails with a reason instead of throwing", async () => {
    for (const bad of [undefined, null, "not json", 42, { hookDetails: "{broken" }, { hookDetails: { url: "ftp://x", paths: ["/"] } }]) {
      const response = await smokeTest(bad);
      expect(response.hookStatus).toBe("FAILED");
      expect(typeof response.hookDetails?.reason).toBe("string");
    }
  });

  it("an old-shape event (execution details at the top level, hookDetails as a JSON string) works", async () => {
    const { url, server } = await serve(() => ({ status: 200 }));
    servers.push(server);
    const response = await smokeTest({
      executionId: "e",
      lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
      serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/c/s",
      hookDetails: JSON.stringify({ url, paths: ["/"], samples: 2, timeoutMs: 500 }),
    });
    expect(response.hookStatus).toBe("SUCCEEDED");
    expect(parseHookEvent({ serviceArn: "arn:x", targetServiceRevisionArn: "arn:y" })).toMatchObject({ serviceArn: "arn:x", targetServiceRevisionArn: "arn:y" });
  });

  it("logs one structured line per decision", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    await smoke(() => ({ status: 200 }), { samples: 2 });
    expect(log).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(log.mock.calls[0][0]))).toMatchObject({ hook: "smoke-test", decision: "SUCCEEDED", executionId: "exec-1", requests: 2 });
  });
});

describe("alarm gate", () => {
  const cloudwatch = mockClient(CloudWatchClient);
  const ecs = mockClient(ECSClient);
  beforeEach(() => {
    cloudwatch.reset();
    ecs.reset();
    cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: event({}).resourceArn, createdAt: new Date("2026-12-06T20:00:00Z"), alarms: { status: "MONITORING" } }],
    });
  });
  const gate = createAlarmGate(new CloudWatchClient({ region: "eu-west-1" }), new ECSClient({ region: "eu-west-1" }), { requestTimeoutMs: 1000, deadlineMs: 5000, backoffMs: [0, 0], maxPages: 5 });
  const gateEvent = (extra: Record<string, unknown> = {}) => ({ ...event({ alarmNames: ["svc-error-rate", "svc-latency"], ...extra }), lifecycleStage: "PRE_SCALE_UP" });
  const alarms = (...states: string[]) => ({
    MetricAlarms: states.map((state, index) => ({ AlarmName: ["svc-error-rate", "svc-latency"][index], StateValue: state as "OK", StateReason: `reason ${index}` })),
  });

  it("passes when every alarm is OK, asking for exactly the service's alarms", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms("OK", "OK"));
    expect(await gate(gateEvent())).toEqual({ hookStatus: "SUCCEEDED" });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input.AlarmNames).toEqual(["svc-error-rate", "svc-latency"]);
  });

  it("fails when an alarm is already in ALARM, naming it", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms("OK", "ALARM"));
    const response = await gate(gateEvent());
    expect(response.hookStatus).toBe("FAILED");
    expect(response.hookDetails?.reason).toBe(
      "svc-latency was in ALARM when the deployment started, so ECS ignores the alarm configuration for the whole deployment; in ALARM now: svc-latency (reason 1)",
    );
  });

  it("passes INSUFFICIENT_DATA: no traffic is no evidence of failure", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms("INSUFFICIENT_DATA", "OK"));
    expect((await gate(gateEvent())).hookStatus).toBe("SUCCEEDED");
  });

  it("fails closed when an alarm does not exist", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(alarms("OK"));
    const response = await gate(gateEvent());
    expect(response.hookStatus).toBe("FAILED");
    expect(response.hookDetails?.reason).toContain("alarms not found, so the deployment would be unguarded: svc-latency");
  });

  it("retries a throttled call and decides on the answer", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    cloudwatch.on(DescribeAlarmsCommand).rejectsOnce(throttled).resolves(alarms("OK", "OK"));
    expect((await gate(gateEvent())).hookStatus).toBe("SUCCEEDED");
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(2);
  });

  it("still throttled after retries: IN_PROGRESS, then FAILED once the attempts run out", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    cloudwatch.on(DescribeAlarmsCommand).rejects(throttled);
    const first = await gate(gateEvent());
    expect(first).toMatchObject({ hookStatus: "IN_PROGRESS", callBackDelay: 30, hookDetails: { attempt: 1 } });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(3);
    const last = await gate(gateEvent({ attempt: 4, maxAttempts: 5 }));
    expect(last.hookStatus).toBe("FAILED");
    expect(last.hookDetails?.reason).toBe("cannot read the alarms (Throttling: Rate exceeded (after 3 calls)); failing closed");
  });

  it("access denied fails at once", async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error("no"), { name: "AccessDenied" }));
    const response = await gate(gateEvent());
    expect(response.hookStatus).toBe("FAILED");
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)).toHaveLength(1);
  });

  it("an event without alarm names fails instead of passing unguarded", async () => {
    expect((await gate({ hookDetails: {} })).hookStatus).toBe("FAILED");
    expect((await gate("garbage")).hookStatus).toBe("FAILED");
  });
});

describe("hook functions under mocks", () => {
  it("the smoke test runs in the private subnets with the security group the test listener admits", async () => {
    const d = await synth(shippedConfig("staging"));
    const fn = resource(d, "aws:lambda/function:Function", "checkout-hooks-smoke-test");
    expect(fn.inputs.vpcConfig).toEqual({
      subnetIds: ["subnet-0b1b2c3d4e5f60003", "subnet-0b1b2c3d4e5f60004"],
      securityGroupIds: [resource(d, "aws:ec2/securityGroup:SecurityGroup", "staging-hooks").outputs.id],
    });
    expect(fn.inputs.timeout).toBeGreaterThan(0);
  });

  it("the ECS hook role trusts ecs.amazonaws.com and may only invoke this service's hook functions", async () => {
    const d = await synth(shippedConfig("staging"));
    const role = resource(d, "aws:iam/role:Role", "checkout-hooks-invoke");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal).toEqual({ Service: "ecs.amazonaws.com" });
    const policy = JSON.parse(String(resource(d, "aws:iam/rolePolicy:RolePolicy", "checkout-hooks-invoke").inputs.policy));
    expect(policy.Statement).toEqual([
      {
        Sid: "InvokeHooks",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: [
          resource(d, "aws:lambda/function:Function", "checkout-hooks-smoke-test").outputs.arn,
          resource(d, "aws:lambda/function:Function", "checkout-hooks-alarm-gate").outputs.arn,
        ],
      },
    ]);
  });

  it("the alarm gate may describe alarms on *, the only scope that returns composite alarms", async () => {
    const d = await synth(shippedConfig("staging"));
    const policy = JSON.parse(String(resource(d, "aws:iam/rolePolicy:RolePolicy", "checkout-hooks-alarm-gate").inputs.policy));
    expect(policy.Statement[1]).toEqual({ Sid: "ReadServiceAlarms", Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" });
  });

  it("the service calls the smoke test after test traffic shifts and the gate before scale-up, with settings in hookDetails", async () => {
    const d = await synth(shippedConfig("staging"));
    const hooks = (resource(d, "aws:ecs/service:Service", "checkout-service").inputs.deploymentConfiguration as { lifecycleHooks: Record<string, unknown>[] })
      .lifecycleHooks;
    expect(hooks.map((hook) => hook.lifecycleStages)).toEqual([["POST_TEST_TRAFFIC_SHIFT"], ["PRE_SCALE_UP"]]);
    const smokeDetails = JSON.parse(String(hooks[0].hookDetails));
    expect(smokeDetails).toMatchObject({ paths: ["/checkout/ping", "/checkout/cart/health"], samples: 10, minSuccessRate: 0.95, timeoutMs: 2000 });
    expect(smokeDetails.url).toMatch(/^http:\/\/staging-\d+\.eu-west-1\.elb\.amazonaws\.com:9000$/);
    expect(JSON.parse(String(hooks[1].hookDetails)).alarmNames).toEqual([
      ...builtInAlarmNames("staging", "checkout"),
      "staging-checkout-task-start-impaired",
    ]);
  });

  it("dev's hooks are off unless set: only the switched-off gate stays (an emptied hook list never reaches ECS), and its alarms still roll back", async () => {
    const d = await synth(shippedConfig("dev"), "dev");
    expect(resourcesOf(d, "aws:lambda/function:Function").map((fn) => fn.name)).toEqual(["checkout-hooks-alarm-gate"]);
    const service = resource(d, "aws:ecs/service:Service", "checkout-service");
    const hooks = (service.inputs.deploymentConfiguration as { lifecycleHooks: { hookDetails: string; lifecycleStages: string[] }[] }).lifecycleHooks;
    expect(hooks.map((hook) => [hook.lifecycleStages, JSON.parse(hook.hookDetails)])).toEqual([[["PRE_SCALE_UP"], { enabled: false }]]);
    expect((service.inputs.alarms as { rollback: boolean }).rollback).toBe(true);
  });

  it("hook log groups keep logs for the tier's retention", async () => {
    const d = await synth(shippedConfig("production"), "production");
    expect(resource(d, "aws:cloudwatch/logGroup:LogGroup", "checkout-hooks-smoke-test").inputs.retentionInDays).toBe(90);
  });
});

describe("bundles", () => {
  it("are byte-identical across builds and within the size targets", () => {
    const smokeBundle = bundleHook("smoke-test");
    const gateBundle = bundleHook("alarm-gate");
    expect(smokeBundle.bytes).toBeLessThan(50_000);
    expect(gateBundle.bytes).toBeLessThan(500_000);
    expect(smokeBundle.code).toContain("handler");
    // Two fresh esbuild builds, and the (possibly cached) bundle, are the same bytes.
    for (const name of ["smoke-test", "alarm-gate"] as const) {
      const fresh = buildHookUncached(name);
      expect(buildHookUncached(name)).toBe(fresh);
      expect(bundleHook(name).code).toBe(fresh);
    }
  });

  it("the asset in the synthesized graph is identical across two synths", async () => {
    const first = await synth(shippedConfig("staging"));
    const second = await synth(shippedConfig("staging"));
    const code = (d: typeof first) => resource(d, "aws:lambda/function:Function", "checkout-hooks-smoke-test").inputs.code;
    expect(code(second)).toEqual(code(first));
    expect(JSON.stringify(code(first))).toMatch(/\[asset sha256:[0-9a-f]{64}, \d+ bytes\]/);
  });
});
