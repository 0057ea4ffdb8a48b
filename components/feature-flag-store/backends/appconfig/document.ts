/** The `AWS.AppConfig.FeatureFlags` document: rendered from the flags, and read back for people. */
import { bucketing, type Condition, defaultVariant, dependenciesServe, type FlagDefinition, type FlagRule, type Flags, type FlagValue, flagVariants, not, sortedKeys, splits } from "../../flags/model";

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
