import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import type { Tier } from "../tiers";
import { type EnvironmentContract, ENVIRONMENT_OUTPUT, MAIN_LOAD_BALANCER } from "./contract";
import { readEnvironmentContract } from "./contract-read";
import type { DashboardService } from "./dashboard";
import { createDashboardPages } from "./dashboard-pages";
import { type LoadBalancerEndpoints, LoadBalancerTable, LoadBalancerView, productionUrlOf, testUrlOf } from "./load-balancer-view";
import { type SubnetDefaultRoute, subnetDefaultRoutes } from "./network-paths";
import { notifyFlagDeployments } from "./notifications";
import { type AwsProviderSettings, awsProviderSettingsProblems, environmentProviderArgs, environmentTags } from "./provider-settings";
import type { ServiceEnvironment } from "./service-environment";

/** What a service stack adds to the contract it joins: its own provider's settings and tags. */
export interface JoinedEnvironmentArgs {
  /** The AWS provider's other settings (the service stack's `aws:` config); its Region is always the contract's. @default {} */
  readonly aws?: AwsProviderSettings;
  /** Tags on every AWS resource of the service stack, besides environment, tier, service and managed-by. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * What tells this stack's own resources (its dashboard, its flag deployments' rule) from the environment stack's and
   * other service stacks' in the account: their physical names are `<namePrefix>-<ownName>-...`.
   * @default the Pulumi project's name
   */
  readonly ownName?: string;
}

/**
 * An environment another stack made, as a service stack joins it: every id from the environment stack's contract,
 * an AWS provider of its own (the contract's Region, the environment's default tags), and, of its own, only what a
 * service stack adds to an environment: its flag deployments' notifications and its dashboard. Made by
 * `Environment.fromContract` or `Environment.fromStackReference`.
 */
export class JoinedEnvironment extends pulumi.ComponentResource implements ServiceEnvironment {
  /** The contract the environment stack exported, as read. */
  public readonly contract: EnvironmentContract;
  public readonly loadBalancerName = MAIN_LOAD_BALANCER;
  public readonly tier: Tier;
  public readonly namePrefix: string;
  public readonly region: pulumi.Output<string>;
  /** The provider with the environment's region and default tags (and this stack's `aws:` settings); pass it to components composed with this one. */
  public readonly provider: aws.Provider;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetRoutes: pulumi.Output<SubnetDefaultRoute[]>;
  public readonly internal: boolean;
  public readonly loadBalancerArn: pulumi.Output<string>;
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
  /** Nothing: the bucket's policy exists already, in the environment stack. */
  public readonly accessLogsReady: readonly pulumi.Resource[] = [];
  private readonly loadBalancers: LoadBalancerTable;
  private readonly componentName: string;
  /** The parts of this stack's own physical names: the environment's prefix and `ownName`. */
  private readonly ownNameParts: readonly string[];

  constructor(name: string, contract: EnvironmentContract, args: JoinedEnvironmentArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    refuseBadArguments("JoinedEnvironment", name, joinedEnvironmentProblems(contract, args));
    super("release:aws:JoinedEnvironment", name, {}, opts);
    this.contract = contract;
    this.componentName = name;
    this.ownNameParts = [contract.namePrefix, args.ownName ?? pulumi.getProject()];
    this.tier = contract.tier;
    this.namePrefix = contract.namePrefix;
    this.region = pulumi.output(contract.region);
    this.provider = new aws.Provider(`${name}-aws`, environmentProviderArgs(args.aws, contract.region, environmentTags(contract.namePrefix, contract.tier, args.tags)), { parent: this });
    this.vpcId = pulumi.output(contract.vpcId);
    this.privateSubnetIds = pulumi.output([...contract.privateSubnetIds]);
    this.privateSubnetRoutes = subnetDefaultRoutes(contract.vpcId, [...contract.privateSubnetIds], { parent: this, provider: this.provider });
    this.internal = contract.internal;
    this.loadBalancerSecurityGroupId = pulumi.output(contract.loadBalancerSecurityGroupId);
    this.hooksSecurityGroupId = pulumi.output(contract.hooksSecurityGroupId);
    this.productionPort = contract.productionPort;
    this.productionProtocol = contract.productionProtocol;
    this.testListenerPort = contract.testListenerPort;
    this.clusterArn = pulumi.output(contract.clusterArn);
    this.clusterName = pulumi.output(contract.clusterName);
    this.alertTopicArn = pulumi.output(contract.alertTopicArn);
    this.accessLogBucketName = contract.accessLogBucket === undefined ? undefined : pulumi.output(contract.accessLogBucket);
    this.loadBalancers = new LoadBalancerTable(
      { component: "JoinedEnvironment", name },
      contract.loadBalancers.map(
        (balancer): LoadBalancerEndpoints => ({
          name: balancer.name,
          securityGroupId: pulumi.output(balancer.securityGroupId),
          arn: pulumi.output(balancer.arn),
          arnSuffix: pulumi.output(balancer.arnSuffix),
          dnsName: pulumi.output(balancer.dnsName),
          productionListenerArn: pulumi.output(balancer.productionListenerArn),
          testListenerArn: pulumi.output(balancer.testListenerArn),
        }),
      ),
    );
    const main = this.loadBalancers.get(MAIN_LOAD_BALANCER).endpoints;
    this.loadBalancerArn = main.arn;
    this.loadBalancerArnSuffix = main.arnSuffix;
    this.dnsName = main.dnsName;
    this.productionListenerArn = main.productionListenerArn;
    this.testListenerArn = main.testListenerArn;
    // Every public Output, as Environment registers its own, so a service stack's preview shows the ids it joined.
    this.registerOutputs({
      tier: this.tier,
      namePrefix: this.namePrefix,
      region: this.region,
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      privateSubnetRoutes: this.privateSubnetRoutes,
      loadBalancerArn: this.loadBalancerArn,
      loadBalancerArnSuffix: this.loadBalancerArnSuffix,
      dnsName: this.dnsName,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
      hooksSecurityGroupId: this.hooksSecurityGroupId,
      productionListenerArn: this.productionListenerArn,
      testListenerArn: this.testListenerArn,
      clusterArn: this.clusterArn,
      clusterName: this.clusterName,
      alertTopicArn: this.alertTopicArn,
      ...(this.accessLogBucketName === undefined ? {} : { accessLogBucketName: this.accessLogBucketName }),
    });
  }

