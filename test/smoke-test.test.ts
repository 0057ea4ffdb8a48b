import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  allowedFailures,
  binomialCdf,
  describeSmokeDecision,
  FALSE_FAILURE_LEVEL,
  smokeDecisionRates,
  smokeSettingsProblems,
} from "../components/lifecycle-hooks/handlers/smoke-decision";
import { decide, handler as smokeTest, type ProbeOutcome, readSettings, type SmokeTestSettings } from "../components/lifecycle-hooks/handlers/smoke-test";
import { LifecycleHooks } from "../components/lifecycle-hooks/lifecycle-hooks";
import { configError, resource, resourcesOf, setPath, shippedConfig, synth } from "./helpers";

interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** A real HTTP server on 127.0.0.1; `answer` writes the response (or never does). */
async function serve(answer: (path: string, response: ServerResponse, origin: string) => void) {
  const seen: Seen[] = [];
  let origin = "";
  const server = createServer((request, response) => {
    seen.push({ path: request.url ?? "/", headers: request.headers });
    answer(request.url ?? "/", response, origin);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return { url: origin, seen };
}

const send = (response: ServerResponse, status: number, headers: Record<string, string> = {}) => {
  response.writeHead(status, { "content-type": "text/plain", ...headers });
  response.end(String(status));
};

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
  vi.restoreAllMocks();
});
beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
});

