import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { ArgumentProblem } from "../arguments";
import * as format from "../formats";

/**
 * The AWS provider's settings besides its Region: @pulumi/aws 7.48's `ProviderArgs`, field for field (the names a
 * stack file writes under `aws:`). Pulumi hands a stack's `aws:` config to the *default* provider only; an explicit
 * `aws.Provider` reads none of it, so the environment passes these to the provider every child uses.
 */
export type AwsProviderSettings = Omit<aws.ProviderArgs, "region">;

const str = (max = 2048) => z.string({ error: "expected a string" }).min(1, { error: "must not be empty" }).max(max);
const bool = () => z.boolean({ error: "expected true or false" });
const int = (min: number, max: number) => z.number({ error: "expected a number" }).int({ error: "expected a whole number" }).min(min).max(max);
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: "expected a list" }).max(100);
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `expected one of ${values.join(", ")}` });
const accountId = z.string({ error: "expected a 12-digit account id (quote it in YAML)" }).regex(/^\d{12}$/, { error: "expected a 12-digit account id" });
const roleArn = z.string({ error: "expected an IAM role ARN" }).regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, { error: "expected an IAM role ARN like arn:aws:iam::123456789012:role/deployer" });
/** A Go duration, as the provider parses `duration` ("1h", "15m", "900s"); STS takes 15 minutes to 12 hours. */
const duration = z.string({ error: "expected a duration like 1h or 15m" }).regex(/^(\d+(\.\d+)?(h|m|s|ms))+$/, { error: "expected a duration like 1h or 15m" });
const tags = z.record(str(128), z.string({ error: "expected a string" }).max(256), { error: "expected a map of tag keys to values" });

/** One role of the `assumeRoles` chain (ProviderAssumeRole). */
const assumeRoleSchema = z.strictObject({
  roleArn,
  duration: duration.optional(),
  externalId: str(1224).optional(),
  policy: str(2048).optional(),
  policyArns: list(str()).optional(),
  sessionName: str(64).optional(),
  sourceIdentity: str(64).optional(),
  tags: tags.optional(),
  transitiveTagKeys: list(str(128)).optional(),
});

/**
 * Each `aws:` setting's shape as a stack file writes it. The keys are exactly `ProviderArgs`'s but `region` (which
 * `aws:region` gives the environment's `region`); test/aws-provider.test.ts holds them to @pulumi/aws's provider.d.ts.
 * @internal (zod's types must not reach the published declarations: a team's `tsc` would check them)
 */
export const AWS_SETTING_SHAPES = {
  accessKey: str(),
  allowedAccountIds: list(accountId).min(1),
  assumeRoleWithWebIdentity: z
    .strictObject({
      roleArn,
      duration: duration.optional(),
      policy: str().optional(),
      policyArns: list(str()).optional(),
      sessionName: str(64).optional(),
      webIdentityToken: str(20_000).optional(),
      webIdentityTokenFile: str().optional(),
    }),
  assumeRoles: list(assumeRoleSchema).min(1),
  customCaBundle: str(100_000),
  defaultTags: z.strictObject({ tags: tags.optional() }),
  ec2MetadataServiceEndpoint: str(),
  ec2MetadataServiceEndpointMode: oneOf(["IPv4", "IPv6"]),
  /** One map of service name -> endpoint URL (ProviderEndpoint); the provider refuses a service it does not know. */
  endpoints: list(z.record(z.string().regex(/^[a-z0-9]+$/, { error: "expected a service name like s3 or sts" }), str(), { error: "expected a map of service names to URLs" })),
  forbiddenAccountIds: list(accountId).min(1),
  httpProxy: str(),
  httpsProxy: str(),
  ignoreTags: z.strictObject({ keys: list(str(128)).optional(), keyPrefixes: list(str(128)).optional() }),
  insecure: bool(),
  maxRetries: int(0, 100),
  noProxy: str(),
  profile: str(256),
  retryMode: oneOf(["standard", "adaptive"]),
  s3UsEast1RegionalEndpoint: oneOf(["legacy", "regional"]),
  s3UsePathStyle: bool(),
  secretKey: str(),
  sharedConfigFiles: list(str()),
  sharedCredentialsFiles: list(str()),
  skipCredentialsValidation: bool(),
  skipMetadataApiCheck: bool(),
  skipRegionValidation: bool(),
  skipRequestingAccountId: bool(),
  stsRegion: format.awsRegion,
  tagPolicyCompliance: oneOf(["error", "warning", "disabled"]),
  token: str(20_000),
  tokenBucketRateLimiterCapacity: int(1, 1_000_000),
  useDualstackEndpoint: bool(),
  useFipsEndpoint: bool(),
  userAgents: list(str()),
};

