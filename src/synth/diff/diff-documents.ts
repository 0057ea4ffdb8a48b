import type { SynthDocument, SynthResource } from "../capture";
import { ignoredBecause, ignoredBy, REPLACES_ON, UPDATABLE_IN_PLACE } from "./aws-replacements";
import { callouts, flagContentChanges, releaseChanges } from "./callouts";
import type { IgnoredChange, PlanDiff, ResourceChange } from "./model";
import { componentOf, FOLLOWS, movement, pairs, providerChanged } from "./pair";
import { propertyChanges } from "./properties";

// The resources added, removed, changed, replaced or moved between two synth documents.

export function diffDocuments(base: SynthDocument, head: SynthDocument): PlanDiff {
  const before = new Map(base.resources.map((resource) => [resource.urn, resource]));
  const after = new Map(head.resources.map((resource) => [resource.urn, resource]));
  const matched = pairs(base, head);
  const kept = new Set([...matched.values()].map((pair) => pair.old.urn));
  const entries = [
    ...head.resources.map((now) => ({ urn: now.urn, old: matched.get(now.urn)?.old, now })),
    ...base.resources.filter((old) => !kept.has(old.urn)).map((old) => ({ urn: old.urn, old, now: undefined })),
  ].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  const changes: ResourceChange[] = [];
  for (const { urn, old, now } of entries) {
    const resource = (now ?? old) as SynthResource;
    const component = componentOf(resource, now ? after : before);
    if (!old || !now) {
      changes.push({ urn, type: resource.type, name: resource.name, component, kind: old ? "removed" : "added", changes: [], ignored: [] });
      continue;
    }
    // Pulumi compares the program's inputs with the old ones except under ignoreChanges: those neither update nor replace.
    const ignoreChanges = now.options.ignoreChanges;
    const ignored: IgnoredChange[] = [];
    const inputChanges = propertyChanges(old.inputs, now.inputs, "inputs").filter((change) => {
      const field = ignoredBy(change.path, ignoreChanges);
      if (field !== undefined) ignored.push({ ...change, reason: ignoredBecause(resource.type, field) });
      return field === undefined;
    });
    // Aliases only tell the engine which old state a resource takes over: they change nothing in the cloud.
    const optionChanges = propertyChanges({ ...old.options, aliases: undefined }, { ...now.options, aliases: undefined }, "options");
    const outputChanges = now.custom ? [] : propertyChanges(old.outputs, now.outputs, "outputs");
    const providerChange = providerChanged(old, now, matched);
    const all = [...inputChanges, ...optionChanges, ...outputChanges, ...providerChange];
    const moved = matched.get(urn)?.aliased
      ? { from: old.urn, how: movement(old, now, now.parent === null ? null : (matched.get(now.parent)?.old.urn ?? now.parent), base, head) }
      : undefined;
    // A child that only follows its parent's alias is unchanged to the engine, as it is here.
    if (all.length === 0 && ignored.length === 0 && (!moved || moved.how === FOLLOWS)) continue;
    const triggers = REPLACES_ON[resource.type] ?? [];
    const replaced = inputChanges.some((change) =>
      triggers.some((field) =>
        field === "*"
          ? !UPDATABLE_IN_PLACE.has(change.path.replace(/^inputs\./, "").split(/[.[]/)[0])
          : change.path === `inputs.${field}` || change.path.startsWith(`inputs.${field}.`) || change.path.startsWith(`inputs.${field}[`),
      ),
    );
    const kind = replaced || providerChange.length > 0 ? "replaced" : all.length > 0 ? "changed" : ignored.length > 0 ? "ignored" : "moved";
    changes.push({ urn, type: resource.type, name: resource.name, component, kind, changes: all, ignored, ...(moved ? { moved } : {}) });
  }
  changes.push(...flagContentChanges(base, head, matched, changes, after));
  changes.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  // A provider under a moved component follows its alias unlisted, yet the engine's handling of it decides the rest.
  const movedProviders = head.resources.filter((resource) => resource.type.startsWith("pulumi:providers:") && matched.get(resource.urn)?.aliased);
  return { stack: head.stack, callouts: callouts(changes, base, head, movedProviders), resources: changes, releases: releaseChanges(base, head, changes) };
}
