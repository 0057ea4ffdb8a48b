import { readAppConfigDocument } from "../../components/feature-flag-store/documents";
import type { SynthDocument, SynthResource } from "./capture";

/** Two synth JSON documents compared: what a pull request changes in one stack. */

export interface PropertyChange {
  readonly path: string;
  readonly old: unknown;
  readonly new: unknown;
}

export type ChangeKind = "added" | "removed" | "changed" | "replaced";

export interface ResourceChange {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The top-level component the resource belongs to, e.g. `BlueGreenService checkout`. */
  readonly component: string;
  readonly kind: ChangeKind;
  readonly changes: readonly PropertyChange[];
}

export interface PlanDiff {
  readonly stack: string;
  /** The settings reviewers care about, first. */
  readonly callouts: readonly string[];
  readonly resources: readonly ResourceChange[];
}

/** Inputs whose change makes AWS (and so Pulumi) replace the resource, for the types where a replacement hurts. */
const REPLACES_ON: Readonly<Record<string, readonly string[]>> = {
  "aws:lb/loadBalancer:LoadBalancer": ["name", "internal", "loadBalancerType"],
  "aws:lb/targetGroup:TargetGroup": ["name", "port", "protocol", "targetType", "vpcId"],
  "aws:appconfig/application:Application": [],
  "aws:appconfig/environment:Environment": ["applicationId"],
  "aws:appconfig/configurationProfile:ConfigurationProfile": ["applicationId", "locationUri", "type"],
  "aws:ecs/service:Service": ["name", "cluster", "launchType"],
  "aws:s3/bucket:Bucket": ["bucket"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
  "aws:lambda/function:Function": ["name"],
};

/** Replacing or removing these loses traffic, state or history: always called out. */
const CRITICAL = new Map([
  ["aws:lb/loadBalancer:LoadBalancer", "load balancer"],
  ["aws:lb/targetGroup:TargetGroup", "target group"],
  ["aws:appconfig/application:Application", "flag store application"],
  ["aws:appconfig/environment:Environment", "flag store environment"],
  ["aws:appconfig/configurationProfile:ConfigurationProfile", "flag store profile"],
  ["release:aws:FeatureFlagStore", "flag store"],
  ["aws:ecs/service:Service", "ECS service"],
]);

function parseJsonString(value: unknown): unknown {
  if (typeof value === "string" && /^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** Leaf values by path (`a.b[0].c`); JSON held in strings (policies, container definitions) is opened up. */
export function flatten(value: unknown, path = "", out = new Map<string, unknown>()): Map<string, unknown> {
  const opened = parseJsonString(value);
  if (Array.isArray(opened)) {
    if (opened.length === 0) out.set(path, []);
    opened.forEach((item, index) => flatten(item, `${path}[${index}]`, out));
  } else if (opened !== null && typeof opened === "object") {
    const entries = Object.entries(opened);
    if (entries.length === 0) out.set(path, {});
    for (const [key, inner] of entries) flatten(inner, path ? `${path}.${key}` : key, out);
  } else {
    out.set(path, opened);
  }
  return out;
}

function propertyChanges(base: unknown, head: unknown, prefix: string): PropertyChange[] {
  const before = flatten(base, prefix);
  const after = flatten(head, prefix);
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths
    .filter((path) => JSON.stringify(before.get(path)) !== JSON.stringify(after.get(path)))
    .map((path) => ({ path, old: before.get(path), new: after.get(path) }));
}

function componentOf(resource: SynthResource, byUrn: ReadonlyMap<string, SynthResource>): string {
  let current = resource;
  while (current.parent && byUrn.has(current.parent)) current = byUrn.get(current.parent) as SynthResource;
  const type = current.type.split(":").pop() ?? current.type;
  return `${type} ${current.name}`;
}

export function diffDocuments(base: SynthDocument, head: SynthDocument): PlanDiff {
  const before = new Map(base.resources.map((resource) => [resource.urn, resource]));
  const after = new Map(head.resources.map((resource) => [resource.urn, resource]));
  const changes: ResourceChange[] = [];
  for (const urn of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(urn);
    const now = after.get(urn);
    const resource = (now ?? old) as SynthResource;
    const component = componentOf(resource, now ? after : before);
    if (!old || !now) {
      changes.push({ urn, type: resource.type, name: resource.name, component, kind: old ? "removed" : "added", changes: [] });
      continue;
    }
    // The engine keeps the old value of an ignored input: such a change neither updates nor replaces anything.
    const ignored = now.options.ignoreChanges.map((path) => `inputs.${path}`);
    const inputChanges = propertyChanges(old.inputs, now.inputs, "inputs").filter(
      (change) => !ignored.some((path) => change.path === path || change.path.startsWith(`${path}.`) || change.path.startsWith(`${path}[`)),
    );
    const optionChanges = propertyChanges(old.options, now.options, "options");
    const outputChanges = now.custom ? [] : propertyChanges(old.outputs, now.outputs, "outputs");
    const all = [...inputChanges, ...optionChanges, ...outputChanges];
    if (all.length === 0) continue;
    const triggers = REPLACES_ON[resource.type] ?? [];
    const replaced = inputChanges.some((change) => triggers.some((field) => change.path === `inputs.${field}` || change.path.startsWith(`inputs.${field}.`)));
    changes.push({ urn, type: resource.type, name: resource.name, component, kind: replaced ? "replaced" : "changed", changes: all });
  }
  return { stack: head.stack, callouts: callouts(changes, base, head), resources: changes };
}

const show = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value));

function flagSummary(document: unknown): Map<string, string> {
  if (document === undefined) return new Map();
  return new Map(
    [...readAppConfigDocument(parseJsonString(document))].map(([key, flag]) => {
      if (!flag.multiVariant) return [key, flag.enabled ? "on for everyone" : "off (kill switch)"];
      const serving = flag.splitPercent !== undefined ? `${flag.splitPercent}% (${flag.variantCount} variants)` : "on for everyone";
      return [key, `${serving}${flag.ruleCount ? `, ${flag.ruleCount} rule(s)` : ""}`];
    }),
  );
}

function callouts(changes: readonly ResourceChange[], base: SynthDocument, head: SynthDocument): string[] {
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

const kindMark: Record<ChangeKind, string> = { added: "+", removed: "-", changed: "~", replaced: "+-" };

function grouped(diff: PlanDiff): Map<string, ResourceChange[]> {
  const groups = new Map<string, ResourceChange[]>();
  for (const change of diff.resources) {
    const list = groups.get(change.component) ?? [];
    list.push(change);
    groups.set(change.component, list);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function counts(diff: PlanDiff): string {
  const count = (kind: ChangeKind) => diff.resources.filter((change) => change.kind === kind).length;
  return `${count("added")} to add, ${count("changed")} to change, ${count("replaced")} to replace, ${count("removed")} to remove`;
}

export function renderDiffText(diff: PlanDiff): string {
  const lines = [`${diff.stack}: ${counts(diff)}`];
  if (diff.callouts.length > 0) lines.push("", "Review first:", ...diff.callouts.map((callout) => `  ! ${callout.replace(/\*\*/g, "")}`));
  for (const [component, changes] of grouped(diff)) {
    lines.push("", component);
    for (const change of changes) {
      lines.push(`  ${kindMark[change.kind]} ${change.type.split(":").pop()} ${change.name}`);
      for (const property of change.changes) lines.push(`      ${property.path}: ${show(property.old)} -> ${show(property.new)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const mermaidId = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");
const mermaidLabel = (text: string) => text.replace(/["<>]/g, "");

/** The head stack as GitHub renders it: load balancer -> rules -> target groups -> services; alarms -> services; flag store. */
export function mermaidDiagram(head: SynthDocument): string {
  const lines = ["flowchart LR"];
  const byArn = new Map<string, SynthResource>();
  for (const resource of head.resources) if (typeof resource.outputs.arn === "string") byArn.set(resource.outputs.arn, resource);
  const node = (resource: SynthResource, shape: "box" | "round" | "hex" = "box") => {
    const id = mermaidId(`${resource.type.split(":").pop()}_${resource.name}`);
    const label = mermaidLabel(resource.name);
    lines.push(shape === "round" ? `  ${id}(["${label}"])` : shape === "hex" ? `  ${id}{{"${label}"}}` : `  ${id}["${label}"]`);
    return id;
  };
  const of = (type: string) => head.resources.filter((resource) => resource.type === type);
  const ids = new Map<string, string>();
  for (const lb of of("aws:lb/loadBalancer:LoadBalancer")) ids.set(lb.urn, node(lb, "round"));
  const listeners = new Map(of("aws:lb/listener:Listener").map((listener) => [listener.outputs.arn, listener]));
  for (const rule of of("aws:lb/listenerRule:ListenerRule")) {
    const id = node(rule);
    const listener = listeners.get(rule.inputs.listenerArn as string);
    const lb = listener ? byArn.get(String(listener.inputs.loadBalancerArn)) : undefined;
    if (lb && ids.has(lb.urn)) lines.push(`  ${ids.get(lb.urn)} --> ${id}`);
    const groups = ((rule.inputs.actions as { forward?: { targetGroups?: { arn: string; weight: number }[] } }[] | undefined) ?? []).flatMap(
      (action) => action.forward?.targetGroups ?? [],
    );
    for (const group of groups) {
      const target = byArn.get(group.arn);
      if (!target) continue;
      if (!ids.has(target.urn)) ids.set(target.urn, node(target));
      lines.push(`  ${id} -->|${group.weight}| ${ids.get(target.urn)}`);
    }
  }
  for (const service of of("aws:ecs/service:Service")) {
    const id = node(service, "hex");
    ids.set(service.urn, id);
    const balancers = (service.inputs.loadBalancers as { targetGroupArn?: string; advancedConfiguration?: { alternateTargetGroupArn?: string } }[] | undefined) ?? [];
    for (const balancer of balancers) {
      for (const arn of [balancer.targetGroupArn, balancer.advancedConfiguration?.alternateTargetGroupArn]) {
        const target = arn ? byArn.get(arn) : undefined;
        if (target && ids.has(target.urn)) lines.push(`  ${ids.get(target.urn)} --> ${id}`);
      }
    }
    const alarms = head.resources.find((resource) => resource.type === "release:aws:DeploymentAlarms" && resource.parent === service.parent);
    if (alarms) lines.push(`  ${node(alarms)} -.->|rollback| ${id}`);
  }
  for (const store of of("release:aws:FeatureFlagStore")) {
    const id = node(store, "round");
    for (const alarms of of("release:aws:DeploymentAlarms")) lines.push(`  ${mermaidId(`DeploymentAlarms_${alarms.name}`)} -.->|monitors| ${id}`);
  }
  return lines.join("\n");
}

const cell = (value: unknown) => show(value).replace(/\|/g, "\\|").slice(0, 120);

export function renderDiffMarkdown(diff: PlanDiff, head: SynthDocument): string {
  const lines = [`### \`${diff.stack}\`: ${counts(diff)}`, ""];
  if (diff.callouts.length > 0) lines.push("**Review first**", "", ...diff.callouts.map((callout) => `- ${callout}`), "");
  for (const [component, changes] of grouped(diff)) {
    lines.push(`<details><summary>${component} (${changes.length})</summary>`, "", "| | resource | change |", "|---|---|---|");
    for (const change of changes) {
      const detail = change.changes.length > 0 ? change.changes.map((p) => `\`${p.path}\`: ${cell(p.old)} -> ${cell(p.new)}`).join("<br>") : change.kind;
      lines.push(`| \`${kindMark[change.kind]}\` | ${change.type.split(":").pop()} \`${change.name}\` | ${detail} |`);
    }
    lines.push("", "</details>", "");
  }
  if (diff.resources.length === 0) lines.push("No changes.", "");
  lines.push("```mermaid", mermaidDiagram(head), "```", "");
  return lines.join("\n");
}
