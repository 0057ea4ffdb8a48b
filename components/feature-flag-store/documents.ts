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

export interface FlagDefinition {
  readonly description: string;
  readonly owner: string;
  /** yyyy-mm-dd: a flag past this date is a warning, not an error. */
  readonly expires: string;
  /** The kill switch: false turns the flag off for everyone. */
  readonly enabled: boolean;
  /** On for a consistent share of users, bucketed by `by` (default `userId`). */
  readonly rollout?: { readonly percent: number; readonly by?: string };
  /** A/B test: variants with weights summing to 100, bucketed by `bucketBy` (default `userId`). */
  readonly variants?: Readonly<Record<string, { readonly weight: number; readonly value?: FlagValue }>>;
  readonly bucketBy?: string;
  /** Segments served a fixed variant, checked in order before any split. */
  readonly rules?: readonly FlagRule[];
  readonly dependsOn?: readonly string[];
}

export type Flags = Readonly<Record<string, FlagDefinition>>;

const DEFAULT_BUCKET = "userId";

/** Keys in a stable order, so documents do not depend on the order of keys in a stack file. */
const sortedKeys = <T>(record: Readonly<Record<string, T>>) => Object.keys(record).sort();

/** Variant names and values: `on`/`off` for a plain or rolled-out flag, else the declared variants by name. */
export function flagVariants(flag: FlagDefinition): [string, FlagValue][] {
  if (!flag.variants) {
    return [
      ["on", true],
      ["off", false],
    ];
  }
  return sortedKeys(flag.variants).map((name) => [name, flag.variants?.[name].value ?? name]);
}

/** Cumulative split points: A/B/C at 20/30/50 become A up to 20, B up to 50, C the rest. */
export function splits(flag: FlagDefinition): { variant: string; upTo: number }[] {
  if (flag.variants) {
    let total = 0;
    return sortedKeys(flag.variants).map((name) => {
      total += flag.variants?.[name].weight ?? 0;
      return { variant: name, upTo: Math.round(total * 1e6) / 1e6 };
    });
  }
  const percent = flag.rollout?.percent ?? 100;
  return [
    { variant: "on", upTo: percent },
    { variant: "off", upTo: 100 },
  ];
}

export function bucketAttribute(flag: FlagDefinition): string {
  return flag.variants ? (flag.bucketBy ?? DEFAULT_BUCKET) : (flag.rollout?.by ?? DEFAULT_BUCKET);
}

/** What a context no rule or split selects gets: the last A/B variant, `on` for a full rollout, else `off`. */
export function defaultVariant(flag: FlagDefinition): string {
  if (flag.variants) return sortedKeys(flag.variants).slice(-1)[0];
  return (flag.rollout?.percent ?? 100) >= 100 ? "on" : "off";
}

const quote = (text: string) => JSON.stringify(text);

function appConfigRule(rule: FlagRule): string {
  const attribute = `$${rule.attribute}`;
  if (rule.equals !== undefined) return `(eq ${attribute} ${quote(rule.equals)})`;
  if (rule.in !== undefined) return `(in ${attribute} [${rule.in.map(quote).join(", ")}])`;
  return `(begins_with ${attribute} ${quote(rule.startsWith ?? "")})`;
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

/**
 * The `AWS.AppConfig.FeatureFlags` document. A disabled flag is `enabled: false` for everyone. A rollout, A/B test or
 * rules become a multi-variant flag: rule variants first, then `split` variants with cumulative percentages and a
 * per-flag seed (so one user's buckets differ between flags), then the default variant, last and without a rule.
 * Every variant carries `variant` (its logical name) and, for A/B tests, `value`.
 */
export function toAppConfigDocument(flags: Flags): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  for (const key of sortedKeys(flags)) {
    const flag = flags[key];
    const variants = flagVariants(flag);
    const valueType = typeof variants[0][1];
    const multiVariant = flag.enabled && (flag.variants !== undefined || flag.rollout !== undefined || (flag.rules?.length ?? 0) > 0);
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
      values[key] = { enabled: flag.enabled };
      continue;
    }
    const variantValue = new Map(variants);
    const asVariant = (name: string, rule?: string, suffix = ""): AppConfigVariant => ({
      name: `${name}${suffix}`,
      enabled: flag.variants ? true : name === "on",
      ...(rule ? { rule } : {}),
      attributeValues: { variant: name, ...(flag.variants ? { value: variantValue.get(name) as FlagValue } : {}) },
    });
    const ruleVariants = (flag.rules ?? []).map((rule, index) => asVariant(rule.serve, appConfigRule(rule), `-rule${index + 1}`));
    const points = splits(flag);
    const seed = quote(key);
    const by = `$${bucketAttribute(flag)}`;
    const splitVariants = points
      .slice(0, -1)
      .filter((point) => point.upTo > 0)
      .map((point) => asVariant(point.variant, `(split pct::${point.upTo} by::${by} seed::${seed})`));
    const fallback = defaultVariant(flag);
    // A 100% rollout needs no split: `on` is the default.
    const splitsBeforeDefault = fallback === "on" && !flag.variants ? [] : splitVariants;
    values[key] = { _variants: [...ruleVariants, ...splitsBeforeDefault, asVariant(fallback)] };
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

/** flagd weights are integers; percentages keep two decimals by scaling. */
const weight = (percent: number) => Math.round(percent * 100);

/**
 * A flagd flag definition set. Disabled flags are `DISABLED` (callers get their default, i.e. off). Rollouts and A/B
 * tests use `fractional` bucketed on the flag key plus the bucketing attribute; rules come first as `if` branches.
 */
export function toFlagdDocument(flags: Flags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of sortedKeys(flags)) {
    const flag = flags[key];
    const variants = flagVariants(flag);
    const points = splits(flag);
    const fallback = flag.enabled || flag.variants ? defaultVariant(flag) : "off";
    let split: JsonLogic[] = [];
    if (flag.variants || (flag.rollout && flag.rollout.percent > 0 && flag.rollout.percent < 100)) {
      let previous = 0;
      const buckets = points.map((point) => {
        const share = point.upTo - previous;
        previous = point.upTo;
        return [point.variant, weight(share)];
      });
      const by = bucketAttribute(flag);
      // Without the bucketing attribute a context gets the default, as AppConfig's split does.
      split = [{ var: by }, { fractional: [{ cat: [{ var: "$flagd.flagKey" }, { var: by }] }, ...buckets] }];
    }
    const branches = [...(flag.rules ?? []).flatMap((rule) => [flagdCondition(rule), rule.serve]), ...split];
    const targeting = branches.length > 0 ? { if: [...branches, fallback] } : undefined;
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
          ruleCount: variants.filter((variant) => variant.rule !== undefined && !isSplit(variant.rule)).length,
        },
      ];
    }),
  );
}