const opt = <T extends z.ZodType>(shape: T) => format.orOutput(shape).optional();

/** The settings as `EnvironmentArgs.aws` takes them: each may also be an Output (a `--secret` value is one). @internal */
export const awsProviderSettingsSchema = z.strictObject({
  accessKey: opt(AWS_SETTING_SHAPES.accessKey),
  allowedAccountIds: opt(AWS_SETTING_SHAPES.allowedAccountIds),
  assumeRoleWithWebIdentity: opt(AWS_SETTING_SHAPES.assumeRoleWithWebIdentity),
  assumeRoles: opt(AWS_SETTING_SHAPES.assumeRoles),
  customCaBundle: opt(AWS_SETTING_SHAPES.customCaBundle),
  defaultTags: opt(AWS_SETTING_SHAPES.defaultTags),
  ec2MetadataServiceEndpoint: opt(AWS_SETTING_SHAPES.ec2MetadataServiceEndpoint),
  ec2MetadataServiceEndpointMode: opt(AWS_SETTING_SHAPES.ec2MetadataServiceEndpointMode),
  endpoints: opt(AWS_SETTING_SHAPES.endpoints),
  forbiddenAccountIds: opt(AWS_SETTING_SHAPES.forbiddenAccountIds),
  httpProxy: opt(AWS_SETTING_SHAPES.httpProxy),
  httpsProxy: opt(AWS_SETTING_SHAPES.httpsProxy),
  ignoreTags: opt(AWS_SETTING_SHAPES.ignoreTags),
  insecure: opt(AWS_SETTING_SHAPES.insecure),
  maxRetries: opt(AWS_SETTING_SHAPES.maxRetries),
  noProxy: opt(AWS_SETTING_SHAPES.noProxy),
  profile: opt(AWS_SETTING_SHAPES.profile),
  retryMode: opt(AWS_SETTING_SHAPES.retryMode),
  s3UsEast1RegionalEndpoint: opt(AWS_SETTING_SHAPES.s3UsEast1RegionalEndpoint),
  s3UsePathStyle: opt(AWS_SETTING_SHAPES.s3UsePathStyle),
  secretKey: opt(AWS_SETTING_SHAPES.secretKey),
  sharedConfigFiles: opt(AWS_SETTING_SHAPES.sharedConfigFiles),
  sharedCredentialsFiles: opt(AWS_SETTING_SHAPES.sharedCredentialsFiles),
  skipCredentialsValidation: opt(AWS_SETTING_SHAPES.skipCredentialsValidation),
  skipMetadataApiCheck: opt(AWS_SETTING_SHAPES.skipMetadataApiCheck),
  skipRegionValidation: opt(AWS_SETTING_SHAPES.skipRegionValidation),
  skipRequestingAccountId: opt(AWS_SETTING_SHAPES.skipRequestingAccountId),
  stsRegion: opt(AWS_SETTING_SHAPES.stsRegion),
  tagPolicyCompliance: opt(AWS_SETTING_SHAPES.tagPolicyCompliance),
  token: opt(AWS_SETTING_SHAPES.token),
  tokenBucketRateLimiterCapacity: opt(AWS_SETTING_SHAPES.tokenBucketRateLimiterCapacity),
  useDualstackEndpoint: opt(AWS_SETTING_SHAPES.useDualstackEndpoint),
  useFipsEndpoint: opt(AWS_SETTING_SHAPES.useFipsEndpoint),
  userAgents: opt(AWS_SETTING_SHAPES.userAgents),
});