const event = (hookDetails: Record<string, unknown>) => ({
  executionId: "exec-1",
  lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
  executionDetails: { serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/c/s" },
  hookDetails,
});

describe("the decision accounts for sample size", () => {
  it("binomialCdf agrees with a direct sum (20 requests, 3% errors, at most 1 failure: 88.0%)", () => {
    expect(binomialCdf(20, 1, 0.03)).toBeCloseTo(0.97 ** 20 + 20 * 0.03 * 0.97 ** 19, 12);
    // The old rule (a share of at least minSuccessRate) failed such a version 12.0% of the time; at 60 and 97%, 54.1%.
    expect(1 - binomialCdf(20, 1, 0.03)).toBeCloseTo(0.1198, 4);
    expect(1 - binomialCdf(60, 1, 0.03)).toBeCloseTo(0.5408, 4);
  });

  it("allows the fewest failures that a version exactly at minSuccessRate exceeds at most 5% of the time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0.8, max: 0.999, noNaN: true }), (requests, rate) => {
        const allowed = allowedFailures(requests, rate);
        expect(1 - binomialCdf(requests, allowed, 1 - rate)).toBeLessThanOrEqual(FALSE_FAILURE_LEVEL + 1e-12);
        if (allowed > 0) expect(1 - binomialCdf(requests, allowed - 1, 1 - rate)).toBeGreaterThan(FALSE_FAILURE_LEVEL);
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("states the production settings' error rates: 20 requests at 95% and 60 at 97%", () => {
    expect(smokeDecisionRates(20, 0.95)).toMatchObject({ allowedFailures: 3, healthyErrorRate: expect.closeTo(0.05, 9), badErrorRate: expect.closeTo(0.1, 9) });
    expect(smokeDecisionRates(20, 0.95).falseFailureRate).toBeCloseTo(0.0159, 4);
    expect(smokeDecisionRates(20, 0.95).falsePassRate).toBeCloseTo(0.8670, 4);
    // The case: a version with 3% errors now fails 0.3% of the time at 20/95% (was 12%) and 3.4% at 60/97% (was 54%).
    expect(1 - binomialCdf(20, allowedFailures(20, 0.95), 0.03)).toBeCloseTo(0.0027, 4);
    expect(1 - binomialCdf(60, allowedFailures(60, 0.97), 0.03)).toBeCloseTo(0.034, 3);
    expect(describeSmokeDecision(20, 0.95)).toBe(
      "smoke 20 requests, passes with <= 3 errors: false failure 1.6% at 5.0% errors, false pass 86.7% at 10.0% errors",
    );
  });

  it("the handler's decision fails a healthy version as often as the stated rate (seeded simulation, 20,000 deployments)", () => {
    const settings = readSettings({ url: "http://x", paths: ["/"], samples: 20, minSuccessRate: 0.95 }) as SmokeTestSettings;
    // mulberry32: a small seeded generator, so the run is the same every time.
    let seed = 42;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const failRate = (errorRate: number) => {
      let failedRuns = 0;
      for (let run = 0; run < 20_000; run++) {
        const outcomes: ProbeOutcome[] = Array.from({ length: 20 }, () => (random() < errorRate ? { kind: "bad-status", status: 500 } : { kind: "ok", status: 200 }));
        if (decide(outcomes, settings, 0).hookStatus === "FAILED") failedRuns++;
      }
      return failedRuns / 20_000;
    };
    const rates = smokeDecisionRates(20, 0.95);
    expect(Math.abs(failRate(0.05) - rates.falseFailureRate)).toBeLessThan(0.005);
    expect(Math.abs(1 - failRate(0.1) - rates.falsePassRate)).toBeLessThan(0.015);
  });
});

describe("settings a smoke test refuses", () => {
  const base = { paths: ["/healthz"], samples: 20, minSuccessRate: 0.95, timeoutMs: 2000 };

  it("minSuccessRate below the 0.8 floor", () => {
    expect(smokeSettingsProblems({ ...base, minSuccessRate: 0 })).toEqual([
      { field: "minSuccessRate", message: "must be between 0.8 and 1: below 0.8 a version failing one request in five passes", got: 0 },
    ]);
    expect(smokeSettingsProblems({ ...base, samples: 30, minSuccessRate: 0.8 })).toEqual([]);
  });

  it("too few requests to fail a version that answers half of them with errors", () => {
    expect(smokeSettingsProblems({ ...base, samples: 5, minSuccessRate: 0.8 })).toEqual([
      {
        field: "samples",
        message: "too few to decide: 5 requests at minSuccessRate 0.8 pass a version failing half of them 81.2% of the time; use at least 28 samples per path (28 requests)",
        got: 5,
      },
    ]);
  });

  it("a worst case longer than Lambda's 900 s, naming the fields", () => {
    const [problem] = smokeSettingsProblems({ ...base, paths: ["/a", "/b", "/c"], samples: 500, timeoutMs: 10_000 });
    expect(problem).toEqual({
      field: "samples",
      message: "the worst case (3 paths x 500 samples x timeoutMs 10000 / 10 at a time, plus 10 s) takes 1510 s, over Lambda's 900 s per invocation: lower samples, paths or timeoutMs",
      got: 500,
    });
    expect(smokeSettingsProblems({ ...base, paths: ["/a", "/b", "/c"], samples: 290, timeoutMs: 10_000 })).toEqual([]);
  });

  it("expected statuses that are not statuses", () => {
    expect(smokeSettingsProblems({ ...base, expectedStatuses: "2xx" })[0]).toMatchObject({ field: "expectedStatuses", got: "2xx" });
    expect(smokeSettingsProblems({ ...base, expectedStatuses: "299-200" })[0]?.message).toBe("299-200 is not a range of HTTP statuses (100-599, low to high)");
    expect(smokeSettingsProblems({ ...base, expectedStatuses: "200-299,304" })).toEqual([]);
  });

  it("the component refuses them itself, before registering anything", () => {
    const args = { serviceName: "svc", namePrefix: "dev", alarmGate: { alarmNames: ["a"], alarmArns: ["arn:a"], override: " " } };
    const smoke = { url: "http://alb:9000", paths: ["/healthz"], subnetIds: [], securityGroupIds: [] };
    expect(() => new LifecycleHooks("svc-hooks", { ...args, smokeTest: { ...smoke, minSuccessRate: 0.5, expectedStatuses: "2xx" } })).toThrow(
      'LifecycleHooks svc-hooks: smokeTest.minSuccessRate must be between 0.8 and 1: below 0.8 a version failing one request in five passes (got 0.5); smokeTest.expectedStatuses expected status codes and ranges like "200-299,304" (got "2xx"); alarmGate.override must give a reason',
    );
  });

  it("the stack file gets each at its path, before anything is registered", () => {
    const config = shippedConfig("production");
    setPath(config, "release:services.checkout.smokeTest.minSuccessRate", 0);
    setPath(config, "release:services.catalog.smokeTest.samples", 500);
    setPath(config, "release:services.catalog.smokeTest.timeoutMs", 30000);
    setPath(config, "release:services.catalog.smokeTest.expectedStatuses", "ok");
    expect(configError(config, "production")?.split("\n")).toEqual([
      'Pulumi.production.yaml: release:services.catalog.smokeTest.expectedStatuses: expected status codes and ranges like "200-299,304" (got "ok")',
      "Pulumi.production.yaml: release:services.checkout.smokeTest.minSuccessRate: must be between 0.8 and 1: below 0.8 a version failing one request in five passes (got 0)",
    ]);
    setPath(config, "release:services.catalog.smokeTest.expectedStatuses", undefined);
    setPath(config, "release:services.checkout.smokeTest.minSuccessRate", undefined);
    expect(configError(config, "production")).toBe(
      "Pulumi.production.yaml: release:services.catalog.smokeTest.samples: the worst case (2 paths x 500 samples x timeoutMs 30000 / 10 at a time, plus 10 s) takes 3010 s, over Lambda's 900 s per invocation: lower samples, paths or timeoutMs (got 500)",
    );
  });

  it("a tier default that is too small is refused as well (dev's 0.8 needs 28 requests)", () => {
    const config = shippedConfig("dev");
    setPath(config, "release:services.checkout.smokeTest", { enabled: true, paths: ["/checkout/ping"], samples: 10 });
    expect(configError(config, "dev")).toContain("release:services.checkout.smokeTest.samples: too few to decide: 10 requests at minSuccessRate 0.8");
  });
});

describe("smoke test against real servers: redirects are what they are", () => {
  it("a 302 to itself is followed on the test listener and the page it leads to decides", async () => {
    const { url, seen } = await serve((path, response) => (path === "/healthz" ? send(response, 302, { location: "/healthz/ok" }) : send(response, 200)));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 500 }));
    expect(response).toEqual({ hookStatus: "SUCCEEDED" });
    expect(seen.filter((request) => request.path === "/healthz/ok")).toHaveLength(20);
  });

  it("a redirect that ends in errors fails", async () => {
    const { url } = await serve((path, response) => (path === "/healthz" ? send(response, 301, { location: `/broken` }) : send(response, 500)));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 500 }));
    expect(response.hookDetails?.reason).toBe('0/20 succeeded, 20 failures where at most 3 pass at minSuccessRate 0.95; answers {"500":20}');
  });

  it("a redirect to another host (a login page) fails, and that host is never called", async () => {
    const login = await serve((_path, response) => send(response, 200));
    const { url } = await serve((_path, response) => send(response, 302, { location: `${login.url}/login?next=/healthz` }));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 500 }));
    expect(response.hookStatus).toBe("FAILED");
    expect(response.hookDetails?.reason).toContain(`answers {"redirect to ${login.url}":20}`);
    expect(login.seen).toEqual([]);
  });

  it("an absolute redirect to the same origin is followed; to another port of the same host is not", async () => {
    const other = await serve((_path, response) => send(response, 200));
    const { url } = await serve((path, response, origin) =>
      path === "/same" ? send(response, 307, { location: `${origin}/ok` }) : path === "/ok" ? send(response, 200) : send(response, 308, { location: `${other.url}/ok` }),
    );
    expect(await smokeTest(event({ url, paths: ["/same"], samples: 20, timeoutMs: 500 }))).toEqual({ hookStatus: "SUCCEEDED" });
    expect((await smokeTest(event({ url, paths: ["/elsewhere"], samples: 20, timeoutMs: 500 }))).hookStatus).toBe("FAILED");
    expect(other.seen).toEqual([]);
  });

  it("a redirect loop fails after the hop limit, with a bounded number of requests", async () => {
    const { url, seen } = await serve((path, response) => send(response, 302, { location: path === "/a" ? "/b" : "/a" }));
    const response = await smokeTest(event({ url, paths: ["/a"], samples: 20, timeoutMs: 1000 }));
    expect(response.hookDetails?.reason).toContain('answers {"redirect-loop":20}');
    expect(seen).toHaveLength(20 * 6);
  });

  it("a redirect listed in expectedStatuses is a success and is not followed", async () => {
    const { url, seen } = await serve((_path, response) => send(response, 302, { location: "/login" }));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 500, expectedStatuses: "200-299,302" }));
    expect(response).toEqual({ hookStatus: "SUCCEEDED" });
    expect(seen).toHaveLength(20);
  });

  it("by default a 3xx that is not a redirect (304) is a failure", async () => {
    const { url } = await serve((_path, response) => send(response, 304));
    expect((await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 500 }))).hookDetails?.reason).toContain('answers {"304":20}');
  });
});

