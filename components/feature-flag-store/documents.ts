/** Flags as data, and the documents the two flag backends read: AWS AppConfig's FeatureFlags format and flagd's. */
import type { ArgumentProblem } from "../arguments";
import { finalPercent, holdMinutes, rampOutpacing } from "./ramp";

export type FlagValue = string | number | boolean;

export interface FlagRule {
  /** Context attribute the rule reads, e.g. `country`. */
  readonly attribute: string;
  readonly equals?: string;
  readonly in?: readonly string[];
  readonly startsWith?: string;
  /** Variant served when the rule matches: `on`/`off`, or a declared variant. */
  readonly serve: string;
}

/** A variant's weight, short (`control: 50`) or with a value (`control: { weight: 50, value: v1 }`). */
export type VariantSpec = number | { readonly weight: number; readonly value?: FlagValue };

export interface FlagRollout {
  /** Percent of users who get the flag. @default 100 (the first stage with `stages`) */
  readonly percent?: number;
  /** Context attribute users are bucketed by. @default "userId" */
  readonly by?: string;
  /** A guarded ramp: percentages deployed one after another by the store's ramp (`FeatureFlagStore`), e.g. [1, 5, 25, 50, 100]. */
  readonly stages?: readonly number[];
  /** Hold between stages: one duration (`30m`, `2h`) or one per stage after the first. */
  readonly every?: string | readonly string[];
}

export interface FlagDefinition {
  readonly description: string;
  readonly owner: string;
  /** yyyy-mm-dd: a flag past this date is a warning, not an error. */
  readonly expires: string;
  /** The kill switch: false turns the flag off for everyone. */
  readonly enabled: boolean;
  /** On for a consistent share of users, bucketed by `by` (default `userId`). */
  readonly rollout?: FlagRollout;
  /** A/B test: variants with weights summing to 100, bucketed by `bucketBy` (default `userId`). */
  readonly variants?: Readonly<Record<string, VariantSpec>>;
  /**
   * The variant served when the context lacks `bucketBy` or no rule matches. Required with two or more variants: the
   * Pulumi CLI hands object config to a program with its keys sorted, so "the first declared" would not be the one
   * deployed. @default the only variant
   */
  readonly defaultVariant?: string;
  readonly bucketBy?: string;
  /** Segments served a fixed variant, checked in order before any split. */
  readonly rules?: readonly FlagRule[];
  /** A user gets this flag only if they also get every flag listed (see `servesOn`). */
  readonly dependsOn?: readonly string[];
}

export type Flags = Readonly<Record<string, FlagDefinition>>;

const DEFAULT_BUCKET = "userId";

/** Keys in a stable order, so documents do not depend on the order of keys in a stack file. */
const sortedKeys = <T>(record: Readonly<Record<string, T>>) => Object.keys(record).sort();

export const variantWeight = (spec: VariantSpec): number => (typeof spec === "number" ? spec : spec.weight);
const variantValue = (name: string, spec: VariantSpec): FlagValue => (typeof spec === "number" ? name : (spec.value ?? name));

/** The percentage the stack file's document serves: `percent`, or a ramp's first stage; 100 without a rollout. */
export function rolloutPercent(flag: FlagDefinition): number {
  return flag.rollout?.percent ?? flag.rollout?.stages?.[0] ?? 100;
}

/** Variant names and values: `on`/`off` for a plain or rolled-out flag, else the declared variants by name. */
export function flagVariants(flag: FlagDefinition): [string, FlagValue][] {
  if (!flag.variants) {
    return [
      ["on", true],
      ["off", false],
    ];
  }
  const variants = flag.variants;
  return sortedKeys(variants).map((name) => [name, variantValue(name, variants[name])]);
}

/** Cumulative split points: A/B/C at 20/30/50 become A up to 20, B up to 50, C the rest (in name order, so buckets never move). */
export function splits(flag: FlagDefinition): { variant: string; upTo: number }[] {
  if (flag.variants) {
    const variants = flag.variants;
    let total = 0;
    return sortedKeys(variants).map((name) => {
      total += variantWeight(variants[name]);
      return { variant: name, upTo: Math.round(total * 1e6) / 1e6 };
    });
  }
  return [
    { variant: "on", upTo: rolloutPercent(flag) },
    { variant: "off", upTo: 100 },
  ];
}

