import * as pulumi from "@pulumi/pulumi";
import { Region } from "@pulumi/aws/types/enums";
import type { z } from "zod";
import { type DeploymentStrategy, strategyProblems } from "../../components/blue-green-service/strategy";
import { fargateMemoryProblem } from "../../components/blue-green-service/blue-green-service";
import type { SlackChannel } from "../../components/environment/notifications";
import { testListenerCidrProblems } from "../../components/environment/environment";
import { smokeTestArgsProblems } from "../../components/lifecycle-hooks/lifecycle-hooks";
import { STRATEGY_FILL, TIER_DEFAULTS } from "./defaults";
import { flagProblems } from "./flags";
import { awsRegion, imageTag, SECURE_PLACEHOLDER } from "./formats";
import {
  RELEASE_KEYS,
  releaseConfigSchema,
  type RawFlag,
  type RawReleaseConfig,
  type RawService,
  type Tier,
} from "./schema";

/** Where config comes from: the values Pulumi holds for the stack, as strings (objects as JSON). */
export interface ConfigSource {
  readonly stack: string;
  /** The stack file's name as the user knows it, for error messages. */
  readonly stackFile: string;
  readonly values: Readonly<Record<string, string>>;
  /** Keys set with `--secret` (a key is secret as a whole when any path under it is). */
  readonly secretKeys: ReadonlySet<string>;
}

export interface ConfigProblem {
  /** e.g. `release:services.checkout.port` */
  readonly path: string;
  readonly message: string;
  /** What the user wrote there; undefined when nothing was. */
  readonly got: unknown;
  readonly secret: boolean;
}

/** Bad config: every problem at once, each naming the file, the key path and the value. Printed without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(
    public readonly stackFile: string,
    public readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((problem) => formatProblem(stackFile, problem)).join("\n"));
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

export interface ResolvedService {
  readonly name: string;
  readonly image: string;
  readonly port: number;
  readonly pathPatterns: readonly string[];
  readonly hostHeaders: readonly string[];
  readonly priority: number;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly autoscaling: { readonly min: number; readonly max: number; readonly cpuTargetPercent: number };
  readonly healthCheck: (typeof TIER_DEFAULTS)[Tier]["healthCheck"];
  readonly deregistrationDelaySeconds: number;
  readonly deployment: DeploymentStrategy;
  readonly smokeTest: {
    readonly enabled: boolean;
    readonly paths: readonly string[];
    readonly samples: number;
    readonly minSuccessRate: number;
    readonly timeoutMs: number;
    readonly expectedStatuses: string;
  };
  readonly alarmGate: boolean;
  /** Why the alarm gate lets a deployment through while alarms fire (an incident or ticket); undefined normally. */
  readonly alarmGateOverride?: string;
  readonly alarms: (typeof TIER_DEFAULTS)[Tier]["alarms"] & {
    readonly custom: NonNullable<NonNullable<RawService["alarms"]>["custom"]>;
  };
  readonly environment: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
}

export type ResolvedNetwork =
  | { readonly kind: "ids"; readonly vpcId: string; readonly publicSubnetIds: readonly string[]; readonly privateSubnetIds: readonly string[] }
  | { readonly kind: "stackReference"; readonly name: string };

export interface ReleaseConfig {
  readonly stack: string;
  readonly stackFile: string;
  readonly tier: Tier;
  readonly region: string;
  readonly network: ResolvedNetwork;
  readonly ingress: {
    readonly certificateArn?: pulumi.Input<string>;
    readonly allowedCidrs: readonly string[];
    readonly internal: boolean;
    readonly testListenerPort: number;
    readonly testListenerCidrs: readonly string[];
    readonly idleTimeoutSeconds: number;
    readonly accessLogs?: { readonly expirationDays: number };
  };
  readonly notifications: {
    readonly emails: readonly pulumi.Input<string>[];
    readonly httpsEndpoints: readonly pulumi.Input<string>[];
    readonly slack?: SlackChannel;
  };
  /** Sorted by name, so output does not depend on the order of keys in the stack file. */
  readonly services: readonly ResolvedService[];
  readonly flags: Readonly<Record<string, RawFlag>>;
  readonly flagStore: {
    readonly backend: "appconfig" | "flagd";
    readonly ownership: "pulumi" | "console";
    readonly agent: boolean;
    readonly deployment: (typeof TIER_DEFAULTS)[Tier]["flagStore"];
  };
  readonly defaults: (typeof TIER_DEFAULTS)[Tier];
}

