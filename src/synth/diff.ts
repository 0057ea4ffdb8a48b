import { readAppConfigDocument } from "../../components/feature-flag-store/documents";
import { STATEFUL_TYPES } from "../../policy/rules/production-stateful-resources-protected";
import { SECRET, type SynthAlias, type SynthDocument, type SynthResource } from "./capture";
import { type ReleasePlan, releaseMermaid, releasePlans, renderReleasePlan } from "./release-plan";

/** Two synth JSON documents compared: what a pull request changes in one stack. */

export interface PropertyChange {
  readonly path: string;
  readonly old: unknown;
  readonly new: unknown;
}

/**
 * `ignored`: every change is under the resource's ignoreChanges, so `pulumi up` leaves it alone. `moved`: an alias
 * names the base resource, nothing else changes.
 */
export type ChangeKind = "added" | "removed" | "changed" | "replaced" | "ignored" | "moved";

export interface IgnoredChange extends PropertyChange {
  /** Why the program ignores the field. */
  readonly reason: string;
}

export interface ResourceChange {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The top-level component the resource belongs to, e.g. `BlueGreenService checkout`. */
  readonly component: string;
  readonly kind: ChangeKind;
  readonly changes: readonly PropertyChange[];
  /** Changes under the resource's ignoreChanges: in the program, never applied by `pulumi up`. */
  readonly ignored: readonly IgnoredChange[];
  /** The resource stands for a base resource with another URN, through an alias: that URN and how it moved. */
  readonly moved?: { readonly from: string; readonly how: string };
}

export interface PlanDiff {
  readonly stack: string;
  /** The settings reviewers care about, first. */
  readonly callouts: readonly string[];
  readonly resources: readonly ResourceChange[];
  /** Services whose deployment steps change (added, removed or different), base and head. */
  readonly releases: readonly { readonly service: string; readonly before?: ReleasePlan; readonly after?: ReleasePlan }[];
}

/**
 * Inputs whose change makes Pulumi replace the resource. pulumi-aws bridges terraform-provider-aws, whose schema marks
 * them `ForceNew` (e.g. internal/service/sns/topic_subscription.go: endpoint, protocol, topic_arn); the npm package
 * carries no schema, so the fields are listed here. `*` means every input but those in UPDATABLE_IN_PLACE.
 */
const REPLACES_ON: Readonly<Record<string, readonly string[]>> = {
  // internal/service/ecs/task_definition.go: every argument is ForceNew but tags and skip_destroy (a new revision).
  "aws:ecs/taskDefinition:TaskDefinition": ["*"],
  "aws:sns/topicSubscription:TopicSubscription": ["endpoint", "protocol", "topic"],
  "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
  "aws:iam/role:Role": ["name", "namePrefix"],
  // internal/service/ec2/vpc_security_group.go: a new description or VPC means a new group (and new rules).
  "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "description", "vpcId"],
  "aws:ecs/cluster:Cluster": ["name"],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "internal", "loadBalancerType"],
  "aws:lb/targetGroup:TargetGroup": ["name", "port", "protocol", "targetType", "vpcId"],
  "aws:appconfig/application:Application": [],
  "aws:appconfig/environment:Environment": ["applicationId"],
  "aws:appconfig/configurationProfile:ConfigurationProfile": ["applicationId", "locationUri", "type"],
  "aws:ecs/service:Service": ["name", "cluster", "launchType"],
  "aws:s3/bucket:Bucket": ["bucket"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
  "aws:lambda/function:Function": ["name"],
  // internal/service/appconfig/hosted_configuration_version.go and deployment.go have no Update for these arguments:
  // new content is a new version, and a new version a new deployment.
  "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": ["*"],
  "aws:appconfig/deployment:Deployment": ["*"],
};

const UPDATABLE_IN_PLACE = new Set(["tags", "tagsAll", "skipDestroy", "trackLatest"]);

/** Why the program puts a field under ignoreChanges, by resource type and field. */
const IGNORED_BECAUSE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "aws:lb/targetGroup:TargetGroup": {
    port: "ECS registers each task with its container port; the group's own port is only a default, and changing it would replace the group",
    name: "a rename would replace the group that ECS and the listener rules still name",
  },
  "aws:lb/listenerRule:ListenerRule": { actions: "ECS rewrites this rule's weights on every deployment; pulumi up keeps what ECS set" },
  "aws:ecs/service:Service": {
    desiredCount: "the count at creation; autoscaling owns it after (change autoscaling.min/max to resize)",
    loadBalancers:
      "ECS swaps the production and alternate target groups on every deployment, and the block is a set whose fields cannot be ignored one by one: a new container port does not reach the service (README: changing a service's port)",
  },
  "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": { content: "flagStore.ownership console: people manage later versions" },
  "aws:appconfig/deployment:Deployment": { configurationVersion: "flagStore.ownership console: people deploy later versions" },
};

