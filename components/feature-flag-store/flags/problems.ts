import type { ArgumentProblem } from "../../arguments";
import { renderedLength, toAppConfigDocument } from "../backends/appconfig/document";
import { acyclicMemo, bucketing, dependenciesServe, type FlagDefinition, type Flags, finalPercent, holdMinutes, not, sortedKeys, variantWeight } from "./model";
import { rampOutpacing } from "./ramp-steps";
import type { ReleaseFlagStoreArgs } from "../../release-environment/args";
import { DEFAULT_FLAG_BACKEND, FLAG_BACKENDS } from "../backends";

/** Which store serves the flags: a ramp needs a backend that ramps and versions Pulumi makes. */
export interface FlagStoreKind {
  /** @default "appconfig" */
  readonly backend?: ReleaseFlagStoreArgs["backend"];
  /** @default "pulumi" */
  readonly ownership?: "pulumi" | "console";
}

/** A ramp holds each stage at least a minute and at most a week (a Step Functions Wait state waits up to a year). */
const MAX_HOLD_MINUTES = 7 * 24 * 60;

/**
 * What the flag schema alone cannot say: dependencies exist, have no cycles and are on, are on/off flags, and a
 * dependent rollout can be a subset of its dependencies' users; ramps rise; variants, defaults and rules agree.
 */
