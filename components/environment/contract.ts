import type { Tier } from "../tiers";

/*
 * The contract between an environment stack and the service stacks that join it: what the environment stack exports
 * under one output (`ENVIRONMENT_OUTPUT`), as plain JSON, and what a service stack reads back through a stack
 * reference before it registers anything. Fields may be added; none is renamed or removed without a new `version`.
 */

/** The environment stack's output that holds its contract. */
export const ENVIRONMENT_OUTPUT = "environment";

/** The contract's version: a service stack refuses one it does not know instead of misreading it. */
export const ENVIRONMENT_CONTRACT_VERSION = 1;

/** The name of an environment's first load balancer, the one a route without `loadBalancer` is on. */
export const MAIN_LOAD_BALANCER = "main";

/** A load balancer's name (`main`, or a route's `loadBalancer`): part of its physical name `<namePrefix>-<name>`, so short. */
export const LOAD_BALANCER_NAME = /^[a-z][a-z0-9]{0,5}$/;

/**
 * Load balancers an environment makes besides `main`. AWS: "Application Load Balancers per Region: 50" (adjustable;
 * "Quotas for your Application Load Balancers", docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html),
 * counted across the account's environments and the Kubernetes canaries' controller load balancers, so one
 * environment takes a fifth of it at most.
 */
export const MAX_EXTRA_LOAD_BALANCERS = 10;

/**
 * Routes per load balancer: a traffic-shifting service takes two of its 100 target groups ("Target Groups per
 * Application Load Balancer: 100, not adjustable") and two of its 100 rules (a production and a test rule). The
 * environment stack cannot know which strategy a service stack picks, so every route is counted at two.
 */
export const ROUTES_PER_LOAD_BALANCER = 50;

/** One of the environment's load balancers, with its production and test listeners. */
export interface LoadBalancerContract {
  /** `main`, or the name routes give in `loadBalancer`. */
  readonly name: string;
  readonly arn: string;
  /** `app/<name>/<id>`: the LoadBalancer dimension of ALB metrics. */
  readonly arnSuffix: string;
  readonly dnsName: string;
  readonly productionListenerArn: string;
  readonly testListenerArn: string;
  /**
   * The load balancer's security group: main's is `loadBalancerSecurityGroupId`, each other has its own, since a service
   * adds an outbound rule to its tasks to the group of its load balancer and AWS allows 60 a group. Always written;
   * optional when read (added after version 1 shipped): `readEnvironmentContract` fills it in from `loadBalancerSecurityGroupId`.
   */
  readonly securityGroupId: string;
}

/** Where the platform team puts one service: its paths or hosts, its rule priority and its load balancer. */
export interface RouteContract {
  readonly pathPatterns: readonly string[];
  readonly hostHeaders: readonly string[];
  readonly priority: number;
  readonly loadBalancer: string;
  /** The only stack that may release the service (`org/project/stack`); any stack when unset. */
  readonly stack?: string;
  /**
   * The environment stack still releases the service itself (its `services.<name>` beside `routes.<name>`: a move to a
   * service stack not finished): no service stack may release it, or both would make the same physical names.
   */
  readonly releasedByEnvironment?: true;
}

/** The environment's cluster as service stacks reach it (never a kubeconfig: that stays in the cluster's own stack). */
export interface ClusterContract {
  readonly namespace: string;
  /** The stack exporting `kubeconfig` (and `clusterName`, `clusterSecurityGroupId` when name and group are not given). */
  readonly stackReference?: string;
  readonly name?: string;
  readonly securityGroupId?: string;
  readonly controllers: readonly string[];
}

/** Everything a service stack needs of its environment, as the environment stack exports it. */
export interface EnvironmentContract {
  readonly version: typeof ENVIRONMENT_CONTRACT_VERSION;
  /** The environment's tier: its services' defaults, and the tier every service stack that joins it takes. */
  readonly tier: Tier;
  /** The environment's physical-name prefix; a service's names start with it. */
  readonly namePrefix: string;
  readonly region: string;
  readonly vpcId: string;
  readonly publicSubnetIds: readonly string[];
  readonly privateSubnetIds: readonly string[];
  /** The load balancers are internal (services' own load balancers go in the private subnets then). */
  readonly internal: boolean;
  /** The hosted zone where Kubernetes canary services' hosts get their records. */
  readonly hostedZone?: string;
  readonly productionPort: number;
  readonly productionProtocol: "HTTP" | "HTTPS";
  readonly testListenerPort: number;
  /**
   * The production listeners' certificate (HTTPS when set): a Kubernetes canary's own load balancer serves with it too.
   * An ARN is no credential; if the environment's stack file set it with --secret, the whole output is secret, which
   * the program reads all the same (getOutputDetails: value, else secretValue).
   */
  readonly certificateArn?: string;
  /** Sources admitted to the production listeners, and to a Kubernetes canary's load balancer. @default the tier's */
  readonly allowedCidrs?: readonly string[];
  /** The load balancers' idle timeout, a Kubernetes canary's load balancer's too. @default the tier's */
  readonly idleTimeoutSeconds?: number;
  /** The main load balancer's security group (each other has its own: `loadBalancers[].securityGroupId`). */
  readonly loadBalancerSecurityGroupId: string;
  /** The security group of functions that call the test listener (the smoke-test hooks). */
  readonly hooksSecurityGroupId: string;
  /** The NAT gateways' addresses the test listener admits; only for an internet-facing load balancer. */
  readonly natPrefixListId?: string;
  /** The access-log bucket of the load balancers, when they log. */
  readonly accessLogBucket?: string;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly alertTopicArn: string;
  /** The KMS key of the alert topic: whatever publishes to the topic must be allowed to use it. */
  readonly alertKeyArn: string;
  readonly loadBalancers: readonly LoadBalancerContract[];
  /** The routing table, by service name. */
  readonly routes: Readonly<Record<string, RouteContract>>;
  readonly cluster?: ClusterContract;
  /** The environment's own flag store (environment-wide flags); a service stack's flags live in a store of its own. */
  readonly flagStore: { readonly backend: string; readonly applicationId?: string; readonly environmentId?: string; readonly profileId?: string };
}
