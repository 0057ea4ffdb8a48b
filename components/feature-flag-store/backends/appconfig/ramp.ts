/** A guarded ramp's steps as AppConfig documents, the record of the stage it reached, and what `pulumi up` deploys from there. */
import { createHash } from "node:crypto";
import type { Flags } from "../../flags/model";
import { flagsAtStep, rampOutpacing, type RampStep, rampSteps } from "../../flags/ramp-steps";
import { toAppConfigDocument } from "./document";

/** The AppConfig document of each step after the first, in order: what the ramp deploys. */
export function rampDocuments(flags: Flags): { step: RampStep; document: string }[] {
  return rampSteps(flags)
    .slice(1)
    .map((step) => ({ step, document: JSON.stringify(toAppConfigDocument(flagsAtStep(flags, step))) }));
}


/** One step of a ramp as the state machine deploys it. */
export interface FlagRampStep {
  /** The whole AppConfig document at this step, as JSON. */
  readonly document: string;
  /** Minutes to hold the previous step before deploying this one. */
  readonly holdMinutes: number;
  /** What the step changes, for people: `new-checkout 25%`. */
  readonly description: string;
  /** Every ramping flag's percentage once this step is deployed. */
  readonly percents: Readonly<Record<string, number>>;
}

/** The ramp's steps from the flags: each after its hold, described by what it changes. */
export function rampStepsForStore(flags: Flags): FlagRampStep[] {
  const steps = rampSteps(flags);
  return rampDocuments(flags).map(({ step, document }, index) => ({
    document,
    holdMinutes: step.atMinutes - steps[index].atMinutes,
    description: step.changed.map((key) => `${key} ${step.percents[key]}%`).join(", "),
    percents: step.percents,
  }));
}

/**
 * Where the ramp records the stage it has reached: an SSM parameter per flag environment. The state machine writes it
 * after each step's deployment completes; `pulumi up` reads it (a `getParametersByPath` invoke, which answers an empty
 * list, not an error, while the parameter does not exist yet: the first deploy) and writes it with what it deploys.
 * `aws.ssm.getParameter` would fail the first preview: SSM answers ParameterNotFound.
 */
export function rampRecordPath(applicationName: string, environmentName: string): string {
  return `/flag-ramps/${applicationName}/${environmentName}/`;
}
export const RAMP_RECORD_LEAF = "reached";

/** Each ramping flag's percentage, e.g. `{"new-checkout":25}`. */
export type RampPercents = Readonly<Record<string, number>>;

/** The record's value. */
export interface RampRecord {
  /** Each ramping flag's percentage as last deployed, by the ramp or by `pulumi up`. */
  readonly reached: RampPercents;
  /**
   * What `pulumi up` last deployed: a digest of the stack file's flags (`rampSource`) and the percentages it deployed
   * them at. While the flags are unchanged, `pulumi up` deploys that same document again (no new version, so a running
   * ramp is not superseded by a deploy that changed no flag).
   */
  readonly deployed: { readonly source: string; readonly percents: RampPercents };
}

/** JSON with every object's keys sorted: the same flags give the same text whatever the stack file's key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A digest of the stack file's flags, stages and holds included (the document alone shows only first stages). */
export function rampSource(flags: Flags): string {
  return createHash("sha256").update(canonical(flags)).digest("hex").slice(0, 16);
}

const isPercents = (value: unknown): value is RampPercents =>
  value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "number" && v >= 0 && v <= 100);

/** The record from the parameter's value; undefined when there is none yet. A value that is not a record is an error. */
export function parseRampRecord(value: string | undefined, name: string): RampRecord | undefined {
  if (value === undefined) return undefined;
  let parsed: { reached?: unknown; deployed?: { source?: unknown; percents?: unknown } } | undefined;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const valid = isPercents(parsed?.reached) && typeof parsed?.deployed?.source === "string" && isPercents(parsed.deployed.percents);
  if (!valid) {
    throw new Error(`SSM parameter ${name} holds ${JSON.stringify(value)}, not a ramp record ({"reached": {"flag": percent}, "deployed": {"source": "...", "percents": {...}}}); fix or delete it`);
  }
  return parsed as RampRecord;
}

/**
 * The flags as they stand when a ramp has reached `record`: each ramping flag starts at the percentage it reached (never
 * below it), its remaining stages are those above it with their holds, and a flag that reached its last stage is a plain
 * rollout at that stage. A ramp never goes back on its own: the one way down is to lower the stack file's last stage
 * below what was reached (then that last stage is served), to set `percent`, or the kill switch.
 */
