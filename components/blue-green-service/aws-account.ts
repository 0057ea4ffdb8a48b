import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** Where the service's provider deploys: the region, account and partition its ARNs, policies and log settings name. */
export interface AwsAccount {
  readonly region: pulumi.Output<string>;
  readonly accountId: pulumi.Output<string>;
  readonly partition: pulumi.Output<string>;
}

/** Reads the region, account and partition once, through the provider of `parent`. */
export function awsAccount(parent: pulumi.Resource): AwsAccount {
  const invoke = { parent };
  return {
    region: aws.getRegionOutput({}, invoke).region,
    accountId: aws.getCallerIdentityOutput({}, invoke).accountId,
    partition: aws.getPartitionOutput({}, invoke).partition,
  };
}
