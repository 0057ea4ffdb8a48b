import type { PolicyResource, Rule, RuleDefinition, RuleResult, StackContext } from "./types";

export const COMPLIANT: RuleResult = { compliance: "compliant" };
export const NOT_APPLICABLE: RuleResult = { compliance: "not-applicable" };

/**
 * Not judged, though the rule would judge this resource in a stack holding everything it reaches: what it reaches is in
 * another stack (the environment's load balancer seen from a service stack). Says why, and the check's output shows it,
 * so a split stack is never passed in silence.
 */
export const skipped = (reason: string): RuleResult => ({ compliance: "not-applicable", skipped: reason });

/** Why a result was skipped, when it was. */
export const skipReasonOf = (result: RuleResult): string | undefined => (result.compliance === "not-applicable" ? result.skipped : undefined);

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
