import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
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
  const restorePromises = untrackPropertyPromises(sdk);
  return () => {
    Error.stackTraceLimit = stackTraceLimit;
    resourceClass.callsites = callsites;
    restorePromises();
  };
}

interface Debuggable {
  debuggablePromise(promise: Promise<unknown>, context: unknown): Promise<unknown>;
}

/** Each output property's four promises (value, known, secret, dependencies), as `transferProperties` names them. */
const PROPERTY_PROMISE = /^transfer(?:Property|IsStable|IsSecret|Deps)\(/;

/**
 * The SDK wraps each promise it makes in a leak tracker (`debuggablePromise`: two more promises, three properties and a
 * set entry), so that promises still pending at exit can be reported. Four per output property of every resource, 30
 * output properties to an AWS resource: a 50-service stack makes 120,000 of them, all pending until the mocks answer.
 * A property's promises settle when its resource's registration does, which the tracker still follows (and so still
 * reports a resource that never registers): those four go untracked. `PULUMI_DEBUG_PROMISE_LEAKS` keeps them all.
 */
function untrackPropertyPromises(sdk: typeof pulumi): () => void {
  const debuggable = process.env.PULUMI_DEBUG_PROMISE_LEAKS ? undefined : debuggableModule(sdk);
  if (!debuggable) return () => undefined;
  const track = debuggable.debuggablePromise;
  debuggable.debuggablePromise = (promise, context) => (typeof context === "string" && PROPERTY_PROMISE.test(context) ? promise : track(promise, context));
  return () => {
    debuggable.debuggablePromise = track;
  };
}

/** The `runtime/debuggable` module of the copy of the SDK `sdk` is (a team's program loads its own); none if it has moved. */
function debuggableModule(sdk: typeof pulumi): Debuggable | undefined {
  const load = createRequire(__filename);
  const root = Object.values(load.cache).find((module) => {
    try {
      return module?.exports?.Resource === sdk.Resource;
    } catch {
      return false; // an export that refuses to be read
    }
  });
  const path = root && join(dirname(root.filename), "runtime", "debuggable.js");
  if (!path || !existsSync(path)) return undefined;
  const module = load(path) as Partial<Debuggable>;
  return typeof module.debuggablePromise === "function" ? (module as Debuggable) : undefined;
}
