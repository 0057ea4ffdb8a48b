import * as pulumi from "@pulumi/pulumi";
import { Region } from "@pulumi/aws/types/enums";
import type { z } from "zod";
import { strategyProblems } from "../../components/blue-green-service/strategy";
import { duplicateVariables, fargateMemoryProblem } from "../../components/blue-green-service/blue-green-service";
import { kubernetesStrategyProblems, type StepInput, stepsProblems } from "../../components/kubernetes-service/plan";
import { testListenerCidrProblems } from "../../components/environment/environment";
import { toAppConfigDocument } from "../../components/feature-flag-store/documents";
import { smokeTestArgsProblems } from "../../components/lifecycle-hooks/lifecycle-hooks";
import { TIER_DEFAULTS } from "./defaults";
import type { ReleaseEnvironmentArgs, ReleaseServiceArgs } from "../../components/release-environment/args";
import { resolveReleaseEnvironment, resolveStrategy, type ResolvedReleaseEnvironment } from "../../components/release-environment/resolve";
import { flagProblems } from "./flags";
import { awsRegion, imageTag, SECURE_PLACEHOLDER } from "./formats";
import {
  RELEASE_KEYS,
  releaseConfigSchema,
  type RawReleaseConfig,
  type RawService,
  TIERS,
  type Tier,
} from "./schema";
import { editDistance } from "../edit-distance";

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

export function formatProblem(stackFile: string, problem: ConfigProblem): string {
  return `${stackFile}: ${problem.path}: ${problem.message} (got ${renderValue(problem.got, problem.secret)})`;
}

