import { Region } from "@pulumi/aws/types/enums";
import type { ReleaseEnvironmentArgs } from "../../components/release-environment/args";
import { loadBalancerProblems, type ServiceOnLoadBalancer } from "../../components/release-environment/problems";
import { resolveReleaseEnvironment, type ResolvedReleaseEnvironment } from "../../components/release-environment/resolve";
import { awsRegion } from "../../components/formats";
import { ENVIRONMENT_OUTPUT, type EnvironmentContract } from "../../components/environment/contract";
import { readEnvironmentContract } from "../../components/environment/contract-read";
import { releaseEnvironmentArgs } from "./args";
import { awsSettingsFromConfig } from "./aws-settings";
import { ConfigError, type ConfigProblem, renderPath, sortProblems, suggest } from "./problems";
import { ruleProblems } from "./rules";
import { TIERS, type Tier } from "./schema";
import { secrecy, unkeptSecretProblems } from "./secrecy";
import { INVALID, isMap, parsedParts, parseWithPathStrings, zodProblems } from "./shape";
import { type ConfigSource, PROJECT_NAMESPACE, readReleaseKeys, reservedNameProblems } from "./source";

export type { ResolvedCluster, ResolvedService } from "../../components/release-environment/resolve";

/** A stack's validated config: the ReleaseEnvironment's arguments as the stack file gives them, and as its tier fills them. */
export interface ReleaseConfig extends ResolvedReleaseEnvironment {
  readonly stack: string;
  readonly stackFile: string;
  /**
   * The ReleaseEnvironment's name: the stack's; a service stack's Pulumi project, so that its own resources (flag store,
   * dashboard) are named apart from its environment's and every other service stack's.
   */
  readonly name: string;
  /** A service stack: the environment's stack (release:environment.stackReference) and what the config was read from. */
  readonly joins?: { readonly stackReference: string; readonly source: ConfigSource };
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
  if (isMap(raw.services) && raw.environment === undefined) {
    const earlyTier = TIERS.find((tier) => tier === raw.tier) ?? tierFromStackName(source.stack) ?? "dev";
    const tooMany = loadBalancerProblems(earlyTier, raw.services as Record<string, ServiceOnLoadBalancer | null>);
    if (tooMany.length > 0) throw new ConfigError(source.stackFile, tooMany.map((problem) => ({ path: renderPath(problem.field), message: problem.message, got: problem.got, secret: false })));
  }

  const region = source.values["aws:region"];
  const regionValid = awsRegion.safeParse(region).success && AWS_REGIONS.includes(region as string);
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
  if (raw.services === undefined && raw.routes === undefined) {
    problems.push({ path: "release:services", message: "required (only an environment stack, with release:routes, may hold no service)", got: undefined, secret: false });
  }
  const joined = parts.environment === INVALID || parts.environment === undefined ? undefined : joinedEnvironment(parts.environment.stackReference, source);
  problems.push(...(joined?.problems ?? []));
  const environment = joined?.contract;
  const tier = parts.tier === INVALID ? undefined : (parts.tier ?? environment?.tier ?? tierFromStackName(source.stack));
  problems.push(...(environment && parts.tier === undefined ? stackNameTierProblems(source.stack, joined!.stackReference, environment.tier) : []));
  if (tier === undefined && parts.tier !== INVALID && parts.environment === undefined) {
    problems.push({
      path: "release:tier",
      message: `stack "${source.stack}" does not name a tier (dev*, staging*/stg*, prod*/production*): set release:tier to dev, staging or production`,
      got: undefined,
      secret: false,
    });
  }
  // A service stack's own resources are named after its project: the stack's name is usually its environment's too.
  const name = parts.environment === undefined || parts.environment === INVALID ? source.stack : (source.project ?? PROJECT_NAMESPACE);
  // A service stack whose environment could not be read is judged no further: every rule reads the environment.
  const judged = tier !== undefined && (parts.environment === undefined || environment !== undefined);
  if (judged) {
    problems.push(
      ...ruleProblems(parts, {
        name,
        tier,
        // A bad aws:region is the file's own problem above; the environment's rule on the Region waits for a real one.
        region: regionValid || !environment ? String(region) : environment.region,
        aws: aws.problems.length > 0 ? undefined : aws.settings,
        secretAt,
        secretKeys: source.secretKeys,
        environment,
        environmentStack: joined?.stackReference,
        stackName: source.stackName,
      }),
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(source.stackFile, sortProblems(problems));
  const args = releaseEnvironmentArgs(parsed.data, { tier: tier as Tier, region: region as string, aws: aws.settings, secretAt, environment });
  return {
    ...resolveReleaseEnvironment(name, args),
    stack: source.stack,
    stackFile: source.stackFile,
    name,
    args,
    ...(joined ? { joins: { stackReference: joined.stackReference, source } } : {}),
  };
}

const STACK_REFERENCE_PATH = "release:environment.stackReference";

/**
 * The contract a service stack's environment exports, or the problems with it at release:environment.stackReference,
 * each naming the environment's stack and the output's field.
 */
function joinedEnvironment(stackReference: string, source: ConfigSource): { stackReference: string; contract?: EnvironmentContract; problems: ConfigProblem[] } {
  const problem = (message: string): ConfigProblem => ({ path: STACK_REFERENCE_PATH, message, got: stackReference, secret: false });
  if (source.environmentOutput === undefined) {
    return {
      stackReference,
      problems: [problem(`${stackReference} exports no ${ENVIRONMENT_OUTPUT} output: name an environment stack (a stack file with release:routes, deployed with this release-platform)`)],
    };
  }
  const read = readEnvironmentContract(source.environmentOutput);
  if ("contract" in read) return { stackReference, contract: read.contract, problems: [] };
  return { stackReference, problems: read.problems.map((wrong) => problem(`${stackReference} output ${wrong.field}: ${wrong.message}`)) };
}

/**
 * A service stack takes its environment's tier. A stack name that names another (a `dev` stack joining a production
 * environment) is more likely a wrong stack reference than a choice: refused, unless release:tier says it is meant.
 */
function stackNameTierProblems(stack: string, stackReference: string, tier: Tier): ConfigProblem[] {
  const named = tierFromStackName(stack);
  if (named === undefined || named === tier) return [];
  return [
    {
      path: "release:tier",
      message: `stack "${stack}" names tier ${named}, but it joins ${stackReference}, a ${tier} environment: join a ${named} environment, or set release:tier: ${tier} to say this stack is meant to be ${tier}`,
      got: undefined,
      secret: false,
    },
  ];
}
