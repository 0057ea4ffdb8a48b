import { readAppConfigDocument } from "../../../components/feature-flag-store/backends/appconfig/document";
import { STATEFUL_TYPES } from "../../../policy/rules/production-stateful-resources-protected";
import { SECRET, type SynthDocument, type SynthResource } from "../capture";
import { releasePlans } from "../release-plan";
import { CRITICAL, ignoredBecause, ignoredBy } from "./aws-replacements";
import type { ChangeKind, PlanDiff, ResourceChange } from "./model";
import { componentOf, FOLLOWS } from "./pair";
import { parseJsonString, show } from "./properties";

// What reviewers read first: critical replacements, release and flag changes, side effects of `pulumi up`.

/**
 * The flag store's hosted version holds the whole document as a secret ("[secret]" on both sides of the diff), so new
 * flags show as no change to it. Pulumi compares secrets by their values: with other flags, the version is replaced (a
 * new version, every argument of which is ForceNew) and so is the deployment that rolls it out. Their entries here show
 * what changes for users, flag by flag (state and percentage, never a value), from the store's own document output.
 * An entry that already exists (another input changed too) gets the flags added.
 */
export function flagContentChanges(
  base: SynthDocument,
  head: SynthDocument,
  matched: ReadonlyMap<string, { old: SynthResource }>,
  changes: ResourceChange[],
  after: ReadonlyMap<string, SynthResource>,
): ResourceChange[] {
  const added: ResourceChange[] = [];
  for (const store of head.resources.filter((resource) => resource.type === "release:aws:FeatureFlagStore")) {
    const old = matched.get(store.urn)?.old;
    if (!old) continue;
    const before = flagSummary(old.outputs.document);
    const now = flagSummary(store.outputs.document);
    const keys = [...new Set([...before.keys(), ...now.keys()])].sort().filter((key) => before.get(key) !== now.get(key));
    if (keys.length === 0) continue;
    const flags = (summary: Map<string, string>) => Object.fromEntries(keys.map((key) => [key, summary.get(key) ?? "(none)"]));
    const children = head.resources.filter((resource) => resource.parent === store.urn);
    for (const [type, property] of [
      ["aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion", { path: "inputs.content", old: flags(before), new: flags(now) }],
      ["aws:appconfig/deployment:Deployment", { path: "inputs.configurationVersion", old: "(the deployed version)", new: "(the new version)" }],
    ] as const) {
      for (const resource of children.filter((child) => child.type === type)) {
        if (!matched.has(resource.urn)) continue;
        const field = ignoredBy(property.path, resource.options.ignoreChanges);
        const existing = changes.findIndex((change) => change.urn === resource.urn);
        const entry: ResourceChange =
          existing >= 0
            ? changes[existing]
            : { urn: resource.urn, type, name: resource.name, component: componentOf(resource, after), kind: "changed", changes: [], ignored: [] };
        const updated: ResourceChange =
          field !== undefined
            ? { ...entry, kind: entry.changes.length > 0 ? entry.kind : "ignored", ignored: [...entry.ignored, { ...property, reason: ignoredBecause(type, field) }] }
            : { ...entry, kind: "replaced", changes: [...entry.changes, property] };
        if (existing >= 0) changes[existing] = updated;
        else added.push(updated);
      }
    }
  }
  return added;
}

/** Services whose deployment steps change, and those this change deploys (a new task definition runs their plan). */
export function releaseChanges(base: SynthDocument, head: SynthDocument, changes: readonly ResourceChange[]): PlanDiff["releases"] {
  const before = new Map(releasePlans(base).map((plan) => [plan.service, plan]));
  const after = new Map(releasePlans(head).map((plan) => [plan.service, plan]));
  const deployed = new Set(
    changes
      .filter((change) => change.type === "aws:ecs/taskDefinition:TaskDefinition" && change.kind === "replaced")
      .map((change) => change.component.replace(/^BlueGreenService /, "")),
  );
  return [...new Set([...before.keys(), ...after.keys()])]
    .sort()
    .filter((service) => deployed.has(service) || JSON.stringify(before.get(service)) !== JSON.stringify(after.get(service)))
    .map((service) => ({ service, before: before.get(service), after: after.get(service) }));
}

