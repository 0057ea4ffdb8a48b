import { describe, expect, it } from "vitest";
import { type ArgumentProblem, renderField } from "../components/arguments";
import type { EnvironmentContract, RouteContract } from "../components/environment/contract";
import type { ReleaseRouteArgs } from "../components/release-environment/args";
import { joinedServiceProblems, type RoutedService, routesProblems } from "../components/release-environment/routes";

const at = (problems: readonly ArgumentProblem[]) => problems.map((problem) => renderField(problem.field));
const messageAt = (problems: readonly ArgumentProblem[], field: string) => problems.filter((problem) => renderField(problem.field) === field).map((problem) => problem.message);

const ecs = (name: string, more: Partial<RoutedService["service"]> = {}, strategy = "canary"): RoutedService => ({
  name,
  service: { pathPatterns: [`/${name}/*`], priority: 100, ...more },
  strategy,
});

/** `count` routes over load balancers of `perBalancer` each, none colliding. */
function manyRoutes(count: number, perBalancer = 50): Record<string, ReleaseRouteArgs> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, index) => [
      `svc${index}`,
      { pathPatterns: [`/svc${index}/*`], priority: 10 + index, loadBalancer: index < perBalancer ? "main" : `lb${Math.floor(index / perBalancer)}` },
    ]),
  );
}

