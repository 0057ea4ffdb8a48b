/** The environment's CloudWatch dashboard body, built as plain data: a row of widgets per service. */

export interface DashboardService {
  readonly name: string;
  /** `app/<name>/<id>` of the load balancer serving this service, when not the environment's (a Kubernetes canary's). */
  readonly loadBalancerArnSuffix?: string;
  /** `targetgroup/<name>/<id>` of blue, then green (one for a rolling service). */
  readonly targetGroupArnSuffixes: readonly string[];
  readonly alarmArns: readonly string[];
  readonly errorRatePercent: number;
  readonly p99LatencyMs: number;
}

/** @internal */
export interface DashboardInput {
  readonly region: string;
  /** `app/<name>/<id>` of the load balancer. */
  readonly loadBalancerArnSuffix: string;
  readonly services: readonly DashboardService[];
}

type Widget = Record<string, unknown>;

/** Five widgets a service and CloudWatch's limit of 500 widgets a dashboard. */
export const SERVICES_PER_DASHBOARD = 100;

const ALB = "AWS/ApplicationELB";
const ROW_HEIGHT = 6;
const COLOURS = ["blue", "green"];

function metricWidget(x: number, y: number, width: number, title: string, region: string, metrics: unknown[][], extra: Record<string, unknown> = {}): Widget {
  return {
    type: "metric",
    x,
    y,
    width,
    height: ROW_HEIGHT,
    properties: { title, region, view: "timeSeries", stacked: false, period: 60, metrics, ...extra },
  };
}

/** @internal */
/** Widgets: requests per target group (blue and green side by side), error rate, p99 latency, healthy hosts, alarm status. */
export function dashboardBody(input: DashboardInput): Record<string, unknown> {
  const { region } = input;
  const widgets: Widget[] = [];
  input.services.forEach((service, row) => {
    const lb = service.loadBalancerArnSuffix ?? input.loadBalancerArnSuffix;
    const y = row * ROW_HEIGHT;
    const groups = service.targetGroupArnSuffixes.map((targetGroup, index) => ({ targetGroup, colour: COLOURS[index] ?? `tg${index}` }));
    const per = (metricName: string, stat: string, idPrefix: string, visible = true) =>
      groups.map(({ targetGroup, colour }, index) => [
        ALB,
        metricName,
        "LoadBalancer",
        lb,
        "TargetGroup",
        targetGroup,
        { stat, label: `${colour}`, id: `${idPrefix}${index}`, visible },
      ]);
    const sum = (prefix: string) => groups.map((_, index) => `FILL(${prefix}${index}, 0)`).join(" + ");
    widgets.push(
      metricWidget(0, y, 5, `${service.name}: requests per target group`, region, per("RequestCount", "Sum", "r")),
      metricWidget(
        5,
        y,
        5,
        `${service.name}: error rate (%)`,
        region,
        [
          ...per("RequestCount", "Sum", "req", false),
          ...per("HTTPCode_Target_5XX_Count", "Sum", "err", false),
          [{ expression: `100 * (${sum("err")}) / (${sum("req")})`, label: "5xx %", id: "rate" }],
        ],
        { annotations: { horizontal: [{ label: "rollback threshold", value: service.errorRatePercent }] } },
      ),
      metricWidget(10, y, 5, `${service.name}: p99 latency (s)`, region, per("TargetResponseTime", "p99", "lat"), {
        annotations: { horizontal: [{ label: "rollback threshold", value: service.p99LatencyMs / 1000 }] },
      }),
      metricWidget(15, y, 5, `${service.name}: healthy hosts`, region, per("HealthyHostCount", "Minimum", "h")),
      {
        type: "alarm",
        x: 20,
        y,
        width: 4,
        height: ROW_HEIGHT,
        properties: { title: `${service.name}: alarms`, alarms: [...service.alarmArns], sortBy: "stateUpdatedTimestamp" },
      },
    );
  });
  if (widgets.length === 0) {
    widgets.push({ type: "text", x: 0, y: 0, width: 24, height: 2, properties: { markdown: "No services in this environment yet." } });
  }
  return { start: "-PT3H", periodOverride: "inherit", widgets };
}

