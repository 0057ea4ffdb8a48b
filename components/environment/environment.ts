import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments } from "../arguments";
import type { Tier } from "../tiers";
import { createAccessLogBucket } from "./access-logs";
import { type EnvironmentArgs, type ResolvedEnvironmentArgs, resolveEnvironmentArgs } from "./args";
import { createCluster } from "./cluster";
import { type ClusterContract, type EnvironmentContract, ENVIRONMENT_CONTRACT_VERSION, MAIN_LOAD_BALANCER, type RouteContract } from "./contract";
import { type DashboardService, searchDashboardBody } from "./dashboard";
import { createDashboardPages } from "./dashboard-pages";
import { NAME_LIMITS, physicalName } from "../naming";
import { JoinedEnvironment, type JoinedEnvironmentArgs, joinStackReference } from "./joined";
import { createLoadBalancer } from "./load-balancer";
import { createLoadBalancerAlarms, type EnvironmentAlarm } from "./load-balancer-alarms";
import { type LoadBalancerEndpoints, LoadBalancerTable, LoadBalancerView, productionUrlOf, testUrlOf } from "./load-balancer-view";
import { admitHooksToTestListener, createTestListenerPath, type SubnetDefaultRoute, subnetDefaultRoutes } from "./network-paths";
import { type AlertNotifications, createAlertNotifications, notifyFlagDeployments } from "./notifications";
import { environmentArgsProblems } from "./problems";
import { environmentProviderArgs, environmentTags } from "./provider-settings";
import { createLoadBalancerSecurityGroup, createSecurityGroups } from "./security-groups";
import type { ServiceEnvironment } from "./service-environment";

export type { Tier };
export type { EnvironmentArgs } from "./args";
export type { SubnetDefaultRoute } from "./network-paths";
export type { ServiceEnvironment } from "./service-environment";
export { JoinedEnvironment, type JoinedEnvironmentArgs } from "./joined";
/** @internal */
export { TLS13_POLICY } from "./load-balancer";
export { environmentArgsProblems, priorityTakenProblem, testListenerCidrProblems } from "./problems";

/**
 * The shared entry point of one environment: the AWS provider every child uses, the load balancer (`main`, and those
 * named in `loadBalancers`) with its production and test listeners, the ECS cluster, and the alert topic that alarms
 * notify. Services join it as a `ServiceEnvironment`: the environment itself (`main`) or `loadBalancer(name)`. A
 * service stack joins an environment another stack made with `Environment.fromContract` / `fromStackReference`.
 */
export class Environment extends pulumi.ComponentResource implements ServiceEnvironment {
  /**
   * A service stack's view of an environment stack: the environment its contract describes (read from the environment
   * stack's `environment` output), with a provider of its own, and nothing of the environment created again.
   */
  public static fromContract(name: string, contract: EnvironmentContract, args: JoinedEnvironmentArgs = {}, opts?: pulumi.ComponentResourceOptions): JoinedEnvironment {
    return new JoinedEnvironment(name, contract, args, opts);
  }

  /**
   * `fromContract` with the contract read from the environment stack `ref` (`org/project/stack`) and checked: a stack
   * without the output, or with one this library cannot read, is refused with every wrong field, naming the stack.
   */
  public static fromStackReference(
    name: string,
    ref: string | pulumi.StackReference,
    args: JoinedEnvironmentArgs = {},
    opts?: pulumi.ComponentResourceOptions,
  ): Promise<JoinedEnvironment> {
    return joinStackReference(name, ref, args, opts);
  }

