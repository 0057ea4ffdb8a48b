import { UsageError } from "../errors";
import { makeUrn, parseUrn, PROVIDER_TYPE_PREFIX, providerReference, ROOT_STACK_TYPE, type StackState, type StateResource } from "./state";

/** The component a service stack's program and a single-stack program both put services under. */
export const RELEASE_ENVIRONMENT_TYPE = "release:aws:ReleaseEnvironment";
const ENVIRONMENT_TYPE = "release:aws:Environment";
const LISTENER_RULE_TYPE = "aws:lb/listenerRule:ListenerRule";

/** A fully qualified stack name, `org/project/stack`, as `pulumi state move --source/--dest` and stack references take it. */
export interface StackName {
  readonly org: string;
  readonly project: string;
  readonly stack: string;
}

export const stackNameText = (name: StackName) => `${name.org}/${name.project}/${name.stack}`;

export function parseStackName(option: string, value: string): StackName {
  const parts = value.split("/");
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9][\w.-]*$/.test(part))) {
    throw new UsageError(`--${option} ${value}: expected org/project/stack (a fully qualified stack name, as \`pulumi stack ls -a\` shows it)`);
  }
  return { org: parts[0], project: parts[1], stack: parts[2] };
}

/** One resource `pulumi state move` takes to the service stack. */
export interface MovedResource {
  readonly urn: string;
  readonly type: string;
  readonly protect: boolean;
  /** Its URN in the destination right after the move: re-parented to the root stack when its parent stays behind. */
  readonly afterMove: string;
  /** Its URN once the service stack's program has run: under that stack's ReleaseEnvironment, found by the alias. */
  readonly afterUp: string;
}

/** A provider the move copies to the destination (it stays in the source too): state_move.go `providersToCopy`. */
export interface CopiedProvider {
  readonly urn: string;
  readonly afterMove: string;
}

/** A dependency edge the move cuts, as `pulumi state move` lists it before asking to go on. */
export interface CutDependency {
  readonly from: string;
  readonly on: string;
  readonly kind: "dependency" | "property dependency" | "deleted with";
}

/** Where the service is on the environment's load balancer, read from its deployed production listener rule. */
export interface DeployedRoute {
  readonly pathPatterns?: readonly string[];
  readonly hostHeaders?: readonly string[];
  readonly priority: number;
}

export interface MigrationPlan {
  readonly service: string;
  /** The service's component type (release:aws:BlueGreenService, release:kubernetes:KubernetesService). */
  readonly componentType: string;
  readonly source: StackName;
  /** True when the organisation of --source was taken from --dest (the export names no organisation). */
  readonly sourceOrgAssumed: boolean;
  readonly dest: StackName;
  /** The one URN to pass to `pulumi state move`: the service's component. */
  readonly componentUrn: string;
  readonly moved: readonly MovedResource[];
  readonly providers: readonly CopiedProvider[];
  /** Moved resources that depend on resources staying in the environment stack (listeners, cluster, topic...). */
  readonly dependsOnEnvironment: readonly CutDependency[];
  /** Resources staying in the environment stack that depend on moved ones (dashboard, flag store monitors...). */
  readonly environmentDependsOn: readonly CutDependency[];
  readonly route?: DeployedRoute;
  /** The services the environment stack keeps: with none, its flag store has no alarm left to watch it. */
  readonly remainingServices: readonly string[];
}

export interface MigrationRequest {
  readonly service: string;
  readonly dest: StackName;
  readonly source?: StackName;
}

/**
 * What moving one service from an environment stack's state to a service stack does, computed the way `pulumi state
 * move` does it (pkg/cmd/pulumi/state/state_move.go): the component and every descendant move (providers never), a
 * resource whose parent stays behind is re-parented to the destination's root stack and its URN's type chain
 * rewritten, and each provider a moved resource uses is copied.
 */
export function migrationPlan(state: StackState, request: MigrationRequest): MigrationPlan {
  const { service, dest } = request;
  const source = request.source ?? { org: dest.org, project: state.project, stack: state.stack };
  if (source.stack !== state.stack || source.project !== state.project) {
    throw new UsageError(`--source ${stackNameText(source)}: the exported state is of stack ${state.stack} in project ${state.project} (its URNs say so): export the environment stack the service is in`);
  }
  if (dest.project === source.project && dest.stack === source.stack) {
    throw new UsageError(`--dest ${stackNameText(dest)} is the environment stack itself: name the service stack (its own project, e.g. ${dest.org}/${service}/${dest.stack})`);
  }
  const byUrn = new Map(state.resources.map((resource) => [resource.urn, resource]));
  const component = serviceComponent(state, service, byUrn);
  const subtree = descendants(state.resources, component.urn);
  const providerInside = state.resources.find((resource) => subtree.has(resource.urn) && resource.type.startsWith(PROVIDER_TYPE_PREFIX));
  if (providerInside) {
    throw new UsageError(`${service}: ${providerInside.urn} is a provider under the service; \`pulumi state move\` never moves providers ("cannot move providers"), so this service cannot move as it is`);
  }

  // The service stack's program puts its ReleaseEnvironment at the root, whatever held the environment stack's.
  const environmentChain = parseUrn(component.parent!)!.qualifiedType;
  const afterMove = new Map<string, string>();
  const moved: MovedResource[] = [];
  for (const resource of state.resources) {
    if (!subtree.has(resource.urn)) continue;
    const own = parseUrn(resource.urn)!;
    const parentAfter = resource.parent !== undefined ? afterMove.get(resource.parent) : undefined;
    const urn = makeUrn(dest.stack, dest.project, parentAfter ? parseUrn(parentAfter)!.qualifiedType : ROOT_STACK_TYPE, own.type, own.name);
    afterMove.set(resource.urn, urn);
    moved.push({ urn: resource.urn, type: resource.type, protect: resource.protect, afterMove: urn, afterUp: `urn:pulumi:${dest.stack}::${dest.project}::${RELEASE_ENVIRONMENT_TYPE}${own.qualifiedType.slice(environmentChain.length)}::${own.name}` });
  }

  const providerUrns = [...new Set(moved.flatMap((entry) => (byUrn.get(entry.urn)?.provider ? [providerReference(byUrn.get(entry.urn)!.provider!).urn] : [])))];
  const providers = providerUrns.map((urn) => {
    const own = parseUrn(urn)!;
    return { urn, afterMove: makeUrn(dest.stack, dest.project, ROOT_STACK_TYPE, own.type, own.name) };
  });

  return {
    service,
    componentType: component.type,
    source,
    sourceOrgAssumed: request.source === undefined,
    dest,
    componentUrn: component.urn,
    moved,
    providers,
    dependsOnEnvironment: state.resources.filter((resource) => subtree.has(resource.urn)).flatMap((resource) => cutDependencies(resource, (urn) => !subtree.has(urn))),
    environmentDependsOn: state.resources.filter((resource) => !subtree.has(resource.urn)).flatMap((resource) => cutDependencies(resource, (urn) => subtree.has(urn))),
    route: deployedRoute(state.resources.filter((resource) => subtree.has(resource.urn))),
    remainingServices: servicesInState(state).map((other) => other.name).filter((name) => name !== service).sort(),
  };
}

