import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../../arguments";
import type { SubnetDefaultRoute } from "../../environment/environment";
import type { Sidecar } from "../../service/args";
import type { TierDefaults } from "../../tiers";
import type { Flags } from "../flags/model";
import type { AlarmedService, FlagReadingService, MonitoredAlarm } from "./appconfig/args";
import type { FeatureFlagStore } from "./appconfig/store";
import type { FlagdServer } from "./flagd/server";

/** What a backend can do, which the flag rules and the ReleaseEnvironment ask instead of naming backends. */
export interface FlagBackendCapabilities {
  /** Deploys `rollout.stages` as a guarded ramp, stage after stage (AppConfig: a Step Functions state machine). */
  readonly ramp: boolean;
  /** Rolls a flag change back when a monitored alarm fires (AppConfig's environment monitors). */
  readonly alarmRollback: boolean;
  /** The document it serves the flags from. */
  readonly documentFormat: "AWS.AppConfig.FeatureFlags" | "flagd";
}

/** The `flagStore` settings of a ReleaseEnvironment besides the backend's name, each filled in. */
export interface FlagStoreSettings {
  readonly ownership: "pulumi" | "console";
  readonly agent: boolean;
  readonly agentImage: string;
  readonly deployment: TierDefaults["flagStore"];
}

/** What a backend knows of the environment it serves, settled before any resource exists. */
export interface FlagEnvironment {
  /** The ReleaseEnvironment's name: the backend's resources are named from it. */
  readonly name: string;
  readonly region: string;
  /** Sorted by key. */
  readonly flags: Flags;
  readonly flagStore: FlagStoreSettings;
  readonly protectStateful: boolean;
}

/** What Kubernetes pods read the flags from, made before the services. */
export interface KubernetesFlagServing {
  readonly flagd?: FlagdServer;
  /** Variables every Kubernetes service's pods get, telling the app where the flags are. */
  readonly environmentVariables?: Readonly<Record<string, string>>;
}

/** The services a store serves, once they exist. */
export interface FlagStoreServices {
  /**
   * Their alarms roll a flag deployment back, in this order (a service without alarms adds none); an environment stack
   * with no service of its own gives its load balancers' alarms.
   */
  readonly monitors: readonly (AlarmedService | MonitoredAlarm)[];
  /** Their roles may read the flags. */
  readonly readers: readonly FlagReadingService[];
  readonly alertTopicArn: pulumi.Input<string>;
}

/** What a backend makes after the services, and what the stack exports of it. */
export interface FlagStoreResult {
  /** The AppConfig store (`ReleaseEnvironment.flagStore`), whose deployments the environment's alert topic hears of. */
  readonly flagStore?: FeatureFlagStore;
  /** The stack's `flags` output. */
  readonly outputs: Record<string, unknown>;
}

/**
 * A flag backend: where a ReleaseEnvironment's flags are served from, and what it wires into the services. Each entry
 * of `FLAG_BACKENDS` is one; the stack file's `flagStore.backend` names it.
 */
export interface FlagBackend {
  readonly capabilities: FlagBackendCapabilities;
  /** The document that serves `flags`, in the backend's format (`npm run flags` prints it). */
  document(flags: Flags): Record<string, unknown>;
  /** Containers each service runs beside the app to read the flags; ECS tasks pass their subnets' default routes, which the image must be reachable by. */
  sidecars(environment: FlagEnvironment, routes?: pulumi.Output<readonly SubnetDefaultRoute[]>): Sidecar[];
  /** The problems of what the backend would create, each field a path in the ReleaseEnvironment's args; asked once the flags are sound. */
  problems(environment: FlagEnvironment): ArgumentProblem[];
  /** Before the services, when there is a cluster: what the pods read the flags from. */
  serveKubernetes?(environment: FlagEnvironment, cluster: { readonly provider: k8s.Provider; readonly namespace: string }, opts: pulumi.ComponentResourceOptions): KubernetesFlagServing;
  /** After the services: the store their alarms guard and their roles read. Without one, the stack exports only the backend's name. */
  createStore?(environment: FlagEnvironment, services: FlagStoreServices, opts: pulumi.ComponentResourceOptions): FlagStoreResult;
}
