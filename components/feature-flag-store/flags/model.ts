/** Flags as data, and what they serve whatever the backend: variants, splits, bucketing and the conditions both documents render. */

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

/** The final percentage a flag reaches: its ramp's last stage, or its percentage. */
export function finalPercent(flag: FlagDefinition): number {
  return flag.rollout?.stages?.[flag.rollout.stages.length - 1] ?? rolloutPercent(flag);
}

/** Minutes in a hold such as `30m` or `2h`. */
export function holdMinutes(hold: string): number {
  const match = /^(\d+)([mh])$/.exec(hold);
  if (!match) throw new Error(`not a duration: ${hold}`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
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
export const isPartial = (flag: FlagDefinition) => !flag.variants && flag.rollout !== undefined && rolloutPercent(flag) > 0 && rolloutPercent(flag) < 100;

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

/** Flags past their `expires` date, as warnings: remove the flag or extend the date. */
export function expiredFlagWarnings(flags: Flags, today: string): string[] {
  return sortedKeys(flags)
    .filter((key) => flags[key].expires < today)
    .map((key) => `flag ${key} expired on ${flags[key].expires} (owner ${flags[key].owner}): remove it from the code and the stack file, or extend expires`);
}