/** A partial rollout: some users get the flag and some do not, by a hash. */
const isPartial = (flag: FlagDefinition) => !flag.variants && flag.rollout !== undefined && rolloutPercent(flag) > 0 && rolloutPercent(flag) < 100;

/**
 * The seed and attribute a flag buckets with. A rollout that depends on rollouts buckets with its (first) dependency's
 * seed and attribute, so that its users are a subset of the dependency's: a split is true for the users whose hash is
 * below the percentage, and the same seed gives the same hash.
 */
export function bucketing(flags: Flags, key: string, seen: readonly string[] = []): { seed: string; by: string } {
  const memo = acyclicMemo(flags);
  const known = memo?.bucketing.get(key);
  if (known) return known;
  const found = findBucketing(flags, key, seen);
  memo?.bucketing.set(key, found);
  return found;
}

function findBucketing(flags: Flags, key: string, seen: readonly string[]): { seed: string; by: string } {
  const flag = flags[key];
  if (flag.variants) return { seed: key, by: flag.bucketBy ?? DEFAULT_BUCKET };
  const parent = (flag.dependsOn ?? []).find((dependency) => flags[dependency]?.rollout !== undefined && !flags[dependency].variants && !seen.includes(dependency));
  if (flag.rollout !== undefined && parent !== undefined) return bucketing(flags, parent, [...seen, key]);
  return { seed: key, by: flag.rollout?.by ?? DEFAULT_BUCKET };
}

/** What a context no rule or split selects gets: the declared (or first declared) A/B variant, `on` for a full rollout, else `off`. */
export function defaultVariant(flag: FlagDefinition): string {
  if (flag.variants) return flag.defaultVariant ?? sortedKeys(flag.variants)[0];
  return rolloutPercent(flag) >= 100 ? "on" : "off";
}

/** A condition on a context, rendered to both AppConfig's rule syntax and flagd's JSONLogic. */
export type Condition =
  | { readonly kind: "always" }
  | { readonly kind: "never" }
  | { readonly kind: "split"; readonly percent: number; readonly by: string; readonly seed: string }
  | { readonly kind: "rule"; readonly rule: FlagRule }
  | { readonly kind: "and" | "or"; readonly of: readonly Condition[] }
  | { readonly kind: "not"; readonly of: Condition };

const ALWAYS: Condition = { kind: "always" };
const NEVER: Condition = { kind: "never" };

function and(...of: Condition[]): Condition {
  if (of.some((c) => c.kind === "never")) return NEVER;
  const kept = of.filter((c) => c.kind !== "always");
  return kept.length === 0 ? ALWAYS : kept.length === 1 ? kept[0] : { kind: "and", of: kept };
}

function or(...of: Condition[]): Condition {
  if (of.some((c) => c.kind === "always")) return ALWAYS;
  const kept = of.filter((c) => c.kind !== "never");
  return kept.length === 0 ? NEVER : kept.length === 1 ? kept[0] : { kind: "or", of: kept };
}

function not(of: Condition): Condition {
  if (of.kind === "always") return NEVER;
  if (of.kind === "never") return ALWAYS;
  return of.kind === "not" ? of.of : { kind: "not", of };
}

/** The context gets every flag `key` depends on (and their dependencies). */
export function dependenciesServe(flags: Flags, key: string, seen: readonly string[] = []): Condition {
  return and(...(flags[key].dependsOn ?? []).filter((d) => d in flags && !seen.includes(d)).map((d) => servesOn(flags, d, [...seen, key])));
}

/**
 * What `servesOn` and `bucketing` answered for each flag of one flag set, when the set has no dependency cycle: then an
 * answer does not depend on the path that reached the flag, and a chain or a diamond of N flags is worked out in N
 * steps instead of once per path (a 500-flag chain took a minute). A set with a cycle (refused by `flagsProblems`) gets
 * no memo, and the `seen` lists stop the walk.
 */
interface FlagMemo {
  readonly serves: Map<string, Condition>;
  readonly bucketing: Map<string, { seed: string; by: string }>;
}
const memos = new WeakMap<Flags, FlagMemo | null>();

