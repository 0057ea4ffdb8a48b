import { UsageError } from "../errors";

/** The Pulumi engine's root resource of every stack; resources without another parent hang under it. */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
/** Type prefix of provider resources (`pulumi:providers:aws`), which `pulumi state move` copies rather than moves. */
export const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

/** One resource of a `pulumi stack export` (apitype.ResourceV3): what a migration reads of it. */
export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly custom: boolean;
  readonly id?: string;
  readonly parent?: string;
  /** `<provider urn>::<provider id>`, as the engine writes it. */
  readonly provider?: string;
  readonly protect: boolean;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  readonly deletedWith?: string;
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** A stack's exported state: its resources in the engine's order (parents, providers and dependencies first). */
export interface StackState {
  readonly stack: string;
  readonly project: string;
  readonly resources: readonly StateResource[];
}

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */
export interface ParsedUrn {
  readonly stack: string;
  readonly project: string;
  /** The parent chain's types and this resource's own, joined by `$` (the root stack's type never appears). */
  readonly qualifiedType: string;
  /** This resource's own type: the last part of the qualified type. */
  readonly type: string;
  readonly name: string;
}

export function parseUrn(urn: string): ParsedUrn | undefined {
  const match = /^urn:pulumi:([^:]*)::([^:]*)::(.+?)::(.*)$/s.exec(urn);
  if (!match) return undefined;
  const [, stack, project, qualifiedType, name] = match;
  return { stack, project, qualifiedType, type: qualifiedType.split("$").at(-1) as string, name };
}

/**
 * The URN the engine gives a resource: its parent's qualified type before its own, except under the root stack
 * (sdk/go/common/resource/urn/urn.go `New`: `if parentType != "" && parentType != tokens.RootStackType`).
 */
export function makeUrn(stack: string, project: string, parentQualifiedType: string, type: string, name: string): string {
  const qualified = parentQualifiedType !== "" && parentQualifiedType !== ROOT_STACK_TYPE ? `${parentQualifiedType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** A provider reference `<urn>::<id>` split at its last `::` (a URN holds `::` itself). */
export function providerReference(reference: string): { urn: string; id: string } {
  const at = reference.lastIndexOf("::");
  return { urn: reference.slice(0, at), id: reference.slice(at + 2) };
}

const EXPORT_HINT = (file: string, stack = "<org>/<project>/<stack>") => `export it with: pulumi stack export --stack ${stack} --file ${file}`;

/**
 * Reads the JSON `pulumi stack export` writes (`{"version": 3, "deployment": {"manifest", "resources": [...]}}`).
 * Anything else is refused, naming what it looks like instead (a synth document, an empty stack).
 */
export function readStackState(text: string, file: string): StackState {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--state ${file}: not JSON (${(error as Error).message.split("\n")[0]}); ${EXPORT_HINT(file)}`);
  }
  const record = (document ?? {}) as Record<string, unknown>;
  if (Array.isArray(record.resources) && record.version === 1) {
    throw new UsageError(`--state ${file}: this is a synth document (npm run synth -- --format json), not a stack's state: the migration needs the deployed ids and URNs; ${EXPORT_HINT(file)}`);
  }
  const deployment = record.deployment as Record<string, unknown> | undefined;
  if (typeof record.version !== "number" || deployment === null || typeof deployment !== "object") {
    throw new UsageError(`--state ${file}: not the JSON of \`pulumi stack export\` (expected {"version": 3, "deployment": {...}}); ${EXPORT_HINT(file)}`);
  }
  if (record.version < 3) throw new UsageError(`--state ${file}: a version ${record.version} export; the Pulumi CLI writes version 3 (upgrade the CLI and export again)`);
  const raw = deployment.resources ?? [];
  if (!Array.isArray(raw) || raw.length === 0) throw new UsageError(`--state ${file}: the stack has no resources: nothing to migrate from it`);
  const resources = raw.map((entry, index) => stateResource(entry, `${file}: deployment.resources[${index}]`));
  const first = parseUrn(resources[0].urn) as ParsedUrn;
  const other = resources.find((resource) => {
    const parsed = parseUrn(resource.urn) as ParsedUrn;
    return parsed.stack !== first.stack || parsed.project !== first.project;
  });
  if (other) throw new UsageError(`--state ${file}: resources of more than one stack (${resources[0].urn} and ${other.urn}): not one stack's export`);
  return { stack: first.stack, project: first.project, resources };
}

function stateResource(entry: unknown, where: string): StateResource {
  const record = (entry ?? {}) as Record<string, unknown>;
  const urn = record.urn;
  if (typeof urn !== "string" || !parseUrn(urn) || typeof record.type !== "string") {
    throw new UsageError(`${where}: no valid urn and type (got ${JSON.stringify(entry)?.slice(0, 120)}); not a \`pulumi stack export\` resource`);
  }
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  const urns = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []);
  const propertyDependencies = Object.fromEntries(
    Object.entries((record.propertyDependencies ?? {}) as Record<string, unknown>).map(([key, value]) => [key, urns(value)]),
  );
  return {
    urn,
    type: record.type,
    custom: record.custom === true,
    id: text(record.id),
    parent: text(record.parent),
    provider: text(record.provider),
    protect: record.protect === true,
    dependencies: urns(record.dependencies),
    propertyDependencies,
    deletedWith: text(record.deletedWith),
    inputs: (record.inputs ?? {}) as Record<string, unknown>,
  };
}