function renderValue(value: unknown, secret: boolean): string {
  if (value === undefined) return "nothing";
  if (secret || value === SECURE_PLACEHOLDER) return "[secret]";
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
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
 * The largest stack the program supports, from the AWS quotas it depends on (README, "Limits"). Checked before
 * anything else, so a stack past them fails at once with the quota, not deep inside a deployment.
 */
export const STACK_LIMITS = {
  /** "Target Groups per Application Load Balancer: 100, not adjustable" (ELB quotas); blue/green, canary and linear take two. */
  targetGroupsPerLoadBalancer: 100,
  /** "Rules per Application Load Balancer (excluding default rules): 100" (adjustable); a traffic-shifting service takes a production and a test rule. */
  rulesPerLoadBalancer: 100,
  /** "Configurations must be 1 MB or smaller" (AppConfig hosted configuration store). */
  flagDocumentBytes: 1024 * 1024,
  /** Far above the largest valid stack (50 services, a 1 MB flag document); read no further than this. */
  stackFileBytes: 4 * 1024 * 1024,
} as const;

/** Target groups (and listener rules) the services take on the environment's one load balancer. */
function loadBalancerShare(services: Readonly<Record<string, unknown>>, tier: Tier | undefined): number {
  const fallback = TIER_DEFAULTS[tier ?? "dev"].deployment.strategy;
  return Object.values(services).reduce<number>((count, service) => {
    const strategy = (service as { deployment?: { strategy?: unknown } } | null)?.deployment?.strategy ?? fallback;
    return count + (strategy === "rolling" ? 1 : 2);
  }, 0);
}

/** The problem of a stack with more services than one Application Load Balancer takes, or undefined. */
function serviceCountProblem(services: unknown, tier: Tier | undefined): ConfigProblem | undefined {
  if (services === null || typeof services !== "object" || Array.isArray(services)) return undefined;
  const count = Object.keys(services).length;
  const share = loadBalancerShare(services as Record<string, unknown>, tier);
  const limit = Math.min(STACK_LIMITS.targetGroupsPerLoadBalancer, STACK_LIMITS.rulesPerLoadBalancer);
  if (share <= limit) return undefined;
  return {
    path: "release:services",
    message: `${count} services need ${share} target groups and listener rules on the environment's load balancer; AWS allows ${STACK_LIMITS.targetGroupsPerLoadBalancer} target groups per Application Load Balancer (not adjustable): at most ${limit / 2} blue-green, canary or linear services (a rolling one takes half as much); split the services over more stacks`,
    got: `${count} services`,
    secret: false,
  };
}

/** The project's name (Pulumi.yaml): a key written without a namespace, or set by `pulumi config set` without one, lands in it. */
export const PROJECT_NAMESPACE = "release-platform";

/**
 * Why a key outside `release:` is one the user meant for the program (a missing or misspelt namespace), or undefined
 * for namespaces the program leaves to others (aws:, pulumi:, other providers).
 */
export function misplacedKeyMessage(fullKey: string): string | undefined {
  const colon = fullKey.indexOf(":");
  const namespace = fullKey.slice(0, colon);
  const key = fullKey.slice(colon + 1);
  if (namespace === "release") return undefined;
  const known = RELEASE_KEYS as readonly string[];
  let meant: string | undefined;
  if (known.includes(namespace)) {
    meant = `${namespace}.${key}`;
  } else if (namespace === PROJECT_NAMESPACE || editDistance(namespace, "release") <= 2) {
    meant = known.includes(key) ? key : closest(key, known);
    if (!meant) return `the program reads only release: keys (${known.map((k) => `release:${k}`).join(", ")}), and ${namespace}:${key} is none of them`;
  } else {
    return undefined;
  }
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

  // Past the load balancer's limit nothing else matters, and checking thousands of services would take minutes.
  const tooMany = serviceCountProblem(raw.services, TIERS.find((tier) => tier === raw.tier) ?? tierFromStackName(source.stack));
  if (tooMany) throw new ConfigError(source.stackFile, [tooMany]);

  const region = source.values["aws:region"];
  if (!awsRegion.safeParse(region).success) {
    problems.push({ path: "aws:region", message: "expected an AWS region like eu-west-1", got: region, secret: false });
  } else if (!(AWS_REGIONS as string[]).includes(region as string)) {
    problems.push({ path: "aws:region", message: `not an AWS region${suggest(region as string, AWS_REGIONS)}; the regions @pulumi/aws knows: ${AWS_REGIONS.join(", ")}`, got: region, secret: false });
  }

  const parsed = parseWithPathStrings(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...zodProblems(issue, raw, secretAt));
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(source.stackFile, sortProblems(problems));

  const config = parsed.data;
  const tier = config.tier ?? tierFromStackName(source.stack);
  if (tier === undefined) {
    throw new ConfigError(source.stackFile, [
      {
        path: "release:tier",
        message: `stack "${source.stack}" does not name a tier (dev*, staging*/stg*, prod*/production*): set release:tier to dev, staging or production`,
        got: undefined,
        secret: false,
      },
    ]);
  }
  problems.push(...crossFieldProblems(config, tier), ...kubernetesProblems(config, tier, source.stack));
  if (problems.length > 0) throw new ConfigError(source.stackFile, sortProblems(problems));
  return resolve(source, config, tier, region as string, secretAt);
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
  if (issue.code === "unrecognized_keys") {
    const parent = valueAt(raw, path);
    const known = knownKeysAt(path);
    return issue.keys.map((key) => ({
      path: renderPath([...path, key]),
      message: `unknown key${suggest(key, known)}`,
      got: (parent as Record<string, unknown> | undefined)?.[key],
      secret,
    }));
  }
  if (issue.code === "invalid_key") {
    return [
      {
        path: renderPath(path),
        message: `invalid name: ${issue.issues.map((inner) => inner.message).join("; ")}`,
        got: path[path.length - 1],
        secret,
      },
    ];
  }
  const got = valueAt(raw, path);
  let message = issue.message;
  if (got === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union")) message = "required";
  if (issue.code === "too_small" && "minimum" in issue && typeof got === "number") message = `must be at least ${issue.minimum}`;
  if (issue.code === "too_big" && "maximum" in issue && typeof got === "number") message = `must be at most ${issue.maximum}`;
  return [{ path: renderPath(path), message, got, secret }];
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

/** The known key one or two edits from `key`, if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function crossFieldProblems(config: RawReleaseConfig, tier: Tier): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: (string | number)[], message: string, got: unknown) =>
    problems.push({ path: renderPath(path), message, got, secret: false });

  if (tier !== "dev" && config.ingress?.certificateArn === undefined) {
    add(["ingress", "certificateArn"], `required in ${tier}: listeners there are HTTPS only (HTTP alone is allowed in dev)`, undefined);
  }

  // Alarms and rollbacks notify the alert topic; with no subscriber they reach no one, and nothing says so.
  const notifications: Record<string, unknown> = config.notifications ?? {};
  const subscriptions = ["emails", "httpsEndpoints", "slack"].reduce((count, field) => {
    const value = notifications[field];
    return count + (Array.isArray(value) ? value.length : value !== undefined && value !== null ? 1 : 0);
  }, 0);
  if (tier !== "dev" && subscriptions === 0) {
    add(
      ["notifications"],
      `${tier} needs at least one alert subscription (emails, httpsEndpoints or slack): without one, alarms and rollbacks reach no one`,
      config.notifications,
    );
  }

  for (const problem of testListenerCidrProblems(config.ingress?.testListenerCidrs ?? [])) {
    add(["ingress", "testListenerCidrs", ...problem.field], problem.message, problem.got);
  }
  const testPort = config.ingress?.testListenerPort;
  if (testPort === 80 || testPort === 443) {
    add(["ingress", "testListenerPort"], "collides with the production listener (80/443): choose another port, e.g. 9000", testPort);
  }

  const priorities = new Map<number, string>();
  for (const [name, service] of Object.entries(config.services).sort(([a], [b]) => a.localeCompare(b))) {
    const at = (...rest: (string | number)[]) => ["services", name, ...rest];
    const other = priorities.get(service.priority);
    if (other !== undefined) {
      add(at("priority"), `duplicates the priority of services.${other}: listener rule priorities must be unique`, service.priority);
    } else {
      priorities.set(service.priority, name);
    }
    if ((service.pathPatterns?.length ?? 0) + (service.hostHeaders?.length ?? 0) === 0) {
      add(at("pathPatterns"), "required: give pathPatterns or hostHeaders so the listener rules can route to the service", undefined);
    }
    if ((service.pathPatterns?.length ?? 0) + (service.hostHeaders?.length ?? 0) > 5) {
      add(at("pathPatterns"), "a listener rule takes at most 5 path patterns and host headers together", service.pathPatterns);
    }
    const cpu = service.cpu ?? TIER_DEFAULTS[tier].cpu;
    const memory = service.memory ?? TIER_DEFAULTS[tier].memory;
    const fargate = fargateMemoryProblem(cpu, memory);
    if (fargate && service.runtime !== "kubernetes") add(at(...fargate.field), fargate.message, fargate.got);
    if (service.autoscaling?.min !== undefined && service.autoscaling.max !== undefined && service.autoscaling.min > service.autoscaling.max) {
      add(at("autoscaling", "min"), `must not exceed autoscaling.max (${service.autoscaling.max})`, service.autoscaling.min);
    }
    if (tier === "production" && imageTag(service.image) === "latest") {
      add(at("image"), "pin a version tag or digest in production: latest changes under a running service", service.image);
    }
    const deployment = service.deployment ?? {};
    const strategy = deployment.strategy ?? (deployment.steps ? "canary" : TIER_DEFAULTS[tier].deployment.strategy);
    if (strategy === "rolling" && tier !== "dev") {
      add(at("deployment", "strategy"), `rolling is allowed in dev only; use blue-green, canary or linear in ${tier}`, strategy);
    }
    const foreign: Record<string, readonly string[]> = {
      "blue-green": ["canaryPercent", "canaryBakeMinutes", "stepPercent", "stepBakeMinutes"],
      canary: ["stepPercent", "stepBakeMinutes"],
      linear: ["canaryPercent", "canaryBakeMinutes"],
      rolling: ["canaryPercent", "canaryBakeMinutes", "stepPercent", "stepBakeMinutes", "bakeMinutes"],
    };
    for (const field of foreign[strategy]) {
      const value = (deployment as Record<string, unknown>)[field];
      if (value !== undefined) add(at("deployment", field), `does not apply to strategy ${strategy}`, value);
    }
    // The schema has checked ranges; the component's own rules (e.g. percentages in tenths) map to the stack file here.
    for (const problem of strategyProblems(resolveStrategy(deployment, TIER_DEFAULTS[tier].deployment))) {
      add(at("deployment", ...problem.field), problem.message, problem.got);
    }
    const smokeEnabled = (service.smokeTest?.enabled ?? (service.smokeTest !== undefined || TIER_DEFAULTS[tier].smokeTest.enabled)) && strategy !== "rolling";
    if (smokeEnabled) {
      const smoke = { ...TIER_DEFAULTS[tier].smokeTest, ...service.smokeTest };
      const paths = service.smokeTest?.paths ?? [service.healthCheck?.path ?? TIER_DEFAULTS[tier].healthCheck.path];
      for (const problem of smokeTestArgsProblems({ ...smoke, paths })) {
        add(at("smokeTest", ...problem.field), problem.message, problem.got);
      }
    }
    if (service.alarmGate?.override !== undefined && !(service.alarmGate.enabled ?? TIER_DEFAULTS[tier].alarmGate)) {
      add(at("alarmGate", "override"), "applies only to an enabled alarm gate: remove it, or set alarmGate.enabled", service.alarmGate.override);
    }
    const customNames = (service.alarms?.custom ?? []).map((alarm) => alarm.name);
    customNames.forEach((alarmName, index) => {
      if (["error-rate", "p99-latency", "unhealthy-hosts", "any"].includes(alarmName) || customNames.indexOf(alarmName) !== index) {
        add(at("alarms", "custom", index, "name"), "is used by another alarm of this service", alarmName);
      }
    });
    for (const { field, variable, other } of duplicateVariables({ environment: service.environment, secrets: service.secrets })) {
      add(at(field, variable), `is also set in ${renderPath(at(other))}: a variable comes from one place`, service.secrets?.[variable]);
    }
    if (service.port === 2772) {
      add(at("port"), "2772 is the AWS AppConfig Agent's port in the task; choose another", service.port);
    }
  }

  const flagsProblems = flagProblems(config.flags ?? {}, config.flagStore);
  problems.push(...flagsProblems.map((problem) => ({ ...problem, path: renderPath(["flags", ...problem.path]), secret: false })));
  if (flagsProblems.length === 0 && (config.flagStore?.backend ?? "appconfig") === "appconfig") {
    const bytes = Buffer.byteLength(JSON.stringify(toAppConfigDocument(config.flags ?? {})));
    if (bytes > STACK_LIMITS.flagDocumentBytes) {
      add(["flags"], `the AppConfig flag document would be ${bytes} bytes; AppConfig's hosted store takes at most ${STACK_LIMITS.flagDocumentBytes} (1 MB): remove flags past their expiry, or split them over more stacks`, `${Object.keys(config.flags ?? {}).length} flags`);
    }
  }
  return problems;
}

/** The stack file's settings as ReleaseEnvironment arguments; secret leaves stay secret. Defaults are the library's. */
function resolve(
  source: ConfigSource,
  config: RawReleaseConfig,
  tier: Tier,
  region: string,
  secretAt: Secrecy,
): ReleaseConfig {
  const secretIf = (secret: boolean) => (value: string): pulumi.Input<string> => (secret ? pulumi.secret(value) : value);
  const secretNotification = (field: string) => (value: string, index: number) => secretIf(secretAt(["notifications", field, index]))(value);
  const { ingress, notifications } = config;
  const args: ReleaseEnvironmentArgs = {
    ...config,
    tier,
    region,
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
  return { ...resolveReleaseEnvironment(source.stack, args), stack: source.stack, stackFile: source.stackFile, args };
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

/** The Kubernetes runtime's rules: a cluster for kubernetes services, steps only there and well formed. */
function kubernetesProblems(config: RawReleaseConfig, tier: Tier, stack: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: (string | number)[], message: string, got: unknown) => problems.push({ path: renderPath(path), message, got, secret: false });
  const cluster = config.cluster;
  const onKubernetes = Object.entries(config.services)
    .filter(([, service]) => service.runtime === "kubernetes")
    .sort(([a], [b]) => a.localeCompare(b));
  if (cluster) {
    if ((cluster.stackReference === undefined) === (cluster.kubeconfig === undefined)) {
      add(["cluster"], "give exactly one of stackReference (a stack exporting kubeconfig) or kubeconfig", cluster.stackReference ?? (cluster.kubeconfig ? "[kubeconfig]" : undefined));
    }
    if (cluster.namespace === undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(stack)) {
      add(["cluster", "namespace"], `required: the stack name ${stack} is not a Kubernetes name`, undefined);
    }
  }
  for (const [name, service] of Object.entries(config.services).sort(([a], [b]) => a.localeCompare(b))) {
    const at = (...rest: (string | number)[]) => ["services", name, ...rest];
    const deployment = service.deployment ?? {};
    if (service.runtime !== "kubernetes") {
      if (deployment.steps !== undefined) {
        add(at("deployment", "steps"), "arbitrary steps need runtime: kubernetes (Argo Rollouts); ECS's native engine shifts by one canary step or equal linear steps: use strategy canary or linear", deployment.steps);
      }
      if (deployment.stepPauseMinutes !== undefined) add(at("deployment", "stepPauseMinutes"), "applies to steps, which need runtime: kubernetes", deployment.stepPauseMinutes);
      continue;
    }
    if (!cluster) add(at("runtime"), "kubernetes needs release:cluster (stackReference to a stack exporting kubeconfig, or kubeconfig)", service.runtime);
    if (deployment.steps !== undefined) {
      if (deployment.strategy !== undefined && deployment.strategy !== "canary") {
        add(at("deployment", "strategy"), "steps replace the strategy's stages: leave strategy out (or canary) when giving steps", deployment.strategy);
      }
      for (const problem of stepsProblems(deployment.steps as StepInput[], deployment.stepPauseMinutes)) {
        add(at("deployment", ...problem.field), problem.message, problem.got);
      }
    } else if (deployment.stepPauseMinutes !== undefined) {
      add(at("deployment", "stepPauseMinutes"), "applies to steps only", deployment.stepPauseMinutes);
    }
    const strategy = resolveStrategy({ ...deployment, strategy: deployment.strategy ?? (deployment.steps ? "canary" : undefined) }, TIER_DEFAULTS[tier].deployment);
    for (const problem of kubernetesStrategyProblems(strategy)) add(at("deployment", ...problem.field), problem.message, problem.got);
    if (Object.keys(service.secrets ?? {}).length > 0) {
      add(at("secrets"), "Secrets Manager and SSM references are ECS-only: on kubernetes, mount them with the Secrets Store CSI driver or External Secrets and pass names in environment", Object.keys(service.secrets ?? {}));
    }
  }
  if (cluster && onKubernetes.length > 0 && cluster.kubeconfig !== undefined && cluster.stackReference === undefined) {
    const blueGreen = onKubernetes.filter(([, service]) => !service.deployment?.steps && (service.deployment?.strategy ?? TIER_DEFAULTS[tier].deployment.strategy) === "blue-green");
    if (blueGreen.length > 0 && cluster.securityGroupId === undefined) {
      add(["cluster", "securityGroupId"], `required for blue-green on kubernetes (${blueGreen.map(([name]) => name).join(", ")}): the load balancer reaches the pods through it`, undefined);
    }
    const agent = (config.flagStore?.backend ?? "appconfig") === "appconfig" && (config.flagStore?.agent ?? true);
    if (agent && cluster.name === undefined) {
      add(["cluster", "name"], "required: the AppConfig Agent in each pod reads flags with EKS Pod Identity, which associates a role on a named cluster", undefined);
    }
  }
  return problems;
}