function acyclicMemo(flags: Flags): FlagMemo | undefined {
  if (!memos.has(flags)) memos.set(flags, dependencyCycleFree(flags) ? { serves: new Map(), bucketing: new Map() } : null);
  return memos.get(flags) ?? undefined;
}

/** True when no flag depends on itself through others: one depth-first walk over every flag and dependency. */
function dependencyCycleFree(flags: Flags): boolean {
  const state = new Map<string, "visiting" | "done">();
  for (const start of Object.keys(flags)) {
    if (state.has(start)) continue;
    const stack: [string, number][] = [[start, 0]];
    state.set(start, "visiting");
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const dependencies = (flags[top[0]].dependsOn ?? []).filter((dependency) => Object.hasOwn(flags, dependency));
      if (top[1] >= dependencies.length) {
        state.set(top[0], "done");
        stack.pop();
        continue;
      }
      const next = dependencies[top[1]++];
      if (state.get(next) === "visiting") return false;
      if (state.has(next)) continue;
      state.set(next, "visiting");
      stack.push([next, 0]);
    }
  }
  return true;
}

/** The context gets the flag: an enabled variant (`on`, or any variant of an A/B test), its dependencies included. */
export function servesOn(flags: Flags, key: string, seen: readonly string[] = []): Condition {
  const memo = acyclicMemo(flags);
  const known = memo?.serves.get(key);
  if (known) return known;
  const found = findServesOn(flags, key, seen);
  memo?.serves.set(key, found);
  return found;
}

function findServesOn(flags: Flags, key: string, seen: readonly string[]): Condition {
  const flag = flags[key];
  if (!flag.enabled) return NEVER;
  const dependencies = dependenciesServe(flags, key, seen);
  if (flag.variants) return dependencies;
  const percent = rolloutPercent(flag);
  const { seed, by } = bucketing(flags, key);
  let decision: Condition = percent >= 100 ? ALWAYS : percent <= 0 ? NEVER : { kind: "split", percent, by, seed };
  for (const rule of [...(flag.rules ?? [])].reverse()) {
    const match: Condition = { kind: "rule", rule };
    decision = rule.serve === "on" ? or(match, decision) : and(not(match), decision);
  }
  return and(dependencies, decision);
}

const quote = (text: string) => JSON.stringify(text);

function appConfigRule(rule: FlagRule): string {
  const attribute = `$${rule.attribute}`;
  if (rule.equals !== undefined) return `(eq ${attribute} ${quote(rule.equals)})`;
  if (rule.in !== undefined) return `(in ${attribute} [${rule.in.map(quote).join(", ")}])`;
  return `(begins_with ${attribute} ${quote(rule.startsWith ?? "")})`;
}

const appConfigSplit = (percent: number, by: string, seed: string) => `(split pct::${percent} by::$${by} seed::${quote(seed)})`;

/** AppConfig's rule syntax; `and`/`or` take two operands, so longer lists nest. */
export function appConfigCondition(condition: Condition): string {
  switch (condition.kind) {
    case "always":
    case "never":
      throw new Error("constant conditions are simplified away before they are rendered");
    case "split":
      return appConfigSplit(condition.percent, condition.by, condition.seed);
    case "rule":
      return appConfigRule(condition.rule);
    case "not":
      return `(not ${appConfigCondition(condition.of)})`;
    default:
      return condition.of.map(appConfigCondition).reduceRight((right, left) => `(${condition.kind} ${left} ${right})`);
  }
}

const renderedLengths = new WeakMap<Condition, number>();

/** `appConfigCondition(condition).length`, remembered per condition: dependents share their dependencies' conditions. */
function renderedLength(condition: Condition): number {
  const known = renderedLengths.get(condition);
  if (known !== undefined) return known;
  let length: number;
  switch (condition.kind) {
    case "always":
    case "never":
      length = 0;
      break;
    case "split":
      length = appConfigSplit(condition.percent, condition.by, condition.seed).length;
      break;
    case "rule":
      length = appConfigRule(condition.rule).length;
      break;
    case "not":
      length = "(not )".length + renderedLength(condition.of);
      break;
    default:
      // `(kind left right)`, nested to the right: each operand after the first adds the kind, two spaces and the parentheses.
      length = condition.of.reduce((sum, operand) => sum + renderedLength(operand), 0) + (condition.of.length - 1) * (condition.kind.length + 4);
  }
  renderedLengths.set(condition, length);
  return length;
}

