import * as pulumi from "@pulumi/pulumi";
import { Region } from "@pulumi/aws/types/enums";
import type { z } from "zod";
import { issueProblems } from "../../components/arguments";
import type { ReleaseEnvironmentArgs, ReleaseServiceArgs } from "../../components/release-environment/args";
import { loadBalancerProblems, releaseEnvironmentArgsProblems, type ServiceOnLoadBalancer } from "../../components/release-environment/problems";
import { resolveReleaseEnvironment, type ResolvedReleaseEnvironment } from "../../components/release-environment/resolve";
import { awsRegion, SECURE_PLACEHOLDER } from "../../components/formats";
import {
  RELEASE_KEYS,
  releaseConfigSchema,
  type RawReleaseConfig,
  type RawService,
  TIERS,
  type Tier,
} from "./schema";
import { closest } from "../edit-distance";
import { awsSettingPath, awsSettingsFromConfig } from "./aws-settings";
import type { AwsProviderSettings } from "../../components/environment/provider-settings";

/** Where config comes from: the values Pulumi holds for the stack, as strings (objects as JSON). */
export interface ConfigSource {
  readonly stack: string;
  /** The stack file's name as the user knows it, for error messages. */
  readonly stackFile: string;
  readonly values: Readonly<Record<string, string>>;
  /** Keys set with `--secret` (a key is secret as a whole when any path under it is). */
  readonly secretKeys: ReadonlySet<string>;
  /**
   * Where the `--secret` values sit inside those keys (`release:services.api.environment.TOKEN`, the stack file's
   * `secure:` leaves). A secret key with none listed is secret as a whole.
   */
  readonly secretPaths?: ReadonlySet<string>;
  /** Problems found reading the file itself (keys beside `config:`, YAML tags), listed with the rest. */
  readonly fileProblems?: readonly ConfigProblem[];
}

export interface ConfigProblem {
  /** e.g. `release:services.checkout.port` */
  readonly path: string;
  readonly message: string;
  /** What the user wrote there; undefined when nothing was. */
  readonly got: unknown;
  readonly secret: boolean;
}

/** At most this many problems are printed; a file with more is mostly one mistake repeated. */
export const PRINTED_PROBLEMS = 50;

/** Bad config: every problem at once, each naming the file, the key path and the value. Printed without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(
    public readonly stackFile: string,
    public readonly problems: readonly ConfigProblem[],
  ) {
    const printed = problems.slice(0, PRINTED_PROBLEMS).map((problem) => formatProblem(stackFile, problem));
    const rest = problems.length - printed.length;
    super([...printed, ...(rest > 0 ? [`${stackFile}: ... and ${rest} more problem${rest === 1 ? "" : "s"} (${problems.length} in all)`] : [])].join("\n"));
    this.name = "ConfigError";
  }
}

/** How much of a path and of a message one printed problem shows: a line stays readable whatever the file holds. */
export const MESSAGE_LIMITS = { path: 200, message: 1000, value: 80 } as const;

export function formatProblem(stackFile: string, problem: ConfigProblem): string {
  return `${printable(stackFile, MESSAGE_LIMITS.path)}: ${printable(problem.path, MESSAGE_LIMITS.path)}: ${printable(problem.message, MESSAGE_LIMITS.message)} (got ${renderValue(problem.got, problem.secret)})`;
}

/**
 * Control characters and the bidirectional overrides that reorder what a terminal shows (U+202A-U+202E,
 * U+2066-U+2069, the marks U+200E/U+200F) written as escapes, so a key or value from the file can neither end a line,
 * move the cursor nor disguise itself; and text past `max` characters cut with "...".
 */
