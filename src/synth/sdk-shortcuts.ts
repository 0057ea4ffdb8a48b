import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Bookkeeping the SDK does for every resource on behalf of a deployment's tooling, which nothing offline reads: for
 * 2,000 resources it is most of a synthesis's time and memory. Switched off while a synthesis runs (unless
 * `RELEASE_SYNTH_STACK_TRACES` asks to keep it for debugging); the returned function gives the SDK its own back.
 */
export function skipDeploymentBookkeeping(sdk: typeof pulumi): () => void {
  if (process.env.RELEASE_SYNTH_STACK_TRACES) return () => undefined;
  // The SDK captures a stack trace for every promise it creates (a leak debugger); with source maps that is most of a
  // large synth's time and memory. Offline nothing reads them.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  // Every resource's constructor also parses a whole stack trace for its source position (Resource.callsites raises
  // Error.stackTraceLimit to Infinity for it), which the engine shows in `pulumi about`-style tooling and the mocks
  // drop: the document has no place for it.
  const resourceClass = sdk.Resource as unknown as { callsites: () => unknown[] };
  const callsites = resourceClass.callsites;
  resourceClass.callsites = () => [];
  const restoreOutputs = lazyOutputs(sdk);
  return () => {
    Error.stackTraceLimit = stackTraceLimit;
    resourceClass.callsites = callsites;
    restoreOutputs();
  };
}

type Resolver = (value: unknown, isKnown: boolean, isSecret: boolean, deps?: unknown[], err?: unknown) => void;
type Transfer = (onto: Record<string, unknown>, label: string, props: Record<string, unknown>) => Record<string, Resolver>;
type OutputClass = new (resources: unknown, ...promises: Promise<unknown>[]) => unknown;

/**
 * The SDK gives a resource an output for each of its type's properties as soon as it is constructed
 * (`transferProperties`): four promises, each wrapped in a leak tracker, and an `Output` chained on them, all pending
 * until the engine answers. 16 per AWS resource on average, 31,000 for 50 services, of which the program reads one in
 * 17. Offline each is made when first read instead: from the answer if it came, else pending as the SDK's (less the
 * leak trackers: the resource's registration, which settles them, is still tracked). What the program sees is the
 * same; the 29,000 outputs nobody reads cost a getter each.
 */
function lazyOutputs(sdk: typeof pulumi): () => void {
  const rpc = packageModule<{ transferProperties: Transfer }>(sdk, "runtime/rpc.js", "transferProperties");
  const errors = packageModule<{ isGrpcError: (err: unknown) => boolean }>(sdk, "errors.js", "isGrpcError");
  if (!rpc || !errors) return () => undefined;
  const Output = sdk.Output as unknown as OutputClass;
  const { transferProperties } = rpc;
  rpc.transferProperties = (onto, label, props) => {
    const resolvers: Record<string, Resolver> = {};
    for (const key of Object.keys(props)) {
      if (key === "id" || key === "urn") continue;
      if (Object.prototype.hasOwnProperty.call(onto, key)) throw new Error(`Property '${key}' is already initialized on target '${label}`);
      let answer: { values: unknown[]; err: unknown } | undefined;
      let settle: ((values: unknown[], err: unknown) => void) | undefined;
      resolvers[key] = (value, isKnown, isSecret, deps = [], err) => {
        // The engine is going away (the SDK's own skips these too).
        if (err && errors.isGrpcError(err)) return;
        if (settle) settle([value, isKnown, isSecret, deps], err);
        else answer = { values: [value, isKnown, isSecret, deps], err };
      };
      const define = (value: unknown) => Object.defineProperty(onto, key, { value, writable: true, enumerable: true, configurable: true });
      Object.defineProperty(onto, key, {
        enumerable: true,
        configurable: true,
        get() {
          let promises: Promise<unknown>[];
          if (answer) {
            const { values, err } = answer;
            promises = values.map((value) => (err ? Promise.reject(err) : Promise.resolve(value)));
          } else {
            const settlers: [(value: unknown) => void, (err: unknown) => void][] = [];
            promises = [0, 1, 2, 3].map(() => new Promise((resolve, reject) => settlers.push([resolve, reject])));
            settle = (values, err) => settlers.forEach(([resolve, reject], index) => (err ? reject(err) : resolve(values[index])));
          }
          const output = new Output(onto, ...promises);
          define(output);
          return output;
        },
        set: define,
      });
    }
    return resolvers;
  };
  return () => {
    rpc.transferProperties = transferProperties;
  };
}

/** A module of the copy of the SDK `sdk` is (a team's program loads its own), beside the one defining `Resource`; none if it has moved. */
function packageModule<T>(sdk: typeof pulumi, file: string, member: keyof T): T | undefined {
  const load = createRequire(__filename);
  const root = Object.values(load.cache).find((module) => {
    try {
      return basename(module?.filename ?? "") === "resource.js" && module?.exports?.Resource === sdk.Resource;
    } catch {
      return false; // an export that refuses to be read
    }
  });
  const path = root && join(dirname(root.filename), file);
  if (!path || !existsSync(path)) return undefined;
  const module = load(path) as Partial<T>;
  return typeof module[member] === "function" ? (module as T) : undefined;
}