function describeFlag(key: string, flag: FlagDefinition): string {
  const dependsOn = flag.dependsOn?.length ? `; depends on ${flag.dependsOn.join(", ")}` : "";
  return `${flag.description} (owner ${flag.owner}; expires ${flag.expires}${dependsOn})`.slice(0, 1024) || key;
}

interface AppConfigVariant {
  name: string;
  enabled: boolean;
  rule?: string;
  attributeValues?: Record<string, FlagValue>;
}

/** Suffix of the variant a flag serves when one of its dependencies is off for the context. */
export const DEPENDENCY_VARIANT_SUFFIX = "-dependency-off";
/** Suffix of an A/B test's default variant (served without the bucketing attribute): variant names must be unique. */
export const DEFAULT_VARIANT_SUFFIX = "-default";

/**
 * The `AWS.AppConfig.FeatureFlags` document. A disabled flag is `enabled: false` for everyone. A rollout, A/B test,
 * rules or dependencies become a multi-variant flag: first a variant serving off (or an A/B test's default) when a
 * dependency is off for the context, then rule variants, then `split` variants with cumulative percentages, then the
 * default variant, last and without a rule. Every variant carries `variant` (its logical name) and, for A/B tests, `value`.
 */
export function toAppConfigDocument(flags: Flags): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  for (const key of sortedKeys(flags)) {
    const flag = flags[key];
    const variants = flagVariants(flag);
    const valueType = typeof variants[0][1];
    const guard = dependenciesServe(flags, key);
    const enabled = flag.enabled && guard.kind !== "never";
    const multiVariant =
      enabled && (flag.variants !== undefined || flag.rollout !== undefined || (flag.rules?.length ?? 0) > 0 || guard.kind !== "always");
    definitions[key] = {
      name: key,
      description: describeFlag(key, flag),
      ...(multiVariant
        ? {
            attributes: {
              variant: { constraints: { type: "string", enum: variants.map(([name]) => name), required: true } },
              ...(flag.variants ? { value: { constraints: { type: valueType } } } : {}),
            },
          }
        : {}),
    };
    if (!multiVariant) {
      values[key] = { enabled };
      continue;
    }
    const variantValues = new Map(variants);
    const asVariant = (name: string, rule?: string, suffix = ""): AppConfigVariant => ({
      name: `${name}${suffix}`,
      enabled: flag.variants ? true : name === "on",
      ...(rule ? { rule } : {}),
      attributeValues: { variant: name, ...(flag.variants ? { value: variantValues.get(name) as FlagValue } : {}) },
    });
    const fallback = defaultVariant(flag);
    const dependencyVariants =
      guard.kind === "always" ? [] : [asVariant(flag.variants ? fallback : "off", appConfigCondition(not(guard)), DEPENDENCY_VARIANT_SUFFIX)];
    const ruleVariants = (flag.rules ?? []).map((rule, index) => asVariant(rule.serve, appConfigRule(rule), `-rule${index + 1}`));
    const { seed, by } = bucketing(flags, key);
    const points = splits(flag);
    let splitVariants: AppConfigVariant[];
    let last: AppConfigVariant;
    if (flag.variants) {
      // Every variant is a split (the last at pct::100): a context without the attribute matches none and gets the default.
      splitVariants = points.filter((point) => point.upTo > 0).map((point) => asVariant(point.variant, appConfigSplit(point.upTo, by, seed)));
      last = asVariant(fallback, undefined, DEFAULT_VARIANT_SUFFIX);
    } else {
      // A 100% rollout needs no split: `on` is the default.
      splitVariants = fallback === "on" ? [] : points.slice(0, -1).filter((point) => point.upTo > 0).map((point) => asVariant(point.variant, appConfigSplit(point.upTo, by, seed)));
      last = asVariant(fallback);
    }
    values[key] = { _variants: [...dependencyVariants, ...ruleVariants, ...splitVariants, last] };
  }
  return { version: "1", flags: definitions, values };
}

type JsonLogic = Record<string, unknown> | string | number | boolean | unknown[];