export function printable(text: string, max: number): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max - 3)}...` : escaped;
}

function renderValue(value: unknown, secret: boolean): string {
  if (value === undefined) return "nothing";
  if (secret || value === SECURE_PLACEHOLDER) return "[secret]";
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return printable(text, MESSAGE_LIMITS.value);
}

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

const OBJECT_KEYS = new Set<string>(["network", "ingress", "notifications", "services", "flags", "flagStore", "cluster"]);

/**
 * The largest stack file the program reads: far above the largest valid stack, which the AWS quotas the library checks
 * bound (50 traffic-shifting services on one load balancer, `LOAD_BALANCER_LIMITS`; a 1 MB flag document).
 */
export const STACK_LIMITS = {
  stackFileBytes: 4 * 1024 * 1024,
  /** The yaml library's own guard against alias bombs (its default); a stack file needs a handful of aliases at most. */
  yamlAliasExpansions: 100,
} as const;

/** The project's name (Pulumi.yaml): a key written without a namespace, or set by `pulumi config set` without one, lands in it. */
export const PROJECT_NAMESPACE = "release-platform";

/**
 * Namespaces something reads besides the program: `aws:` (the environment's provider takes the stack's AWS settings)
 * and `pulumi:` (the engine's own settings, e.g. pulumi:disable-default-providers). Every other namespace is read by
 * nothing: the Kubernetes provider is built from release:cluster's kubeconfig, and an explicit provider takes nothing
 * from its namespace, so a `kubernetes:context` would be lost as surely as a misspelt `relese:flags`.
 */
const READ_NAMESPACES = ["aws", "pulumi"];

/**
 * Why a key outside `release:` is one the user meant for the program (a missing or misspelt namespace) or one nothing
 * reads, or undefined for `aws:` and `pulumi:` keys. The namespace meant is named however far the typo is from
 * `release`: a key nothing reads is an error anyway, so a guess can only help.
 */
export function misplacedKeyMessage(fullKey: string): string | undefined {
  const colon = fullKey.indexOf(":");
  const namespace = fullKey.slice(0, colon);
  const key = fullKey.slice(colon + 1);
  if (namespace === "release" || READ_NAMESPACES.includes(namespace)) return undefined;
  const known = RELEASE_KEYS as readonly string[];
  if (namespace === "kubernetes") {
    return "the program's Kubernetes provider is built from release:cluster (a kubeconfig or a stack exporting one) and reads no kubernetes: settings: put the cluster's kubeconfig in release:cluster";
  }
  const root = key.split(/[.[]/)[0];
  const meant = known.includes(namespace) ? `${namespace}.${key}` : known.includes(root) ? key : closest(key, known);
  if (!meant) return `the program reads only release: keys (${known.map((k) => `release:${k}`).join(", ")}), and nothing else reads ${namespace}: keys; ${namespace}:${key} is none of them`;
  const why = namespace === PROJECT_NAMESPACE ? `keys without a namespace land in the project's, ${PROJECT_NAMESPACE}:` : `unknown namespace ${namespace}`;
  return `${why}; the program reads release:${meant} (write release:${meant} in the stack file, or pulumi config set --path release:${meant}...)`;
}

/** Validates the stack's config and applies tier defaults. Throws ConfigError listing every problem. */
export function loadReleaseConfig(source: ConfigSource): ReleaseConfig {
  const problems: ConfigProblem[] = [...(source.fileProblems ?? [])];
  const raw: Record<string, unknown> = {};
  const secretAt = secrecy(source);
  const isSecret = (key: string) => secretAt([key]);

  for (const [fullKey, text] of Object.entries(source.values).sort(([a], [b]) => a.localeCompare(b))) {
    const misplaced = misplacedKeyMessage(fullKey);
    if (misplaced) {
      problems.push({ path: fullKey, message: misplaced, got: parseValue(text), secret: source.secretKeys.has(fullKey) });
      continue;
    }
    if (!fullKey.startsWith("release:")) continue;
    const key = fullKey.slice("release:".length);
    if (!(RELEASE_KEYS as string[]).includes(key)) {
      problems.push({ path: fullKey, message: `unknown key${suggest(key, RELEASE_KEYS)}`, got: text, secret: isSecret(key) });
      continue;
    }
    if (OBJECT_KEYS.has(key)) {
      try {
        raw[key] = JSON.parse(text);
      } catch {
        problems.push({ path: fullKey, message: "expected a map", got: text, secret: isSecret(key) });
      }
    } else {
      raw[key] = text;
    }
  }

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

/**
 * Where a `--secret` value stays secret: the places the program wraps in `pulumi.secret` and hands to something that
 * keeps it so (Secrets Manager for environment values, the provider's secret state for the kubeconfig, SNS
 * subscriptions and the listener for the rest).
 */
const KEPT_SECRET = [
  /^release:services\.[^.]+\.environment\.[^.]+$/,
  /^release:notifications\.(emails|httpsEndpoints)\[\d+\]$/,
  /^release:ingress\.certificateArn$/,
  /^release:cluster\.kubeconfig$/,
];

/** Where the others would show in plain text, for the message. */
const SHOWN_AT: readonly [RegExp, string][] = [
  [/^release:services\.[^.]+\.hooks\./, "the ECS service's hookDetails, which anyone allowed ecs:DescribeServices reads"],
  [/^release:flags\./, "the flag document, which every service reading flags receives and the AppConfig console shows"],
];

/**
 * A value set with `--secret` where the program cannot keep it secret is refused, not written in plain text into
 * state, the synth and the resource that receives it.
 */
function unkeptSecretProblems(secretPaths: ReadonlySet<string> | undefined): ConfigProblem[] {
  return [...(secretPaths ?? [])]
    .filter((path) => path.startsWith("release:") && !KEPT_SECRET.some((pattern) => pattern.test(path)))
    .sort()
    .map((path) => {
      const shown = SHOWN_AT.find(([pattern]) => pattern.test(path))?.[1] ?? "its resource's inputs and the stack's state";
      return {
        path,
        message: `is set with --secret, but its value cannot stay secret: it would be in ${shown}; set it in plain text, or leave it out (secret values are kept for services.<name>.environment, notifications.emails and httpsEndpoints, ingress.certificateArn and cluster.kubeconfig)`,
        got: undefined,
        secret: true,
      };
    });
}

/** Names every JavaScript object answers to: a service or flag called so would collide with the object's own members. */
const OBJECT_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * A key `__proto__` anywhere, or a service or flag named after a member of every object (`constructor`, `toString`),
 * is refused rather than lost: assigned to a plain object, `__proto__` sets its prototype instead of adding an entry, so
 * a flag of that name would vanish from the document without a word. Such keys are removed from `raw` once reported.
 */
function reservedNameProblems(raw: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, [...path, index]));
    if (value === null || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    const names = path.length === 1 && (path[0] === "services" || path[0] === "flags");
    for (const key of Object.keys(record)) {
      if (key === "__proto__" || (names && OBJECT_MEMBERS.has(key))) {
        const what = names ? (path[0] === "services" ? "service" : "flag") + " name" : "key";
        problems.push({ path: renderPath([...path, key]), message: `${key} cannot be a ${what}: every JavaScript object has a member of that name, so the program could not tell it from one; choose another name`, got: key, secret: false });
        delete record[key];
      } else {
        walk(record[key], [...path, key]);
      }
    }
  };
  for (const [key, value] of Object.entries(raw)) walk(value, [key]);
  return problems;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Path under `release:` -> whether the value there (or one inside it) was set with `--secret`. */
