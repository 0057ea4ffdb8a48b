import type { z } from "zod";
import { issueProblems } from "../../components/arguments";
import { type ConfigProblem, renderPath, suggest } from "./problems";
import { releaseConfigSchema, type RawReleaseConfig, type RawService } from "./schema";
import type { Secrecy } from "./secrecy";

/* The stack file's YAML shape, checked by the schema: its problems at their paths, and the parts that parsed. */
/**
 * `pulumi config set --path k 0.9` stores the text "0.9" (numbers and booleans need `--type`): where the schema wants a
 * number or a boolean and the text is one, it is read as one.
 */
export function parseWithPathStrings(raw: Record<string, unknown>): ReturnType<typeof releaseConfigSchema.safeParse> {
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

export function zodProblems(issue: z.core.$ZodIssue, raw: unknown, secretAt: Secrecy): ConfigProblem[] {
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

export const INVALID = Symbol("invalid");
export type Part<T> = T | typeof INVALID;

/** The stack file's parts, each parsed on its own: a part with a shape problem is `INVALID`, a service or flag with one is left out. */
export interface ParsedParts {
  readonly tier: Part<RawReleaseConfig["tier"]>;
  readonly environment: Part<RawReleaseConfig["environment"]>;
  readonly network: Part<RawReleaseConfig["network"]>;
  readonly ingress: Part<RawReleaseConfig["ingress"]>;
  readonly notifications: Part<RawReleaseConfig["notifications"]>;
  readonly routes: Part<RawReleaseConfig["routes"]>;
  readonly services: Readonly<Record<string, RawService>>;
  /** Every flag, or `INVALID` when any has a shape problem: flag rules read the flags together. */
  readonly flags: Part<NonNullable<RawReleaseConfig["flags"]>>;
  readonly flagStore: Part<RawReleaseConfig["flagStore"]>;
  readonly cluster: Part<RawReleaseConfig["cluster"]>;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function parsedParts(raw: Record<string, unknown>): ParsedParts {
  const shape = releaseConfigSchema.shape;
  const part = <K extends "tier" | "environment" | "network" | "ingress" | "notifications" | "routes" | "flagStore" | "cluster">(key: K): Part<RawReleaseConfig[K]> => {
    const result = shape[key].safeParse(raw[key]);
    return result.success ? (result.data as RawReleaseConfig[K]) : INVALID;
  };
  // A service is parsed with its name, which has rules of its own; the flags together, as their rules read them.
  const services = Object.entries(isMap(raw.services) ? raw.services : {}).flatMap(([name, value]) => {
    const result = shape.services.safeParse({ [name]: value });
    return result.success ? Object.entries(result.data ?? {}) : [];
  });
  const flags = shape.flags.safeParse(raw.flags);
  return {
    tier: part("tier"),
    environment: part("environment"),
    network: part("network"),
    ingress: part("ingress"),
    notifications: part("notifications"),
    routes: part("routes"),
    services: Object.fromEntries(services),
    flags: flags.success ? (flags.data ?? {}) : INVALID,
    flagStore: part("flagStore"),
    cluster: part("cluster"),
  };
}