function flagdCondition(rule: FlagRule): JsonLogic {
  const attribute = { var: rule.attribute };
  if (rule.equals !== undefined) return { "==": [attribute, rule.equals] };
  if (rule.in !== undefined) return { in: [attribute, [...rule.in]] };
  return { starts_with: [attribute, rule.startsWith ?? ""] };
}

/** flagd weights are integers; percentages keep two decimals by scaling (every split totals 10,000). */
const weight = (percent: number) => Math.round(percent * 100);

/** flagd's `fractional` on seed + attribute: the same seed and total weight give the same bucket, as AppConfig's split. */
const fractional = (seed: string, by: string, buckets: [string, number][]): JsonLogic => ({ fractional: [{ cat: [seed, { var: by }] }, ...buckets] });

/** JSONLogic for flagd; a split needs the attribute, as AppConfig's does. */
export function flagdLogic(condition: Condition): JsonLogic {
  switch (condition.kind) {
    case "always":
      return true;
    case "never":
      return false;
    case "split":
      return {
        and: [
          { var: condition.by },
          { "==": [fractional(condition.seed, condition.by, [["on", weight(condition.percent)], ["off", weight(100 - condition.percent)]]), "on"] },
        ],
      };
    case "rule":
      return flagdCondition(condition.rule);
    case "not":
      return { "!": [flagdLogic(condition.of)] };
    default:
      return { [condition.kind]: condition.of.map(flagdLogic) };
  }
}

/**
 * A flagd flag definition set. Disabled flags are `DISABLED` (callers get their default, i.e. off). A dependency that
 * is off for the context comes first, then rules as `if` branches, then `fractional` on seed + bucketing attribute. A
 * context matching none gets `defaultVariant` with flagd's reason DEFAULT.
 */
export function toFlagdDocument(flags: Flags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of sortedKeys(flags)) {
    const flag = flags[key];
    const variants = flagVariants(flag);
    const points = splits(flag);
    const fallback = flag.enabled || flag.variants ? defaultVariant(flag) : "off";
    const guard = dependenciesServe(flags, key);
    let split: JsonLogic[] = [];
    if (flag.variants || isPartial(flag)) {
      let previous = 0;
      const buckets = points.map((point): [string, number] => {
        const share = point.upTo - previous;
        previous = point.upTo;
        return [point.variant, weight(share)];
      });
      const { seed, by } = bucketing(flags, key);
      split = [{ var: by }, fractional(seed, by, buckets)];
    }
    const guardBranch = guard.kind === "always" ? [] : [flagdLogic(not(guard)), flag.variants ? fallback : "off"];
    const branches = [...guardBranch, ...(flag.rules ?? []).flatMap((rule) => [flagdCondition(rule), rule.serve]), ...split];
    // No else branch: a context that matches nothing gets defaultVariant, reason DEFAULT.
    const targeting = branches.length > 0 ? { if: branches } : undefined;
    out[key] = {
      state: flag.enabled ? "ENABLED" : "DISABLED",
      variants: Object.fromEntries(variants),
      defaultVariant: fallback,
      ...(targeting !== undefined ? { targeting } : {}),
      metadata: { owner: flag.owner, expires: flag.expires, description: flag.description.slice(0, 256) },
    };
  }
  return { $schema: "https://flagd.dev/schema/v0/flags.json", flags: out };
}

/** Flags past their `expires` date, as warnings: remove the flag or extend the date. */
export function expiredFlagWarnings(flags: Flags, today: string): string[] {
  return sortedKeys(flags)
    .filter((key) => flags[key].expires < today)
    .map((key) => `flag ${key} expired on ${flags[key].expires} (owner ${flags[key].owner}): remove it from the code and the stack file, or extend expires`);
}

/** What an AppConfig document serves for one flag, read back for people (synth tree, plan diff). */
export interface FlagServing {
  readonly enabled: boolean;
  /** Served through variants (rollout, A/B test or rules) rather than one on/off value. */
  readonly multiVariant: boolean;
  /** Variants carry values: an A/B test. */
  readonly abTest: boolean;
  /** Logical variant names, in order, without repeats. */
  readonly variants: readonly string[];
  readonly variantCount: number;
  /** The first split's `pct::` as written, e.g. "25". */
  readonly splitPercent?: string;
  /** Variants chosen by a segment rule rather than a split. */
  readonly ruleCount: number;
}

