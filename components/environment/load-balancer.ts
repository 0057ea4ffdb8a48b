import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { NAME_LIMITS, physicalName } from "../naming";
import type { AccessLogBucket } from "./access-logs";
import { MAIN_LOAD_BALANCER } from "./contract";

/** @internal */
/** TLS 1.3 (with 1.2 for older clients), the ALB policy AWS recommends for new listeners. */
export const TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface LoadBalancerArgs {
  readonly namePrefix: string;
  /**
   * The load balancer's name in the environment: `main` keeps the resources and physical name of the environment's
   * first (and once only) load balancer; another is `<name>-lb-<its name>`, `<namePrefix>-<its name>` in AWS.
   */
  readonly loadBalancerName: string;
  readonly internal: boolean;
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly idleTimeoutSeconds: number;
  readonly deletionProtection: boolean;
  readonly accessLogs?: AccessLogBucket;
  /** The production listener's certificate: HTTPS on 443 (HTTP on 80 redirected to it); none: HTTP on 80. */
  readonly certificateArn?: pulumi.Input<string>;
  readonly testListenerPort: number;
}

/** The load balancer and the listeners services add their rules to. */
export interface LoadBalancerResult {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly productionListener: aws.lb.Listener;
  readonly testListener: aws.lb.Listener;
}

export function createLoadBalancer(environment: string, args: LoadBalancerArgs, opts: pulumi.CustomResourceOptions): LoadBalancerResult {
  const main = args.loadBalancerName === MAIN_LOAD_BALANCER;
  // The main load balancer's children are named after the environment itself, as before there were others.
  const name = main ? environment : `${environment}-lb-${args.loadBalancerName}`;
  const parts = main ? [args.namePrefix] : [args.namePrefix, args.loadBalancerName];
  const plain = physicalName(parts, "", NAME_LIMITS.loadBalancer);
  // AWS refuses load balancer names that begin with internal-: such a name gets `lb-` in front, inside physicalName, so
  // the digest of a name that no longer fits covers the load balancer's name too (main, b and c stay distinct). A name
  // that fits is `lb-<plain>` as before.
  const loadBalancerName = plain.startsWith("internal-") ? physicalName(["lb", ...parts], "", NAME_LIMITS.loadBalancer) : plain;
  const loadBalancer = new aws.lb.LoadBalancer(
    main ? `${name}-lb` : name,
    {
      name: loadBalancerName,
      loadBalancerType: "application",
      internal: args.internal,
      subnets: args.publicSubnetIds,
      securityGroups: [args.securityGroupId],
      idleTimeout: args.idleTimeoutSeconds,
      enableDeletionProtection: args.deletionProtection,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "defensive",
      accessLogs: args.accessLogs ? { bucket: args.accessLogs.bucket.bucket, enabled: true } : undefined,
    },
    // AWS refuses a load balancer whose log bucket it may not write to yet (InvalidConfigurationRequest: access denied).
    args.accessLogs ? { ...opts, dependsOn: [args.accessLogs.bucket, args.accessLogs.policy] } : opts,
  );

  // The default actions answer 404: only service rules, which stay forward-only for ECS blue/green, route traffic.
  const notFound = [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not Found" } }];
  const https = args.certificateArn !== undefined;
  const productionListener = new aws.lb.Listener(
    `${name}-production`,
    https
      ? {
          loadBalancerArn: loadBalancer.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: TLS13_POLICY,
          certificateArn: args.certificateArn,
          defaultActions: notFound,
        }
      : { loadBalancerArn: loadBalancer.arn, port: 80, protocol: "HTTP", defaultActions: notFound },
    opts,
  );
  if (https) {
    new aws.lb.Listener(
      `${name}-http-redirect`,
      {
        loadBalancerArn: loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      },
      opts,
    );
  }
  const testListener = new aws.lb.Listener(
    `${name}-test`,
    { loadBalancerArn: loadBalancer.arn, port: args.testListenerPort, protocol: "HTTP", defaultActions: notFound },
    opts,
  );
  return { loadBalancer, productionListener, testListener };
}