describe("smoke test against real servers: headers, timeouts, errors", () => {
  it("sends every hookDetails header and the Host header on every request, redirect hops included", async () => {
    const { url, seen } = await serve((path, response) => (path === "/start" ? send(response, 302, { location: "/next" }) : send(response, 200)));
    const response = await smokeTest(
      event({ url, paths: ["/start"], samples: 20, timeoutMs: 500, hostHeader: "shop.example.com", headers: { "x-release-test": "checkout", "x-other": "1" } }),
    );
    expect(response.hookStatus).toBe("SUCCEEDED");
    expect(seen).toHaveLength(40);
    for (const request of seen) {
      expect(request.headers).toMatchObject({ host: "shop.example.com", "x-release-test": "checkout", "x-other": "1" });
    }
  });

  it("an endpoint that never answers fails within the per-request timeout, not after the function's limit", async () => {
    const { url } = await serve(() => undefined);
    const started = Date.now();
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 100 }));
    const elapsed = Date.now() - started;
    expect(response.hookDetails?.reason).toContain('answers {"timeout":20}');
    // 20 requests, 10 at a time: two rounds of 100 ms.
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1000);
  });

  it("one timeout covers a request and its redirects", async () => {
    const { url } = await serve((path, response) => {
      if (path === "/start") setTimeout(() => send(response, 302, { location: "/slow" }), 80);
      else setTimeout(() => send(response, 200), 80);
    });
    const response = await smokeTest(event({ url, paths: ["/start"], samples: 20, timeoutMs: 120 }));
    expect(response.hookDetails?.reason).toContain('answers {"timeout":20}');
  });

  it("a version answering 500 everywhere fails even if hookDetails ask for minSuccessRate 0", async () => {
    const { url } = await serve((_path, response) => send(response, 500));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 500, minSuccessRate: 0 }));
    expect(response.hookDetails?.reason).toBe('0/20 succeeded, 20 failures where at most 7 pass at minSuccessRate 0.8; answers {"500":20}');
  });

  it("every response is small: FAILED carries only its reason, never the settings", async () => {
    const { url } = await serve((_path, response) => send(response, 500));
    const response = await smokeTest(event({ url, paths: ["/healthz"], samples: 20, timeoutMs: 500, headers: { "x-release-test": "checkout" } }));
    expect(Object.keys(response.hookDetails ?? {})).toEqual(["reason"]);
    expect(JSON.stringify(response)).not.toContain(url);
  });
});

