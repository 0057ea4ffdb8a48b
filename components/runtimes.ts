import { ecsRuntime } from "./blue-green-service/runtime";
import { kubernetesRuntime } from "./kubernetes-service/runtime";
import type { ReleaseServiceArgs } from "./release-environment/args";
import type { ServiceRuntime } from "./service/runtime";

/**
 * The runtimes a service may run on, by the name a stack file gives (`release:services.<name>.runtime`). The names are
 * `ReleaseServiceArgs["runtime"]`'s: a name there without an entry here, or an entry without the name, does not
 * compile, and an entry is complete when it implements `ServiceRuntime`. The schema's enum is this table's keys.
 * @internal
 */
export const RUNTIMES = { ecs: ecsRuntime, kubernetes: kubernetesRuntime } satisfies Record<NonNullable<ReleaseServiceArgs["runtime"]>, ServiceRuntime<unknown>>;

/** @internal */
export type Runtime = keyof typeof RUNTIMES;

/** @internal The names, in the table's order (the schema's enum). */
export const RUNTIME_NAMES = Object.keys(RUNTIMES) as [Runtime, ...Runtime[]];

/** @internal The runtime a service names, ECS when it names none, or one the schema refuses (rules that run before it). */
export function runtimeOf(service: { readonly runtime?: unknown } | null | undefined): ServiceRuntime<unknown> {
  const name = service?.runtime;
  return typeof name === "string" && Object.hasOwn(RUNTIMES, name) ? RUNTIMES[name as Runtime] : RUNTIMES.ecs;
}
