import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/problems";
import { renderJson } from "../src/synth/render";
import { load, shippedConfig, synth, type StackConfig } from "./helpers";

/**
 * Random mutations of the shipped stack files either synthesize or fail with the config error (every problem a line
 * `<file>: <path>: <what> (got <value>)`), never anything else and never after registering part of a stack.
 * Seeded, so CI runs the same cases every time; FUZZ_SEED and FUZZ_RUNS explore further.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...paths(item, [...prefix, index])));
  else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) out.push(...paths(inner, [...prefix, key]));
  }
  return out;
}

function parentOf(config: StackConfig, path: Path): Record<string | number, unknown> | undefined {
  let current: unknown = config;
  for (const key of path.slice(0, -1)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current !== null && typeof current === "object" ? (current as Record<string | number, unknown>) : undefined;
}

const oddValue = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", " ", "0", "-1", "true", "null", "[secret]", "vpc-", "subnet-0", "😀🚀", "\u0000", "a".repeat(5000), "é".repeat(300)),
  fc.integer(),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53, 0.1, 1441, 65536, 100.5, 3.0000001),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
);

type Mutation = (config: StackConfig) => void;

const setRandom = (pick: number, value: unknown): Mutation => (config) => {
  const all = paths(config);
  const path = all[pick % all.length];
  const parent = parentOf(config, path);
  if (parent) parent[path[path.length - 1]] = value;
};

const removeRandom = (pick: number): Mutation => (config) => {
  const all = paths(config);
  const path = all[pick % all.length];
  const parent = parentOf(config, path);
  if (!parent) return;
  if (Array.isArray(parent)) parent.splice(Number(path[path.length - 1]), 1);
  else delete parent[path[path.length - 1]];
};

const renameRandom = (pick: number, name: string): Mutation => (config) => {
  const all = paths(config).filter((path) => typeof path[path.length - 1] === "string");
  const path = all[pick % all.length];
  const parent = parentOf(config, path);
  if (!parent || Array.isArray(parent)) return;
  const key = path[path.length - 1];
  parent[name] = parent[key];
  delete parent[key];
};

const duplicatePriority: Mutation = (config) => {
  const services = config["release:services"] as Record<string, { priority: number }> | undefined;
  const list = Object.values(services ?? {});
  if (list.length >= 2) list[1].priority = list[0].priority;
};

const flagCycle: Mutation = (config) => {
  const flags = (config["release:flags"] ??= {}) as Record<string, Record<string, unknown>>;
  if (flags === null || typeof flags !== "object" || Array.isArray(flags)) return;
  const base = { description: "d", owner: "o", expires: "2030-01-01", enabled: true };
  flags.alpha = { ...base, dependsOn: ["beta"] };
  flags.beta = { ...base, dependsOn: ["alpha"] };
};

/** A plausible number at a numeric leaf: often still valid, so the components' own checks get exercised too. */
const tweakNumber = (pick: number, value: number): Mutation => (config) => {
  const numeric = paths(config).filter((path) => typeof parentOf(config, path)?.[path[path.length - 1]] === "number");
  if (numeric.length === 0) return;
  const path = numeric[pick % numeric.length];
  (parentOf(config, path) as Record<string | number, unknown>)[path[path.length - 1]] = value;
};

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constantFrom(80, 443, 2772, 256, 512, 1024, 2048, 4096, 1440, 9000))).map(([pick, value]) => tweakNumber(pick, value)) },
  { weight: 5, arbitrary: fc.tuple(fc.nat(), oddValue).map(([pick, value]) => setRandom(pick, value)) },
  { weight: 3, arbitrary: fc.nat().map(removeRandom) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom("Checkout", "a b", "x".repeat(60), "ünïcode"))).map(([pick, name]) => renameRandom(pick, name)) },
  { weight: 1, arbitrary: fc.constant(duplicatePriority) },
  { weight: 1, arbitrary: fc.constant(flagCycle) },
);

const LINE = /^Pulumi\.(dev|staging|production)\.yaml: (release:|release-platform:|aws:region)[^\n]*: .+ \(got .*\)$/s;

describe("config fuzzing", () => {
  it(`${RUNS} mutated stack files synthesize or fail with the config error`, async () => {
    let valid = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("dev", "staging", "production"), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (stack, mutations) => {
        const config = shippedConfig(stack);
        for (const mutate of mutations) mutate(config);
        let error: unknown;
        try {
          load(config, stack);
        } catch (caught) {
          error = caught;
        }
        if (error !== undefined) {
          invalid++;
          expect(error).toBeInstanceOf(ConfigError);
          const message = (error as Error).message;
          expect(message.length).toBeGreaterThan(0);
          for (const line of message.split(/\n(?=Pulumi\.)/)) expect(line).toMatch(LINE);
          expect(message).not.toMatch(/\n\s+at /);
          return;
        }
        valid++;
        const document = await synth(config, stack);
        expect(document.resources.length).toBeGreaterThan(10);
        expect(renderJson(document).length).toBeGreaterThan(0);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (process.env.FUZZ_REPORT) console.info(`fuzz: ${valid} synthesized, ${invalid} refused`);
    // Both outcomes are exercised, or the property says little.
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
  }, 240_000);
});