/** dev*, staging* / stg*, prod* / production*; anything else needs an explicit release:tier. */
export function tierFromStackName(stack: string): Tier | undefined {
  const name = stack.toLowerCase().split("/").pop() ?? "";
  if (name.startsWith("dev")) return "dev";
  if (name.startsWith("staging") || name.startsWith("stg")) return "staging";
  if (name.startsWith("prod")) return "production";
  return undefined;
}

const OBJECT_KEYS = new Set<string>(["network", "ingress", "notifications", "services", "flags", "flagStore"]);

/** Validates the stack's config and applies tier defaults. Throws ConfigError listing every problem. */
export function loadReleaseConfig(source: ConfigSource): ReleaseConfig {
  const problems: ConfigProblem[] = [];
  const raw: Record<string, unknown> = {};
  const isSecret = (key: string) => source.secretKeys.has(`release:${key}`);

  for (const [fullKey, text] of Object.entries(source.values).sort(([a], [b]) => a.localeCompare(b))) {
    const namespace = fullKey.split(":")[0];
    if (namespace !== "release" && editDistance(namespace, "release") <= 2) {
      problems.push({ path: fullKey, message: `unknown namespace ${namespace} (did you mean release:${fullKey.slice(namespace.length + 1)}?)`, got: text, secret: source.secretKeys.has(fullKey) });
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

  const region = source.values["aws:region"];
  if (!awsRegion.safeParse(region).success) {
    problems.push({ path: "aws:region", message: "expected an AWS region like eu-west-1", got: region, secret: false });
  } else if (!(AWS_REGIONS as string[]).includes(region as string)) {
    problems.push({ path: "aws:region", message: `not an AWS region${suggest(region as string, AWS_REGIONS)}; the regions @pulumi/aws knows: ${AWS_REGIONS.join(", ")}`, got: region, secret: false });
  }

  const parsed = parseWithPathStrings(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...zodProblems(issue, raw, isSecret));
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
  problems.push(...crossFieldProblems(config, tier));
  if (problems.length > 0) throw new ConfigError(source.stackFile, sortProblems(problems));
  return resolve(source, config, tier, region as string, isSecret);
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

function zodProblems(issue: z.core.$ZodIssue, raw: unknown, isSecret: (key: string) => boolean): ConfigProblem[] {
  const path = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
  const secret = typeof path[0] === "string" && isSecret(path[0]);
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
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function crossFieldProblems(config: RawReleaseConfig, tier: Tier): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: (string | number)[], message: string, got: unknown) =>
    problems.push({ path: renderPath(path), message, got, secret: false });

  if (tier !== "dev" && config.ingress?.certificateArn === undefined) {
    add(["ingress", "certificateArn"], `required in ${tier}: listeners there are HTTPS only (HTTP alone is allowed in dev)`, undefined);
  }

  for (const problem of testListenerCidrProblems(config.ingress?.testListenerCidrs ?? [])) {
    add(["ingress", "testListenerCidrs", problem.index], problem.message, problem.value);
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
    if (fargate) add(at(service.cpu !== undefined && fargate.startsWith("cpu") ? "cpu" : "memory"), fargate, fargate.startsWith("cpu") ? cpu : memory);
    if (service.autoscaling?.min !== undefined && service.autoscaling.max !== undefined && service.autoscaling.min > service.autoscaling.max) {
      add(at("autoscaling", "min"), `must not exceed autoscaling.max (${service.autoscaling.max})`, service.autoscaling.min);
    }
    if (tier === "production" && imageTag(service.image) === "latest") {
      add(at("image"), "pin a version tag or digest in production: latest changes under a running service", service.image);
    }
    const deployment = service.deployment ?? {};
    const strategy = deployment.strategy ?? TIER_DEFAULTS[tier].deployment.strategy;
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
      add(at("deployment", problem.field), problem.message, problem.value);
    }
    const smokeEnabled = (service.smokeTest?.enabled ?? (service.smokeTest !== undefined || TIER_DEFAULTS[tier].smokeTest.enabled)) && strategy !== "rolling";
    if (smokeEnabled) {
      const smoke = { ...TIER_DEFAULTS[tier].smokeTest, ...service.smokeTest };
      const paths = service.smokeTest?.paths ?? [service.healthCheck?.path ?? TIER_DEFAULTS[tier].healthCheck.path];
      for (const problem of smokeTestArgsProblems({ ...smoke, paths })) {
        add(at("smokeTest", problem.field), problem.message, problem.got);
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
    if (service.port === 2772) {
      add(at("port"), "2772 is the AWS AppConfig Agent's port in the task; choose another", service.port);
    }
  }

  problems.push(...flagProblems(config.flags ?? {}, config.flagStore).map((problem) => ({ ...problem, path: renderPath(["flags", ...problem.path]), secret: false })));
  return problems;
}

function resolve(
  source: ConfigSource,
  config: RawReleaseConfig,
  tier: Tier,
  region: string,
  isSecret: (key: string) => boolean,
): ReleaseConfig {
  const defaults = TIER_DEFAULTS[tier];
  const secretIf = (secret: boolean) => (value: string): pulumi.Input<string> => (secret ? pulumi.secret(value) : value);
  const services = Object.entries(config.services)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, service]) => resolveService(name, service, tier, secretIf(isSecret("services"))));
  const network: ResolvedNetwork =
    "stackReference" in config.network
      ? { kind: "stackReference", name: config.network.stackReference }
      : { kind: "ids", ...config.network };
  const ingress = config.ingress ?? {};
  const notifications = config.notifications ?? {};
  const secretNotifications = secretIf(isSecret("notifications"));
  const flagStore = config.flagStore ?? {};
  return {
    stack: source.stack,
    stackFile: source.stackFile,
    tier,
    region,
    network,
    ingress: {
      certificateArn: ingress.certificateArn === undefined ? undefined : secretIf(isSecret("ingress"))(ingress.certificateArn),
      allowedCidrs: ingress.allowedCidrs ?? defaults.ingress.allowedCidrs,
      internal: ingress.internal ?? false,
      testListenerPort: ingress.testListenerPort ?? defaults.ingress.testListenerPort,
      testListenerCidrs: ingress.testListenerCidrs ?? [],
      idleTimeoutSeconds: ingress.idleTimeoutSeconds ?? defaults.ingress.idleTimeoutSeconds,
      accessLogs:
        ingress.accessLogs?.enabled ?? tier === "production"
          ? { expirationDays: ingress.accessLogs?.expirationDays ?? defaults.ingress.accessLogExpirationDays }
          : undefined,
    },
    notifications: {
      emails: (notifications.emails ?? []).map(secretNotifications),
      httpsEndpoints: (notifications.httpsEndpoints ?? []).map(secretNotifications),
      ...(notifications.slack ? { slack: notifications.slack } : {}),
    },
    services,
    flags: Object.fromEntries(Object.entries(config.flags ?? {}).sort(([a], [b]) => a.localeCompare(b))),
    flagStore: {
      backend: flagStore.backend ?? "appconfig",
      ownership: flagStore.ownership ?? "pulumi",
      agent: flagStore.agent ?? true,
      deployment: { ...defaults.flagStore, ...flagStore.deployment },
    },
    defaults,
  };
}

