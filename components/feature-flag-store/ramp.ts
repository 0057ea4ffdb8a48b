import { type FlagDefinition, type Flags, rolloutPercent, toAppConfigDocument } from "./documents";

/** Minutes in a hold such as `30m` or `2h`. */
export function holdMinutes(hold: string): number {
  const match = /^(\d+)([mh])$/.exec(hold);
  if (!match) throw new Error(`not a duration: ${hold}`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
}

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

/** The AppConfig document of each step after the first, in order: what the ramp deploys. */
export function rampDocuments(flags: Flags): { step: RampStep; document: string }[] {
  return rampSteps(flags)
    .slice(1)
    .map((step) => ({ step, document: JSON.stringify(toAppConfigDocument(flagsAtStep(flags, step))) }));
}

/** The final percentage a flag reaches: its ramp's last stage, or its percentage. */
export function finalPercent(flag: FlagDefinition): number {
  return flag.rollout?.stages?.[flag.rollout.stages.length - 1] ?? rolloutPercent(flag);
}