describe("the smoke test in the synthesized program", () => {
  it("the synth tree states each service's error rates; hookDetails carry the expected statuses", async () => {
    const d = await synth(shippedConfig("production"), "production");
    const hooks = resourcesOf(d, "release:aws:LifecycleHooks").map((hook) => [hook.name, hook.outputs.summary]);
    expect(hooks).toEqual([
      ["catalog-hooks", "smoke 40 requests, passes with <= 4 errors: false failure 4.8% at 5.0% errors, false pass 62.9% at 10.0% errors; alarm gate"],
      ["checkout-hooks", "smoke 20 requests, passes with <= 3 errors: false failure 1.6% at 5.0% errors, false pass 86.7% at 10.0% errors; alarm gate"],
    ]);
    const service = resource(d, "aws:ecs/service:Service", "checkout-service");
    const [smokeHook] = (service.inputs.deploymentConfiguration as { lifecycleHooks: { hookDetails: string }[] }).lifecycleHooks;
    expect(JSON.parse(smokeHook.hookDetails)).toMatchObject({ samples: 20, minSuccessRate: 0.95, expectedStatuses: "200-299" });
  });

  it("the function's timeout is the worst case of its settings", async () => {
    const config = shippedConfig("production");
    setPath(config, "release:services.catalog.smokeTest.samples", 100);
    setPath(config, "release:services.catalog.smokeTest.timeoutMs", 5000);
    const d = await synth(config, "production");
    // 2 paths x 100 samples / 10 at a time x 5 s + 10 s.
    expect(resource(d, "aws:lambda/function:Function", "catalog-hooks-smoke-test").inputs.timeout).toBe(110);
  });
});
