import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import { awsRegion } from "../formats";
import { NAME_LIMITS, physicalName, shortHash } from "../naming";
import { accessLogBucketPolicy } from "./access-logs";
import { HOOKS_EGRESS_DESCRIPTION, TEST_LISTENER_CIDR_DESCRIPTION } from "./hooks-egress";
import { dashboardBody, type DashboardService, SERVICES_PER_DASHBOARD } from "./dashboard";
import { type AlertNotifications, createAlertNotifications, notifyFlagDeployments, type SlackChannel, slackChannelProblems } from "./notifications";
import { type Tier, TIER_DEFAULTS } from "../tiers";
import { type AwsProviderSettings, awsProviderSettingsProblems, environmentProviderArgs } from "./provider-settings";

export type { Tier };

/** @internal */
/** TLS 1.3 (with 1.2 for older clients), the ALB policy AWS recommends for new listeners. */
export const TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

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

/** Listener rule priorities are unique per listener, and every service's rules share the environment's two listeners. */
export function priorityTakenProblem(priority: number, holder: string): ArgumentProblem {
  return { field: ["priority"], message: `is already taken by service ${holder} on this environment's listeners`, got: priority };
}

/** Every problem with an environment's arguments, each naming its field; the constructor refuses them before registering. */
export function environmentArgsProblems(args: EnvironmentArgs): ArgumentProblem[] {
  const testListenerPort = args.testListenerPort ?? TIER_DEFAULTS[args.tier].ingress.testListenerPort;
  return [
    ...(args.certificateArn === undefined && args.tier !== "dev"
      ? [{ field: ["certificateArn"], message: `is required in ${args.tier} (HTTP alone is allowed only in dev)`, got: undefined }]
      : []),
    ...(testListenerPort === 443 || testListenerPort === 80
      ? [{ field: ["testListenerPort"], message: "collides with the production listener ports 80/443", got: testListenerPort }]
      : []),
    ...under(["alertSlack"], slackChannelProblems(args.alertSlack)),
    ...under(["testListenerCidrs"], testListenerCidrProblems(args.testListenerCidrs ?? [])),
    ...sharedSubnetProblems(args.publicSubnetIds, args.privateSubnetIds),
    ...certificateRegionProblems(args.certificateArn, args.region),
    ...under(["aws"], awsProviderSettingsProblems(args.aws, args.tags)),
    ...loadBalancerRuleCountProblems(args),
  ];
}

/**
 * Tasks and hooks run in the private subnets and reach the internet through NAT; a subnet listed in both (a YAML alias
 * of publicSubnetIds, a copy and paste) would put them beside the load balancer, with a public route.
 */
function sharedSubnetProblems(publicSubnetIds: EnvironmentArgs["publicSubnetIds"], privateSubnetIds: EnvironmentArgs["privateSubnetIds"]): ArgumentProblem[] {
  if (!Array.isArray(publicSubnetIds) || !Array.isArray(privateSubnetIds)) return [];
  const shared = privateSubnetIds.filter((id) => typeof id === "string" && (publicSubnetIds as unknown[]).includes(id));
  return shared.length === 0 ? [] : [{ field: ["privateSubnetIds"], message: `must differ from publicSubnetIds: ${shared.join(", ")} would put the tasks and hooks in the load balancer's public subnets`, got: shared }];
}

/** The partition a Region belongs to, as its ARNs spell it. */
export function regionPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-iso-")) return "aws-iso";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("eusc-")) return "aws-eusc";
  return "aws";
}

/** ACM: "To use a certificate with Elastic Load Balancing, you must request or import the certificate in the same Region as your load balancer". */
function certificateRegionProblems(certificateArn: EnvironmentArgs["certificateArn"], region: EnvironmentArgs["region"]): ArgumentProblem[] {
  if (typeof certificateArn !== "string" || typeof region !== "string" || !awsRegion.safeParse(region).success) return [];
  const [, partition, , certificateRegion] = certificateArn.split(":");
  if (certificateRegion === undefined) return [];
  const expected = regionPartition(region);
  if (partition === expected && certificateRegion === region) return [];
  return [{ field: ["certificateArn"], message: `must be a certificate of the load balancer's Region ${region} (partition ${expected}): ACM certificates are regional, and the load balancer can use only its own Region's`, got: certificateArn }];
}

