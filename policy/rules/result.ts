import type { PolicyResource, Rule, RuleDefinition, RuleResult, StackContext } from "./types";

export const COMPLIANT: RuleResult = { compliance: "compliant" };
export const NOT_APPLICABLE: RuleResult = { compliance: "not-applicable" };

/** Non-compliant with these messages; compliant when there are none (the rule applied and found nothing). */
export function judged(messages: readonly string[]): RuleResult {
  const [first, ...rest] = messages;
  return first === undefined ? COMPLIANT : { compliance: "non-compliant", messages: [first, ...rest] };
}

/** The messages of a result: a non-compliant result's, else none. */
export const messagesOf = (result: RuleResult): readonly string[] => (result.compliance === "non-compliant" ? result.messages : []);

/** A rule from its definition, with `check` (its messages) for callers that only want the violations. */
export function defineRule(definition: RuleDefinition): Rule {
  return { ...definition, check: (resource: PolicyResource, stack: StackContext) => [...messagesOf(definition.judge(resource, stack))] };
}

/** Non-compliant with at least one message. */
export const nonCompliant = (first: string, ...rest: string[]): RuleResult => ({ compliance: "non-compliant", messages: [first, ...rest] });
