/**
 * What a resource was before, as its `aliases` option names it: the engine adopts the state of the resource an alias
 * names instead of creating a new one. Only the parts the program set: a missing name or type is the resource's own.
 */
export interface SynthAlias {
  /** An alias given as a whole URN. */
  readonly urn?: string;
  readonly name?: string;
  readonly type?: string;
  /** The parent it had; a parent that was the stack reads as `noParent`. */
  readonly parentUrn?: string;
  /** It was the stack's own child (`{ parent: pulumi.rootStackResource }`). */
  readonly noParent?: true;
  readonly project?: string;
  readonly stack?: string;
}

export interface AliasMessage {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean; getProject(): string; getStack(): string } | undefined;
}

/** The alias specs the SDK sends (under mocks it always sends specs). */
export function aliasesOf(list: readonly AliasMessage[]): SynthAlias[] {
  return list.map((alias) => {
    const spec = alias.getSpec();
    if (!spec) return { urn: alias.getUrn() };
    return { name: spec.getName(), type: spec.getType(), parentUrn: spec.getParenturn(), noParent: spec.getNoparent() || undefined, project: spec.getProject(), stack: spec.getStack() };
  });
}

/** One key order, empty parts left out; a parent that was the stack is no parent, as `parent: null` says (the SDK fills in the stack's URN). */
export function aliasJson(alias: SynthAlias, stackUrn: string | undefined): SynthAlias {
  const root = alias.noParent === true || (alias.parentUrn !== undefined && alias.parentUrn === stackUrn);
  const parts: SynthAlias = {
    urn: alias.urn,
    name: alias.name,
    type: alias.type,
    parentUrn: root ? undefined : alias.parentUrn,
    noParent: root || undefined,
    project: alias.project,
    stack: alias.stack,
  };
  return Object.fromEntries(Object.entries(parts).filter(([, value]) => value !== undefined && value !== "")) as SynthAlias;
}