type Secrecy = (path: readonly (string | number)[]) => boolean;

/** Per value where the source lists its secret leaves; per key where it cannot (each secret key then secret as a whole). */
function secrecy(source: ConfigSource): Secrecy {
  const leavesByKey = new Map<string, string[]>();
  for (const leaf of source.secretPaths ?? []) {
    const key = leaf.split(/[.[]/)[0];
    leavesByKey.set(key, [...(leavesByKey.get(key) ?? []), leaf]);
  }
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return (path) => {
    const key = `release:${path[0]}`;
    if (!source.secretKeys.has(key)) return false;
    const leaves = leavesByKey.get(key);
    if (!leaves) return true;
    const at = renderPath(path);
    return leaves.some((leaf) => related(leaf, at) || related(at, leaf));
  };
}

const AWS_REGIONS = Object.values(Region).sort() as string[];

/**
 * `pulumi config set --path k 0.9` stores the text "0.9" (numbers and booleans need `--type`): where the schema wants a
 * number or a boolean and the text is one, it is read as one.
 */
function parseWithPathStrings(raw: Record<string, unknown>): ReturnType<typeof releaseConfigSchema.safeParse> {
  let parsed = releaseConfigSchema.safeParse(raw);
  for (let round = 0; round < 3 && !parsed.success; round++) {
    let changed = false;
    for (const issue of parsed.error.issues) {
      if (issue.code !== "invalid_type" || (issue.expected !== "number" && issue.expected !== "boolean")) continue;
      const parent = valueAt(raw, issue.path.slice(0, -1) as (string | number)[]) as Record<string | number, unknown> | undefined;
      const key = issue.path[issue.path.length - 1] as string | number;
      const text = parent?.[key];
      if (typeof text !== "string") continue;
      if (issue.expected === "number" && /^-?\d+(\.\d+)?$/.test(text.trim())) parent![key] = Number(text);
      else if (issue.expected === "boolean" && (text === "true" || text === "false")) parent![key] = text === "true";
      else continue;
      changed = true;
    }
    if (!changed) break;
    parsed = releaseConfigSchema.safeParse(raw);
  }
  return parsed;
}

/** By path, so the same mistakes read the same whatever the order of keys in the stack file. */
function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.message.localeCompare(b.message)));
}

