import type { SynthAlias } from "../aliases";
import type { SynthDocument, SynthResource } from "../capture";
import type { PropertyChange } from "./model";

// Which base resource each head resource is: same URN, an alias, its parent's alias; and provider moves.

/** The component that wraps a whole stack: the diff groups by the components under it. */
const ENVIRONMENT = "release:aws:ReleaseEnvironment";

export function componentOf(resource: SynthResource, byUrn: ReadonlyMap<string, SynthResource>): string {
  let current = resource;
  for (let parent = byUrn.get(current.parent ?? ""); parent && parent.type !== ENVIRONMENT; parent = byUrn.get(parent.parent ?? "")) current = parent;
  const type = current.type.split(":").pop() ?? current.type;
  return `${type} ${current.name}`;
}

/**
 * The URN the engine gives each resource: every ancestor's type, where a mock URN carries only the parent's (a child
 * of a moved component keeps its mock URN but not its real one). The stack's own children have no parent type.
 */
function realUrns(document: SynthDocument): Map<string, string> {
  const byUrn = new Map(document.resources.map((resource) => [resource.urn, resource]));
  const chains = new Map<string, string>();
  const chain = (resource: SynthResource): string => {
    let known = chains.get(resource.urn);
    if (known === undefined) {
      const parent = resource.parent === null ? undefined : byUrn.get(resource.parent);
      known = parent ? `${chain(parent)}$${resource.type}` : resource.type;
      chains.set(resource.urn, known);
    }
    return known;
  };
  return new Map(document.resources.map((resource) => [resource.urn, `urn:pulumi:${document.stack}::${document.project}::${chain(resource)}::${resource.name}`]));
}

/** `urn:pulumi:s::p::A$B::name` -> everything before the name, and the name. */
const splitUrn = (urn: string) => ({ prefix: urn.slice(0, urn.lastIndexOf("::")), name: urn.slice(urn.lastIndexOf("::") + 2) });

/**
 * The real URNs a head resource answers to besides its own, in the engine's order: its aliases, then for each of its
 * parent's the same resource under that alias, renamed when its name starts with the parent's (`allAliases` and
 * `inheritedChildAlias` in @pulumi/pulumi resource.js; the engine derives the same from the alias specs).
 */
function aliasUrns(head: SynthDocument, real: ReadonlyMap<string, string>): (resource: SynthResource) => string[] {
  const byUrn = new Map(head.resources.map((resource) => [resource.urn, resource]));
  const memo = new Map<string, string[]>();
  const own = (alias: SynthAlias, resource: SynthResource): string => {
    if (alias.urn !== undefined) return alias.urn;
    const parentUrn = alias.noParent ? undefined : (alias.parentUrn ?? resource.parent ?? undefined);
    const parentTypes = parentUrn === undefined ? "" : `${splitUrn(real.get(parentUrn) ?? parentUrn).prefix.split("::").slice(2).join("::")}$`;
    return `urn:pulumi:${alias.stack ?? head.stack}::${alias.project ?? head.project}::${parentTypes}${alias.type ?? resource.type}::${alias.name ?? resource.name}`;
  };
  const under = (parentAlias: string, parentName: string, childUrn: string): string => {
    const child = splitUrn(childUrn);
    const type = child.prefix.split("::").slice(2).join("::").split("$").pop() ?? "";
    const name = child.name.startsWith(parentName) ? splitUrn(parentAlias).name + child.name.slice(parentName.length) : child.name;
    return `${splitUrn(parentAlias).prefix}$${type}::${name}`;
  };
  const aliases = (resource: SynthResource): string[] => {
    let known = memo.get(resource.urn);
    if (known === undefined) {
      const mine = (resource.options.aliases ?? []).map((alias) => own(alias, resource));
      const parent = resource.parent === null ? undefined : byUrn.get(resource.parent);
      const self = real.get(resource.urn) ?? resource.urn;
      known = [...mine, ...(parent ? aliases(parent).flatMap((parentAlias) => [self, ...mine].map((urn) => under(parentAlias, parent.name, urn))) : [])];
      memo.set(resource.urn, known);
    }
    return known;
  };
  return aliases;
}

/**
 * The base resource each head resource stands for, as the engine pairs them: the same real URN, else the first of
 * its aliases that names a base resource no other head resource has.
 */
export function pairs(base: SynthDocument, head: SynthDocument): Map<string, { old: SynthResource; aliased: boolean }> {
  const baseReal = realUrns(base);
  const headReal = realUrns(head);
  const byReal = new Map(base.resources.map((resource) => [baseReal.get(resource.urn) as string, resource]));
  const out = new Map<string, { old: SynthResource; aliased: boolean }>();
  for (const resource of head.resources) {
    const old = byReal.get(headReal.get(resource.urn) as string);
    if (old) out.set(resource.urn, { old, aliased: false });
  }
  const taken = new Set([...out.values()].map((pair) => pair.old.urn));
  const aliases = aliasUrns(head, headReal);
  for (const resource of head.resources) {
    if (out.has(resource.urn)) continue;
    const old = aliases(resource)
      .map((urn) => byReal.get(urn))
      .find((candidate) => candidate !== undefined && !taken.has(candidate.urn));
    if (!old) continue;
    out.set(resource.urn, { old, aliased: true });
    taken.add(old.urn);
  }
  return out;
}

export const FOLLOWS = "follows its parent's alias (pulumi up keeps it)";

/** What changed about where the resource sits, for a resource matched through an alias (`parentBase`: its parent's base URN). */
export function movement(old: SynthResource, now: SynthResource, parentBase: string | null, base: SynthDocument, head: SynthDocument): string {
  const where = (document: SynthDocument, urn: string | null) => {
    const parent = document.resources.find((resource) => resource.urn === urn);
    return parent ? `under ${parent.type.split(":").pop()} ${parent.name}` : "at the stack root";
  };
  const how = [
    parentBase !== old.parent ? `moved ${where(head, now.parent)} (was ${where(base, old.parent)})` : "",
    old.name !== now.name ? `renamed from ${old.name}` : "",
    old.type !== now.type ? `type was ${old.type}` : "",
  ].filter(Boolean);
  return how.length > 0 ? `${how.join(", ")} (aliased: pulumi up keeps it)` : FOLLOWS;
}

/** `<provider URN>::<id>` -> the provider's URN; "" (a component's) stays "". */
const providerUrn = (reference: string) => (reference.includes("::") ? reference.slice(0, reference.lastIndexOf("::")) : reference);

/**
 * A resource whose provider is another one than before is replaced by the engine (its provider is part of its
 * identity); the same provider moved through an alias is not another one.
 */
export function providerChanged(
  old: SynthResource,
  now: SynthResource,
  matched: ReadonlyMap<string, { old: SynthResource }>,
): PropertyChange[] {
  const was = providerUrn(old.provider);
  const is = providerUrn(now.provider);
  return (matched.get(is)?.old.urn ?? is) === was ? [] : [{ path: "provider", old: was, new: is }];
}
