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
