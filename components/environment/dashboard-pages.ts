import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NAME_LIMITS, physicalName } from "../naming";
import { dashboardBody, type DashboardService, SERVICES_PER_DASHBOARD } from "./dashboard";

export interface DashboardPagesArgs {
  /** The parts of the dashboards' physical names: `<parts>-release`, then `-release-2`, ... */
  readonly nameParts: readonly string[];
  readonly region: pulumi.Input<string>;
  /** The load balancer of services that name none of their own. */
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
}

/**
 * Dashboards of services, a row each, `SERVICES_PER_DASHBOARD` services a dashboard (CloudWatch takes at most 500
 * widgets a dashboard): `<name>-dashboard`, `<name>-dashboard-2`, ... One copy for an `Environment`'s dashboards and a
 * service stack's (`JoinedEnvironment`).
 */
export function createDashboardPages(
  name: string,
  args: DashboardPagesArgs,
  services: readonly pulumi.Input<DashboardService>[],
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.Dashboard[] {
  const pages: (readonly pulumi.Input<DashboardService>[])[] = [];
  for (let start = 0; start < Math.max(services.length, 1); start += SERVICES_PER_DASHBOARD) {
    pages.push(services.slice(start, start + SERVICES_PER_DASHBOARD));
  }
  return pages.map((page, index) => {
    const suffix = index === 0 ? "" : `-${index + 1}`;
    return new aws.cloudwatch.Dashboard(
      `${name}-dashboard${suffix}`,
      {
        dashboardName: physicalName(args.nameParts, `release${suffix}`, NAME_LIMITS.ecs),
        dashboardBody: pulumi
          .all([args.region, args.loadBalancerArnSuffix, pulumi.all(page.map((service) => pulumi.output(service)))])
          .apply(([region, loadBalancerArnSuffix, rows]) => JSON.stringify(dashboardBody({ region, loadBalancerArnSuffix, services: rows as DashboardService[] }))),
      },
      opts,
    );
  });
}