function zodProblems(issue: z.core.$ZodIssue, raw: unknown, secretAt: Secrecy): ConfigProblem[] {
  const path = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
  const secret = path.length > 0 && secretAt(path);
  const known = issue.code === "unrecognized_keys" ? knownKeysAt(path) : [];
  return issueProblems(issue, raw).map((problem) => ({
    path: renderPath(problem.field),
    message: issue.code === "unrecognized_keys" ? `${problem.message}${suggest(String(problem.field[problem.field.length - 1]), known)}` : problem.message,
    got: problem.got,
    secret,
  }));
}

function knownKeysAt(path: readonly (string | number)[]): readonly string[] {
  // The schema's shape at the path, skipping map keys (service and flag names).
  let schema: unknown = releaseConfigSchema;
  for (const part of path) {
    const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; valueType?: unknown; innerType?: unknown; element?: unknown; options?: unknown[] } }).def;
    let current = def;
    while (current && (current.type === "optional" || current.type === "nullable")) {
      schema = current.innerType;
      current = (schema as { def?: typeof def }).def;
    }
    if (!current) return [];
    if (current.type === "object" && current.shape) schema = current.shape[String(part)];
    else if (current.type === "record") schema = current.valueType;
    else if (current.type === "array") schema = current.element;
    else return [];
  }
  let def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; innerType?: unknown; options?: { def?: { shape?: Record<string, unknown> } }[] } }).def;
  while (def && def.type === "optional") def = (def.innerType as { def?: typeof def }).def;
  if (def?.type === "object" && def.shape) return Object.keys(def.shape);
  if (def?.type === "union" && def.options) return def.options.flatMap((option) => Object.keys(option.def?.shape ?? {}));
  return [];
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let current = raw;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

export function renderPath(path: readonly (string | number)[]): string {
  let text = "release:";
  path.forEach((part, index) => {
    if (typeof part === "number") text += `[${part}]`;
    else text += index === 0 ? part : `.${part}`;
  });
  return text;
}

/** ` (did you mean "x"?)` for a key one or two edits from a known one. */
function suggest(key: string, known: readonly string[]): string {
  const best = closest(key, known);
  return best ? ` (did you mean "${best}"?)` : "";
}

const INVALID = Symbol("invalid");
type Part<T> = T | typeof INVALID;