describe("routesProblems: an environment stack's routing table", () => {
  it("accepts routes with distinct priorities and conditions, beside its own services", () => {
    const routes = { checkout: { pathPatterns: ["/checkout/*"], priority: 20 }, catalog: { hostHeaders: ["catalog.example.com"], priority: 30 } };
    expect(routesProblems(routes, [ecs("search", { priority: 40 })])).toEqual([]);
  });

  it("refuses a route with neither pathPatterns nor hostHeaders (empty lists are none)", () => {
    const problems = routesProblems({ a: { priority: 1 }, b: { pathPatterns: [], hostHeaders: [], priority: 2 } }, []);
    expect(at(problems)).toEqual(["routes.a", "routes.b"]);
    expect(problems[0].message).toContain("needs pathPatterns or hostHeaders");
  });

  it("refuses two routes with one priority on one load balancer, at the later one's priority, naming the first", () => {
    const problems = routesProblems({ a: { pathPatterns: ["/a/*"], priority: 20 }, b: { pathPatterns: ["/b/*"], priority: 20 } }, []);
    expect(at(problems)).toEqual(["routes.b.priority"]);
    expect(problems[0].message).toBe("is also the priority of route a on load balancer main: ALB refuses two rules with one priority on a listener");
    expect(problems[0].got).toBe(20);
  });

  it("takes `main` for a route that names no load balancer", () => {
    expect(at(routesProblems({ a: { pathPatterns: ["/a/*"], priority: 20, loadBalancer: "main" }, b: { pathPatterns: ["/b/*"], priority: 20 } }, []))).toEqual(["routes.b.priority"]);
  });

  it("lets two load balancers use one priority each", () => {
    expect(routesProblems({ a: { pathPatterns: ["/a/*"], priority: 20 }, b: { pathPatterns: ["/b/*"], priority: 20, loadBalancer: "two" } }, [])).toEqual([]);
  });

  it("refuses a route on the priority of a service of the stack (services are on main)", () => {
    const problems = routesProblems({ a: { pathPatterns: ["/a/*"], priority: 100 } }, [ecs("search")]);
    expect(at(problems)).toEqual(["services.search.priority"]);
    expect(problems[0].message).toContain("route a on load balancer main: ALB refuses two rules with one priority on a listener");
    // On another load balancer the service's priority is free.
    expect(routesProblems({ a: { pathPatterns: ["/a/*"], priority: 100, loadBalancer: "two" } }, [ecs("search")])).toEqual([]);
  });

  it("leaves two services of the stack on one priority to crossServiceProblems (said once)", () => {
    expect(routesProblems({ a: { pathPatterns: ["/a/*"], priority: 1 } }, [ecs("x", { priority: 5 }), ecs("y", { priority: 5 })])).toEqual([]);
  });

  it("skips a service that takes no share of the environment's load balancer (a Kubernetes canary has its own)", () => {
    const kubernetesCanary = ecs("k", { runtime: "kubernetes", priority: 100 }, "canary");
    expect(routesProblems({ a: { pathPatterns: ["/k/*"], priority: 100 } }, [kubernetesCanary])).toEqual([]);
  });

  it("refuses two routes with identical conditions on one load balancer, order and host case aside: two services on one route", () => {
    const routes = {
      a: { pathPatterns: ["/x/*", "/y/*"], hostHeaders: ["Shop.example.com"], priority: 30 },
      b: { pathPatterns: ["/y/*", "/x/*"], hostHeaders: ["shop.example.com"], priority: 20 },
    };
    const problems = routesProblems(routes, []);
    // b comes first (priority 20): a is the one that never matches.
    expect(at(problems)).toEqual(["routes.a"]);
    expect(problems[0].message).toContain("same pathPatterns and hostHeaders as route b (priority 20) on load balancer main: two services on one route");
    expect(routesProblems({ ...routes, a: { ...routes.a, loadBalancer: "two" } }, [])).toEqual([]);
    expect(routesProblems({ ...routes, a: { ...routes.a, pathPatterns: ["/x/*"] } }, [])).toEqual([]);
  });

  it("refuses a route with a service's conditions", () => {
    expect(at(routesProblems({ a: { pathPatterns: ["/search/*"], priority: 30 } }, [ecs("search")]))).toEqual(["services.search"]);
  });

  it("refuses more than 50 routes on one load balancer, citing the quota", () => {
    const problems = routesProblems(manyRoutes(51, 51), []);
    expect(at(problems)).toEqual(["routes"]);
    expect(problems[0].message).toContain("load balancer main holds 51 routes: 102 target groups");
    expect(problems[0].message).toContain('"Target Groups per Application Load Balancer: 100", not adjustable');
    expect(routesProblems(manyRoutes(50, 50), [])).toEqual([]);
  });

  it("counts the stack's own services' target groups on main with the routes", () => {
    const routes = manyRoutes(49, 49);
    expect(routesProblems(routes, [ecs("own", { priority: 5000 }, "rolling")])).toEqual([]);
    const problems = routesProblems(routes, [ecs("own", { priority: 5000 }), ecs("own2", { priority: 5001 }, "rolling")]);
    expect(problems.map((problem) => problem.message)).toEqual([expect.stringContaining("holds 49 routes and the environment stack's own services' 3 target groups: 101 target groups")]);
  });

  it("spreads 250 routes over five load balancers without a problem", () => {
    expect(routesProblems(manyRoutes(250), [])).toEqual([]);
  });

  describe("the route of a service being moved out (a route named like a service of the stack)", () => {
    const service = ecs("search", { pathPatterns: ["/search/*"], hostHeaders: ["shop.example.com"], priority: 40 });

    it("accepts a route equal to the service, counted once (no collision with itself)", () => {
      expect(routesProblems({ search: { pathPatterns: ["/search/*"], hostHeaders: ["shop.example.com"], priority: 40 } }, [service])).toEqual([]);
      // 50 routes, one of them the service's: still one load balancer's worth.
      const routes = { ...manyRoutes(49, 49), search: { pathPatterns: ["/search/*"], hostHeaders: ["shop.example.com"], priority: 4000 } };
      expect(routesProblems(routes, [{ ...service, service: { ...service.service, priority: 4000 } }])).toEqual([]);
    });

    it("says each field that differs, at the route's field, with the service's value", () => {
      const problems = routesProblems({ search: { pathPatterns: ["/find/*"], priority: 41, loadBalancer: "two" } }, [service]);
      expect(at(problems)).toEqual(["routes.search.pathPatterns", "routes.search.hostHeaders", "routes.search.priority", "routes.search.loadBalancer"]);
      expect(messageAt(problems, "routes.search.pathPatterns")[0]).toContain('differs from services.search.pathPatterns (["/search/*"]): the route of a service being moved out');
      expect(messageAt(problems, "routes.search.priority")[0]).toContain("differs from services.search.priority (40)");
      expect(problems.find((problem) => renderField(problem.field) === "routes.search.hostHeaders")?.got).toEqual([]);
    });
  });

  it("stays fast at 500 routes (maps, no scan over pairs)", () => {
    const routes = manyRoutes(500);
    const services = Array.from({ length: 40 }, (_, index) => ecs(`own${index}`, { priority: 40000 + index }, "rolling"));
    const started = performance.now();
    for (let round = 0; round < 10; round++) routesProblems(routes, services);
    // Ten rounds of 540 rules; a quadratic scan of conditions takes far longer.
    expect((performance.now() - started) / 10).toBeLessThan(50);
  });
});

