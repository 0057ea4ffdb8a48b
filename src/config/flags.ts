import type { RawFlag } from "./schema";

/** A problem in `release:flags`, its path relative to the flags map. */
export interface FlagProblem {
  readonly path: (string | number)[];
  readonly message: string;
  readonly got: unknown;
}

/** What the flag schema alone cannot say: dependencies exist, have no cycles and are on; variants and rules agree. */
export function flagProblems(flags: Readonly<Record<string, RawFlag>>): FlagProblem[] {
  const problems: FlagProblem[] = [];
  const add = (path: (string | number)[], message: string, got: unknown) => problems.push({ path, message, got });
  const names = Object.keys(flags).sort();
  for (const name of names) {
    const flag = flags[name];
    (flag.dependsOn ?? []).forEach((dependency, index) => {
      if (!(dependency in flags)) add([name, "dependsOn", index], `no flag named "${dependency}"`, dependency);
      else if (dependency === name) add([name, "dependsOn", index], "a flag cannot depend on itself", dependency);
      else if (flag.enabled && !flags[dependency].enabled) {
        add([name, "enabled"], `cannot be on while flags.${dependency}, which it depends on, is off`, flag.enabled);
      }
    });
    if (flag.variants) {
      const total = Object.values(flag.variants).reduce((sum, variant) => sum + variant.weight, 0);
      if (Math.abs(total - 100) > 1e-9) add([name, "variants"], "weights must sum to 100", total);
      if (flag.rollout) add([name, "rollout"], "use either rollout (on/off by percent) or variants (A/B weights), not both", flag.rollout);
      if (Object.keys(flag.variants).length < 2) add([name, "variants"], "an A/B test needs at least two variants", Object.keys(flag.variants));
      const types = new Set(Object.entries(flag.variants).map(([variant, { value }]) => typeof (value ?? variant)));
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
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      add([cycle[0], "dependsOn"], `dependency cycle ${cycle.join(" -> ")}`, flags[cycle[0]].dependsOn);
      return;
    }
    state.set(name, "visiting");
    for (const dependency of flags[name].dependsOn ?? []) {
      if (dependency in flags && dependency !== name) visit(dependency, [...trail, name]);
    }
    state.set(name, "done");
  };
  for (const name of names) visit(name, []);
  return problems;
}