  public readonly tier: Tier;
  public readonly namePrefix: string;
  public readonly region: pulumi.Output<string>;
  private readonly componentName: string;
  /** The load balancers, `main` first, each with the listener rule priorities services took on it. */
  private readonly loadBalancers: LoadBalancerTable;
  public readonly loadBalancerName = MAIN_LOAD_BALANCER;
  private readonly publicSubnetIds: pulumi.Output<string[]>;
  /** The provider with this environment's region and default tags; pass it to components composed with this one. */
  public readonly provider: aws.Provider;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Each private subnet's route table and default route, as the VPC answers (looked up when first read). */
  public readonly privateSubnetRoutes: pulumi.Output<SubnetDefaultRoute[]>;
  public readonly loadBalancerArn: pulumi.Output<string>;
  /** `app/<name>/<id>`: the LoadBalancer dimension of ALB metrics. */
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  public readonly dnsName: pulumi.Output<string>;
  /** Main's security group (each other load balancer has its own: `loadBalancer(name).loadBalancerSecurityGroupId`). */
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
  /** The alert topic's KMS key, for the contract (`contract(routes)`); not an output, so a single stack's outputs stay as they were. */
  private readonly alertKeyArn: pulumi.Output<string>;
  public readonly accessLogBucket?: aws.s3.Bucket;
  /**
   * `accessLogBucket`'s name, as services read it (`ServiceEnvironment`). Not registered, so a single stack's outputs stay
   * as they were: the public field is `accessLogBucket`. @internal
   */
  public readonly accessLogBucketName?: pulumi.Output<string>;
  /** The main load balancer, created once the access-log bucket's policy lets it write; none without access logs. */
  public readonly accessLogsReady: readonly pulumi.Resource[];
  public readonly internal: boolean;
  /** The NAT gateways' public addresses the test listener admits; only for an internet-facing load balancer. */
  public readonly natPrefixList?: aws.ec2.ManagedPrefixList;
  private ownAlarms?: readonly EnvironmentAlarm[];
  /** What the production listeners admit and serve with, as the contract gives it to a service stack's canaries. */
  private readonly listenerSettings: { readonly certificateArn?: pulumi.Input<string>; readonly allowedCidrs: readonly string[]; readonly idleTimeoutSeconds: number };

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
    this.listenerSettings = { certificateArn: settings.certificateArn, allowedCidrs: settings.allowedCidrs, idleTimeoutSeconds: settings.idleTimeoutSeconds };

    this.provider = new aws.Provider(
      `${name}-aws`,
      environmentProviderArgs(args.aws, args.region, environmentTags(this.namePrefix, this.tier, args.tags)),
      { parent: this },
    );
    const child: pulumi.CustomResourceOptions = { parent: this, provider: this.provider };
    const invoke: pulumi.InvokeOutputOptions = { parent: this, provider: this.provider };

    this.vpcId = pulumi.output(args.vpcId);
    this.privateSubnetIds = pulumi.output(args.privateSubnetIds);
    this.publicSubnetIds = pulumi.output(args.publicSubnetIds);
    this.privateSubnetRoutes = subnetDefaultRoutes(args.vpcId, args.privateSubnetIds, invoke);

    const securityGroups = createSecurityGroups(name, settings, child);
    this.loadBalancerSecurityGroupId = securityGroups.loadBalancer.id;
    this.hooksSecurityGroupId = securityGroups.hooks.id;
    this.natPrefixList = createTestListenerPath(name, { ...settings, securityGroups, privateSubnetRoutes: this.privateSubnetRoutes }, child, invoke).natPrefixList;

    const accessLogs = settings.accessLogs
      ? createAccessLogBucket(name, { namePrefix: this.namePrefix, region: this.region, expirationDays: settings.accessLogs.expirationDays, protect: settings.protectStateful }, child, invoke)
      : undefined;
    this.accessLogBucket = accessLogs?.bucket;
    // Each load balancer besides main has a security group of its own (its services' outbound rules count against it),
    // with main's inbound rules and the hooks' path to its test listener.
    const created = [MAIN_LOAD_BALANCER, ...(args.loadBalancers ?? [])].map((loadBalancerName) => {
      const securityGroup = loadBalancerName === MAIN_LOAD_BALANCER ? securityGroups.loadBalancer : this.extraSecurityGroup(name, loadBalancerName, settings, securityGroups.hooks, child);
      return { loadBalancerName, securityGroup, ...createLoadBalancer(name, { ...settings, loadBalancerName, securityGroupId: securityGroup.id, accessLogs }, child) };
    });
    this.loadBalancers = new LoadBalancerTable(
      { component: "Environment", name },
      created.map(({ loadBalancerName, securityGroup, loadBalancer, productionListener, testListener }): LoadBalancerEndpoints => ({
        name: loadBalancerName,
        securityGroupId: securityGroup.id,
        arn: loadBalancer.arn,
        arnSuffix: loadBalancer.arnSuffix,
        dnsName: loadBalancer.dnsName,
        productionListenerArn: productionListener.arn,
        testListenerArn: testListener.arn,
      })),
    );
    const main = this.loadBalancers.get(MAIN_LOAD_BALANCER).endpoints;
    this.accessLogBucketName = accessLogs?.bucket.bucket;
    this.accessLogsReady = accessLogs ? [created[0].loadBalancer] : [];
    this.loadBalancerArn = main.arn;
    this.loadBalancerArnSuffix = main.arnSuffix;
    this.dnsName = main.dnsName;
    this.productionListenerArn = main.productionListenerArn;
    this.testListenerArn = main.testListenerArn;