const route = (more: Partial<RouteContract> = {}): RouteContract => ({ pathPatterns: ["/checkout/*"], hostHeaders: [], priority: 20, loadBalancer: "main", ...more });
const contract = (routes: Record<string, RouteContract>): Pick<EnvironmentContract, "routes" | "loadBalancers"> => ({
  routes,
  loadBalancers: [{ name: "main", arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/1", arnSuffix: "app/shop/1", dnsName: "shop.elb", productionListenerArn: "arn:l:p", testListenerArn: "arn:l:t", securityGroupId: "sg-1" }],
});
const joined = (name: string, more: Partial<RoutedService["service"]> = {}, strategy = "canary"): RoutedService => ({ name, service: { ...more }, strategy });
const STACK = "acme/checkout/production";

describe("joinedServiceProblems: a service stack's services against the contract's routes", () => {
  it("accepts a service with a route open to any stack, or reserved for this one", () => {
    expect(joinedServiceProblems([joined("checkout")], contract({ checkout: route() }), STACK)).toEqual([]);
    expect(joinedServiceProblems([joined("checkout")], contract({ checkout: route({ stack: STACK }) }), STACK)).toEqual([]);
  });

  it("refuses a service with no route, suggesting the close route name", () => {
    const problems = joinedServiceProblems([joined("chekout")], contract({ checkout: route(), catalog: route({ priority: 30 }) }), STACK);
    expect(at(problems)).toEqual(["services.chekout"]);
    expect(problems[0].message).toBe("has no route in the environment (release:routes.chekout of the environment stack): the platform team adds it there first; did you mean checkout?");
  });

  it("lists the routes when none is close, and only a few", () => {
    expect(joinedServiceProblems([joined("payments")], contract({ checkout: route() }), STACK)[0].message).toContain("; its routes: checkout");
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`route${index}`, route({ priority: index + 1 })]));
    expect(joinedServiceProblems([joined("payments")], contract(eleven), STACK)[0].message).not.toContain("its routes");
  });

  it("refuses a route reserved for another stack, naming both", () => {
    const problems = joinedServiceProblems([joined("checkout")], contract({ checkout: route({ stack: "acme/payments/production" }) }), STACK);
    expect(at(problems)).toEqual(["services.checkout"]);
    expect(problems[0].message).toContain("reserved for stack acme/payments/production");
    expect(problems[0].message).toContain(`this stack is ${STACK}`);
  });

  it("refuses a service the environment stack still releases itself, even on a route reserved for this stack", () => {
    for (const reserved of [{}, { stack: STACK }]) {
      const problems = joinedServiceProblems([joined("checkout")], contract({ checkout: route({ ...reserved, releasedByEnvironment: true }) }), STACK, "acme/platform/production");
      expect(at(problems)).toEqual(["services.checkout"]);
      expect(problems[0].message).toBe(
        "is still released by the environment stack acme/platform/production (its release:services.checkout): finish moving it first (npm run migrate, step (c) and the environment stack's pulumi up)",
      );
    }
    expect(joinedServiceProblems([joined("checkout")], contract({ checkout: route({ releasedByEnvironment: true }) }), STACK)[0].message).toContain("is still released by the environment stack (its");
    // Another service of the stack, whose route the environment stack does not release, is not refused.
    expect(joinedServiceProblems([joined("catalog")], contract({ checkout: route({ releasedByEnvironment: true }), catalog: route({ priority: 30 }) }), STACK)).toEqual([]);
  });

  it("refuses pathPatterns, hostHeaders and priority on a service: they are the route's", () => {
    const problems = joinedServiceProblems([joined("checkout", { pathPatterns: ["/c/*"], hostHeaders: ["c.example.com"], priority: 3 })], contract({ checkout: route() }), STACK);
    expect(at(problems)).toEqual(["services.checkout.pathPatterns", "services.checkout.hostHeaders", "services.checkout.priority"]);
    expect(problems.map((problem) => problem.got)).toEqual([["/c/*"], ["c.example.com"], 3]);
  });

  it("refuses a route on a load balancer the contract does not export", () => {
    const problems = joinedServiceProblems([joined("checkout")], contract({ checkout: route({ loadBalancer: "two" }) }), STACK);
    expect(at(problems)).toEqual(["services.checkout"]);
    expect(problems[0].message).toContain("on load balancer two, which the environment does not export (it has main)");
  });

  it("refuses a Kubernetes canary whose route's host is also another route's (its DNS record takes the host)", () => {
    const routes = { shop: route({ hostHeaders: ["shop.example.com"] }), web: route({ pathPatterns: [], hostHeaders: ["SHOP.example.com"], priority: 40 }) };
    const problems = joinedServiceProblems([joined("web", { runtime: "kubernetes" }, "canary")], contract(routes), STACK);
    expect(at(problems)).toEqual(["services.web.hostHeaders[0]"]);
    expect(problems[0].message).toContain("is also a host of route shop");
    // A blue/green one is on the environment's load balancer: the host is shared there by rules, not DNS.
    expect(joinedServiceProblems([joined("web", { runtime: "kubernetes" }, "blue-green")], contract(routes), STACK)).toEqual([]);
  });
});
