import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments } from "../arguments";
import type { DashboardService } from "./dashboard";
import type { SubnetDefaultRoute } from "./network-paths";
import { priorityTakenProblem } from "./problems";
import type { ServiceEnvironment } from "./service-environment";

/** One of an environment's load balancers as its services reach it: what differs from one load balancer to the next. */
export interface LoadBalancerEndpoints {
  readonly name: string;
  /** The load balancer's own security group: main's is the environment's `loadBalancerSecurityGroupId`. */
  readonly securityGroupId: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  /** `app/<name>/<id>`: the LoadBalancer dimension of ALB metrics. */
  readonly arnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly productionListenerArn: pulumi.Output<string>;
  readonly testListenerArn: pulumi.Output<string>;
}

/**
 * Listener rule priorities taken by services on one load balancer's listeners, so two services composed in one stack
 * cannot collide: ALB refuses two rules with one priority on a listener, and each load balancer has listeners of its own.
 */
export class PriorityTable {
  private readonly holders = new Map<number, string>();

  /** @param loadBalancer the name of the load balancer whose listeners these are */
  constructor(private readonly loadBalancer: string) {}

  /** @returns a problem naming the service that holds `priority`, or undefined when it was free (it is now `service`'s) */
  public claim(priority: number, service: string): ArgumentProblem | undefined {
    const holder = this.holders.get(priority);
    if (holder !== undefined && holder !== service) return priorityTakenProblem(priority, holder, this.loadBalancer);
    this.holders.set(priority, service);
    return undefined;
  }
}

/** Each of an environment's load balancers with its own priority table, `main` first; looked up by name. */
export class LoadBalancerTable {
  private readonly entries = new Map<string, { readonly endpoints: LoadBalancerEndpoints; readonly priorities: PriorityTable }>();

  /** @param owner the environment, as errors name it: `Environment <name>` */
  constructor(
    private readonly owner: { readonly component: string; readonly name: string },
    loadBalancers: readonly LoadBalancerEndpoints[],
  ) {
    for (const endpoints of loadBalancers) this.entries.set(endpoints.name, { endpoints, priorities: new PriorityTable(endpoints.name) });
  }

  public get names(): string[] {
    return [...this.entries.keys()];
  }

  public get all(): LoadBalancerEndpoints[] {
    return [...this.entries.values()].map((entry) => entry.endpoints);
  }

  /** The load balancer named `name` and its priorities; an unknown name is refused, naming the ones there are. */
  public get(name: string): { readonly endpoints: LoadBalancerEndpoints; readonly priorities: PriorityTable } {
    const entry = this.entries.get(name);
    if (!entry) {
      refuseBadArguments(this.owner.component, this.owner.name, [
        { field: ["loadBalancer"], message: `is not a load balancer of this environment, which has ${this.names.join(", ")}`, got: name },
      ]);
    }
    return entry!;
  }
}

/** Base URL of a production listener, e.g. `https://<alb dns>`. */
export function productionUrlOf(protocol: "HTTP" | "HTTPS", dnsName: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`${protocol.toLowerCase()}://${dnsName}`;
}

/** Base URL of a test listener, e.g. `http://<alb dns>:9000`. */
export function testUrlOf(dnsName: pulumi.Input<string>, port: number): pulumi.Output<string> {
  return pulumi.interpolate`http://${dnsName}:${port}`;
}

/**
 * The environment as a service on one of its load balancers sees it: that load balancer's listeners, DNS name, metrics
 * dimension, security group, URLs and priorities; everything else (network, cluster, topic, dashboards) the environment's own.
 */
export class LoadBalancerView implements ServiceEnvironment {
  public readonly loadBalancerName: string;
  public readonly tier: ServiceEnvironment["tier"];
  public readonly namePrefix: string;
  public readonly region: pulumi.Output<string>;
  public readonly provider: aws.Provider;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetRoutes: pulumi.Output<SubnetDefaultRoute[]>;
  public readonly internal: boolean;
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  public readonly dnsName: pulumi.Output<string>;
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  public readonly hooksSecurityGroupId: pulumi.Output<string>;
  public readonly productionListenerArn: pulumi.Output<string>;
  public readonly productionPort: number;
  public readonly productionProtocol: "HTTP" | "HTTPS";
  public readonly testListenerArn: pulumi.Output<string>;
  public readonly testListenerPort: number;
  public readonly clusterArn: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  public readonly alertTopicArn: pulumi.Output<string>;
  public readonly accessLogBucketName?: pulumi.Output<string>;
  public readonly accessLogsReady: readonly pulumi.Resource[];

  constructor(
    private readonly environment: ServiceEnvironment,
    loadBalancer: LoadBalancerEndpoints,
    private readonly priorities: PriorityTable,
  ) {
    this.loadBalancerName = loadBalancer.name;
    this.loadBalancerArnSuffix = loadBalancer.arnSuffix;
    this.dnsName = loadBalancer.dnsName;
    this.productionListenerArn = loadBalancer.productionListenerArn;
    this.testListenerArn = loadBalancer.testListenerArn;
    this.tier = environment.tier;
    this.namePrefix = environment.namePrefix;
    this.region = environment.region;
    this.provider = environment.provider;
    this.vpcId = environment.vpcId;
    this.privateSubnetIds = environment.privateSubnetIds;
    this.privateSubnetRoutes = environment.privateSubnetRoutes;
    this.internal = environment.internal;
    // The services on this load balancer add their outbound rules to its own group, which AWS counts apart from main's.
    this.loadBalancerSecurityGroupId = loadBalancer.securityGroupId;
    this.hooksSecurityGroupId = environment.hooksSecurityGroupId;
    this.productionPort = environment.productionPort;
    this.productionProtocol = environment.productionProtocol;
    this.testListenerPort = environment.testListenerPort;
    this.clusterArn = environment.clusterArn;
    this.clusterName = environment.clusterName;
    this.alertTopicArn = environment.alertTopicArn;
    this.accessLogBucketName = environment.accessLogBucketName;
    this.accessLogsReady = environment.accessLogsReady;
  }

  public claimPriority(priority: number, service: string): ArgumentProblem | undefined {
    return this.priorities.claim(priority, service);
  }

  public notifyFlagDeployments(flags: { readonly applicationId: pulumi.Input<string>; readonly environmentId: pulumi.Input<string> }): void {
    this.environment.notifyFlagDeployments(flags);
  }

  public addDashboards(services: readonly pulumi.Input<DashboardService>[]): aws.cloudwatch.Dashboard[] {
    return this.environment.addDashboards(services);
  }

  public loadBalancer(name: string): ServiceEnvironment {
    return this.environment.loadBalancer(name);
  }

  public productionUrl(): pulumi.Output<string> {
    return productionUrlOf(this.productionProtocol, this.dnsName);
  }

  public testUrl(): pulumi.Output<string> {
    return testUrlOf(this.dnsName, this.testListenerPort);
  }
}