export function flagsFromRecord(flags: Flags, record: RampPercents | undefined): Flags {
  if (!record) return flags;
  return Object.fromEntries(
    Object.entries(flags).map(([key, flag]) => {
      const stages = flag.rollout?.stages;
      const reached = record[key];
      if (!stages || reached === undefined || reached <= stages[0] || !flag.rollout) return [key, flag];
      const by = flag.rollout.by ? { by: flag.rollout.by } : {};
      const last = stages[stages.length - 1];
      if (reached >= last) return [key, { ...flag, rollout: { percent: last, ...by } }];
      const every = flag.rollout.every ?? "1m";
      const holds = typeof every === "string" ? undefined : every;
      const remaining = stages.map((stage, index) => ({ stage, index })).filter(({ stage }) => stage > reached);
      const rollout = {
        stages: [reached, ...remaining.map(({ stage }) => stage)],
        every: holds ? remaining.map(({ index }) => holds[index - 1] ?? holds[holds.length - 1]) : every,
        ...by,
      };
      return [key, { ...flag, rollout }];
    }),
  );
}

/**
 * What the record says once a document of `flags` is deployed: each enabled ramp's first stage. A flag that is off but
 * still declares stages keeps what it had reached, so turning it back on resumes its ramp; a flag that no longer ramps
 * is forgotten, so ramping it again later starts again.
 */
export function recordOf(flags: Flags, previous: RampPercents | undefined, percents: RampPercents): RampPercents {
  const record: Record<string, number> = {};
  for (const key of Object.keys(flags).sort()) {
    if (!flags[key].rollout?.stages) continue;
    if (percents[key] !== undefined) record[key] = percents[key];
    else if (previous?.[key] !== undefined) record[key] = previous[key];
  }
  return record;
}

/** An execution name for a ramp: the same steps give the same name, which Step Functions runs once (names are unique for 90 days). */
export function rampExecutionName(steps: readonly FlagRampStep[]): string {
  return `ramp-${createHash("sha256").update(JSON.stringify(steps)).digest("hex").slice(0, 16)}`;
}

/** What a ramp deploys once it has read the record. */
export interface RampPlan {
  /** The flags at the stages reached: the state machine ramps on from here. */
  readonly reached: Flags;
  /** The flags as `pulumi up` deploys them. */
  readonly deploy: Flags;
  /** The record `pulumi up` writes. */
  readonly record: RampRecord;
  /** Record entries of flags that do not ramp from here (off, or at their last stage), carried through the ramp's records. */
  readonly carried: Readonly<Record<string, number>>;
}

/**
 * What `pulumi up` deploys, from the stack file's flags and the record. Changed flags: every ramping flag at the stage
 * it reached. Unchanged flags (the record's `deployed.source`): the document it deployed last, again, so a deploy that
 * changed no flag creates no version and does not supersede a running ramp. Either way the ramp goes on from the stages
 * reached. Throws when from there a dependent flag would outpace its dependency.
 */
export function rampPlan(flags: Flags, record: RampRecord | undefined): RampPlan {
  const reached = flagsFromRecord(flags, record?.reached);
  const outpacing = rampOutpacing(reached);
  if (outpacing) {
    const { key, percent, dependency, dependencyPercent, atMinutes } = outpacing;
    throw new Error(
      `from the stages reached, ${key} would be at ${percent}% while ${dependency}, which it depends on, is at ${dependencyPercent}% (+${atMinutes}m); hold ${key}'s ramp until ${dependency} is ahead`,
    );
  }
  const source = rampSource(flags);
  const unchanged = record !== undefined && record.deployed.source === source;
  const deploy = unchanged ? flagsFromRecord(flags, record.deployed.percents) : reached;
  const firstPercents = (at: Flags) => rampSteps(at)[0]?.percents ?? {};
  const reachedRecord = recordOf(flags, record?.reached, firstPercents(reached));
  const deployed = unchanged ? record.deployed : { source, percents: recordOf(flags, record?.reached, firstPercents(deploy)) };
  const ramping = firstPercents(reached);
  const carried = Object.fromEntries(Object.entries(reachedRecord).filter(([key]) => ramping[key] === undefined));
  return { reached, deploy, record: { reached: reachedRecord, deployed }, carried };
}