interface AppConfigValue {
  enabled?: boolean;
  _variants?: { name: string; enabled?: boolean; rule?: string; attributeValues?: Record<string, unknown> }[];
}

/** Reads a `toAppConfigDocument` document (object or JSON) back into what each flag serves. */
export function readAppConfigDocument(document: unknown): Map<string, FlagServing> {
  const parsed = typeof document === "string" ? (JSON.parse(document) as unknown) : document;
  const values = ((parsed as { values?: Record<string, AppConfigValue> } | undefined)?.values ?? {}) as Record<string, AppConfigValue>;
  return new Map(
    Object.entries(values).map(([key, value]) => {
      const variants = value._variants ?? [];
      const isSplit = (rule?: string) => rule?.startsWith("(split") === true;
      return [
        key,
        {
          enabled: value.enabled ?? variants.some((variant) => variant.enabled),
          multiVariant: value._variants !== undefined,
          abTest: variants.some((variant) => variant.attributeValues?.value !== undefined),
          variants: [...new Set(variants.map((variant) => String(variant.attributeValues?.variant ?? variant.name)))],
          variantCount: variants.length,
          splitPercent: variants.find((variant) => isSplit(variant.rule))?.rule?.match(/pct::([\d.]+)/)?.[1],
          ruleCount: variants.filter((variant) => variant.rule !== undefined && !isSplit(variant.rule) && !variant.name.endsWith(DEPENDENCY_VARIANT_SUFFIX)).length,
        },
      ];
    }),
  );
}

/** Which store serves the flags: a ramp needs the AppConfig store's state machine and versions Pulumi makes. */
export interface FlagStoreKind {
  /** @default "appconfig" */
  readonly backend?: "appconfig" | "flagd";
  /** @default "pulumi" */
  readonly ownership?: "pulumi" | "console";
}

/** A ramp holds each stage at least a minute and at most a week (a Step Functions Wait state waits up to a year). */
const MAX_HOLD_MINUTES = 7 * 24 * 60;

/**
 * What the flag schema alone cannot say: dependencies exist, have no cycles and are on, are on/off flags, and a
 * dependent rollout can be a subset of its dependencies' users; ramps rise; variants, defaults and rules agree.
 */