/** The names of every setting, as `aws:<name>` in a stack file. */
export const AWS_PROVIDER_SETTINGS = Object.keys(awsProviderSettingsSchema.shape).sort() as (keyof AwsProviderSettings)[];

/** A setting older @pulumi/aws versions took that 7.48's provider does not, with what to write instead. */
export const RETIRED_AWS_SETTINGS: Readonly<Record<string, string>> = {
  assumeRole: "@pulumi/aws 7.48's provider takes a chain of roles, not one: write aws:assumeRoles: [{roleArn: ...}] (a list)",
};

/** The tags the environment sets on every resource itself; a stack's default tags may not redefine them. */
export const OWN_TAG_KEYS = ["environment", "tier", "service", "managed-by"] as const;

/** Problems no field's shape shows: settings the provider refuses together, tags the environment owns. */
export function awsProviderSettingsProblems(settings: AwsProviderSettings | undefined, extraTags: Readonly<Record<string, string>> = {}): ArgumentProblem[] {
  if (!settings) return [];
  const problems: ArgumentProblem[] = [];
  // terraform-provider-aws: allowed_account_ids `ConflictsWith: []string{"forbidden_account_ids"}`.
  if (settings.allowedAccountIds !== undefined && settings.forbiddenAccountIds !== undefined) {
    problems.push({ field: ["forbiddenAccountIds"], message: "cannot be set with allowedAccountIds (the provider takes one or the other)", got: settings.forbiddenAccountIds });
  }
  const defaultTags = settings.defaultTags as { tags?: Record<string, unknown> } | undefined;
  const stackTags = defaultTags && typeof defaultTags === "object" && defaultTags.tags && typeof defaultTags.tags === "object" ? defaultTags.tags : {};
  for (const key of Object.keys(stackTags).sort()) {
    if ((OWN_TAG_KEYS as readonly string[]).includes(key)) {
      problems.push({ field: ["defaultTags", "tags", key], message: `is a tag the environment sets on every resource itself (${OWN_TAG_KEYS.join(", ")}): use another key`, got: stackTags[key] });
    } else if (key in extraTags && extraTags[key] !== stackTags[key]) {
      problems.push({ field: ["defaultTags", "tags", key], message: `differs from the environment's tag ${key}=${JSON.stringify(extraTags[key])}: set it in one place`, got: stackTags[key] });
    }
  }
  return problems;
}

/**
 * The environment provider's arguments: every stack setting, the Region, and default tags = the stack's, then the
 * environment's `tags`, then the environment's own (`OWN_TAG_KEYS`). Nothing the stack gives is dropped.
 */
export function environmentProviderArgs(
  settings: AwsProviderSettings | undefined,
  region: pulumi.Input<string>,
  tags: Readonly<Record<string, string>>,
): aws.ProviderArgs {
  const stackTags = ((settings?.defaultTags ?? {}) as { tags?: Record<string, string> }).tags ?? {};
  return {
    ...settings,
    region: region as pulumi.Input<aws.Region>,
    defaultTags: { tags: { ...stackTags, ...tags } },
  };
}

/** The tags an environment's provider (a live `Environment`'s or a `JoinedEnvironment`'s) puts on every resource: `tags`, then its own (`OWN_TAG_KEYS`). */
export function environmentTags(namePrefix: string, tier: string, tags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return { ...tags, environment: namePrefix, tier, service: "release-platform", "managed-by": "pulumi" };
}