    const cluster = createCluster(name, settings, child);
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;

    this.alerts = createAlertNotifications(
      name,
      { namePrefix: this.namePrefix, emails: args.alertEmails, httpsEndpoints: args.alertHttpsEndpoints, slack: args.alertSlack, clusterArn: cluster.arn },
      child,
    );
    this.alertTopicArn = this.alerts.topic.arn;
    this.alertKeyArn = this.alerts.key.arn;

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

  /** The security group of the load balancer `loadBalancerName` (not main), admitting what main's admits. */
  private extraSecurityGroup(
    name: string,
    loadBalancerName: string,
    settings: ResolvedEnvironmentArgs,
    hooks: aws.ec2.SecurityGroup,
    opts: pulumi.CustomResourceOptions,
  ): aws.ec2.SecurityGroup {
    const group = createLoadBalancerSecurityGroup(name, loadBalancerName, settings, opts);
    admitHooksToTestListener(name, loadBalancerName, group, { ...settings, hooks, natPrefixList: this.natPrefixList }, opts);
    return group;
  }

  /**
   * Reserves a listener rule priority for a service; ALB refuses two rules with one priority on a listener.
   * @returns a problem naming the service that holds it, or undefined when the priority was free
   */
  public claimPriority(priority: number, service: string): ArgumentProblem | undefined {
    return this.loadBalancers.get(MAIN_LOAD_BALANCER).priorities.claim(priority, service);
  }

  /** The environment as a service on its load balancer `name` sees it; `main` is the environment's own listeners and priorities. */
  public loadBalancer(name: string): ServiceEnvironment {
    const { endpoints, priorities } = this.loadBalancers.get(name);
    return new LoadBalancerView(this, endpoints, priorities);
  }

  /**
   * Each load balancer's error-rate alarm (`load-balancer-alarms.ts`), made on the first call: what watches the
   * environment's own flags when no service of this stack has alarms to.
   */
  public loadBalancerAlarms(): readonly EnvironmentAlarm[] {
    this.ownAlarms ??= createLoadBalancerAlarms(
      this.componentName,
      { namePrefix: this.namePrefix, tier: this.tier, loadBalancers: this.loadBalancers.all, alertTopicArn: this.alertTopicArn },
      { parent: this, provider: this.provider },
    );
    return this.ownAlarms;
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
    return createDashboardPages(
      this.componentName,
      { nameParts: [this.namePrefix], region: this.region, loadBalancerArnSuffix: this.loadBalancerArnSuffix },
      services,
      { parent: this, provider: this.provider },
    );
  }

  /**
   * An environment stack's dashboards of its routes: a page per load balancer (`<namePrefix>-routes-<name>`) charting
   * every target group on it by CloudWatch search, so the services of every service stack show up without this stack
   * knowing them (`searchDashboardBody`).
   */
  public addRouteDashboards(): aws.cloudwatch.Dashboard[] {
    return this.loadBalancers.all.map(
      (loadBalancer) =>
        new aws.cloudwatch.Dashboard(
          `${this.componentName}-routes-${loadBalancer.name}`,
          {
            dashboardName: physicalName([this.namePrefix], `routes-${loadBalancer.name}`, NAME_LIMITS.ecs),
            dashboardBody: pulumi
              .all([this.region, loadBalancer.arnSuffix])
              .apply(([region, arnSuffix]) => JSON.stringify(searchDashboardBody({ region, loadBalancer: { name: loadBalancer.name, arnSuffix } }))),
          },
          { parent: this, provider: this.provider },
        ),
    );
  }

  /** Base URL of the production listener, e.g. `https://<alb dns>`. */
  public productionUrl(): pulumi.Output<string> {
    return productionUrlOf(this.productionProtocol, this.dnsName);
  }

  /** Base URL of the test listener, e.g. `http://<alb dns>:9000`. */
  public testUrl(): pulumi.Output<string> {
    return testUrlOf(this.dnsName, this.testListenerPort);
  }