export function flagsProblems(flags: Flags, store: FlagStoreKind = {}): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const add = (field: (string | number)[], message: string, got: unknown) => problems.push({ field, message, got });
  const names = Object.keys(flags).sort();
  for (const name of names) {
    const flag = flags[name];
    (flag.dependsOn ?? []).forEach((dependency, index) => {
      if (!(dependency in flags)) add([name, "dependsOn", index], `no flag named "${dependency}"`, dependency);
      else if (dependency === name) add([name, "dependsOn", index], "a flag cannot depend on itself", dependency);
      else if (flag.enabled && !flags[dependency].enabled) {
        add([name, "enabled"], `cannot be on while flags.${dependency}, which it depends on, is off`, flag.enabled);
      } else if (flags[dependency].variants) {
        add([name, "dependsOn", index], `flags.${dependency} is an A/B test; a flag can depend only on on/off flags`, dependency);
      } else if (flag.rollout && !flag.variants && flags[dependency].rollout && finalPercent(flag) > finalPercent(flags[dependency])) {
        add(
          [name, "rollout"],
          `reaches ${finalPercent(flag)}%, above the ${finalPercent(flags[dependency])}% of flags.${dependency}, which it depends on: its users are a subset of ${dependency}'s`,
          flag.rollout,
        );
      }
    });
    problems.push(...dependentBucketingProblems(flags, name));
    problems.push(...rampProblems(name, flag));
    if (flag.rollout?.stages && (store?.backend === "flagd" || store?.ownership === "console")) {
      const why = store.backend === "flagd" ? "flagStore.backend is flagd" : "flagStore.ownership is console (people make its versions)";
      add([name, "rollout", "stages"], `a ramp is deployed by the AppConfig store's state machine, and ${why}; use percent`, flag.rollout.stages);
    }
    if (flag.defaultVariant !== undefined && !(flag.variants && Object.hasOwn(flag.variants, flag.defaultVariant))) {
      add([name, "defaultVariant"], flag.variants ? `expected one of ${sortedKeys(flag.variants).join(", ")}` : "applies to variants only", flag.defaultVariant);
    } else if (flag.defaultVariant === undefined && flag.variants && Object.keys(flag.variants).length > 1) {
      // Order in the file is no order at all: `pulumi up` receives the map with its keys sorted (Go's encoding/json).
      add([name, "defaultVariant"], `required with ${Object.keys(flag.variants).length} variants: name the one served by default (one of ${sortedKeys(flag.variants).join(", ")}); the order of keys in the stack file does not reach the program`, undefined);
    }
    if (flag.variants) {
      const total = Object.values(flag.variants).reduce((sum: number, variant) => sum + variantWeight(variant), 0);
      if (Math.abs(total - 100) > 1e-9) add([name, "variants"], "weights must sum to 100", total);
      if (flag.rollout) add([name, "rollout"], "use either rollout (on/off by percent) or variants (A/B weights), not both", flag.rollout);
      if (Object.keys(flag.variants).length < 2) add([name, "variants"], "an A/B test needs at least two variants", Object.keys(flag.variants));
      const types = new Set(Object.entries(flag.variants).map(([variant, spec]) => typeof (typeof spec === "number" ? variant : (spec.value ?? variant))));
      if (types.size > 1) add([name, "variants"], `variant values must all be one type (flagd requires it); got ${[...types].sort().join(" and ")}`, flag.variants);
    }
    if (flag.bucketBy && !flag.variants) add([name, "bucketBy"], "applies to variants only; a rollout buckets by rollout.by", flag.bucketBy);
    const served = new Set(flag.variants ? Object.keys(flag.variants) : ["on", "off"]);
    (flag.rules ?? []).forEach((rule, index) => {
      const operators = [rule.equals, rule.in, rule.startsWith].filter((op) => op !== undefined).length;
      if (operators !== 1) add([name, "rules", index], "give exactly one of equals, in, startsWith", rule);
      if (!served.has(rule.serve)) add([name, "rules", index, "serve"], `expected one of ${[...served].join(", ")}`, rule.serve);
    });
  }
  // Cycles: depth-first search, reporting each cycle once at its first flag.
  const state = new Map<string, "visiting" | "done">();
  // One trail, pushed and popped: a copy per step made a long chain quadratic.
  const trail: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      add([cycle[0], "dependsOn"], `dependency cycle ${cycle.join(" -> ")}`, flags[cycle[0]].dependsOn);
      return;
    }
    state.set(name, "visiting");
    trail.push(name);
    for (const dependency of flags[name].dependsOn ?? []) {
      if (dependency in flags && dependency !== name) visit(dependency);
    }
    trail.pop();
    state.set(name, "done");
  };
  for (const name of names) visit(name);
  if (problems.length === 0) problems.push(...ruleLengthProblems(flags));
  // Every step of the ramps, not only the final percentages: a dependent ahead of its dependency mid-ramp gets all of its users.
  const outpacing = problems.length === 0 ? rampOutpacing(flags) : undefined;
  if (outpacing) {
    const { key, percent, dependency, dependencyPercent, atMinutes } = outpacing;
    add(
      [key, "rollout"],
      `would be at ${percent}% while flags.${dependency}, which it depends on, is at ${dependencyPercent}% (${atMinutes} min into the ramp): a dependent must not outpace its dependency at any step; hold it longer or ramp ${dependency} sooner`,
      flags[key].rollout,
    );
  }
  return problems;
}

/** AppConfig takes variant rules of at most 1024 characters; a dependency's rules are repeated in its dependents'. */
const MAX_RULE_LENGTH = 1024;

