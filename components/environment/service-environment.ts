import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../arguments";
import type { Tier } from "../tiers";
import type { DashboardService } from "./dashboard";
import type { SubnetDefaultRoute } from "./network-paths";

/**
 * Everything a service component (and the ReleaseEnvironment composing services) reads of its environment: what a
 * live `Environment` has made in this stack, or what a `JoinedEnvironment` read of an environment stack's contract.
 * Only ids and values (and the resources to wait for), never the environment's resources themselves, so both can
 * answer honestly.
 */
export interface ServiceEnvironment {
  /** The load balancer this view's listeners, DNS name and priorities are of: `main` unless from `loadBalancer(name)`. */
  readonly loadBalancerName: string;
  readonly tier: Tier;
  /** Prefix of physical names; a service's names start with it. */
  readonly namePrefix: string;
  readonly region: pulumi.Output<string>;
  /** The provider with the environment's region and default tags; the services' AWS resources use it. */
  readonly provider: aws.Provider;
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Each private subnet's route table and default route, as the VPC answers. */
  readonly privateSubnetRoutes: pulumi.Output<SubnetDefaultRoute[]>;
  /** The load balancer is internal: its test listener admits the hooks (and a smoke test's pods) by security group, not by NAT addresses. */
  readonly internal: boolean;
  /** `app/<name>/<id>`: the LoadBalancer dimension of ALB metrics. */
  readonly loadBalancerArnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  /** This view's load balancer's security group: a service's outbound rule to its tasks goes on it. */
  readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  /** The security group of functions that call the test listener (the smoke-test hook). */
  readonly hooksSecurityGroupId: pulumi.Output<string>;
  readonly productionListenerArn: pulumi.Output<string>;
  readonly productionPort: number;
  readonly productionProtocol: "HTTP" | "HTTPS";
  readonly testListenerArn: pulumi.Output<string>;
  readonly testListenerPort: number;
  readonly clusterArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly alertTopicArn: pulumi.Output<string>;
  /** The bucket the environment's load balancers write access logs to; none when they do not log. */
  readonly accessLogBucketName?: pulumi.Output<string>;
  /**
   * What another load balancer logging to that bucket waits for: AWS refuses a load balancer whose log bucket it may not
   * write to yet. Empty when the bucket's policy already exists (another stack's) or nothing logs.
   */
  readonly accessLogsReady: readonly pulumi.Resource[];
  /**
   * Reserves a listener rule priority for a service; ALB refuses two rules with one priority on a listener.
   * @returns a problem naming the service that holds it, or undefined when the priority was free
   */
  claimPriority(priority: number, service: string): ArgumentProblem | undefined;
  /** AppConfig deployments of a flag environment (completed, rolled back) notify the alert topic. */
  notifyFlagDeployments(flags: { readonly applicationId: pulumi.Input<string>; readonly environmentId: pulumi.Input<string> }): void;
  /** The dashboards of the services composed on this environment (in this stack). */
  addDashboards(services: readonly pulumi.Input<DashboardService>[]): aws.cloudwatch.Dashboard[];
  /** The environment as a service on its load balancer `name` sees it (its listeners, DNS name, priorities); an unknown name is refused. */
  loadBalancer(name: string): ServiceEnvironment;
  /** Base URL of the production listener, e.g. `https://<alb dns>`. */
  productionUrl(): pulumi.Output<string>;
  /** Base URL of the test listener, e.g. `http://<alb dns>:9000`. */
  testUrl(): pulumi.Output<string>;
}