/**
 * AWS's default quota of inbound rules per security group (L-0EA8095F): "You can have 60 inbound and 60 outbound rules
 * per security group ... This quota is enforced separately for IPv4 rules and IPv6 rules", and "A rule that references
 * a security group or prefix list ID counts as one rule each for IPv4 and IPv6" (Service Quotas), except that a
 * referenced prefix list "counts as" its maximum entries (VPC quotas: "if you create a prefix list with 20 maximum
 * entries and you reference that prefix list in a security group rule, this counts as 20 security group rules").
 */
export const SECURITY_GROUP_INBOUND_RULES = 60;

/**
 * The load balancer's security group takes one inbound rule per allowed CIDR per listener port, the hooks' path to the
 * test listener (their group's reference, or the NAT prefix list counted as its entries: at least one here, all of
 * them in `npm run check`) and one per test-listener CIDR. Over the quota, `pulumi up` fails part-way through with
 * RulesPerSecurityGroupLimitExceeded, so the arguments are refused instead.
 */
export function loadBalancerRuleCountProblems(args: Pick<EnvironmentArgs, "tier" | "certificateArn" | "allowedCidrs" | "internal" | "testListenerCidrs">): ArgumentProblem[] {
  const ports = args.certificateArn !== undefined ? 2 : 1;
  const allowed = args.allowedCidrs ?? TIER_DEFAULTS[args.tier].ingress.allowedCidrs;
  const test = args.testListenerCidrs ?? [];
  return (["IPv4", "IPv6"] as const).flatMap((family) => {
    const inFamily = (cidr: string) => cidr.includes(":") === (family === "IPv6");
    const count = allowed.filter(inFamily).length * ports + 1 + test.filter(inFamily).length;
    if (count <= SECURITY_GROUP_INBOUND_RULES) return [];
    return [
      {
        field: ["allowedCidrs"],
        message:
          `with ${ports} listener port(s), the test listener's sources and testListenerCidrs give the load balancer's security group at least ${count} ` +
          `${family} inbound rules; AWS allows ${SECURITY_GROUP_INBOUND_RULES} per security group and IP family by default: list fewer, wider CIDRs`,
        got: allowed.filter(inFamily).length,
      },
    ];
  });
}

/**
 * The shared entry point of one environment: the AWS provider every child uses, the load balancer with its production
 * and test listeners, the ECS cluster, and the alert topic that alarms notify.
 */
export class Environment extends pulumi.ComponentResource {
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
  /** The NAT gateways' public addresses the test listener admits; only for an internet-facing load balancer. */
  public readonly natPrefixList?: aws.ec2.ManagedPrefixList;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    const tier = args.tier;
    const https = args.certificateArn !== undefined;
    const testListenerPort = args.testListenerPort ?? TIER_DEFAULTS[tier].ingress.testListenerPort;
    const productionPort = https ? 443 : 80;
    refuseBadArguments("Environment", name, environmentArgsProblems(args));
    super("release:aws:Environment", name, {}, opts);
    const defaults = TIER_DEFAULTS[tier];
    const protectStateful = args.protectStateful ?? defaults.protectStateful;
    this.tier = tier;
    this.namePrefix = args.namePrefix ?? name;
    this.region = pulumi.output(args.region);
    this.componentName = name;
    this.productionPort = productionPort;
    this.productionProtocol = https ? "HTTPS" : "HTTP";
    this.testListenerPort = testListenerPort;