function ruleLengthProblems(flags: Flags): ArgumentProblem[] {
  // A flag's rule repeats its dependencies' conditions: measured first without writing them out, so a long chain of
  // dependent rollouts (each over the limit) costs one pass, not a document of N rules of N conditions each.
  const guards = Object.keys(flags)
    .sort()
    .flatMap((key) => {
      // A flag that is off serves off to everyone, with no rule at all.
      if (!flags[key].enabled) return [];
      const guard = dependenciesServe(flags, key);
      const length = guard.kind === "always" || guard.kind === "never" ? 0 : renderedLength(not(guard));
      return length > MAX_RULE_LENGTH
        ? [{ field: [key], message: `its AppConfig rule would be ${length} characters, above AppConfig's ${MAX_RULE_LENGTH}: shorten the rules of it or of what it depends on`, got: length }]
        : [];
    });
  if (guards.length > 0) return guards;
  const values = toAppConfigDocument(flags).values as Record<string, { _variants?: { rule?: string }[] }>;
  return Object.keys(values)
    .sort()
    .flatMap((key) => {
      const longest = Math.max(0, ...(values[key]._variants ?? []).map((variant) => variant.rule?.length ?? 0));
      return longest > MAX_RULE_LENGTH
        ? [{ field: [key], message: `its AppConfig rule would be ${longest} characters, above AppConfig's ${MAX_RULE_LENGTH}: shorten the rules of it or of what it depends on`, got: longest }]
        : [];
    });
}

/** A dependent rollout buckets with its dependencies' seed and attribute; it cannot when they differ. */
function dependentBucketingProblems(flags: Flags, name: string): ArgumentProblem[] {
  const flag = flags[name];
  const typed = flags;
  const rollouts = (flag.dependsOn ?? []).filter((dependency) => flags[dependency]?.rollout && !flags[dependency].variants && dependency !== name);
  if (!flag.rollout || flag.variants || rollouts.length === 0 || hasCycle(flags, name)) return [];
  const roots = [...new Set(rollouts.map((dependency) => bucketing(typed, dependency).seed))];
  const problems: ArgumentProblem[] = [];
  if (roots.length > 1) {
    problems.push({
      field: [name, "dependsOn"],
      message: `depends on rollouts bucketed by different flags (${roots.join(", ")}): a user would be in all of them only by chance; make one depend on the other`,
      got: flag.dependsOn,
    });
  }
  const { by } = bucketing(typed, rollouts[0]);
  if (flag.rollout.by !== undefined && flag.rollout.by !== by) {
    problems.push({ field: [name, "rollout", "by"], message: `must be ${by}, the attribute ${rollouts[0]} buckets by, so its users are a subset`, got: flag.rollout.by });
  }
  return problems;
}

function hasCycle(flags: Flags, start: string): boolean {
  if (acyclicMemo(flags)) return false;
  const stack = [...(flags[start].dependsOn ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (next === start) return true;
    if (seen.has(next) || !(next in flags)) continue;
    seen.add(next);
    stack.push(...(flags[next].dependsOn ?? []));
  }
  return false;
}

/** `percent` or `stages`; stages rise; one hold, or one per stage after the first. */
function rampProblems(name: string, flag: FlagDefinition): ArgumentProblem[] {
  const rollout = flag.rollout;
  if (!rollout) return [];
  const problems: ArgumentProblem[] = [];
  const add = (field: (string | number)[], message: string, got: unknown) => problems.push({ field: [name, "rollout", ...field], message, got });
  if (rollout.stages === undefined) {
    if (rollout.percent === undefined) add(["percent"], "give percent, or stages and every for a ramp", rollout);
    if (rollout.every !== undefined) add(["every"], "applies to stages only", rollout.every);
    return problems;
  }
  if (rollout.percent !== undefined) add(["percent"], "use either percent or stages, not both (the ramp starts at its first stage)", rollout.percent);
  rollout.stages.forEach((stage, index) => {
    if (index > 0 && stage <= rollout.stages![index - 1]) add(["stages", index], `must be above the stage before (${rollout.stages![index - 1]}): a ramp only rises`, stage);
  });
  if (rollout.every === undefined) add(["every"], "a ramp needs every: how long each stage holds (e.g. 30m)", undefined);
  const holds = typeof rollout.every === "string" ? [rollout.every] : (rollout.every ?? []);
  if (Array.isArray(rollout.every) && rollout.every.length !== rollout.stages.length - 1) {
    add(["every"], `give one hold per stage after the first (${rollout.stages.length - 1})`, rollout.every);
  }
  holds.forEach((hold, index) => {
    if (holdMinutes(hold) > MAX_HOLD_MINUTES) add(typeof rollout.every === "string" ? ["every"] : ["every", index], `at most 7 days (${MAX_HOLD_MINUTES}m)`, hold);
  });
  return problems;
}
