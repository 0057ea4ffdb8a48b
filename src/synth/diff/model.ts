import type { ReleasePlan } from "../release-plan";

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