    this.provider = new aws.Provider(
      `${name}-aws`,
      environmentProviderArgs(args.aws, args.region, {
        ...args.tags,
        environment: this.namePrefix,
        tier,
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

    const lbSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-lb`,
      { vpcId: args.vpcId, description: `Load balancer of ${this.namePrefix}: production and test listeners` },
      child,
    );
    const hooksSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-hooks`,
      { vpcId: args.vpcId, description: `Deployment hooks of ${this.namePrefix}: may call the test listener only` },
      child,
    );
    this.loadBalancerSecurityGroupId = lbSecurityGroup.id;
    this.hooksSecurityGroupId = hooksSecurityGroup.id;

    const allowedCidrs = args.allowedCidrs ?? defaults.ingress.allowedCidrs;
    const listenerPorts = https ? [443, 80] : [80];
    for (const port of listenerPorts) {
      for (const cidr of allowedCidrs) {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-lb-${port}-${shortHash(cidr)}`,
          {
            securityGroupId: lbSecurityGroup.id,
            description: port === 80 && https ? "HTTP, redirected to HTTPS" : "Production listener",
            ipProtocol: "tcp",
            fromPort: port,
            toPort: port,
            ...cidrSource(cidr),
          },
          child,
        );
      }
    }
    const internal = args.internal ?? false;
    const testPort = { ipProtocol: "tcp", fromPort: testListenerPort, toPort: testListenerPort };
    if (internal) {
      // The hooks reach an internal load balancer at its private addresses, which security-group references match.
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-lb-test-from-hooks`,
        { securityGroupId: lbSecurityGroup.id, description: "Test listener, from the deployment hooks", ...testPort, referencedSecurityGroupId: hooksSecurityGroup.id },
        child,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-hooks-to-test`,
        { securityGroupId: hooksSecurityGroup.id, description: "To the test listener", ...testPort, referencedSecurityGroupId: lbSecurityGroup.id },
        child,
      );
    } else {
      // An internet-facing load balancer's DNS name resolves to public addresses only, so the hooks' requests leave
      // through the VPC's NAT gateways with a public source and destination, which no security-group reference
      // matches ("references match private addresses only"). So the test listener admits the NAT gateways' public
      // addresses (never the world), and the hooks may leave on the test port to any address: the load balancer's
      // public addresses are not fixed.
      this.natPrefixList = new aws.ec2.ManagedPrefixList(
        `${name}-nat`,
        natGatewayPrefixList(
          physicalName([this.namePrefix], "nat-gateways", 255),
          hooksEgressAddresses({ environment: name, routes: this.privateSubnetRoutes, testListenerCidrs: args.testListenerCidrs ?? [] }, invoke),
        ),
        child,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-lb-test-from-nat`,
        { securityGroupId: lbSecurityGroup.id, description: "Test listener, from the hooks through the NAT gateways", ...testPort, prefixListId: this.natPrefixList.id },
        child,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-hooks-to-test`,
        { securityGroupId: hooksSecurityGroup.id, description: "To the test listener's public addresses", ...testPort, cidrIpv4: "0.0.0.0/0" },
        child,
      );
    }
    for (const cidr of args.testListenerCidrs ?? []) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-lb-test-${shortHash(cidr)}`,
        { securityGroupId: lbSecurityGroup.id, description: TEST_LISTENER_CIDR_DESCRIPTION, ...testPort, ...cidrSource(cidr) },
        child,
      );
    }

    const accessLogSettings = args.accessLogs ?? (defaults.ingress.accessLogs ? {} : false);
    const accessLogs = accessLogSettings
      ? this.createAccessLogBucket(name, accessLogSettings.expirationDays ?? defaults.ingress.accessLogExpirationDays, protectStateful, child, invoke)
      : undefined;
    this.accessLogBucket = accessLogs?.bucket;
    const loadBalancerName = physicalName([this.namePrefix], "", NAME_LIMITS.loadBalancer);

    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-lb`,
      {
        // AWS refuses load balancer names that begin with internal-.
        name: loadBalancerName.startsWith("internal-") ? `lb-${loadBalancerName}`.slice(0, NAME_LIMITS.loadBalancer).replace(/-+$/, "") : loadBalancerName,
        loadBalancerType: "application",
        internal,
        subnets: args.publicSubnetIds,
        securityGroups: [lbSecurityGroup.id],
        idleTimeout: args.idleTimeoutSeconds ?? defaults.ingress.idleTimeoutSeconds,
        enableDeletionProtection: args.deletionProtection ?? defaults.deletionProtection,
        dropInvalidHeaderFields: true,
        desyncMitigationMode: "defensive",
        accessLogs: this.accessLogBucket ? { bucket: this.accessLogBucket.bucket, enabled: true } : undefined,
      },
      // AWS refuses a load balancer whose log bucket it may not write to yet (InvalidConfigurationRequest: access denied).
      accessLogs ? { ...child, dependsOn: [accessLogs.bucket, accessLogs.policy] } : child,
    );
    this.loadBalancerArn = this.loadBalancer.arn;
    this.loadBalancerArnSuffix = this.loadBalancer.arnSuffix;
    this.dnsName = this.loadBalancer.dnsName;

    // The default actions answer 404: only service rules, which stay forward-only for ECS blue/green, route traffic.
    const notFound = [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not Found" } }];
    const production = new aws.lb.Listener(
      `${name}-production`,
      https
        ? {
            loadBalancerArn: this.loadBalancer.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: TLS13_POLICY,
            certificateArn: args.certificateArn,
            defaultActions: notFound,
          }
        : { loadBalancerArn: this.loadBalancer.arn, port: 80, protocol: "HTTP", defaultActions: notFound },
      child,
    );
    if (https) {
      new aws.lb.Listener(
        `${name}-http-redirect`,
        {
          loadBalancerArn: this.loadBalancer.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
        },
        child,
      );
    }
    const test = new aws.lb.Listener(
      `${name}-test`,
      { loadBalancerArn: this.loadBalancer.arn, port: testListenerPort, protocol: "HTTP", defaultActions: notFound },
      child,
    );
    this.productionListenerArn = production.arn;
    this.testListenerArn = test.arn;

    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      {
        name: physicalName([this.namePrefix], "", NAME_LIMITS.ecs),
        settings: [{ name: "containerInsights", value: (args.containerInsights ?? defaults.containerInsights) ? "enabled" : "disabled" }],
      },
      child,
    );
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;

    this.alerts = createAlertNotifications(
      name,
      { namePrefix: this.namePrefix, emails: args.alertEmails, httpsEndpoints: args.alertHttpsEndpoints, slack: args.alertSlack, clusterArn: cluster.arn },
      child,
    );
    this.alertTopicArn = this.alerts.topic.arn;

    this.registerOutputs({
      tier,
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

  private createAccessLogBucket(
    name: string,
    expirationDays: number,
    protect: boolean,
    child: pulumi.CustomResourceOptions,
    invoke: pulumi.InvokeOutputOptions,
  ): { bucket: aws.s3.Bucket; policy: aws.s3.BucketPolicy } {
    const stateful = { ...child, protect };
    // Bucket names take lower-case letters, digits, dots and hyphens: other component names get a valid prefix.
    const bucketPrefix = /^[a-z0-9.-]+$/.test(name) ? {} : { bucketPrefix: physicalName([this.namePrefix.toLowerCase()], "access-logs", 37).toLowerCase() };
    const bucket = new aws.s3.Bucket(`${name}-access-logs`, { forceDestroy: false, ...bucketPrefix }, stateful);
    new aws.s3.BucketPublicAccessBlock(
      `${name}-access-logs`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    // ALB access logs support SSE-S3 only.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-access-logs`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-access-logs`,
      {
        bucket: bucket.id,
        rules: [{ id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: expirationDays } }],
      },
      child,
    );
    const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;
    const policy = new aws.s3.BucketPolicy(
      `${name}-access-logs`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([this.region, bucket.arn, accountId])
          .apply(([region, bucketArn, account]) => JSON.stringify(accessLogBucketPolicy({ region, bucketArn, accountId: account }))),
      },
      child,
    );
    return { bucket, policy };
  }
}

/**
 * The public addresses the hooks' requests to the internet-facing test listener leave from: for each private subnet,
 * its route table (its explicit association, else the VPC's main table: "A subnet can only be associated with one route
 * table at a time ... a subnet that is not explicitly associated ... is implicitly associated with the main route
 * table", VPC guide), its 0.0.0.0/0 route's NAT gateway, and every public address of that gateway: primary,
 * secondary (EIPs by allocation) and, for a regional NAT gateway, each zone's. A subnet whose default route is anything
 * else (a transit gateway to a central egress VPC, a private NAT gateway, none) leaves from addresses this VPC cannot
 * see: those must be listed in testListenerCidrs, or `pulumi up` stops here with an error that says so.
 */
/** A private subnet's route table and its 0.0.0.0/0 route (undefined: none, so no path to the internet at all). */
export interface SubnetDefaultRoute {
  readonly subnet: string;
  readonly table: string;
  readonly route?: aws.types.output.ec2.GetRouteTableRoute;
}

/**
 * Each subnet's route table (its explicit association, else the VPC's main table: "A subnet can only be associated
 * with one route table at a time ... a subnet that is not explicitly associated ... is implicitly associated with the
 * main route table", VPC guide) and that table's default route.
 */
function subnetDefaultRoutes(vpcId: pulumi.Input<string>, subnetIds: pulumi.Input<pulumi.Input<string>[]>, invoke: pulumi.InvokeOutputOptions): pulumi.Output<SubnetDefaultRoute[]> {
  const vpc = pulumi.output(vpcId);
  const mainTable = aws.ec2.getRouteTablesOutput({ vpcId: vpc, filters: [{ name: "association.main", values: ["true"] }] }, invoke).ids;
  return pulumi.output(subnetIds).apply((subnets) =>
    pulumi.all(
      [...new Set(subnets)].sort().map((subnetId) => {
        const explicit = aws.ec2.getRouteTablesOutput({ vpcId: vpc, filters: [{ name: "association.subnet-id", values: [subnetId] }] }, invoke).ids;
        const tableId = pulumi.all([explicit, mainTable]).apply(([own, main]) => own[0] ?? main[0]);
        const table = aws.ec2.getRouteTableOutput({ vpcId: vpc, routeTableId: tableId }, invoke);
        return pulumi.all([subnetId, tableId, table.routes]).apply(([subnet, id, routes]): SubnetDefaultRoute => ({ subnet, table: id, route: routes.find((route) => route.cidrBlock === "0.0.0.0/0") }));
      }),
    ),
  );
}

function hooksEgressAddresses(
  args: { environment: string; routes: pulumi.Output<SubnetDefaultRoute[]>; testListenerCidrs: readonly string[] },
  invoke: pulumi.InvokeOutputOptions,
): pulumi.Output<{ address: string; gateway: string }[]> {
  return args.routes.apply((subnets) => {
    const gateways = [...new Set(subnets.flatMap(({ route }) => (route?.natGatewayId ? [route.natGatewayId] : [])))].sort();
    return pulumi.all(gateways.map((id) => aws.ec2.getNatGatewayOutput({ id }, invoke))).apply((found) => {
      const publicGateways = new Set(found.filter((gateway) => gateway.connectivityType === "public" && gateway.state === "available").map((gateway) => gateway.id));
      const elsewhere = subnets.filter(({ route }) => !route?.natGatewayId || !publicGateways.has(route.natGatewayId));
      if (elsewhere.length > 0 && args.testListenerCidrs.length === 0) {
        const how = elsewhere.map(({ subnet, table, route }) => `${subnet} (route table ${table}: 0.0.0.0/0 ${route ? `-> ${routeTarget(route)}` : "has no route"})`).join(", ");
        throw new Error(
          `Environment ${args.environment}: the hooks' subnets ${how} do not leave through an available public NAT gateway of this VPC, so the ` +
            `internet-facing test listener cannot admit them by the NAT addresses: list the public addresses they leave from in testListenerCidrs ` +
            `(stack file: release:ingress.testListenerCidrs), or make the load balancer internal (release:ingress.internal: true)`,
        );
      }
      const allocations = found
        .filter((gateway) => publicGateways.has(gateway.id))
        .flatMap((gateway) => [
          ...gateway.secondaryAllocationIds.map((allocation) => ({ allocation, gateway: gateway.id })),
          ...gateway.regionalNatGatewayAddresses.map(({ allocationId }) => ({ allocation: allocationId, gateway: gateway.id })),
        ]);
      const primary = found.filter((gateway) => publicGateways.has(gateway.id) && gateway.publicIp).map((gateway) => ({ address: gateway.publicIp, gateway: gateway.id }));
      return pulumi
        .all(allocations.map(({ allocation, gateway }) => aws.ec2.getElasticIpOutput({ id: allocation }, invoke).publicIp.apply((address: string) => ({ address, gateway }))))
        .apply((secondary) => {
          const seen = new Set<string>();
          return [...primary, ...secondary].filter(({ address }) => address && !seen.has(address) && seen.add(address)).sort((a, b) => a.address.localeCompare(b.address));
        });
    });
  });
}

