import { describe, expect, it } from "vitest";
import { searchDashboardBody, searchDashboardPages, targetGroupSearch } from "../components/environment/dashboard";

interface Widget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title?: string; readonly region?: string; readonly markdown?: string; readonly metrics?: Record<string, unknown>[][] };
}

const main = { name: "main", arnSuffix: "app/shop-main/50dc6c495c0c9188" };
const widgetsOf = (body: Record<string, unknown>) => body.widgets as Widget[];
const searchesOf = (body: Record<string, unknown>) =>
  widgetsOf(body)
    .filter((widget) => widget.type === "metric")
    .map((widget) => widget.properties.metrics ?? []);

/** The grammar of the one search this page writes (CloudWatch search expression syntax: schema, exact terms, statistic, period). */
const SEARCH = /^SEARCH\('\{AWS\/ApplicationELB,LoadBalancer,TargetGroup\} LoadBalancer="((?:[^"\\()]|\\["\\()])+)" MetricName="(\w+)"', '(Sum|Maximum|p99)', 60\)$/;

describe("searchDashboardBody: a load balancer's page that finds every target group on it", () => {
  const body = searchDashboardBody({ region: "eu-west-1", loadBalancer: main });

  it("graphs requests, target 5xx, p99 response time and unhealthy hosts, one search each, on this load balancer", () => {
    const searches = searchesOf(body);
    expect(searches).toHaveLength(4);
    const parsed = searches.map((metrics) => {
      // One expression a graph, nothing else: the search is the graph.
      expect(metrics).toHaveLength(1);
      expect(metrics[0]).toHaveLength(1);
      const match = SEARCH.exec(String(metrics[0][0].expression));
      expect(match, String(metrics[0][0].expression)).not.toBeNull();
      return { loadBalancer: match?.[1], metric: match?.[2], stat: match?.[3] };
    });
    expect(parsed).toEqual([
      { loadBalancer: main.arnSuffix, metric: "RequestCount", stat: "Sum" },
      { loadBalancer: main.arnSuffix, metric: "HTTPCode_Target_5XX_Count", stat: "Sum" },
      { loadBalancer: main.arnSuffix, metric: "TargetResponseTime", stat: "p99" },
      { loadBalancer: main.arnSuffix, metric: "UnHealthyHostCount", stat: "Maximum" },
    ]);
  });

  it("labels each line with its target group (a dynamic label applies to every metric the search returns)", () => {
    for (const [[query]] of searchesOf(body)) expect(query.label).toBe("${PROP('Dim.TargetGroup')}");
  });

  it("keeps each query under CloudWatch's 1024 characters, even for the longest load balancer name", () => {
    const longest = { name: "lb9999", arnSuffix: `app/${"x".repeat(32)}/${"f".repeat(16)}` };
    for (const [[query]] of searchesOf(searchDashboardBody({ region: "eu-west-1", loadBalancer: longest }))) {
      expect(String(query.expression).length).toBeLessThanOrEqual(1024);
    }
  });

  it("shows the region and the load balancer's name in every graph, and lays the widgets out without overlap in 24 columns", () => {
    const widgets = widgetsOf(body);
    expect(widgets[0].properties.markdown).toContain("Load balancer main (app/shop-main/50dc6c495c0c9188)");
    for (const widget of widgets.slice(1)) {
      expect(widget.properties.region).toBe("eu-west-1");
      expect(widget.properties.title).toMatch(/^main: /);
    }
    const cells = new Set<string>();
    for (const widget of widgets) {
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      for (let x = widget.x; x < widget.x + widget.width; x++) {
        for (let y = widget.y; y < widget.y + widget.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it("escapes the characters an exact match must escape", () => {
    expect(targetGroupSearch('app/a"b(c)\\d/1', "RequestCount", "Sum")).toBe(`SEARCH('{AWS/ApplicationELB,LoadBalancer,TargetGroup} LoadBalancer="app/a\\"b\\(c\\)\\\\d/1" MetricName="RequestCount"', 'Sum', 60)`);
    expect(SEARCH.test(targetGroupSearch('app/a"b(c)\\d/1', "RequestCount", "Sum"))).toBe(true);
  });
});

describe("searchDashboardPages", () => {
  it("makes a page per load balancer, in the order given, each searching its own", () => {
    const pages = searchDashboardPages({ region: "eu-west-1", loadBalancers: [main, { name: "two", arnSuffix: "app/shop-two/1" }] });
    expect(pages.map((page) => page.loadBalancer)).toEqual(["main", "two"]);
    expect(searchesOf(pages[1].body).map(([[query]]) => SEARCH.exec(String(query.expression))?.[1])).toEqual(Array(4).fill("app/shop-two/1"));
  });

  it("makes none for no load balancer", () => {
    expect(searchDashboardPages({ region: "eu-west-1", loadBalancers: [] })).toEqual([]);
  });
});
