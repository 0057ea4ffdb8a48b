import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AWS_PROVIDER_SETTINGS } from "../components/environment/provider-settings";
import type { SynthDocument, SynthResource } from "../src/synth/capture";
import { PROJECT_ROOT } from "../src/synth/run";
import { configError, shippedConfig, synth, type StackConfig } from "./helpers";

/** A value for every `aws:` setting, as a stack file writes it (forbiddenAccountIds apart: it excludes allowedAccountIds). */
const EVERY_SETTING: Record<string, unknown> = {
  "aws:accessKey": "AKIAEXAMPLEEXAMPLE00",
  "aws:allowedAccountIds": ["123456789012"],
  "aws:assumeRoleWithWebIdentity": { roleArn: "arn:aws:iam::123456789012:role/web", webIdentityTokenFile: "/var/run/token" },
  "aws:assumeRoles": [
    { roleArn: "arn:aws:iam::210987654321:role/hop", sessionName: "hop" },
    { roleArn: "arn:aws:iam::123456789012:role/deployer", duration: "1h", externalId: "ext-1", tags: { team: "shop" } },
  ],
  "aws:customCaBundle": "/etc/ssl/corp.pem",
  "aws:defaultTags": { tags: { "cost-center": "4711", owner: "shop" } },
  "aws:ec2MetadataServiceEndpoint": "http://169.254.169.254",
  "aws:ec2MetadataServiceEndpointMode": "IPv4",
  "aws:endpoints": [{ sts: "https://sts.eu-west-1.amazonaws.com" }],
  "aws:httpProxy": "http://proxy:3128",
  "aws:httpsProxy": "http://proxy:3128",
  "aws:ignoreTags": { keyPrefixes: ["aws:"], keys: ["LastScanned"] },
  "aws:insecure": false,
  "aws:maxRetries": 7,
  "aws:noProxy": "169.254.169.254",
  "aws:profile": "shop-staging",
  "aws:retryMode": "adaptive",
  "aws:s3UsEast1RegionalEndpoint": "regional",
  "aws:s3UsePathStyle": true,
  "aws:secretKey": { secure: "v1:secretkey" },
  "aws:sharedConfigFiles": ["/home/ci/.aws/config"],
  "aws:sharedCredentialsFiles": ["/home/ci/.aws/credentials"],
  "aws:skipCredentialsValidation": true,
  "aws:skipMetadataApiCheck": true,
  "aws:skipRegionValidation": false,
  "aws:skipRequestingAccountId": true,
  "aws:stsRegion": "eu-west-1",
  "aws:tagPolicyCompliance": "warning",
  "aws:token": { secure: "v1:token" },
  "aws:tokenBucketRateLimiterCapacity": 500,
  "aws:useDualstackEndpoint": true,
  "aws:useFipsEndpoint": false,
  "aws:userAgents": ["release-platform/0.2"],
};

// `aws.Provider` keeps accessKey, secretKey and token secret whatever the stack file says.
const SECRET_SETTINGS = new Set(["aws:accessKey", "aws:secretKey", "aws:token"]);

const AWS_TYPE = /^aws:/;

/** The providers of every AWS resource, by URN; a resource on the default provider has no entry in the document. */
function providersOfAwsResources(document: SynthDocument): { provider: SynthResource; resources: SynthResource[] }[] {
  const aws = document.resources.filter((resource) => resource.custom && AWS_TYPE.test(resource.type));
  expect(aws.length).toBeGreaterThan(50);
  const byProvider = new Map<string, SynthResource[]>();
  for (const resource of aws) byProvider.set(resource.provider, [...(byProvider.get(resource.provider) ?? []), resource]);
  return [...byProvider].map(([reference, resources]) => {
    // A provider reference is `<urn>::<id>`.
    const provider = document.resources.find((candidate) => reference.startsWith(`${candidate.urn}::`));
    expect(provider, `${resources[0].type} ${resources[0].name} uses provider "${reference}", which the program did not create (the default provider reads aws: config the program does not check)`).toBeDefined();
    return { provider: provider!, resources };
  });
}

