/**
 * The built-in alarm kinds, in the order every service's alarms are made (and their composite lists them). Adding a
 * kind: its file here, its line in ALARM_KINDS, its thresholds in each tier (tiers.ts); docs/extending.md.
 */
import { errorRate } from "./error-rate";
import type { AlarmKind } from "./kind";
import { p99Latency } from "./p99-latency";
import { unhealthyHosts } from "./unhealthy-hosts";

export const ALARM_KINDS = [errorRate, p99Latency, unhealthyHosts] as const;

type SettingOf<K> = K extends AlarmKind<infer S> ? S : never;

function settingsOf<K extends readonly AlarmKind<string>[]>(kinds: K): readonly SettingOf<K[number]>[] {
  return kinds.flatMap((kind) => Object.keys(kind.settings)) as SettingOf<K[number]>[];
}

/** Every setting of the built-in alarm kinds, in the stack file's order: `errorRatePercent`, `minRequests`, ... */
export const ALARM_SETTINGS = settingsOf(ALARM_KINDS);

export type AlarmSetting = (typeof ALARM_SETTINGS)[number];

/** One number per setting of the built-in alarm kinds (`ALARM_SETTINGS`): the thresholds a service's alarms use. */
export type Thresholds = Readonly<Record<AlarmSetting, number>>;

/** The thresholds `given` sets, over `defaults` (a setting given as undefined is left to the default). */
export function thresholdsOver(defaults: Thresholds, given: Partial<Thresholds> | undefined): Thresholds {
  return Object.fromEntries(ALARM_SETTINGS.map((setting) => [setting, given?.[setting] ?? defaults[setting]])) as Record<AlarmSetting, number>;
}

/** The thresholds among an object's fields (the alarm args of a service carry them beside `custom` and `timing`). */
export function thresholdsOf(fields: Thresholds): Thresholds {
  return Object.fromEntries(ALARM_SETTINGS.map((setting) => [setting, fields[setting]])) as Record<AlarmSetting, number>;
}