function flagSummary(document: unknown): Map<string, string> {
  // A document that is itself a secret (a program passed a secret Output) shows no flags rather than failing.
  if (document === undefined || document === SECRET) return new Map();
  return new Map(
    [...readAppConfigDocument(parseJsonString(document))].map(([key, flag]) => {
      if (!flag.multiVariant) return [key, flag.enabled ? "on for everyone" : "off (kill switch)"];
      const serving = flag.splitPercent !== undefined ? `${flag.splitPercent}% (${flag.variantCount} variants)` : "on for everyone";
      return [key, `${serving}${flag.ruleCount ? `, ${flag.ruleCount} rule(s)` : ""}`];
    }),
  );
}

export function callouts(changes: readonly ResourceChange[], base: SynthDocument, head: SynthDocument, movedProviders: readonly SynthResource[]): string[] {
  const out: string[] = [];
  for (const change of changes) {
    const label = CRITICAL.get(change.type);
    if (label && (change.kind === "replaced" || change.kind === "removed")) {
      out.push(`**${change.kind === "removed" ? "removes" : "replaces"} ${label} ${change.name}**`);
    }
    if (change.type === "aws:ecs/service:Service") {
      for (const property of change.changes) {
        if (/^inputs\.deploymentConfiguration\.(strategy|bakeTimeInMinutes|canaryConfiguration|linearConfiguration)/.test(property.path)) {
          out.push(`deployment of ${change.name}: ${property.path.replace("inputs.deploymentConfiguration.", "")} ${show(property.old)} -> ${show(property.new)}`);
        }
        if (property.path.startsWith("inputs.alarms.")) out.push(`rollback alarms of ${change.name}: ${property.path.replace("inputs.", "")} ${show(property.old)} -> ${show(property.new)}`);
      }
      if (change.kind === "added" || change.kind === "removed") out.push(`${change.kind === "added" ? "adds" : "removes"} ECS service ${change.name}`);
    }
    if (change.type === "aws:cloudwatch/metricAlarm:MetricAlarm") {
      for (const property of change.changes) {
        if (/^inputs\.(threshold|evaluationPeriods|datapointsToAlarm|treatMissingData|comparisonOperator)$/.test(property.path) || /IF\(requests >=/.test(String(property.new))) {
          out.push(`alarm ${change.name}: ${property.path.replace("inputs.", "")} ${show(property.old)} -> ${show(property.new)}`);
        }
      }
      if (change.kind === "removed") out.push(`removes alarm ${change.name}`);
    }
  }
  // "It will be an error to do a Pulumi deployment which tries to delete a protected resource for any reason"
  // (Pulumi, resource option protect): a replacement deletes too.
  const deleting = changes
    .filter((change) => change.kind === "removed" || change.kind === "replaced")
    .map((change) => ({ change, old: base.resources.find((resource) => resource.urn === (change.moved?.from ?? change.urn)) }));
  const label = (change: ResourceChange) => `${change.type.split(":").pop()} ${change.name}`;
  const protectedOnes = deleting.filter(({ old }) => old?.options.protect);
  if (protectedOnes.length > 0) {
    out.push(
      `**deletes protected ${protectedOnes.map(({ change }) => `${label(change)} (${change.kind})`).join(", ")}**: pulumi up stops with an error before deleting a protected resource; if its data may go, unprotect it (\`pulumi state unprotect\`) in a change of its own first`,
    );
  }
  const stateful = deleting.filter(({ change, old }) => !old?.options.protect && STATEFUL_TYPES.has(change.type));
  if (stateful.length > 0) out.push(`**deletes ${stateful.map(({ change }) => `${label(change)} (${change.kind})`).join(", ")}, which hold(s) data or history**: it goes with the resource`);
  const moved = changes.filter((change) => change.moved && change.moved.how !== FOLLOWS);
  if (moved.length > 0) {
    out.push(`keeps ${moved.length} resource(s) through their aliases, not replaced: ${moved.map((change) => `${change.type.split(":").pop()} ${change.name}`).join(", ")}`);
  }
  // Engines before the fix of pulumi/pulumi#18395 replace every resource of a provider aliased when it already has state.
  const providers = movedProviders.map((provider) => `${provider.type.split(":").pop()} ${provider.name}`);
  if (providers.length > 0) {
    out.push(`**moves provider(s) ${providers.join(", ")} by alias**: the resources using them are kept, not replaced, only by a Pulumi CLI with the fix for pulumi/pulumi#18395 (3.151.0, February 2025, or later); run pulumi preview on one stack first`);
  }
  out.push(...sideEffects(changes, base, head));
  // Flags: from the store's document, which previews otherwise show only as a secret.
  const store = (document: SynthDocument) => document.resources.find((resource) => resource.type === "release:aws:FeatureFlagStore");
  const before = flagSummary(store(base)?.outputs.document);
  const after = flagSummary(store(head)?.outputs.document);
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(key);
    const now = after.get(key);
    if (old === now) continue;
    out.push(old === undefined ? `adds flag ${key}: ${now}` : now === undefined ? `removes flag ${key}` : `flag ${key}: ${old} -> ${now}`);
  }
  return out;
}

