/** What one built-in alarm kind is: its settings, its metric math and the bad versions it is there to catch. */
import type { ArgumentProblem } from "../../arguments";
import type { AlarmDefinition, TrafficTargets } from "../alarm-math";

/** The values the stack file and `ReleaseEnvironment` accept for a setting (the schema's limits). */
export interface SettingRange {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. @default false */
  readonly integer?: boolean;
}

/**
 * How a new version behaves from the shift on, in the synthetic ALB metrics the detection estimate and the
 * `alarm-sensitivity` policy rule run (alarm-sensitivity.ts). What is left out is the healthy version's: a tenth of the
 * error-rate threshold as 5xx, p99 at half the latency threshold, every target healthy.
 */
export interface NewVersionBehaviour {
  /** 5xx as a multiple of the error-rate threshold. */
  readonly errorRateFactor?: number;
  /** p99 response time as a multiple of the latency threshold. */
  readonly p99Factor?: number;
  /** One request in this many refused by its target (a crashed task of this many). */
  readonly refusedOneIn?: number;
  /** Unhealthy targets in the new version's group from the minute after the shift. */
  readonly unhealthyTargets?: number;
  /** One stray 5xx this many minutes after the shift. */
  readonly strayErrorAfterMinutes?: number;
}

/** A case the detection estimate runs: a bad version the alarms must catch, or a good one they must leave alone. */
export interface SensitivityScenario {
  readonly id: string;
  /** As the synth line says it: `5xx at 2x threshold`. */
  readonly label: string;
  readonly expect: "alarm" | "quiet";
  readonly newVersion: NewVersionBehaviour;
  /** Run at quiet hours' traffic (`minRequests - 1` a minute) instead of the floor and the realistic load. @default false */
  readonly quietHours?: boolean;
}

/**
 * One built-in alarm every service gets. The table of them (`ALARM_KINDS`, kinds/index.ts) is where the schema's
 * fields, the tier's thresholds, the analysis of a Kubernetes release and the names a custom alarm may not take come from.
 */
export interface AlarmKind<S extends string = string> {
  /** In the alarm's physical name (`<prefix>-<service>-<name>`), its resource name and the Argo analysis metric's name. */
  readonly name: string;
  /** The settings it reads, in the stack file's order, each with the values the schema accepts. */
  readonly settings: { readonly [K in S]: SettingRange };
  /**
   * The alarm over the service's target groups. The same definition over Argo's arguments (`{{args.load-balancer}}`,
   * one `{{args.target-group}}`) is the query of the analysis that aborts a Kubernetes release: one math, both judges.
   */
  define(targets: TrafficTargets, thresholds: Readonly<Record<S, number>>, period: number): AlarmDefinition;
  /** What is wrong with its settings beyond their ranges (a component's caller can pass any number), each naming its field. */
  problems?(thresholds: Readonly<Record<S, number>>): ArgumentProblem[];
  /** The bad versions it is there to catch and the good ones it must stay quiet for. @default none */
  readonly scenarios?: readonly SensitivityScenario[];
}

/** An alarm kind, its setting names kept as literal types (so the table can derive `Thresholds` from them). */
export const alarmKind = <S extends string>(kind: AlarmKind<S>): AlarmKind<S> => kind;
