import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ReleaseConfig } from "../config/load";
import { releasePlatform } from "../program";
import { didYouMean } from "../command";
import { awsMocks } from "./mocks";
import { type AliasMessage, aliasesOf, aliasJson, type SynthAlias } from "./aliases";
import { skipDeploymentBookkeeping } from "./sdk-shortcuts";
import { DEFAULT_ORGANIZATION, offlineOrganization } from "../config/source";
// Used at run time only: run.ts imports this module.
import { UsageError } from "../errors";

export const PROJECT = "release-platform";

export interface SynthResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent: string | null;
  readonly dependencies: string[];
  readonly provider: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly options: { protect: boolean; ignoreChanges: string[]; retainOnDelete: boolean; aliases?: SynthAlias[] };
}

export interface Diagnostic {
  readonly severity: "warning" | "info";
  readonly message: string;
}

/** The `--format json` contract (DESIGN.md). */
export interface SynthDocument {
  readonly version: 1;
  readonly project: string;
  readonly stack: string;
  readonly tier: string;
  readonly resources: SynthResource[];
  readonly outputs: Record<string, unknown>;
  readonly diagnostics: Diagnostic[];
}

export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";

/** Turns a deserialized property into plain JSON: secrets as "[secret]" (or their value when `reveal`), resource references as their URN. */
export function plain(value: unknown, reveal = false): unknown {
  if (value === pulumi.runtime.unknownValue) return UNKNOWN;
  if (Array.isArray(value)) return value.map((item) => plain(item, reveal));
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const sig = record[pulumi.runtime.specialSigKey];
    if (sig === pulumi.runtime.specialSecretSig) return reveal ? plain(record.value, reveal) : SECRET;
    if (sig === pulumi.runtime.specialResourceSig) return record.urn;
    if (sig === pulumi.runtime.specialAssetSig) {
      if (typeof record.text === "string") {
        return `[asset sha256:${createHash("sha256").update(record.text).digest("hex")}, ${Buffer.byteLength(record.text)} bytes]`;
      }
      return `[asset ${String(record.path ?? record.uri ?? "")}]`;
    }
    if (sig === pulumi.runtime.specialArchiveSig) {
      return record.assets !== undefined ? { "[archive]": plain(record.assets, reveal) } : `[archive ${String(record.path ?? record.uri ?? "")}]`;
    }
    if (sig === pulumi.runtime.specialOutputValueSig) return record.secret && !reveal ? SECRET : plain(record.value, reveal);
    if (sig !== undefined) return String(sig);
    if (pulumi.Resource.isInstance(value)) return UNKNOWN;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .filter((key) => record[key] !== undefined)
        .map((key) => [key, plain(record[key], reveal)]),
    );
  }
  return value;
}

function toJavaScript(struct: unknown): unknown {
  return struct && typeof (struct as { toJavaScript?: unknown }).toJavaScript === "function"
    ? (struct as { toJavaScript(): unknown }).toJavaScript()
    : {};
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getProvider(): string;
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  getRetainondelete(): boolean | undefined;
  getObject(): unknown;
  getAliasesList(): AliasMessage[];
}

interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): unknown;
}

type Monitor = {
  registerResource(req: RegisterRequest, callback: (err: unknown, res?: RegisterResponse) => void): Promise<void>;
  registerResourceOutputs(req: { getUrn(): string; getOutputs(): unknown }, callback: (err: unknown, res?: unknown) => void): void;
};

/** Pulumi keeps mutable global state per process; one synthesis runs at a time. */
let running: Promise<unknown> = Promise.resolve();

export interface SynthInput {
  readonly config: ReleaseConfig;
  readonly stackOutputs?: Readonly<Record<string, Record<string, unknown>>>;
  readonly stackOutputsFile?: string;
  readonly inspectSecrets?: ProgramTarget["inspectSecrets"];
  /** SSM parameters the program reads (e.g. a flag ramp's record), by name; none by default, as before a first deploy. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Answers to data-source calls that replace the mocks' (tests of other networks); undefined keeps the mock's. */
  readonly calls?: ProgramTarget["calls"];
}

/** Runs the real program under Pulumi's mocks and returns the resource graph as the JSON contract describes it. */
export function synthesize(input: SynthInput): Promise<SynthDocument> {
  const { config } = input;
  return synthesizeProgram(
    {
      stack: config.stack,
      tier: config.tier,
      region: config.region,
      stackOutputs: input.stackOutputs,
      stackOutputsFile: input.stackOutputsFile,
      inspectSecrets: input.inspectSecrets,
      parameters: input.parameters,
      calls: input.calls,
      // A service stack is its own project (its own resources are named after it), as `pulumi up` runs it.
      ...(config.joins ? { project: config.name, organization: offlineOrganization(config.joins.stackReference) } : {}),
    },
    (warn) => releasePlatform(config, { warn }),
  );
}