function ignoredBecause(type: string, field: string): string {
  const root = field.split(/[.[]/)[0];
  return IGNORED_BECAUSE[type]?.[root] ?? "under ignoreChanges: pulumi up keeps the value the resource has";
}

/** The ignoreChanges entry a changed input path falls under, if any. */
function ignoredBy(path: string, ignoreChanges: readonly string[]): string | undefined {
  const field = path.replace(/^inputs\./, "");
  return ignoreChanges.find((ignored) => field === ignored || field.startsWith(`${ignored}.`) || field.startsWith(`${ignored}[`));
}

/** Replacing or removing these loses traffic, state or history: always called out. */
const CRITICAL = new Map([
  ["aws:lb/loadBalancer:LoadBalancer", "load balancer"],
  ["aws:lb/targetGroup:TargetGroup", "target group"],
  ["aws:appconfig/application:Application", "flag store application"],
  ["aws:appconfig/environment:Environment", "flag store environment"],
  ["aws:appconfig/configurationProfile:ConfigurationProfile", "flag store profile"],
  ["release:aws:FeatureFlagStore", "flag store"],
  ["aws:ecs/service:Service", "ECS service"],
  ["aws:cloudwatch/logGroup:LogGroup", "log group (its logs go with it)"],
  ["aws:sns/topic:Topic", "alert topic"],
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

/** The component that wraps a whole stack: the diff groups by the components under it. */
const ENVIRONMENT = "release:aws:ReleaseEnvironment";

function componentOf(resource: SynthResource, byUrn: ReadonlyMap<string, SynthResource>): string {
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
function pairs(base: SynthDocument, head: SynthDocument): Map<string, { old: SynthResource; aliased: boolean }> {
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

const FOLLOWS = "follows its parent's alias (pulumi up keeps it)";

/** What changed about where the resource sits, for a resource matched through an alias (`parentBase`: its parent's base URN). */
function movement(old: SynthResource, now: SynthResource, parentBase: string | null, base: SynthDocument, head: SynthDocument): string {
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
function providerChanged(
  old: SynthResource,
  now: SynthResource,
  matched: ReadonlyMap<string, { old: SynthResource }>,
): PropertyChange[] {
  const was = providerUrn(old.provider);
  const is = providerUrn(now.provider);
  return (matched.get(is)?.old.urn ?? is) === was ? [] : [{ path: "provider", old: was, new: is }];
}

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

/**
 * The flag store's hosted version holds the whole document as a secret ("[secret]" on both sides of the diff), so new
 * flags show as no change to it. Pulumi compares secrets by their values: with other flags, the version is replaced (a
 * new version, every argument of which is ForceNew) and so is the deployment that rolls it out. Their entries here show
 * what changes for users, flag by flag (state and percentage, never a value), from the store's own document output.
 * An entry that already exists (another input changed too) gets the flags added.
 */
function flagContentChanges(
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
function releaseChanges(base: SynthDocument, head: SynthDocument, changes: readonly ResourceChange[]): PlanDiff["releases"] {
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

function releaseLines(release: PlanDiff["releases"][number]): string[] {
  if (release.before && release.after && JSON.stringify(release.before) === JSON.stringify(release.after)) {
    return ["  deployed by this change, steps unchanged:", ...renderReleasePlan(release.after, "    ")];
  }
  return [
    ...(release.before ? ["  before:", ...renderReleasePlan(release.before, "    ")] : [`  ${release.service} is new`]),
    ...(release.after ? ["  after:", ...renderReleasePlan(release.after, "    ")] : [`  ${release.service} is removed`]),
  ];
}

const show = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value));

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

function callouts(changes: readonly ResourceChange[], base: SynthDocument, head: SynthDocument, movedProviders: readonly SynthResource[]): string[] {
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

const kindMark: Record<ChangeKind, string> = { added: "+", removed: "-", changed: "~", replaced: "+-", ignored: "=", moved: ">" };

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
  const ignored = count("ignored");
  const moved = count("moved");
  return `${count("added")} to add, ${count("changed")} to change, ${count("replaced")} to replace, ${count("removed")} to remove${ignored ? `, ${ignored} with ignored changes only` : ""}${moved ? `, ${moved} moved by alias` : ""}`;
}

export function renderDiffText(diff: PlanDiff): string {
  const lines = [`${diff.stack}: ${counts(diff)}`];
  if (diff.callouts.length > 0) lines.push("", "Review first:", ...diff.callouts.map((callout) => `  ! ${callout.replace(/\*\*/g, "")}`));
  if (diff.releases.length > 0) {
    lines.push("", "Releases this change starts or changes:");
    for (const release of diff.releases) lines.push(...releaseLines(release));
  }
  for (const [component, changes] of grouped(diff)) {
    lines.push("", component);
    for (const change of changes) {
      lines.push(`  ${kindMark[change.kind]} ${change.type.split(":").pop()} ${change.name}`);
      if (change.moved) lines.push(`      ${change.moved.how}`);
      for (const property of change.changes) lines.push(`      ${property.path}: ${show(property.old)} -> ${show(property.new)}`);
      for (const property of change.ignored) lines.push(`      ${property.path}: ${show(property.old)} -> ${show(property.new)}  (ignored: ${property.reason})`);
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
      const details = [
        ...(change.moved ? [change.moved.how] : []),
        ...change.changes.map((p) => `\`${p.path}\`: ${cell(p.old)} -> ${cell(p.new)}`),
        ...change.ignored.map((p) => `\`${p.path}\`: ${cell(p.old)} -> ${cell(p.new)} *(ignored: ${p.reason})*`),
      ];
      const detail = details.length > 0 ? details.join("<br>") : change.kind;
      lines.push(`| \`${kindMark[change.kind]}\` | ${change.type.split(":").pop()} \`${change.name}\` | ${detail} |`);
    }
    lines.push("", "</details>", "");
  }
  if (diff.resources.length === 0) lines.push("No changes.", "");
  for (const release of diff.releases) {
    lines.push(`**How a release of \`${release.service}\` goes${!release.after ? " (removed)" : !release.before ? " (new)" : JSON.stringify(release.before) === JSON.stringify(release.after) ? " (deployed by this change)" : " (changed)"}**`, "");
    lines.push("```text", ...releaseLines(release).map((line) => line.slice(2)), "```", "");
    if (release.after) lines.push("```mermaid", releaseMermaid(release.after), "```", "");
  }
  lines.push("```mermaid", mermaidDiagram(head), "```", "");
  return lines.join("\n");
}
