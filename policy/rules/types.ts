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
}

export type Enforcement = "mandatory" | "advisory";

/** One rule: a small pure predicate, named by what it protects. */
export interface Rule {
  readonly id: string;
  readonly description: string;
  readonly enforcement: Enforcement;
  /** Messages saying why `resource` violates the rule; empty when it complies or the rule does not apply. */
  readonly check: (resource: PolicyResource, stack: StackContext) => string[];
  /** The rule looks at the resources the change deletes (`stack.deleted`), each passed to `check`, not at the stack's. */
  readonly onDeleted?: true;
}