export interface ProgramTarget {
  readonly stack: string;
  readonly tier: string;
  readonly region: string;
  readonly stackOutputs?: Readonly<Record<string, Record<string, unknown>>>;
  /**
   * The `--stack-outputs` file the outputs came from, as the user named it. With a file, a stack reference it has no
   * entry for, or an output of it the program requires and the entry lacks, is an error naming the stack and the key;
   * without one, stack references yield placeholder ids (a warning).
   */
  readonly stackOutputsFile?: string;
  readonly project?: string;
  /** The organization `pulumi.getOrganization()` answers. @default DEFAULT_ORGANIZATION */
  readonly organization?: string;
  /** SSM parameters by name, for the program's reads. @default none */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * The Pulumi SDK the program registers its resources with: a team's program (`--program`) imports its own project's
   * copy, and mocks set on another copy would never see its resources. This repository's by default.
   */
  readonly sdk?: typeof pulumi;
  /**
   * Sees each resource's inputs with secrets revealed, for tests that must check a secret's content. Nothing revealed
   * reaches the document.
   */
  readonly inspectSecrets?: (type: string, name: string, inputs: Record<string, unknown>) => void;
  /** Answers to data-source calls that replace the mocks' (tests of other networks); undefined keeps the mock's. */
  readonly calls?: (token: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
}

/** Runs any Pulumi program (e.g. one composing the components directly) under the same mocks and capture. */
export function synthesizeProgram(
  target: ProgramTarget,
  program: (warn: (message: string) => void, settle: () => Promise<void>) => Promise<Record<string, unknown>>,
): Promise<SynthDocument> {
  const next = running.then(() => synthesizeNow(target, program));
  running = next.catch(() => undefined);
  return next;
}

async function synthesizeNow(
  config: ProgramTarget,
  program: (warn: (message: string) => void, settle: () => Promise<void>) => Promise<Record<string, unknown>>,
): Promise<SynthDocument> {
  const project = config.project ?? PROJECT;
  const diagnostics: Diagnostic[] = [];
  const placeholders = new Set<string>();
  const sdk = config.sdk ?? pulumi;
  await sdk.runtime.setMocks(
    awsMocks({
      region: config.region,
      stackOutputs: config.stackOutputs ?? {},
      parameters: config.parameters,
      onPlaceholder: (stackName) => placeholders.add(stackName),
      calls: config.calls,
    }),
    project,
    config.stack,
    false,
    config.organization ?? DEFAULT_ORGANIZATION,
  );

  const monitor = sdk.runtime.getMonitor() as unknown as Monitor;
  const resources = new Map<string, SynthResource>();
  const componentOutputs = new Map<string, Record<string, unknown>>();
  let pending = 0;
  let failure: unknown;
  /** Registrations whose mock URN another resource already has; the engine refuses those whose real URNs are the same. */
  const repeated: SynthResource[] = [];
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    pending++;
    // The raw struct, not its deserialized form: it keeps secrets, assets and archives recognisable.
    const raw = toJavaScript(req.getObject());
    const inputs = plain(raw) as Record<string, unknown>;
    config.inspectSecrets?.(req.getType(), req.getName(), plain(raw, true) as Record<string, unknown>);
    const aliases = aliasesOf(req.getAliasesList());
    return register(req, (err, res) => {
      pending--;
      if (err || !res) {
        failure ??= err;
        callback(err, res);
        return;
      }
      const state = plain(toJavaScript(res.getObject())) as Record<string, unknown>;
      const outputs: Record<string, unknown> = {};
      if (res.getId()) outputs.id = res.getId();
      for (const [key, value] of Object.entries(state)) {
        if (JSON.stringify(inputs[key]) !== JSON.stringify(value)) outputs[key] = value;
      }
      const record: SynthResource = {
        urn: res.getUrn(),
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        parent: req.getParent() || null,
        dependencies: [...new Set(req.getDependenciesList())].sort(),
        provider: req.getProvider(),
        inputs,
        outputs: Object.fromEntries(Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b))),
        options: {
          protect: req.getProtect() === true,
          ignoreChanges: [...req.getIgnorechangesList()].sort(),
          retainOnDelete: req.getRetainondelete() === true,
          ...(aliases.length > 0 ? { aliases } : {}),
        },
      };
      if (resources.has(record.urn)) repeated.push(record);
      else resources.set(record.urn, record);
      callback(err, res);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    componentOutputs.set(req.getUrn(), plain(toJavaScript(req.getOutputs())) as Record<string, unknown>);
    registerOutputs(req, callback);
  };