/** The services of a ReleaseEnvironment in this state: its direct component children other than its Environment. */
export function servicesInState(state: StackState): { name: string; type: string; urn: string; parent: string }[] {
  const environments = new Set(state.resources.filter((resource) => resource.type === RELEASE_ENVIRONMENT_TYPE).map((resource) => resource.urn));
  return state.resources
    .filter((resource) => !resource.custom && resource.parent !== undefined && environments.has(resource.parent) && resource.type !== ENVIRONMENT_TYPE)
    .filter((resource) => state.resources.some((child) => child.parent === resource.urn && child.type === LISTENER_RULE_TYPE) || /Service$/.test(resource.type))
    .map((resource) => ({ name: parseUrn(resource.urn)!.name, type: resource.type, urn: resource.urn, parent: resource.parent! }));
}

function serviceComponent(state: StackState, service: string, byUrn: Map<string, StateResource>): StateResource {
  const services = servicesInState(state);
  const matches = services.filter((candidate) => candidate.name === service);
  if (matches.length === 0) {
    const elsewhere = state.resources.find((resource) => !resource.custom && parseUrn(resource.urn)!.name === service && /Service$/.test(resource.type));
    const known = services.map((candidate) => candidate.name).sort();
    if (elsewhere) {
      throw new UsageError(`${service}: ${elsewhere.urn} is not a direct child of a ${RELEASE_ENVIRONMENT_TYPE}: the move relies on ReleaseEnvironment's alias {parent: root stack} to find the service again, so it cannot migrate a service composed another way`);
    }
    throw new UsageError(`${service}: no such service in the state of stack ${state.stack} (services there: ${known.join(", ") || "none"})`);
  }
  if (matches.length > 1) throw new UsageError(`${service}: more than one ReleaseEnvironment holds a service of that name (${matches.map((match) => match.urn).join(", ")})`);
  return byUrn.get(matches[0].urn)!;
}

/** The component and everything under it, at any depth. */
function descendants(resources: readonly StateResource[], root: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const resource of resources) if (resource.parent) children.set(resource.parent, [...(children.get(resource.parent) ?? []), resource.urn]);
  const found = new Set<string>();
  const walk = (urn: string) => {
    found.add(urn);
    for (const child of children.get(urn) ?? []) walk(child);
  };
  walk(root);
  return found;
}

/** state_move.go `breakDependencies`: parent and provider links are not cut (re-parented and copied instead). */
function cutDependencies(resource: StateResource, cut: (urn: string) => boolean): CutDependency[] {
  return [
    ...resource.dependencies.filter(cut).map((on) => ({ from: resource.urn, on, kind: "dependency" as const })),
    ...[...new Set(Object.values(resource.propertyDependencies).flat())].filter((on) => cut(on) && !resource.dependencies.includes(on)).map((on) => ({ from: resource.urn, on, kind: "property dependency" as const })),
    ...(resource.deletedWith && cut(resource.deletedWith) ? [{ from: resource.urn, on: resource.deletedWith, kind: "deleted with" as const }] : []),
  ];
}

/** The production rule is the one that matches paths or hosts (the test rule matches the x-release-service header). */
function deployedRoute(resources: readonly StateResource[]): DeployedRoute | undefined {
  for (const resource of resources) {
    if (resource.type !== LISTENER_RULE_TYPE) continue;
    const conditions = (resource.inputs.conditions ?? []) as { pathPattern?: { values?: string[] }; hostHeader?: { values?: string[] } }[];
    const pathPatterns = conditions.flatMap((condition) => condition.pathPattern?.values ?? []);
    const hostHeaders = conditions.flatMap((condition) => condition.hostHeader?.values ?? []);
    if (pathPatterns.length === 0 && hostHeaders.length === 0) continue;
    return { ...(pathPatterns.length > 0 ? { pathPatterns } : {}), ...(hostHeaders.length > 0 ? { hostHeaders } : {}), priority: Number(resource.inputs.priority) };
  }
  return undefined;
}