/** What users notice after `pulumi up`, beyond the resources: releases started, confirmations, rules left pointing at the past. */
function sideEffects(changes: readonly ResourceChange[], base: SynthDocument, head: SynthDocument): string[] {
  const out: string[] = [];
  for (const change of changes) {
    if (change.type === "aws:ecs/taskDefinition:TaskDefinition" && change.kind === "replaced") {
      const image = change.changes.find((property) => /^inputs\.containerDefinitions\[0\]\.image$/.test(property.path));
      const service = change.component.replace(/^BlueGreenService /, "");
      out.push(`releases ${service}: a new task definition revision${image ? ` (image ${show(image.old)} -> ${show(image.new)})` : ""} that ECS deploys with the service's strategy`);
    }
  }
  for (const change of changes) {
    const port = change.type === "aws:ecs/service:Service" ? change.ignored.find((property) => /^inputs\.loadBalancers\[\d+\]\.containerPort$/.test(property.path)) : undefined;
    if (port) out.push(`${change.name}: the container port ${show(port.old)} -> ${show(port.new)} does not reach the ECS service, whose loadBalancers are ignored (README: changing a service's port)`);
  }
  // Fields under ignoreChanges keep their old value in the state: one naming a resource this change replaces is stale.
  const going = new Map<string, ResourceChange>();
  for (const change of changes) {
    const old = base.resources.find((resource) => resource.urn === (change.moved?.from ?? change.urn));
    if (old && (change.kind === "replaced" || change.kind === "removed") && typeof old.outputs.arn === "string") going.set(old.outputs.arn, change);
  }
  for (const change of changes) {
    const byField = new Map<string, Set<ResourceChange>>();
    for (const property of change.ignored) {
      const target = going.get(String(property.old));
      if (!target) continue;
      const field = property.path.replace(/^inputs\./, "").split(/[.[]/)[0];
      byField.set(field, (byField.get(field) ?? new Set()).add(target));
    }
    for (const [field, targets] of byField) {
      const names = [...targets].map((target) => target.name).sort().join(", ");
      const verb = [...targets].every((target) => target.kind === "removed") ? "removes" : "replaces";
      out.push(`**${change.name} ignores changes to ${field} and keeps naming ${names}, which this change ${verb}**: Pulumi keeps the old value of an ignored field, so the old target stays in use and the new one gets nothing`);
    }
  }
  // SNS has no way to move a subscription: a new one (new name, endpoint or protocol) asks its owner to confirm again.
  const subscriptions = changes.filter((change) => change.type === "aws:sns/topicSubscription:TopicSubscription");
  const protocolOf = (change: ResourceChange) =>
    String(
      (change.kind === "added" ? head.resources.find((resource) => resource.urn === change.urn) : base.resources.find((resource) => resource.urn === (change.moved?.from ?? change.urn)))
        ?.inputs.protocol ?? "",
    );
  for (const [protocol, what, confirm] of [
    ["email", "e-mail address", "gets a new confirmation e-mail"],
    ["https", "HTTPS endpoint", "gets a new SubscriptionConfirmation"],
  ]) {
    const count = (kind: ChangeKind) => subscriptions.filter((change) => change.kind === kind && protocolOf(change) === protocol).length;
    const moved = Math.min(count("removed"), count("added"));
    const again = count("replaced") + moved;
    if (again > 0) out.push(`**re-subscribes ${again} ${what}(es)**: each ${confirm} and receives no alerts until it confirms (unconfirmed subscriptions expire after 3 days)`);
    if (count("added") > moved) out.push(`subscribes ${count("added") - moved} new ${what}(es): each ${confirm} and must confirm before alerts arrive`);
    if (count("removed") > moved) out.push(`unsubscribes ${count("removed") - moved} ${what}(es): they stop receiving alerts`);
  }
  return out;
}