export function flagsProblems(flags: Flags, store: FlagStoreKind = {}): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const add = (field: (string | number)[], message: string, got: unknown) => problems.push({ field, message, got });
  const names = Object.keys(flags).sort();
  const ramps = FLAG_BACKENDS[store.backend ?? DEFAULT_FLAG_BACKEND].capabilities.ramp;
  for (const name of names) {
    const flag = flags[name];
    (flag.dependsOn ?? []).forEach((dependency, index) => {
      if (!(dependency in flags)) add([name, "dependsOn", index], `no flag named "${dependency}"`, dependency);
      else if (dependency === name) add([name, "dependsOn", index], "a flag cannot depend on itself", dependency);
      else if (flag.enabled && !flags[dependency].enabled) {
        add([name, "enabled"], `cannot be on while flags.${dependency}, which it depends on, is off`, flag.enabled);
      } else if (flags[dependency].variants) {
        add([name, "dependsOn", index], `flags.${dependency} is an A/B test; a flag can depend only on on/off flags`, dependency);
      } else if (flag.rollout && !flag.variants && flags[dependency].rollout && finalPercent(flag) > finalPercent(flags[dependency])) {
        add(
          [name, "rollout"],
          `reaches ${finalPercent(flag)}%, above the ${finalPercent(flags[dependency])}% of flags.${dependency}, which it depends on: its users are a subset of ${dependency}'s`,
          flag.rollout,
        );
      }
    });
    problems.push(...dependentBucketingProblems(flags, name));
    problems.push(...rampProblems(name, flag));
    if (flag.rollout?.stages && (!ramps || store?.ownership === "console")) {
      const why = !ramps ? `flagStore.backend is ${store.backend}` : "flagStore.ownership is console (people make its versions)";
      add([name, "rollout", "stages"], `a ramp is deployed by the AppConfig store's state machine, and ${why}; use percent`, flag.rollout.stages);
    }
    if (flag.defaultVariant !== undefined && !(flag.variants && Object.hasOwn(flag.variants, flag.defaultVariant))) {
      add([name, "defaultVariant"], flag.variants ? `expected one of ${sortedKeys(flag.variants).join(", ")}` : "applies to variants only", flag.defaultVariant);
    } else if (flag.defaultVariant === undefined && flag.variants && Object.keys(flag.variants).length > 1) {
      // Order in the file is no order at all: `pulumi up` receives the map with its keys sorted (Go's encoding/json).
      add([name, "defaultVariant"], `required with ${Object.keys(flag.variants).length} variants: name the one served by default (one of ${sortedKeys(flag.variants).join(", ")}); the order of keys in the stack file does not reach the program`, undefined);
    }
    if (flag.variants) {
      const total = Object.values(flag.variants).reduce((sum: number, variant) => sum + variantWeight(variant), 0);
      if (Math.abs(total - 100) > 1e-9) add([name, "variants"], "weights must sum to 100", total);
      if (flag.rollout) add([name, "rollout"], "use either rollout (on/off by percent) or variants (A/B weights), not both", flag.rollout);
      if (Object.keys(flag.variants).length < 2) add([name, "variants"], "an A/B test needs at least two variants", Object.keys(flag.variants));
      const types = new Set(Object.entries(flag.variants).map(([variant, spec]) => typeof (typeof spec === "number" ? variant : (spec.value ?? variant))));
      if (types.size > 1) add([name, "variants"], `variant values must all be one type (flagd requires it); got ${[...types].sort().join(" and ")}`, flag.variants);
    }
    if (flag.bucketBy && !flag.variants) add([name, "bucketBy"], "applies to variants only; a rollout buckets by rollout.by", flag.bucketBy);
    const served = new Set(flag.variants ? Object.keys(flag.variants) : ["on", "off"]);
    (flag.rules ?? []).forEach((rule, index) => {
      const operators = [rule.equals, rule.in, rule.startsWith].filter((op) => op !== undefined).length;
      if (operators !== 1) add([name, "rules", index], "give exactly one of equals, in, startsWith", rule);
      if (!served.has(rule.serve)) add([name, "rules", index, "serve"], `expected one of ${[...served].join(", ")}`, rule.serve);
    });
  }
  // Cycles: depth-first search, reporting each cycle once at its first flag.
  const state = new Map<string, "visiting" | "done">();
  // One trail, pushed and popped: a copy per step made a long chain quadratic.
  const trail: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      add([cycle[0], "dependsOn"], `dependency cycle ${cycle.join(" -> ")}`, flags[cycle[0]].dependsOn);
      return;
    }
    state.set(name, "visiting");
    trail.push(name);
    for (const dependency of flags[name].dependsOn ?? []) {
      if (dependency in flags && dependency !== name) visit(dependency);
    }
    trail.pop();
    state.set(name, "done");
  };
  for (const name of names) visit(name);
  if (problems.length === 0) problems.push(...ruleLengthProblems(flags));
  // Every step of the ramps, not only the final percentages: a dependent ahead of its dependency mid-ramp gets all of its users.
  const outpacing = problems.length === 0 ? rampOutpacing(flags) : undefined;
  if (outpacing) {
    const { key, percent, dependency, dependencyPercent, atMinutes } = outpacing;
    add(
      [key, "rollout"],
      `would be at ${percent}% while flags.${dependency}, which it depends on, is at ${dependencyPercent}% (${atMinutes} min into the ramp): a dependent must not outpace its dependency at any step; hold it longer or ramp ${dependency} sooner`,
      flags[key].rollout,
    );
  }
  return problems;
}

/** AppConfig takes variant rules of at most 1024 characters; a dependency's rules are repeated in its dependents'. */
const MAX_RULE_LENGTH = 1024;

function ruleLengthProblems(flags: Flags): ArgumentProblem[] {
  // A flag's rule repeats its dependencies' conditions: measured first without writing them out, so a long chain of
  // dependent rollouts (each over the limit) costs one pass, not a document of N rules of N conditions each.
  const guards = Object.keys(flags)
    .sort()
    .flatMap((key) => {
      // A flag that is off serves off to everyone, with no rule at all.
      if (!flags[key].enabled) return [];
      const guard = dependenciesServe(flags, key);
      const length = guard.kind === "always" || guard.kind === "never" ? 0 : renderedLength(not(guard));
      return length > MAX_RULE_LENGTH
        ? [{ field: [key], message: `its AppConfig rule would be ${length} characters, above AppConfig's ${MAX_RULE_LENGTH}: shorten the rules of it or of what it depends on`, got: length }]
        : [];
    });
  if (guards.length > 0) return guards;
  const values = toAppConfigDocument(flags).values as Record<string, { _variants?: { rule?: string }[] }>;
  return Object.keys(values)
    .sort()
    .flatMap((key) => {
      const longest = Math.max(0, ...(values[key]._variants ?? []).map((variant) => variant.rule?.length ?? 0));
      return longest > MAX_RULE_LENGTH
        ? [{ field: [key], message: `its AppConfig rule would be ${longest} characters, above AppConfig's ${MAX_RULE_LENGTH}: shorten the rules of it or of what it depends on`, got: longest }]
        : [];
    });
}

