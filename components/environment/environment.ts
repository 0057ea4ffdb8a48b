import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments } from "../arguments";
import { NAME_LIMITS, physicalName } from "../naming";
import type { Tier } from "../tiers";
import { createAccessLogBucket } from "./access-logs";
import { type EnvironmentArgs, resolveEnvironmentArgs } from "./args";
import { createCluster } from "./cluster";
import { dashboardBody, type DashboardService, SERVICES_PER_DASHBOARD } from "./dashboard";
import { createLoadBalancer } from "./load-balancer";
import { createTestListenerPath, type SubnetDefaultRoute, subnetDefaultRoutes } from "./network-paths";
import { type AlertNotifications, createAlertNotifications, notifyFlagDeployments } from "./notifications";
import { environmentArgsProblems, priorityTakenProblem } from "./problems";
import { environmentProviderArgs } from "./provider-settings";
import { createSecurityGroups } from "./security-groups";
import type { ServiceEnvironment } from "./service-environment";

export type { Tier };
export type { EnvironmentArgs } from "./args";
export type { SubnetDefaultRoute } from "./network-paths";
export type { ServiceEnvironment } from "./service-environment";
/** @internal */
export { TLS13_POLICY } from "./load-balancer";
export { environmentArgsProblems, priorityTakenProblem, testListenerCidrProblems } from "./problems";

/**
 * The shared entry point of one environment: the AWS provider every child uses, the load balancer with its production
 * and test listeners, the ECS cluster, and the alert topic that alarms notify.
 */
export class Environment extends pulumi.ComponentResource implements ServiceEnvironment {
  public readonly tier: Tier;
  public readonly namePrefix: string;
  public readonly region: pulumi.Output<string>;
  private readonly componentName: string;
  /** Listener rule priorities taken by services, so two services composed on one environment cannot collide. */
  private readonly priorities = new Map<number, string>();
  /** The provider with this environment's region and default tags; pass it to components composed with this one. */
  public readonly provider: aws.Provider;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Each private subnet's route table and default route, as the VPC answers (looked up when first read). */
  public readonly privateSubnetRoutes: pulumi.Output<SubnetDefaultRoute[]>;
  public readonly loadBalancer: aws.lb.LoadBalancer;
  public readonly loadBalancerArn: pulumi.Output<string>;
  /** `app/<name>/<id>`: the LoadBalancer dimension of ALB metrics. */
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  public readonly dnsName: pulumi.Output<string>;
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  /** The security group of functions that call the test listener (the smoke-test hook). */
  public readonly hooksSecurityGroupId: pulumi.Output<string>;
  public readonly productionListenerArn: pulumi.Output<string>;
  public readonly productionPort: number;
  public readonly productionProtocol: "HTTP" | "HTTPS";
  public readonly testListenerArn: pulumi.Output<string>;
  public readonly testListenerPort: number;
  public readonly clusterArn: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  public readonly alertTopicArn: pulumi.Output<string>;
  private readonly alerts: AlertNotifications;
  public readonly accessLogBucket?: aws.s3.Bucket;
  public readonly accessLogBucketName?: pulumi.Output<string>;
  /** The main load balancer, created once the access-log bucket's policy lets it write; none without access logs. */
  public readonly accessLogsReady: readonly pulumi.Resource[];
  public readonly internal: boolean;
  /** The NAT gateways' public addresses the test listener admits; only for an internet-facing load balancer. */
  public readonly natPrefixList?: aws.ec2.ManagedPrefixList;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    refuseBadArguments("Environment", name, environmentArgsProblems(args));
    super("release:aws:Environment", name, {}, opts);
    const settings = resolveEnvironmentArgs(name, args);
    this.tier = settings.tier;
    this.namePrefix = settings.namePrefix;
    this.region = pulumi.output(args.region);
    this.componentName = name;
    this.productionPort = settings.https ? 443 : 80;
    this.productionProtocol = settings.https ? "HTTPS" : "HTTP";
    this.testListenerPort = settings.testListenerPort;
    this.internal = settings.internal;

    this.provider = new aws.Provider(
      `${name}-aws`,
      environmentProviderArgs(args.aws, args.region, {
        ...args.tags,
        environment: this.namePrefix,
        tier: this.tier,
        service: "release-platform",
        "managed-by": "pulumi",
      }),
      { parent: this },
    );
    const child: pulumi.CustomResourceOptions = { parent: this, provider: this.provider };
    const invoke: pulumi.InvokeOutputOptions = { parent: this, provider: this.provider };

    this.vpcId = pulumi.output(args.vpcId);
    this.privateSubnetIds = pulumi.output(args.privateSubnetIds);
    this.privateSubnetRoutes = subnetDefaultRoutes(args.vpcId, args.privateSubnetIds, invoke);

