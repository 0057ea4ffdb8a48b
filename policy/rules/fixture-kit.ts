// Helpers for the fixtures beside each rule (policy/rules/<rule>.fixtures.ts), which test/policy.test.ts runs.
import type { PolicyResource, StackContext } from "./types";

/** A resource and the stack it is judged in. */
export type Case = readonly [PolicyResource, StackContext];

/**
 * A rule's fixtures: resources it must find compliant (proving compliance, not silence), non-compliant, and, where it
 * speaks to some resources only, not applicable.
 */
export interface RuleFixtures {
  readonly compliant: readonly Case[];
  readonly nonCompliant: readonly Case[];
  readonly notApplicable?: readonly Case[];
}

export const res = (type: string, props: Record<string, unknown>, options: Partial<PolicyResource["options"]> = {}, name = "r", parent?: string): PolicyResource => ({
  type,
  name,
  urn: `urn:pulumi:production::release-platform::${type}::${name}`,
  props,
  options: { protect: false, ignoreChanges: [], ...options },
  parent,
});

export const production = (...resources: PolicyResource[]): StackContext => ({ tier: "production", resources });
export const dev = (...resources: PolicyResource[]): StackContext => ({ tier: "dev", resources });

/** A resource no rule here speaks to. */
export const unrelated = (): Case => [res("aws:sqs/queue:Queue", {}), production()];