function routeTarget(route: aws.types.output.ec2.GetRouteTableRoute): string {
  return route.transitGatewayId || route.natGatewayId || route.gatewayId || route.vpcPeeringConnectionId || route.networkInterfaceId || route.vpcEndpointId || "another target";
}

/** A prefix list of those addresses: one security-group rule admits them all, however many gateways the VPC has. */
function natGatewayPrefixList(name: string, addresses: pulumi.Output<{ address: string; gateway: string }[]>): aws.ec2.ManagedPrefixListArgs {
  return {
    name,
    addressFamily: "IPv4",
    // Security groups count a referenced prefix list as maxEntries rules: no more than the gateways need.
    maxEntries: addresses.apply((list) => Math.max(list.length, 1)),
    entries: addresses.apply((list) => list.map(({ address, gateway }) => ({ cidr: `${address}/32`, description: `NAT gateway ${gateway}: ${HOOKS_EGRESS_DESCRIPTION}` }))),
  };
}

/** The test listener serves versions no one has released yet: it never admits the whole internet. */
export function testListenerCidrProblems(cidrs: readonly string[]): ArgumentProblem[] {
  return cidrs.flatMap((cidr, index) =>
    /^(0\.0\.0\.0|::)\/0$/.test(cidr) ? [{ field: [index], message: "opens the test listener, which serves unreleased versions, to the internet: list specific sources", got: cidr }] : [],
  );
}

function cidrSource(cidr: string): { cidrIpv4: string } | { cidrIpv6: string } {
  return cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr };
}