/** One of an environment's load balancers, as its search page finds the target groups on it. */
export interface SearchDashboardLoadBalancer {
  /** `main`, or the name routes give in `loadBalancer`. */
  readonly name: string;
  /** `app/<name>/<id>`: the LoadBalancer dimension of ALB metrics. */
  readonly arnSuffix: string;
}

/** What a search page shows of each target group: its metric of `AWS/ApplicationELB`, the statistic, and a title. */
const SEARCHED_METRICS = [
  { metric: "RequestCount", stat: "Sum", title: "requests per target group" },
  { metric: "HTTPCode_Target_5XX_Count", stat: "Sum", title: "target 5xx per target group" },
  { metric: "TargetResponseTime", stat: "p99", title: "p99 target response time (s) per target group" },
  { metric: "UnHealthyHostCount", stat: "Maximum", title: "unhealthy hosts per target group" },
] as const;

/**
 * "When you perform an exact match search, the following characters must be escaped with a backslash: `" \ ( )`"
 * (CloudWatch search expression syntax); an ARN suffix has none today, but a value never breaks the query.
 */
const exact = (value: string) => `"${value.replace(/["\\()]/g, (character) => `\\${character}`)}"`;

/**
 * The search expression of one metric of every target group on a load balancer, whoever made the group (a service of
 * this stack or of any service stack). "The maximum search expression query size is 1024 characters. You can have as
 * many as 100 search expressions on one graph. A graph can display as many as 500 time series" (CloudWatch search
 * expression syntax): one expression a graph, and a load balancer holds at most 100 target groups.
 * @internal
 */
export function targetGroupSearch(loadBalancerArnSuffix: string, metric: string, stat: string): string {
  return `SEARCH('{${ALB},LoadBalancer,TargetGroup} LoadBalancer=${exact(loadBalancerArnSuffix)} MetricName=${exact(metric)}', '${stat}', 60)`;
}

/**
 * The dashboard page of one load balancer of an environment stack, built from CloudWatch SEARCH expressions, so every
 * service's target groups show up, those of service stacks included, without the environment stack knowing them:
 * requests, target 5xx, p99 response time and unhealthy hosts, a line per target group labelled with its name. A
 * search finds "only metrics that have reported data within the past two weeks" (CloudWatch: using search
 * expressions): a service idle longer has no line until it serves again. A Kubernetes canary's target groups are on
 * the AWS Load Balancer Controller's load balancer, not this one: its own stack's dashboard shows them.
 */
export function searchDashboardBody(input: { readonly region: string; readonly loadBalancer: SearchDashboardLoadBalancer }): Record<string, unknown> {
  const { region, loadBalancer } = input;
  const header: Widget = {
    type: "text",
    x: 0,
    y: 0,
    width: 24,
    height: 2,
    properties: {
      markdown: `## Load balancer ${loadBalancer.name} (${loadBalancer.arnSuffix})\nEvery target group on it, whichever stack released its service: a line per target group, found by search.`,
    },
  };
  const graphs = SEARCHED_METRICS.map(({ metric, stat, title }, index) =>
    // The dynamic label `${PROP('Dim.TargetGroup')}` "applies to every metric returned by the search" (CloudWatch: dynamic labels).
    metricWidget((index % 2) * 12, 2 + Math.floor(index / 2) * ROW_HEIGHT, 12, `${loadBalancer.name}: ${title}`, region, [
      [{ expression: targetGroupSearch(loadBalancer.arnSuffix, metric, stat), id: `search${index}`, label: "${PROP('Dim.TargetGroup')}", period: 60 }],
    ]),
  );
  return { start: "-PT3H", periodOverride: "inherit", widgets: [header, ...graphs] };
}

/** A search page per load balancer, in the order given (`main` first, as the environment makes them). */
export function searchDashboardPages(input: { readonly region: string; readonly loadBalancers: readonly SearchDashboardLoadBalancer[] }): { readonly loadBalancer: string; readonly body: Record<string, unknown> }[] {
  return input.loadBalancers.map((loadBalancer) => ({ loadBalancer: loadBalancer.name, body: searchDashboardBody({ region: input.region, loadBalancer }) }));
}
