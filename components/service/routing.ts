import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import { NAME_LIMITS, physicalName } from "../naming";
import type { HealthCheck } from "./args";

/** @internal */
/** The header the test listener routes by: a service's test rule forwards requests that name it, whatever their path. */
export const TEST_ROUTE_HEADER = "x-release-service";

/** One of a service's target groups: `<service>-<role>` as a resource, its physical name ending in `letter`, and its own tags. */
export interface TargetGroupRole {
  readonly role: string;
  readonly letter: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What a service's routing takes: its routes, its target groups' settings, and how a runtime names and forwards to them. */
export interface ServiceRoutingArgs {
  readonly environment: Pick<ServiceEnvironment, "namePrefix" | "vpcId" | "productionListenerArn" | "testListenerArn" | "productionUrl" | "testUrl">;
  readonly port: number;
  readonly priority: number;
  readonly pathPatterns: readonly string[];
  readonly hostHeaders: readonly string[];
  readonly healthCheck: Required<HealthCheck>;
  readonly deregistrationDelaySeconds: number;
  /** Tags of the groups (with their role's) and of the rules. */
  readonly tags: Readonly<Record<string, string>>;
  /** The group the production rule serves first, and the test listener's (none: one group and no test rule). */
  readonly groups: { readonly production: TargetGroupRole; readonly test?: TargetGroupRole };
  /**
   * `weighted` (ECS): both rules forward to both groups, production at 100 and test at 0, and ECS moves the weights.
   * `per-group` (Argo Rollouts): each rule forwards to its own group, and nothing rewrites it.
   */
  readonly forward: "weighted" | "per-group";
  /** Target group inputs set at creation and ignored after. */
  readonly targetGroupIgnoreChanges: readonly string[];
}

/** Where a service's resolved settings place it on the load balancer, as both runtimes pass them to createServiceRouting. */
export function serviceRoute(
  service: Pick<ServiceRoutingArgs, "environment" | "port" | "priority" | "healthCheck" | "deregistrationDelaySeconds"> & {
    readonly pathPatterns?: readonly string[];
    readonly hostHeaders?: readonly string[];
  },
): Pick<ServiceRoutingArgs, "environment" | "port" | "priority" | "pathPatterns" | "hostHeaders" | "healthCheck" | "deregistrationDelaySeconds"> {
  const { environment, port, priority, healthCheck, deregistrationDelaySeconds } = service;
  return { environment, port, priority, pathPatterns: service.pathPatterns ?? [], hostHeaders: service.hostHeaders ?? [], healthCheck, deregistrationDelaySeconds };
}

/** A service's target groups and listener rules on the environment's load balancer, and where it answers. */
export interface ServiceRouting {
  readonly productionTargetGroup: aws.lb.TargetGroup;
  readonly testTargetGroup?: aws.lb.TargetGroup;
  readonly productionRule: aws.lb.ListenerRule;
  readonly testRule?: aws.lb.ListenerRule;
  /** The production listener's URL for the service's first path. */
  readonly productionUrl: pulumi.Output<string>;
  /** The test listener's URL for the service's first path, where the new version answers (with `TEST_ROUTE_HEADER`). */
  readonly testUrl: pulumi.Output<string>;
}

/** Routing with a test listener rule: both groups and both rules are there. */
export type ServiceRoutingWithTest = ServiceRouting & { readonly testTargetGroup: aws.lb.TargetGroup; readonly testRule: aws.lb.ListenerRule };

/**
 * The target groups of a service, its production rule routing its paths and hosts, and its test rule routing the
 * header naming it. Made as children of `parent` (the service's component) under the service's name, as the service
 * itself would name them.
 */
export function createServiceRouting(name: string, args: ServiceRoutingArgs & { readonly groups: { readonly test: TargetGroupRole } }, parent: pulumi.Resource): ServiceRoutingWithTest;
export function createServiceRouting(name: string, args: ServiceRoutingArgs, parent: pulumi.Resource): ServiceRouting;
export function createServiceRouting(name: string, args: ServiceRoutingArgs, parent: pulumi.Resource): ServiceRouting {
  const env = args.environment;
  const targetGroup = ({ role, letter, tags }: TargetGroupRole) =>
    new aws.lb.TargetGroup(
      `${name}-${role}`,
      {
        name: physicalName([env.namePrefix, name], letter, NAME_LIMITS.targetGroup),
        targetType: "ip",
        protocol: "HTTP",
        port: args.port,
        vpcId: env.vpcId,
        deregistrationDelay: args.deregistrationDelaySeconds,
        healthCheck: targetGroupHealthCheck(args.healthCheck),
        tags: { ...args.tags, ...tags },
      },
      { parent, ignoreChanges: [...args.targetGroupIgnoreChanges] },
    );
  const production = targetGroup(args.groups.production);
  const test = args.groups.test ? targetGroup(args.groups.test) : undefined;

  const forwardTo = (groups: { arn: pulumi.Output<string>; weight: number }[]) => [{ type: "forward", forward: { targetGroups: groups } }];
  // Weighted: ECS rewrites the forward weights on every deployment; Pulumi must not put them back, so actions are
  // ignored. Per group: Argo switches Service selectors, not listener weights, so each rule forwards to one group.
  const weighted = forwardTo([{ arn: production.arn, weight: 100 }, ...(test ? [{ arn: test.arn, weight: 0 }] : [])]);
  const ruleOpts: pulumi.CustomResourceOptions = args.forward === "weighted" ? { parent, ignoreChanges: ["actions"] } : { parent };
  const tags = args.tags;
  const productionRule = new aws.lb.ListenerRule(
    `${name}-production`,
    {
      listenerArn: env.productionListenerArn,
      priority: args.priority,
      conditions: listenerRuleConditions(args.pathPatterns, args.hostHeaders),
      actions: args.forward === "weighted" ? weighted : forwardTo([{ arn: production.arn, weight: 100 }]),
      tags,
    },
    ruleOpts,
  );
  // The test rule routes by a header naming the service, not by the production paths, so a smoke test can call any
  // path of the new version (its health check path included) with no route of its own; one condition value of five.
  const testRule = test
    ? new aws.lb.ListenerRule(
        `${name}-test`,
        {
          listenerArn: env.testListenerArn,
          priority: args.priority,
          conditions: [{ httpHeader: { httpHeaderName: TEST_ROUTE_HEADER, values: [name] } }],
          actions: args.forward === "weighted" ? weighted : forwardTo([{ arn: test.arn, weight: 100 }]),
          tags,
        },
        ruleOpts,
      )
    : undefined;

  const firstPath = (args.pathPatterns[0] ?? "/").replace(/\*.*$/, "");
  const path = firstPath.startsWith("/") ? firstPath : `/${firstPath}`;
  return {
    productionTargetGroup: production,
    testTargetGroup: test,
    productionRule,
    testRule,
    productionUrl: pulumi.interpolate`${env.productionUrl()}${path}`,
    testUrl: pulumi.interpolate`${env.testUrl()}${path}`,
  };
}

/** The health check of a service's target groups. */
export function targetGroupHealthCheck(healthCheck: Required<HealthCheck>): aws.types.input.lb.TargetGroupHealthCheck {
  return {
    enabled: true,
    protocol: "HTTP",
    port: "traffic-port",
    path: healthCheck.path,
    matcher: healthCheck.matcher,
    interval: healthCheck.intervalSeconds,
    timeout: healthCheck.timeoutSeconds,
    healthyThreshold: healthCheck.healthyThreshold,
    unhealthyThreshold: healthCheck.unhealthyThreshold,
  };
}

/** The production rule's conditions routing a service's paths and hosts. */
export function listenerRuleConditions(pathPatterns: readonly string[], hostHeaders: readonly string[]): aws.types.input.lb.ListenerRuleCondition[] {
  return [
    ...(pathPatterns.length > 0 ? [{ pathPattern: { values: [...pathPatterns] } }] : []),
    ...(hostHeaders.length > 0 ? [{ hostHeader: { values: [...hostHeaders] } }] : []),
  ];
}