  public claimPriority(priority: number, service: string): ArgumentProblem | undefined {
    return this.loadBalancers.get(MAIN_LOAD_BALANCER).priorities.claim(priority, service);
  }

  public loadBalancer(name: string): ServiceEnvironment {
    const { endpoints, priorities } = this.loadBalancers.get(name);
    return new LoadBalancerView(this, endpoints, priorities);
  }

  /**
   * This stack's flag deployments (its own flag store's) notify the environment's topic. The rule is this stack's,
   * named with `ownName`; the topic's policy is the environment stack's, and admits every EventBridge rule of the
   * account in its Region (`alertTopicPolicy`), as its key does (`alertKeyPolicy`).
   */
  public notifyFlagDeployments(flags: { readonly applicationId: pulumi.Input<string>; readonly environmentId: pulumi.Input<string> }): void {
    notifyFlagDeployments(this.componentName, { namePrefix: this.ownNameParts.join("-"), topicArn: this.alertTopicArn, ...flags }, { parent: this, provider: this.provider });
  }

  /** This stack's own dashboard of its services (`<namePrefix>-<ownName>-release`), beside the environment stack's. */
  public addDashboards(services: readonly pulumi.Input<DashboardService>[]): aws.cloudwatch.Dashboard[] {
    return createDashboardPages(
      this.componentName,
      { nameParts: this.ownNameParts, region: this.region, loadBalancerArnSuffix: this.loadBalancerArnSuffix },
      services,
      { parent: this, provider: this.provider },
    );
  }

  public productionUrl(): pulumi.Output<string> {
    return productionUrlOf(this.productionProtocol, this.dnsName);
  }

  public testUrl(): pulumi.Output<string> {
    return testUrlOf(this.dnsName, this.testListenerPort);
  }
}

/** What is wrong with joining `contract` with `args`: the provider settings, and a contract without its main load balancer. */
function joinedEnvironmentProblems(contract: EnvironmentContract, args: JoinedEnvironmentArgs): ArgumentProblem[] {
  const names = contract.loadBalancers.map((balancer) => balancer.name);
  return [
    ...under(["aws"], awsProviderSettingsProblems(args.aws, args.tags)),
    ...(names.includes(MAIN_LOAD_BALANCER) ? [] : [{ field: ["contract", "loadBalancers"], message: `has no load balancer named ${MAIN_LOAD_BALANCER}`, got: names }]),
  ];
}

/**
 * Reads the environment stack `ref`'s contract and joins it. Awaited before anything is registered in the service
 * stack, so a stack that is not an environment stack stops the program with the reason, not with half a deployment.
 */
export async function joinStackReference(
  name: string,
  ref: string | pulumi.StackReference,
  args: JoinedEnvironmentArgs,
  opts: pulumi.ComponentResourceOptions | undefined,
): Promise<JoinedEnvironment> {
  const reference = typeof ref === "string" ? new pulumi.StackReference(ref, undefined, opts?.parent ? { parent: opts.parent } : undefined) : ref;
  const stack = typeof ref === "string" ? ref : await new Promise<string>((resolve) => reference.name.apply(resolve));
  const details = await reference.getOutputDetails(ENVIRONMENT_OUTPUT);
  const value = details.value ?? details.secretValue;
  const hint = "is it an environment stack of release-platform with release:routes?";
  if (value === undefined) {
    throw new Error(`Environment ${name}: stack ${stack} has no output "${ENVIRONMENT_OUTPUT}" (the environment contract): ${hint}`);
  }
  const read = readEnvironmentContract(value);
  if ("problems" in read) {
    const problems = read.problems.map(({ field, message }) => `${field} ${message}`).join("; ");
    throw new Error(`Environment ${name}: stack ${stack}'s output "${ENVIRONMENT_OUTPUT}" is not an environment contract this release-platform reads: ${problems}; ${hint}`);
  }
  return new JoinedEnvironment(name, read.contract, args, opts);
}