function resolveService(
  name: string,
  service: RawService,
  tier: Tier,
  secret: (value: string) => pulumi.Input<string>,
): ResolvedService {
  const defaults = TIER_DEFAULTS[tier];
  const desiredCount = service.desiredCount ?? defaults.desiredCount;
  const scaling = defaults.autoscaling;
  const min = service.autoscaling?.min ?? desiredCount;
  const max = service.autoscaling?.max ?? (scaling ? Math.max(min, desiredCount * scaling.maxFactor) : Math.max(min, desiredCount));
  const healthCheck = { ...defaults.healthCheck, ...service.healthCheck };
  return {
    name,
    image: service.image,
    port: service.port,
    pathPatterns: service.pathPatterns ?? [],
    hostHeaders: service.hostHeaders ?? [],
    priority: service.priority,
    cpu: service.cpu ?? defaults.cpu,
    memory: service.memory ?? defaults.memory,
    desiredCount,
    autoscaling: {
      min,
      max,
      cpuTargetPercent: service.autoscaling?.cpuTargetPercent ?? scaling?.cpuTargetPercent ?? 60,
    },
    healthCheck,
    deregistrationDelaySeconds: defaults.deregistrationDelaySeconds,
    deployment: resolveStrategy(service.deployment ?? {}, defaults.deployment),
    smokeTest: {
      enabled: service.smokeTest?.enabled ?? (service.smokeTest !== undefined || defaults.smokeTest.enabled),
      paths: service.smokeTest?.paths ?? [healthCheck.path],
      samples: service.smokeTest?.samples ?? defaults.smokeTest.samples,
      minSuccessRate: service.smokeTest?.minSuccessRate ?? defaults.smokeTest.minSuccessRate,
      timeoutMs: service.smokeTest?.timeoutMs ?? defaults.smokeTest.timeoutMs,
      expectedStatuses: service.smokeTest?.expectedStatuses ?? defaults.smokeTest.expectedStatuses,
    },
    alarmGate: service.alarmGate?.enabled ?? defaults.alarmGate,
    alarmGateOverride: service.alarmGate?.override,
    alarms: {
      ...defaults.alarms,
      ...Object.fromEntries(Object.entries(service.alarms ?? {}).filter(([key]) => key !== "custom")),
      custom: service.alarms?.custom ?? [],
    },
    environment: Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, secret(value)])),
    secrets: service.secrets ?? {},
    logRetentionDays: service.logRetentionDays ?? defaults.logRetentionDays,
  };
}

function resolveStrategy(deployment: NonNullable<RawService["deployment"]>, fallback: DeploymentStrategy): DeploymentStrategy {
  const strategy = deployment.strategy ?? fallback.strategy;
  const bakeMinutes = deployment.bakeMinutes ?? ("bakeMinutes" in fallback ? fallback.bakeMinutes : 0);
  switch (strategy) {
    case "rolling":
      return { strategy };
    case "blue-green":
      return { strategy, bakeMinutes };
    case "canary":
      return {
        strategy,
        bakeMinutes,
        canaryPercent: deployment.canaryPercent ?? (fallback.strategy === "canary" ? fallback.canaryPercent : STRATEGY_FILL.canary.canaryPercent),
        canaryBakeMinutes:
          deployment.canaryBakeMinutes ?? (fallback.strategy === "canary" ? fallback.canaryBakeMinutes : STRATEGY_FILL.canary.canaryBakeMinutes),
      };
    case "linear":
      return {
        strategy,
        bakeMinutes,
        stepPercent: deployment.stepPercent ?? STRATEGY_FILL.linear.stepPercent,
        stepBakeMinutes: deployment.stepBakeMinutes ?? STRATEGY_FILL.linear.stepBakeMinutes,
      };
  }
}