  const restoreSdk = skipDeploymentBookkeeping(sdk);
  /** Resolves when no registration has been pending for a few turns of the event loop. */
  const settle = async () => {
    for (let quiet = 0; quiet < 5; ) {
      await new Promise((resolve) => setImmediate(resolve));
      quiet = pending === 0 ? quiet + 1 : 0;
    }
  };
  // A failed apply fails `pulumi up`; here the program may wait forever on outputs of the resource it never registered.
  let failed: (reason: unknown) => void = () => undefined;
  const failedEarly = new Promise<never>((_, reject) => (failed = reject));
  failedEarly.catch(() => undefined);
  const onRejection = (reason: unknown) => {
    failure ??= reason;
    failed(reason);
  };
  process.on("unhandledRejection", onRejection);
  // An output the program requires and the --stack-outputs entry lacks: SDK's requireOutput would fail inside an apply
  // no one awaits, and the process would end on the SDK's "promises were still active" text. Named here instead, and
  // the synthesis goes on with the output undefined to find every missing one.
  const missingOutputs = new Set<string>();
  const stackReference = sdk.StackReference.prototype;
  const requireOutput = stackReference.requireOutput;
  if (config.stackOutputsFile !== undefined) {
    stackReference.requireOutput = function (this: pulumi.StackReference, name: pulumi.Input<string>) {
      const stackName = (this as unknown as { __name?: string }).__name;
      const outputs = stackName === undefined ? undefined : config.stackOutputs?.[stackName];
      if (outputs !== undefined && typeof name === "string" && !(name in outputs)) {
        missingOutputs.add(`stack ${stackName} has no output ${name}, which the program requires (it has: ${Object.keys(outputs).sort().join(", ") || "none"})`);
        return this.getOutput(name);
      }
      return requireOutput.call(this, name);
    };
  }
  let stackOutputs: Record<string, unknown> | undefined;
  try {
    stackOutputs = (await Promise.race([
      sdk.runtime.runInPulumiStack(() => program((message) => diagnostics.push({ severity: "warning", message }), settle)),
      failedEarly,
    ])) as Record<string, unknown> | undefined;
    // Resources created inside applies register after the program returns.
    await settle();
  } finally {
    process.off("unhandledRejection", onRejection);
    restoreSdk();
    stackReference.requireOutput = requireOutput;
  }
  // A stack the file has no entry for (a misspelt name) would silently build on placeholder ids.
  const unlisted = config.stackOutputsFile === undefined ? [] : [...placeholders].sort();
  const listed = Object.keys(config.stackOutputs ?? {}).sort();
  const referenceProblems = [
    ...unlisted.map((name) => `no stack ${name}${didYouMean(name, listed)}; it has: ${listed.join(", ") || "none"}`),
    ...[...missingOutputs].sort(),
  ];
  if (referenceProblems.length > 0) throw new UsageError(`--stack-outputs ${config.stackOutputsFile}: ${referenceProblems.join("; ")}`);
  if (failure) throw failure;
  const duplicate = repeated.find((record) => {
    const first = resources.get(record.urn);
    return first !== undefined && typeChain(record, resources) === typeChain(first, resources);
  });
  if (duplicate) {
    throw new sdk.RunError(
      `Duplicate resource URN ${duplicate.urn}: two ${duplicate.type} named ${duplicate.name} under parents of the same types; pulumi up refuses this too. Give one of them another name (or its parent another type).`,
    );
  }

  for (const stackName of [...placeholders].sort()) {
    diagnostics.push({
      severity: "warning",
      message: `network from stack reference ${stackName} uses placeholder ids (vpc-00000000000000000, subnet-0000000000000000a..d); pass --stack-outputs <file.json> for its real outputs`,
    });
  }

  const sorted = [...resources.values()]
    .filter((resource) => resource.type !== "pulumi:pulumi:Stack")
    .map((resource) => {
      const registered = componentOutputs.get(resource.urn);
      return registered && !resource.custom ? { ...resource, outputs: { ...resource.outputs, ...registered } } : resource;
    })
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  const known = new Set(sorted.map((resource) => resource.urn));
  const stackUrn = [...resources.values()].find((resource) => resource.type === "pulumi:pulumi:Stack")?.urn;
  return {
    version: 1,
    project,
    stack: config.stack,
    tier: config.tier,
    resources: sorted.map((resource) => ({
      ...resource,
      parent: resource.parent && resource.parent !== stackUrn && known.has(resource.parent) ? resource.parent : null,
      dependencies: resource.dependencies.filter((urn) => known.has(urn)),
      ...(resource.options.aliases ? { options: { ...resource.options, aliases: resource.options.aliases.map((alias) => aliasJson(alias, stackUrn)) } } : {}),
    })),
    outputs: plain(stackOutputs ?? {}) as Record<string, unknown>,
    diagnostics,
  };
}

/** A resource's type and its ancestors' types, as the real engine's URN holds them (a mock URN holds only its parent's). */
function typeChain(resource: SynthResource, byUrn: ReadonlyMap<string, SynthResource>): string {
  const types: string[] = [];
  for (let current: SynthResource | undefined = resource; current; current = current.parent ? byUrn.get(current.parent) : undefined) types.unshift(current.type);
  return types.join("$");
}
