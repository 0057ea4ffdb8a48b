/** flagd's flag definition document, rendered from the flags. */
import { bucketing, type Condition, defaultVariant, dependenciesServe, type FlagRule, type Flags, flagVariants, isPartial, not, sortedKeys, splits } from "../../flags/model";

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