    const securityGroups = createSecurityGroups(name, settings, child);
    this.loadBalancerSecurityGroupId = securityGroups.loadBalancer.id;
    this.hooksSecurityGroupId = securityGroups.hooks.id;
    this.natPrefixList = createTestListenerPath(name, { ...settings, securityGroups, privateSubnetRoutes: this.privateSubnetRoutes }, child, invoke).natPrefixList;

    const accessLogs = settings.accessLogs
      ? createAccessLogBucket(name, { namePrefix: this.namePrefix, region: this.region, expirationDays: settings.accessLogs.expirationDays, protect: settings.protectStateful }, child, invoke)
      : undefined;
    this.accessLogBucket = accessLogs?.bucket;
    const { loadBalancer, productionListener, testListener } = createLoadBalancer(
      name,
      { ...settings, securityGroupId: securityGroups.loadBalancer.id, accessLogs },
      child,
    );
    this.loadBalancer = loadBalancer;
    this.accessLogBucketName = accessLogs?.bucket.bucket;
    this.accessLogsReady = accessLogs ? [loadBalancer] : [];
    this.loadBalancerArn = loadBalancer.arn;
    this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
    this.dnsName = loadBalancer.dnsName;
    this.productionListenerArn = productionListener.arn;
    this.testListenerArn = testListener.arn;

    const cluster = createCluster(name, settings, child);
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;

    this.alerts = createAlertNotifications(
      name,
      { namePrefix: this.namePrefix, emails: args.alertEmails, httpsEndpoints: args.alertHttpsEndpoints, slack: args.alertSlack, clusterArn: cluster.arn },
      child,
    );
    this.alertTopicArn = this.alerts.topic.arn;

    this.registerOutputs({
      tier: this.tier,
      loadBalancerArn: this.loadBalancerArn,
      loadBalancerArnSuffix: this.loadBalancerArnSuffix,
      dnsName: this.dnsName,
      productionListenerArn: this.productionListenerArn,
      testListenerArn: this.testListenerArn,
      clusterArn: this.clusterArn,
      alertTopicArn: this.alertTopicArn,
      region: this.region,
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      privateSubnetRoutes: this.privateSubnetRoutes,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
      hooksSecurityGroupId: this.hooksSecurityGroupId,
      clusterName: this.clusterName,
    });
  }

  /**
   * Reserves a listener rule priority for a service; ALB refuses two rules with one priority on a listener.
   * @returns a problem naming the service that holds it, or undefined when the priority was free
   */
  public claimPriority(priority: number, service: string): ArgumentProblem | undefined {
    const holder = this.priorities.get(priority);
    if (holder !== undefined && holder !== service) return priorityTakenProblem(priority, holder);
    this.priorities.set(priority, service);
    return undefined;
  }

  /** AppConfig deployments of a flag environment (completed, rolled back) notify the alert topic. */
  public notifyFlagDeployments(flags: { readonly applicationId: pulumi.Input<string>; readonly environmentId: pulumi.Input<string> }): void {
    notifyFlagDeployments(
      this.componentName,
      { namePrefix: this.namePrefix, topicArn: this.alertTopicArn, topicPolicy: this.alerts.topicPolicy, ...flags },
      { parent: this, provider: this.provider },
    );
  }

  /**
   * The environment's dashboards: a row per service, `SERVICES_PER_DASHBOARD` services each (CloudWatch takes at most
   * 500 widgets a dashboard). Called once the services exist, since the widgets need their target groups and alarms.
   */
  public addDashboards(services: readonly pulumi.Input<DashboardService>[]): aws.cloudwatch.Dashboard[] {
    const pages: (readonly pulumi.Input<DashboardService>[])[] = [];
    for (let start = 0; start < Math.max(services.length, 1); start += SERVICES_PER_DASHBOARD) {
      pages.push(services.slice(start, start + SERVICES_PER_DASHBOARD));
    }
    return pages.map((page, index) => {
      const suffix = index === 0 ? "" : `-${index + 1}`;
      return new aws.cloudwatch.Dashboard(
        `${this.componentName}-dashboard${suffix}`,
        {
          dashboardName: physicalName([this.namePrefix], `release${suffix}`, NAME_LIMITS.ecs),
          dashboardBody: pulumi
            .all([this.region, this.loadBalancerArnSuffix, pulumi.all(page.map((service) => pulumi.output(service)))])
            .apply(([region, loadBalancerArnSuffix, rows]) =>
              JSON.stringify(dashboardBody({ region, loadBalancerArnSuffix, services: rows as DashboardService[] })),
            ),
        },
        { parent: this, provider: this.provider },
      );
    });
  }

  /** Base URL of the production listener, e.g. `https://<alb dns>`. */
  public productionUrl(): pulumi.Output<string> {
    return pulumi.interpolate`${this.productionProtocol.toLowerCase()}://${this.dnsName}`;
  }

  /** Base URL of the test listener, e.g. `http://<alb dns>:9000`. */
  public testUrl(): pulumi.Output<string> {
    return pulumi.interpolate`http://${this.dnsName}:${this.testListenerPort}`;
  }
}
