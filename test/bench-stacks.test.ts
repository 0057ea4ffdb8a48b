import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { environmentStack, ENVIRONMENT_STACK, loadBalancerName, serviceStack, stackOutputsFile } from "../bench/split-stacks";
import { ENVIRONMENT_OUTPUT, LOAD_BALANCER_NAME, ROUTES_PER_LOAD_BALANCER } from "../components/environment/contract";
import { synthesize } from "../src/synth/capture";
import { loadStack } from "../src/synth/run";

/** `npm run bench`'s split stacks measure what they claim: valid stack files of the size they are named after. */

interface RouteEntry {
  readonly loadBalancer?: string;
}

const routesOf = (path: string) => (parse(readFileSync(path, "utf8")) as { config: { "release:routes": Record<string, RouteEntry> } }).config["release:routes"];

describe("the benchmark's split stacks", () => {
  it.each([50, 250, 500])("an environment stack of %i routes fills load balancers main, b, c, ... of at most 50 routes and loads without a problem", (count) => {
    const path = environmentStack(count);
    const routes = Object.values(routesOf(path));
    expect(routes).toHaveLength(count);
    const perLoadBalancer = new Map<string, number>();
    for (const route of routes) perLoadBalancer.set(route.loadBalancer ?? "main", (perLoadBalancer.get(route.loadBalancer ?? "main") ?? 0) + 1);
    expect([...perLoadBalancer.keys()]).toEqual(Array.from({ length: Math.ceil(count / ROUTES_PER_LOAD_BALANCER) }, (_, index) => loadBalancerName(index)));
    expect(Math.max(...perLoadBalancer.values())).toBe(ROUTES_PER_LOAD_BALANCER);
    for (const name of perLoadBalancer.keys()) expect(name).toMatch(LOAD_BALANCER_NAME);
    expect(() => loadStack({ stack: "production", configFile: path })).not.toThrow();
  });

  it("names no more load balancers than an environment may have", () => {
    expect(loadBalancerName(10)).toBe("k");
    expect(() => loadBalancerName(11)).toThrow(/at most 11 load balancers/);
  });

  it("joins the service stack to the contract the environment stack's synthesis exports", async () => {
    const environment = await synthesize({ config: loadStack({ stack: "production", configFile: environmentStack(50) }) });
    const outputs = stackOutputsFile(50, environment.outputs);
    const written = JSON.parse(readFileSync(outputs, "utf8")) as Record<string, Record<string, unknown>>;
    expect(written[ENVIRONMENT_STACK][ENVIRONMENT_OUTPUT]).toEqual(environment.outputs[ENVIRONMENT_OUTPUT]);
    const config = loadStack({ stack: "production", configFile: serviceStack(), stackOutputsFile: outputs });
    expect(config.name).toBe("checkout");
    const service = await synthesize({ config, stackOutputs: written, stackOutputsFile: outputs });
    const ecsServices = service.resources.filter((resource) => resource.type === "aws:ecs/service:Service");
    expect(ecsServices).toHaveLength(1);
    expect(JSON.stringify(ecsServices[0])).toContain("checkout");
  }, 60_000);
});
