import type { EvaluationContext, JsonValue, Logger } from "@openfeature/core";
import { FlagdCore, MemoryStorage } from "@openfeature/flagd-core";
import { bucketing, defaultVariant, type FlagRule, type Flags, flagVariants, rolloutPercent, splits } from "../../components/feature-flag-store/flags/model";
import { toFlagdDocument } from "../../components/feature-flag-store/backends/flagd/document";

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A flagd engine loaded with the flags' flagd document, validated strictly (a schema error throws). */
export function flagdEngine(flags: Flags): FlagdCore {
  const storage = new MemoryStorage(silent);
  storage.setConfigurations(JSON.stringify(toFlagdDocument(flags)), true);
  return new FlagdCore(storage, silent);
}

export interface Explanation {
  readonly flag: string;
  readonly variant: string | undefined;
  readonly value: JsonValue;
  /** flagd's reason: STATIC, TARGETING_MATCH, DEFAULT, DISABLED, ERROR. */
  readonly reason: string;
  /** Why, in words: which rule matched, which bucket, or the kill switch. */
  readonly why: string;
}

function ruleMatches(rule: FlagRule, context: EvaluationContext): boolean {
  const value = context[rule.attribute];
  if (typeof value !== "string" && typeof value !== "number") return false;
  const text = String(value);
  if (rule.equals !== undefined) return text === rule.equals;
  if (rule.in !== undefined) return rule.in.includes(text);
  return rule.startsWith !== undefined && text.startsWith(rule.startsWith);
}

function describeRule(rule: FlagRule): string {
  if (rule.equals !== undefined) return `${rule.attribute} equals ${JSON.stringify(rule.equals)}`;
  if (rule.in !== undefined) return `${rule.attribute} in ${JSON.stringify(rule.in)}`;
  return `${rule.attribute} starts with ${JSON.stringify(rule.startsWith)}`;
}

function describeSplit(flags: Flags, key: string, context: EvaluationContext, variant: string | undefined): string {
  const flag = flags[key];
  const points = splits(flag);
  const { seed, by } = bucketing(flags, key);
  const shares = points.map((point, i) => `${point.variant} ${Math.round((point.upTo - (i > 0 ? points[i - 1].upTo : 0)) * 100) / 100}%`).join(", ");
  const hashed = seed === key ? `hashed with the flag key "${key}"` : `hashed with the seed of "${seed}", which it depends on (so its users are a subset)`;
  // flagd-core hashes `charCodeAt` units (imurmurhash), flagd's Go server the UTF-8 bytes (murmur3.StringSum32): equal for ASCII only.
  const ascii = /^[\x00-\x7f]*$/.test(String(context[by]));
  const caution = ascii
    ? ""
    : `; caution: the value is not ASCII, and flagd's server hashes its UTF-8 bytes where this engine hashes UTF-16 code units, so the server may serve another bucket (open-feature/flagd#1737)`;
  return `no rule matched; ${by} ${JSON.stringify(context[by])} ${hashed} falls in the ${variant} bucket (${shares})${caution}`;
}

function why(flags: Flags, key: string, context: EvaluationContext, variant: string | undefined, engine: FlagdCore): string {
  const flag = flags[key];
  if (!flag.enabled) return "the flag is disabled (kill switch): everyone gets the caller's default, off";
  for (const dependency of flag.dependsOn ?? []) {
    if (!(dependency in flags) || engine.resolveBooleanEvaluation(dependency, false, context).value === true) continue;
    const served = flag.variants ? `the default variant ${defaultVariant(flag)}` : "off";
    const because = why(flags, dependency, context, engine.resolveBooleanEvaluation(dependency, false, context).variant, engine);
    return `depends on ${dependency}, which is off for this context, so it serves ${served}; ${dependency}: ${because}`;
  }
  const index = (flag.rules ?? []).findIndex((rule) => ruleMatches(rule, context));
  if (index >= 0) return `rule ${index + 1} matched (${describeRule(flag.rules?.[index] as FlagRule)}), serving ${flag.rules?.[index].serve}`;
  const percent = rolloutPercent(flag);
  const split = flag.variants !== undefined || (flag.rollout !== undefined && percent > 0 && percent < 100);
  if (!split) return flag.rollout ? `rollout is at ${percent}%: everyone gets ${defaultVariant(flag)}` : "the flag is on for everyone";
  const { by } = bucketing(flags, key);
  if (context[by] === undefined) return `the context has no ${by} to bucket by: default variant ${defaultVariant(flag)}`;
  return describeSplit(flags, key, context, variant);
}

/** Evaluates one flag for a context with flagd's own engine, and says why (naming the dependency that decided). */
export function explain(flags: Flags, key: string, context: EvaluationContext): Explanation {
  const flag = flags[key];
  const engine = flagdEngine(flags);
  const sample = flagVariants(flag)[0][1];
  const resolution =
    typeof sample === "boolean"
      ? engine.resolveBooleanEvaluation(key, false, context)
      : typeof sample === "number"
        ? engine.resolveNumberEvaluation(key, 0, context)
        : engine.resolveStringEvaluation(key, "", context);
  return {
    flag: key,
    variant: resolution.variant,
    value: resolution.value,
    reason: resolution.reason ?? "UNKNOWN",
    why: why(flags, key, context, resolution.variant, engine),
  };
}
