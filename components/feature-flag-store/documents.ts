/** Flags as data, and the documents the two flag backends read: AWS AppConfig's FeatureFlags format and flagd's. */

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

/** @internal Keys in a stable order, so documents do not depend on the order of keys in a stack file. */
export const sortedKeys = <T>(record: Readonly<Record<string, T>>) => Object.keys(record).sort();

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

/** @internal */
export function not(of: Condition): Condition {
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
 * @internal
 */
export interface FlagMemo {
  readonly serves: Map<string, Condition>;
  readonly bucketing: Map<string, { seed: string; by: string }>;
}
const memos = new WeakMap<Flags, FlagMemo | null>();

/** @internal */
export function acyclicMemo(flags: Flags): FlagMemo | undefined {
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

/** @internal `appConfigCondition(condition).length`, remembered per condition: dependents share their dependencies' conditions. */
export function renderedLength(condition: Condition): number {
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
