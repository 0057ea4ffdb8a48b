import { Region } from "@pulumi/aws/types/enums";
import type { ReleaseEnvironmentArgs } from "../../components/release-environment/args";
import { loadBalancerProblems, type ServiceOnLoadBalancer } from "../../components/release-environment/problems";
import { resolveReleaseEnvironment, type ResolvedReleaseEnvironment } from "../../components/release-environment/resolve";
import { awsRegion } from "../../components/formats";
import { releaseEnvironmentArgs } from "./args";
import { awsSettingsFromConfig } from "./aws-settings";
import { ConfigError, type ConfigProblem, renderPath, sortProblems, suggest } from "./problems";
import { ruleProblems } from "./rules";
import { TIERS, type Tier } from "./schema";
import { secrecy, unkeptSecretProblems } from "./secrecy";
import { INVALID, isMap, parsedParts, parseWithPathStrings, zodProblems } from "./shape";
import { type ConfigSource, readReleaseKeys, reservedNameProblems } from "./source";

export type { ResolvedCluster, ResolvedService } from "../../components/release-environment/resolve";

/** A stack's validated config: the ReleaseEnvironment's arguments as the stack file gives them, and as its tier fills them. */
export interface ReleaseConfig extends ResolvedReleaseEnvironment {
  readonly stack: string;
  readonly stackFile: string;
  /** What the stack file says, typed: `new ReleaseEnvironment(stack, args)`. */
  readonly args: ReleaseEnvironmentArgs;
}

/** dev*, staging* / stg*, prod* / production*; anything else needs an explicit release:tier. */
export function tierFromStackName(stack: string): Tier | undefined {
  const name = stack.toLowerCase().split("/").pop() ?? "";
  if (name.startsWith("dev")) return "dev";
  if (name.startsWith("staging") || name.startsWith("stg")) return "staging";
  if (name.startsWith("prod")) return "production";
  return undefined;
}

const AWS_REGIONS = Object.values(Region).sort() as string[];

/** Validates the stack's config and applies tier defaults. Throws ConfigError listing every problem. */
export function loadReleaseConfig(source: ConfigSource): ReleaseConfig {
  const secretAt = secrecy(source);
  const isSecret = (key: string) => secretAt([key]);
  const { raw, problems: keyProblems } = readReleaseKeys(source, isSecret);
  const problems: ConfigProblem[] = [...(source.fileProblems ?? []), ...keyProblems];

  problems.push(...reservedNameProblems(raw));
  problems.push(...unkeptSecretProblems(source.secretPaths));

  // Past the load balancer's limit nothing else matters, and checking thousands of services would take minutes.
  if (isMap(raw.services)) {
    const earlyTier = TIERS.find((tier) => tier === raw.tier) ?? tierFromStackName(source.stack) ?? "dev";
    const tooMany = loadBalancerProblems(earlyTier, raw.services as Record<string, ServiceOnLoadBalancer | null>);
    if (tooMany.length > 0) throw new ConfigError(source.stackFile, tooMany.map((problem) => ({ path: renderPath(problem.field), message: problem.message, got: problem.got, secret: false })));
  }

  const region = source.values["aws:region"];
  if (!awsRegion.safeParse(region).success) {
    problems.push({ path: "aws:region", message: "expected an AWS region like eu-west-1", got: region, secret: false });
  } else if (!(AWS_REGIONS as string[]).includes(region as string)) {
    problems.push({ path: "aws:region", message: `not an AWS region${suggest(region as string, AWS_REGIONS)}; the regions @pulumi/aws knows: ${AWS_REGIONS.join(", ")}`, got: region, secret: false });
  }

  // Every other aws: key is the environment provider's: read and checked here, never left to a provider that ignores it.
  const aws = awsSettingsFromConfig(source.values, source.secretKeys);
  problems.push(...aws.problems);

  const parsed = parseWithPathStrings(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...zodProblems(issue, raw, secretAt));
  }

  // The rest is checked on the parts that parsed, so a shape problem in one service hides none in another.
  const parts = parsedParts(raw);
  const tier = parts.tier === INVALID ? undefined : (parts.tier ?? tierFromStackName(source.stack));
  if (tier === undefined && parts.tier !== INVALID) {
    problems.push({
      path: "release:tier",
      message: `stack "${source.stack}" does not name a tier (dev*, staging*/stg*, prod*/production*): set release:tier to dev, staging or production`,
      got: undefined,
      secret: false,
    });
  }
  if (tier !== undefined) problems.push(...ruleProblems(parts, { stack: source.stack, tier, region: String(region), aws: aws.problems.length > 0 ? undefined : aws.settings, secretAt, secretKeys: source.secretKeys }));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(source.stackFile, sortProblems(problems));
  const args = releaseEnvironmentArgs(parsed.data, { tier: tier as Tier, region: region as string, aws: aws.settings, secretAt });
  return { ...resolveReleaseEnvironment(source.stack, args), stack: source.stack, stackFile: source.stackFile, args };
}