/** A provider input as the SDK sends it (`aws.Provider` JSON-encodes every non-string input). */
function providerInput(provider: SynthResource, key: string): unknown {
  const value = provider.inputs[key];
  if (typeof value !== "string" || value === "[secret]") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function withSettings(settings: Record<string, unknown>, base: StackConfig = shippedConfig("staging")): StackConfig {
  return { ...base, ...settings };
}

describe("the stack's aws: settings reach every AWS resource", () => {
  it("the settings the program reads are exactly @pulumi/aws's ProviderArgs, region apart", () => {
    const declaration = readFileSync(join(PROJECT_ROOT, "node_modules/@pulumi/aws/provider.d.ts"), "utf8");
    const body = declaration.slice(declaration.indexOf("export interface ProviderArgs {"));
    const fields = [...body.slice(0, body.indexOf("\n}")).matchAll(/^ {4}(\w+)\?:/gm)].map((match) => match[1]).sort();
    expect(fields).toContain("allowedAccountIds");
    expect([...AWS_PROVIDER_SETTINGS, "region"].sort()).toEqual(fields);
    expect(Object.keys(EVERY_SETTING).map((key) => key.slice(4)).sort()).toEqual(AWS_PROVIDER_SETTINGS.filter((key) => key !== "forbiddenAccountIds"));
  });

  it("done-when: allowedAccountIds, assumeRoles and defaultTags are on the provider of every AWS resource", async () => {
    const roles = [{ roleArn: "arn:aws:iam::123456789012:role/deployer", sessionName: "release" }];
    const document = await synth(
      withSettings({ "aws:allowedAccountIds": ["123456789012"], "aws:assumeRoles": roles, "aws:defaultTags": { tags: { "cost-center": "4711" } } }),
    );
    const providers = providersOfAwsResources(document);
    expect(providers).toHaveLength(1);
    for (const { provider } of providers) {
      expect(providerInput(provider, "allowedAccountIds")).toEqual(["123456789012"]);
      expect(providerInput(provider, "assumeRoles")).toEqual(roles);
      // The stack's tags, merged with the environment's own.
      expect(providerInput(provider, "defaultTags")).toEqual({
        tags: { "cost-center": "4711", environment: "staging", tier: "staging", service: "release-platform", "managed-by": "pulumi" },
      });
    }
  });

  it("every setting of @pulumi/aws's provider, each on the provider of every AWS resource; secrets stay secret", async () => {
    const document = await synth(withSettings(EVERY_SETTING));
    const [{ provider }] = providersOfAwsResources(document);
    for (const [key, value] of Object.entries(EVERY_SETTING)) {
      const name = key.slice(4);
      if (SECRET_SETTINGS.has(key)) expect(provider.inputs[name], key).toBe("[secret]");
      else if (name === "defaultTags") expect(providerInput(provider, name), key).toEqual({ tags: { ...(value as { tags: object }).tags, environment: "staging", tier: "staging", service: "release-platform", "managed-by": "pulumi" } });
      else expect(providerInput(provider, name), key).toEqual(value);
    }
    expect(providerInput(provider, "region")).toBe("eu-west-1");
  });

  it("forbiddenAccountIds reaches the provider too, and a --secret setting is secret on it", async () => {
    const document = await synth(withSettings({ "aws:forbiddenAccountIds": ["999999999999"], "aws:assumeRoles": [{ roleArn: "arn:aws:iam::123456789012:role/deployer", externalId: { secure: "v1:ext" } }] }));
    const [{ provider }] = providersOfAwsResources(document);
    expect(providerInput(provider, "forbiddenAccountIds")).toEqual(["999999999999"]);
    expect(provider.inputs.assumeRoles).toBe("[secret]");
  });

  it("the Kubernetes example's AWS resources use the same provider", async () => {
    const { parse } = await import("yaml");
    const eks = (parse(readFileSync(join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml"), "utf8")) as { config: StackConfig }).config;
    const document = await synth(withSettings({ "aws:allowedAccountIds": ["123456789012"] }, eks), "eks");
    for (const { provider } of providersOfAwsResources(document)) expect(providerInput(provider, "allowedAccountIds")).toEqual(["123456789012"]);
  });
});

describe("aws: settings the program cannot honour are config errors naming them", () => {
  const error = (settings: Record<string, unknown>) => configError(withSettings(settings));

  it.each([
    [{ "aws:assumeRole": { roleArn: "arn:aws:iam::123456789012:role/deployer" } }, "Pulumi.staging.yaml: aws:assumeRole: @pulumi/aws 7.48's provider takes a chain of roles, not one: write aws:assumeRoles"],
    [{ "aws:allowedAcountIds": ["123456789012"] }, 'aws:allowedAcountIds: not a setting of the AWS provider (@pulumi/aws 7.48) (did you mean "aws:allowedAccountIds"?)'],
    [{ "aws:allowedAccountIds": [123456789012] }, "aws:allowedAccountIds[0]: expected a 12-digit account id (quote it in YAML) (got 123456789012)"],
    [{ "aws:allowedAccountIds": "123456789012" }, "aws:allowedAccountIds: expected a list"],
    [{ "aws:assumeRoles": [{ roleArn: "deployer" }] }, "aws:assumeRoles[0].roleArn: expected an IAM role ARN like arn:aws:iam::123456789012:role/deployer"],
    [{ "aws:assumeRoles": [{ role_arn: "arn:aws:iam::123456789012:role/deployer" }] }, "aws:assumeRoles[0].role_arn: unknown key"],
    [{ "aws:retryMode": "fast" }, "aws:retryMode: expected one of standard, adaptive"],
    [{ "aws:defaultTags": { tags: { environment: "prod" } } }, "aws:defaultTags.tags.environment: is a tag the environment sets on every resource itself"],
    [{ "aws:defaultTags": { "cost-center": "4711" } }, "aws:defaultTags.cost-center: unknown key"],
    [{ "aws:allowedAccountIds": ["123456789012"], "aws:forbiddenAccountIds": ["210987654321"] }, "aws:forbiddenAccountIds: cannot be set with allowedAccountIds"],
  ])("%j", (settings, message) => {
    expect(error(settings)).toContain(message);
  });

  it("the shipped stacks set only aws:region and load", () => {
    for (const stack of ["dev", "staging", "production"]) expect(configError(shippedConfig(stack), stack)).toBeUndefined();
  });
});