/** A dependent rollout buckets with its dependencies' seed and attribute; it cannot when they differ. */
function dependentBucketingProblems(flags: Flags, name: string): ArgumentProblem[] {
  const flag = flags[name];
  const typed = flags;
  const rollouts = (flag.dependsOn ?? []).filter((dependency) => flags[dependency]?.rollout && !flags[dependency].variants && dependency !== name);
  if (!flag.rollout || flag.variants || rollouts.length === 0 || hasCycle(flags, name)) return [];
  const roots = [...new Set(rollouts.map((dependency) => bucketing(typed, dependency).seed))];
  const problems: ArgumentProblem[] = [];
  if (roots.length > 1) {
    problems.push({
      field: [name, "dependsOn"],
      message: `depends on rollouts bucketed by different flags (${roots.join(", ")}): a user would be in all of them only by chance; make one depend on the other`,
      got: flag.dependsOn,
    });
  }
  const { by } = bucketing(typed, rollouts[0]);
  if (flag.rollout.by !== undefined && flag.rollout.by !== by) {
    problems.push({ field: [name, "rollout", "by"], message: `must be ${by}, the attribute ${rollouts[0]} buckets by, so its users are a subset`, got: flag.rollout.by });
  }
  return problems;
}

function hasCycle(flags: Flags, start: string): boolean {
  if (acyclicMemo(flags)) return false;
  const stack = [...(flags[start].dependsOn ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (next === start) return true;
    if (seen.has(next) || !(next in flags)) continue;
    seen.add(next);
    stack.push(...(flags[next].dependsOn ?? []));
  }
  return false;
}

/** `percent` or `stages`; stages rise; one hold, or one per stage after the first. */
function rampProblems(name: string, flag: FlagDefinition): ArgumentProblem[] {
  const rollout = flag.rollout;
  if (!rollout) return [];
  const problems: ArgumentProblem[] = [];
  const add = (field: (string | number)[], message: string, got: unknown) => problems.push({ field: [name, "rollout", ...field], message, got });
  if (rollout.stages === undefined) {
    if (rollout.percent === undefined) add(["percent"], "give percent, or stages and every for a ramp", rollout);
    if (rollout.every !== undefined) add(["every"], "applies to stages only", rollout.every);
    return problems;
  }
  if (rollout.percent !== undefined) add(["percent"], "use either percent or stages, not both (the ramp starts at its first stage)", rollout.percent);
  rollout.stages.forEach((stage, index) => {
    if (index > 0 && stage <= rollout.stages![index - 1]) add(["stages", index], `must be above the stage before (${rollout.stages![index - 1]}): a ramp only rises`, stage);
  });
  if (rollout.every === undefined) add(["every"], "a ramp needs every: how long each stage holds (e.g. 30m)", undefined);
  const holds = typeof rollout.every === "string" ? [rollout.every] : (rollout.every ?? []);
  if (Array.isArray(rollout.every) && rollout.every.length !== rollout.stages.length - 1) {
    add(["every"], `give one hold per stage after the first (${rollout.stages.length - 1})`, rollout.every);
  }
  holds.forEach((hold, index) => {
    if (holdMinutes(hold) > MAX_HOLD_MINUTES) add(typeof rollout.every === "string" ? ["every"] : ["every", index], `at most 7 days (${MAX_HOLD_MINUTES}m)`, hold);
  });
  return problems;
}
