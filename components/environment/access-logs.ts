import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName } from "../naming";

/**
 * The Elastic Load Balancing accounts that write access logs in the Regions opened before August 2022 (AWS's "Enable
 * access logs for your Application Load Balancer", step 2). The list is closed: every later Region delivers through
 * the `logdelivery.elasticloadbalancing.amazonaws.com` service principal, and `aws.elb.getServiceAccount` fails there.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-southeast-3": "589379963580",
  "ap-south-1": "718504428378",
  "ap-northeast-3": "383597477331",
  "ap-northeast-2": "600734575887",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-northeast-1": "582318560864",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-south-1": "635631232127",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
  "us-gov-west-1": "048591011584",
  "us-gov-east-1": "190560391635",
  "cn-north-1": "638102146993",
  "cn-northwest-1": "037604701340",
};

export const LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com";

/** Who writes a load balancer's access logs in `region`: the Region's ELB account, or the log-delivery service. */
export function accessLogWriter(region: string): { AWS: string } | { Service: string } {
  const account = ELB_LOG_ACCOUNTS[region];
  if (account === undefined) return { Service: LOG_DELIVERY_PRINCIPAL };
  const partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return { AWS: `arn:${partition}:iam::${account}:root` };
}

/** The access-log bucket's policy: the writer may put objects under this account's log prefix only; TLS required. */
export function accessLogBucketPolicy(input: { region: string; bucketArn: string; accountId: string }): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "LoadBalancerWritesAccessLogs",
        Effect: "Allow",
        Principal: accessLogWriter(input.region),
        Action: "s3:PutObject",
        Resource: `${input.bucketArn}/AWSLogs/${input.accountId}/*`,
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [input.bucketArn, `${input.bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

export interface AccessLogBucketArgs {
  readonly namePrefix: string;
  readonly region: pulumi.Output<string>;
  readonly expirationDays: number;
  /** `protect` on the bucket, which holds the logs. */
  readonly protect: boolean;
}

/** The bucket a load balancer writes its access logs to, private and encrypted, whose objects expire. */
export interface AccessLogBucket {
  readonly bucket: aws.s3.Bucket;
  readonly policy: aws.s3.BucketPolicy;
}

export function createAccessLogBucket(name: string, args: AccessLogBucketArgs, opts: pulumi.CustomResourceOptions, invoke: pulumi.InvokeOutputOptions): AccessLogBucket {
  const stateful = { ...opts, protect: args.protect };
  // Bucket names take lower-case letters, digits, dots and hyphens: other component names get a valid prefix.
  const bucketPrefix = /^[a-z0-9.-]+$/.test(name) ? {} : { bucketPrefix: physicalName([args.namePrefix.toLowerCase()], "access-logs", 37).toLowerCase() };
  const bucket = new aws.s3.Bucket(`${name}-access-logs`, { forceDestroy: false, ...bucketPrefix }, stateful);
  new aws.s3.BucketPublicAccessBlock(
    `${name}-access-logs`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  // ALB access logs support SSE-S3 only.
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-access-logs`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    opts,
  );
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-access-logs`,
    {
      bucket: bucket.id,
      rules: [{ id: "expire-access-logs", status: "Enabled", filter: {}, expiration: { days: args.expirationDays } }],
    },
    opts,
  );
  const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;
  const policy = new aws.s3.BucketPolicy(
    `${name}-access-logs`,
    {
      bucket: bucket.id,
      policy: pulumi
        .all([args.region, bucket.arn, accountId])
        .apply(([region, bucketArn, account]) => JSON.stringify(accessLogBucketPolicy({ region, bucketArn, accountId: account }))),
    },
    opts,
  );
  return { bucket, policy };
}
