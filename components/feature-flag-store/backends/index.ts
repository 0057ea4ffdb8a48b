import type { ReleaseFlagStoreArgs } from "../../release-environment/args";
import { appConfigBackend } from "./appconfig/backend";
import type { FlagBackend } from "./backend";
import { flagdBackend } from "./flagd/backend";

/** A backend's name: the public `ReleaseFlagStoreArgs.backend`, whose names the table must match one for one. */
export type FlagBackendName = NonNullable<ReleaseFlagStoreArgs["backend"]>;

/** Every flag backend, by the name the stack file's `flagStore.backend` gives it. */
export const FLAG_BACKENDS = { appconfig: appConfigBackend, flagd: flagdBackend } satisfies Record<FlagBackendName, FlagBackend>;

/** The names, in the table's order (the schema's enum, the flags CLI's `--backend`). */
export const FLAG_BACKEND_NAMES = Object.keys(FLAG_BACKENDS) as [FlagBackendName, ...FlagBackendName[]];

export const DEFAULT_FLAG_BACKEND: FlagBackendName = "appconfig";
