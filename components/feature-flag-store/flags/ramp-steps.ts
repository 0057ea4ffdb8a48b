/** A ramp's timeline, whatever the backend: when each stage starts, and every flag's percentage at each step. */
import { type FlagDefinition, type Flags, holdMinutes, rolloutPercent } from "./model";

/** Each stage's start in minutes after the ramp starts (the first at 0); undefined when the flag does not ramp. */
export function stageStarts(flag: FlagDefinition): number[] | undefined {
  const stages = flag.rollout?.stages;
  const every = flag.rollout?.every;
  if (!stages || every === undefined) return undefined;
  const holds = typeof every === "string" ? stages.slice(1).map(() => every) : every;
  let at = 0;
  return stages.map((_, index) => (index === 0 ? 0 : (at += holdMinutes(holds[index - 1] ?? holds[holds.length - 1]))));
}

export interface RampStep {
  /** Minutes after the ramp starts, not counting the time each deployment takes. */
  readonly atMinutes: number;
  /** Every ramping flag's percentage from this step on. */
  readonly percents: Readonly<Record<string, number>>;
  /** The flags whose percentage this step changes. */
  readonly changed: readonly string[];
}

/**
 * One timeline for every ramping flag of a store, because all flags live in one AppConfig document and an environment
 * takes one deployment at a time. Step 0 is the stack file's document (each ramp at its first stage); the ramp deploys
 * the later steps. Empty when no flag ramps.
 */
export function rampSteps(flags: Flags): RampStep[] {
  const ramps = Object.keys(flags)
    .sort()
    .flatMap((key) => {
      const starts = stageStarts(flags[key]);
      return starts && flags[key].enabled ? [{ key, starts, stages: flags[key].rollout?.stages ?? [] }] : [];
    });
  if (ramps.length === 0) return [];
  const times = [...new Set(ramps.flatMap((ramp) => ramp.starts))].sort((a, b) => a - b);
  return times.map((atMinutes) => {
    const percents: Record<string, number> = {};
    const changed: string[] = [];
    for (const ramp of ramps) {
      const index = ramp.starts.filter((start) => start <= atMinutes).length - 1;
      percents[ramp.key] = ramp.stages[index];
      if (atMinutes > 0 && ramp.starts[index] === atMinutes) changed.push(ramp.key);
    }
    return { atMinutes, percents, changed: atMinutes === 0 ? Object.keys(percents) : changed };
  });
}

/** A dependent flag served above a flag it depends on at some step of the ramp (its users then are all of the dependency's). */
export interface RampOutpacing {
  readonly key: string;
  readonly percent: number;
  readonly dependency: string;
  readonly dependencyPercent: number;
  readonly atMinutes: number;
}

/** The first step at which a dependent flag outpaces a dependency (every step, not only the final percentages); else undefined. */
export function rampOutpacing(flags: Flags): RampOutpacing | undefined {
  for (const step of rampSteps(flags)) {
    for (const key of Object.keys(step.percents)) {
      for (const dependency of flags[key].dependsOn ?? []) {
        const dependencyFlag = flags[dependency];
        if (!dependencyFlag || dependencyFlag.variants) continue;
        const dependencyPercent = step.percents[dependency] ?? rolloutPercent(dependencyFlag);
        if (step.percents[key] > dependencyPercent) return { key, percent: step.percents[key], dependency, dependencyPercent, atMinutes: step.atMinutes };
      }
    }
  }
  return undefined;
}

/** The flags as they stand at one step: each ramping flag a plain rollout at the step's percentage. */
export function flagsAtStep(flags: Flags, step: RampStep): Flags {
  return Object.fromEntries(
    Object.entries(flags).map(([key, flag]) => {
      const percent = step.percents[key];
      if (percent === undefined || !flag.rollout) return [key, flag];
      return [key, { ...flag, rollout: { percent, ...(flag.rollout.by ? { by: flag.rollout.by } : {}) } }];
    }),
  );
}
