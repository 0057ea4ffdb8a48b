import type * as pulumi from "@pulumi/pulumi";
import { type Tier, TIER_DEFAULTS } from "../tiers";
import type { SlackChannel } from "./notifications";
import type { AwsProviderSettings } from "./provider-settings";

export interface EnvironmentArgs {
  /** The tier decides defaults below: dev is fast, staging production-like, production careful. */
  readonly tier: Tier;
  /** AWS region every child is created in. */
  readonly region: pulumi.Input<string>;
  /** Prefix of physical names (load balancer, cluster, alarms). @default the component's name */
  readonly namePrefix?: string;
  /** Tags on every AWS resource through the provider's defaultTags, besides environment, service and managed-by. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The AWS provider's other settings (a stack's `aws:` config: allowedAccountIds, assumeRoles, profile, defaultTags,
   * endpoints, ...), on the provider every child uses. An explicit provider reads no stack config, so nothing reaches
   * it but what is passed here. `defaultTags.tags` are merged under `tags` and the environment's own tags. @default {}
   */
  readonly aws?: AwsProviderSettings;
  /** The VPC of the load balancer, the tasks and the hooks. */
  readonly vpcId: pulumi.Input<string>;
  /** Subnets of the load balancer (at least two availability zones). */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Subnets of the tasks and the hook functions. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** ACM certificate of the HTTPS listener. Required unless the tier is dev, where HTTP alone is allowed. @default none */
  readonly certificateArn?: pulumi.Input<string>;
  /** Sources admitted to the production listener. @default ["0.0.0.0/0"] */
  readonly allowedCidrs?: readonly string[];
  /** An internal load balancer instead of an internet-facing one. @default false */
  readonly internal?: boolean;
  /** Port of the test listener ECS sends test traffic through. @default 9000 (`TIER_DEFAULTS`) */
  readonly testListenerPort?: number;
  /**
   * Other sources admitted to the test listener. The hooks are always admitted: by their security group when the load
   * balancer is internal, by the public addresses of the VPC's NAT gateways (found with data sources) when it is
   * internet-facing. List here what those miss, e.g. a NAT gateway's secondary addresses or a central egress VPC's. @default []
   */
  readonly testListenerCidrs?: readonly string[];
  /**
   * Load balancers besides `main`, by name (`LOAD_BALANCER_NAME`: part of their physical name `<namePrefix>-<name>`),
   * each with production and test listeners of its own, on the same subnets, security group and access-log bucket as
   * `main`; a service joins one with `environment.loadBalancer(name)`. At most `MAX_EXTRA_LOAD_BALANCERS`. @default []
   */
  readonly loadBalancers?: readonly string[];
  /** @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** @default false / false / true (dev / staging / production, `TIER_DEFAULTS`) */
  readonly deletionProtection?: boolean;
  /** @default false / true / true */
  readonly containerInsights?: boolean;
  /** Access logs to a new S3 bucket whose objects expire after `expirationDays` (@default 90); `false`: none. @default off / off / on */
  readonly accessLogs?: { readonly expirationDays?: number } | false;
  /** Addresses subscribed to the alert topic by e-mail (each must confirm). @default [] */
  readonly alertEmails?: readonly pulumi.Input<string>[];
  /** HTTPS endpoints subscribed to the alert topic (e.g. a paging service's webhook). @default [] */
  readonly alertHttpsEndpoints?: readonly pulumi.Input<string>[];
  /** A Slack channel that receives the alert topic through AWS Chatbot. @default none */
  readonly alertSlack?: SlackChannel;
  /** `protect` on resources that hold data or history (the access-log bucket). @default false / false / true */
  readonly protectStateful?: boolean;
}

/** @internal An environment's arguments with its tier's defaults applied, once. */
export interface ResolvedEnvironmentArgs extends EnvironmentArgs {
  readonly namePrefix: string;
  /** HTTPS on 443 (HTTP redirected to it) when a certificate is given, else HTTP on 80. */
  readonly https: boolean;
  readonly testListenerPort: number;
  readonly allowedCidrs: readonly string[];
  readonly internal: boolean;
  readonly testListenerCidrs: readonly string[];
  readonly idleTimeoutSeconds: number;
  readonly deletionProtection: boolean;
  readonly containerInsights: boolean;
  readonly accessLogs: { readonly expirationDays: number } | false;
  readonly protectStateful: boolean;
}

/** @internal Fills what `args` leave out from the tier (`TIER_DEFAULTS`); nothing downstream falls back on its own. */
export function resolveEnvironmentArgs(name: string, args: EnvironmentArgs): ResolvedEnvironmentArgs {
  const defaults = TIER_DEFAULTS[args.tier];
  const accessLogs = args.accessLogs ?? (defaults.ingress.accessLogs ? {} : false);
  return {
    ...args,
    namePrefix: args.namePrefix ?? name,
    https: args.certificateArn !== undefined,
    testListenerPort: args.testListenerPort ?? defaults.ingress.testListenerPort,
    allowedCidrs: args.allowedCidrs ?? defaults.ingress.allowedCidrs,
    internal: args.internal ?? false,
    testListenerCidrs: args.testListenerCidrs ?? [],
    idleTimeoutSeconds: args.idleTimeoutSeconds ?? defaults.ingress.idleTimeoutSeconds,
    deletionProtection: args.deletionProtection ?? defaults.deletionProtection,
    containerInsights: args.containerInsights ?? defaults.containerInsights,
    accessLogs: accessLogs && { expirationDays: accessLogs.expirationDays ?? defaults.ingress.accessLogExpirationDays },
    protectStateful: args.protectStateful ?? defaults.protectStateful,
  };
}