/** The stack file's parts, each parsed on its own: a part with a shape problem is `INVALID`, a service or flag with one is left out. */
interface ParsedParts {
  readonly tier: Part<RawReleaseConfig["tier"]>;
  readonly network: Part<RawReleaseConfig["network"]>;
  readonly ingress: Part<RawReleaseConfig["ingress"]>;
  readonly notifications: Part<RawReleaseConfig["notifications"]>;
  readonly services: Readonly<Record<string, RawService>>;
  /** Every flag, or `INVALID` when any has a shape problem: flag rules read the flags together. */
  readonly flags: Part<NonNullable<RawReleaseConfig["flags"]>>;
  readonly flagStore: Part<RawReleaseConfig["flagStore"]>;
  readonly cluster: Part<RawReleaseConfig["cluster"]>;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parsedParts(raw: Record<string, unknown>): ParsedParts {
  const shape = releaseConfigSchema.shape;
  const part = <K extends "tier" | "network" | "ingress" | "notifications" | "flagStore" | "cluster">(key: K): Part<RawReleaseConfig[K]> => {
    const result = shape[key].safeParse(raw[key]);
    return result.success ? (result.data as RawReleaseConfig[K]) : INVALID;
  };
  // A service is parsed with its name, which has rules of its own; the flags together, as their rules read them.
  const services = Object.entries(isMap(raw.services) ? raw.services : {}).flatMap(([name, value]) => {
    const result = shape.services.safeParse({ [name]: value });
    return result.success ? Object.entries(result.data) : [];
  });
  const flags = shape.flags.safeParse(raw.flags);
  return {
    tier: part("tier"),
    network: part("network"),
    ingress: part("ingress"),
    notifications: part("notifications"),
    services: Object.fromEntries(services),
    flags: flags.success ? (flags.data ?? {}) : INVALID,
    flagStore: part("flagStore"),
    cluster: part("cluster"),
  };
}

interface CheckContext {
  readonly stack: string;
  readonly tier: Tier;
  readonly region: string;
  /** The `aws:` settings, or undefined when one has a shape problem (which says what is wrong there). */
  readonly aws: AwsProviderSettings | undefined;
  readonly secretAt: Secrecy;
  readonly secretKeys: ReadonlySet<string>;
}

/** Ids only name things while checking: a network that did not parse stands in empty. */
const NO_NETWORK = { vpcId: "", publicSubnetIds: [], privateSubnetIds: [] };

/**
 * The library's rules (`releaseEnvironmentArgsProblems`) on the parts that parsed, each problem at its stack-file path.
 * A part with a shape problem stands in empty and the rules' problems inside it are dropped: its shape problems say
 * what is wrong there. A service with a shape problem is left out; the others are judged.
 */
function ruleProblems(parts: ParsedParts, context: CheckContext): ConfigProblem[] {
  const keys = ["network", "ingress", "notifications", "flags", "flagStore", "cluster"] as const;
  // The Region is aws:region: the file's own check of it says what is wrong there.
  const invalid = new Set<string>(["region", ...(context.aws === undefined ? ["aws"] : []), ...keys.filter((key) => parts[key] === INVALID)]);
  const valid = <T>(part: Part<T>, empty: T): T => (part === INVALID ? empty : part);
  const args = releaseEnvironmentArgs(
    {
      network: valid(parts.network, NO_NETWORK),
      ingress: valid(parts.ingress, {}),
      notifications: valid(parts.notifications, {}),
      services: parts.services,
      flags: valid(parts.flags, {}),
      // A store that did not parse stands in without the agent: no rule that only the agent brings (cluster name, its port) speaks.
      flagStore: valid(parts.flagStore, { agent: false }),
      cluster: valid(parts.cluster, {}),
    },
    context,
  );
  return releaseEnvironmentArgsProblems(context.stack, args).flatMap((problem) => {
    const path = stackFilePath(problem.field);
    if (invalid.has(String(path[0]))) return [];
    // The provider's settings are the stack file's aws: keys.
    if (path[0] === "aws") return [{ path: awsSettingPath(path.slice(1)), message: problem.message, got: problem.got, secret: context.secretKeys.has(`aws:${String(path[1])}`) }];
    return [{ path: renderPath(path), message: problem.message, got: problem.got, secret: context.secretAt(path) }];
  });
}

/** A ReleaseEnvironment's field as the stack file writes it: secret environment values sit among the others there. */
function stackFilePath(field: readonly (string | number)[]): (string | number)[] {
  return field[0] === "services" && field[2] === "secretEnvironment" ? [...field.slice(0, 2), "environment", ...field.slice(3)] : [...field];
}

/** The stack file's settings as ReleaseEnvironment arguments, secret leaves kept secret. Defaults are the library's. */
function releaseEnvironmentArgs(config: Omit<RawReleaseConfig, "tier">, context: Pick<CheckContext, "tier" | "region" | "aws" | "secretAt">): ReleaseEnvironmentArgs {
  const { secretAt } = context;
  const secretIf = (secret: boolean) => (value: pulumi.Input<string>): pulumi.Input<string> => (secret ? pulumi.secret(value) : value);
  const secretNotification = (field: string) => (value: pulumi.Input<string>, index: number) => secretIf(secretAt(["notifications", field, index]))(value);
  const { ingress, notifications } = config;
  return {
    ...config,
    tier: context.tier,
    region: context.region,
    aws: context.aws ?? {},
    ...(ingress
      ? { ingress: { ...ingress, ...(ingress.certificateArn !== undefined ? { certificateArn: secretIf(secretAt(["ingress", "certificateArn"]))(ingress.certificateArn) } : {}) } }
      : {}),
    ...(notifications
      ? {
          notifications: {
            ...notifications,
            ...(notifications.emails ? { emails: notifications.emails.map(secretNotification("emails")) } : {}),
            ...(notifications.httpsEndpoints ? { httpsEndpoints: notifications.httpsEndpoints.map(secretNotification("httpsEndpoints")) } : {}),
          },
        }
      : {}),
    services: Object.fromEntries(
      Object.entries(config.services).map(([name, service]) => [name, serviceArgs(service, (variable) => secretAt(["services", name, "environment", variable]))]),
    ),
  };
}

/** A service's settings with its `--secret` environment values apart: the service keeps those in Secrets Manager. */
function serviceArgs(service: RawService, isSecretVariable: (name: string) => boolean): ReleaseServiceArgs {
  if (!service.environment) return service;
  const variables = Object.entries(service.environment);
  const secret = variables.filter(([key]) => isSecretVariable(key));
  return {
    ...service,
    environment: Object.fromEntries(variables.filter(([key]) => !isSecretVariable(key))),
    ...(secret.length > 0 ? { secretEnvironment: Object.fromEntries(secret.map(([key, value]) => [key, pulumi.secret(value)])) } : {}),
  };
}