  /**
   * The contract this environment exports for the service stacks that join it (the stack output `ENVIRONMENT_OUTPUT`):
   * its load balancers `main` first, and `routes` with their defaults filled in (`main`, no paths, no hosts). What the
   * Environment does not make itself (its flag store, cluster namespace, hosted zone) the caller gives.
   */
  public contract(
    routes: Readonly<Record<string, EnvironmentRoute>>,
    more: { readonly flagStore: EnvironmentContract["flagStore"]; readonly cluster?: ClusterContract; readonly hostedZone?: string },
  ): pulumi.Output<EnvironmentContract> {
    const filled = Object.fromEntries(
      Object.entries(routes).map(([service, route]): [string, RouteContract] => {
        const loadBalancer = route.loadBalancer ?? MAIN_LOAD_BALANCER;
        this.loadBalancers.get(loadBalancer);
        return [
          service,
          { pathPatterns: [...(route.pathPatterns ?? [])], hostHeaders: [...(route.hostHeaders ?? [])], priority: route.priority, loadBalancer, ...(route.stack ? { stack: route.stack } : {}) },
        ];
      }),
    );
    const loadBalancers = this.loadBalancers.all.map((balancer) =>
      pulumi
        .all([balancer.arn, balancer.arnSuffix, balancer.dnsName, balancer.productionListenerArn, balancer.testListenerArn, balancer.securityGroupId])
        .apply(([arn, arnSuffix, dnsName, productionListenerArn, testListenerArn, securityGroupId]) => ({
          name: balancer.name,
          arn,
          arnSuffix,
          dnsName,
          productionListenerArn,
          testListenerArn,
          securityGroupId,
        })),
    );
    const optional = (value: pulumi.Output<string> | undefined) => value ?? pulumi.output<string | undefined>(undefined);
    return pulumi
      .all([
        pulumi.all([this.region, this.vpcId, this.publicSubnetIds, this.privateSubnetIds, this.loadBalancerSecurityGroupId, this.hooksSecurityGroupId]),
        pulumi.all([this.clusterArn, this.clusterName, this.alertTopicArn, this.alertKeyArn, optional(this.natPrefixList?.id), optional(this.accessLogBucketName)]),
        pulumi.all(loadBalancers),
        // Secret if the stack file set it with --secret: the contract output is then secret as a whole (see certificateArn).
        pulumi.output(this.listenerSettings.certificateArn),
      ])
      .apply(
        ([[region, vpcId, publicSubnetIds, privateSubnetIds, loadBalancerSecurityGroupId, hooksSecurityGroupId], [clusterArn, clusterName, alertTopicArn, alertKeyArn, natPrefixListId, accessLogBucket], balancers, certificateArn]): EnvironmentContract => ({
          version: ENVIRONMENT_CONTRACT_VERSION,
          tier: this.tier,
          namePrefix: this.namePrefix,
          region,
          vpcId,
          publicSubnetIds,
          privateSubnetIds,
          internal: this.internal,
          ...(more.hostedZone !== undefined ? { hostedZone: more.hostedZone } : {}),
          productionPort: this.productionPort,
          productionProtocol: this.productionProtocol,
          testListenerPort: this.testListenerPort,
          ...(certificateArn !== undefined ? { certificateArn } : {}),
          allowedCidrs: [...this.listenerSettings.allowedCidrs],
          idleTimeoutSeconds: this.listenerSettings.idleTimeoutSeconds,
          loadBalancerSecurityGroupId,
          hooksSecurityGroupId,
          ...(natPrefixListId !== undefined ? { natPrefixListId } : {}),
          ...(accessLogBucket !== undefined ? { accessLogBucket } : {}),
          clusterArn,
          clusterName,
          alertTopicArn,
          alertKeyArn,
          loadBalancers: balancers,
          routes: filled,
          ...(more.cluster !== undefined ? { cluster: more.cluster } : {}),
          flagStore: more.flagStore,
        }),
      );
  }
}

/** A route as an environment stack's `release:routes` gives it: only the priority is required. */
export interface EnvironmentRoute {
  readonly pathPatterns?: readonly string[];
  readonly hostHeaders?: readonly string[];
  readonly priority: number;
  /** @default "main" */
  readonly loadBalancer?: string;
  readonly stack?: string;
}
