import type { EnvironmentContract } from "../../components/environment/contract";

/** What a rule sees of a resource: the same shape from `pulumi preview` (policy pack) and from the offline synth. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Inputs, with outputs already known (ids, ARNs) merged in offline. Unknown values are undefined. */
  readonly props: Readonly<Record<string, unknown>>;
  readonly options: { readonly protect: boolean; readonly ignoreChanges: readonly string[] };
  /** URN of the parent resource, if any. */
  readonly parent?: string;
  /** URN of the provider resource that manages it (`<urn>::<id>` offline), if known. */
  readonly provider?: string;
}

export type Tier = "dev" | "staging" | "production";

export interface StackContext {
  /** From the `tier` default tag of the stack's AWS provider; undefined when no provider carries one. */
  readonly tier: Tier | undefined;
  readonly resources: readonly PolicyResource[];
  /**
   * The deployed resources this change deletes (removes, or replaces: a replacement deletes the old one), as they are
   * deployed: known only offline, to `check --base <deployed synth JSON>`. A policy pack under `pulumi preview` sees
   * only the new state.
   */
  readonly deleted?: readonly PolicyResource[];
  /**
   * The environment contract the stack exports (an environment stack) or joins (a service stack), when the check knows
   * it: offline, from the stack's own `environment` output or the `--stack-outputs` entry of the stack it references.
   * A policy pack under `pulumi preview` sees neither; a service stack is known there by its joined environment.
   */
  readonly environment?: { readonly role: "environment" | "service"; readonly contract: EnvironmentContract };
}

export type Enforcement = "mandatory" | "advisory";

/**
 * What a rule says of one resource (cdk-nag's NagRuleCompliance): it complies, it does not (and why), or the rule does
 * not speak to it (another resource type, another tier, nothing the rule can judge). A fixture that passes proves
 * compliance, not silence.
 */
export type RuleResult =
  | { readonly compliance: "compliant" }
  | { readonly compliance: "non-compliant"; readonly messages: readonly [string, ...string[]] }
  | { readonly compliance: "not-applicable"; readonly skipped?: string };

export type Compliance = RuleResult["compliance"];

/** A rule as written: a small pure predicate, named by what it protects. */
export interface RuleDefinition {
  readonly id: string;
  readonly description: string;
  readonly enforcement: Enforcement;
  /** Whether `resource` complies, does not (with the messages saying why), or is not the rule's business. */
  readonly judge: (resource: PolicyResource, stack: StackContext) => RuleResult;
  /** The rule looks at the resources the change deletes (`stack.deleted`), each passed to `judge`, not at the stack's. */
  readonly onDeleted?: true;
}

/** A registered rule: its definition, and `check`, the messages of a non-compliant result (empty otherwise). */
export interface Rule extends RuleDefinition {
  readonly check: (resource: PolicyResource, stack: StackContext) => string[];
}
