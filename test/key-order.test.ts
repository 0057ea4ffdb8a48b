import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { renderJson } from "../src/synth/render";
import { PROJECT_ROOT, synthesizeStack } from "../src/synth/run";

/** A small deterministic generator, so a failure names a shuffle that can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The same document with the keys of every map reordered (lists keep their order: there it carries meaning). */
function reordered(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => reordered(item, order));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(order(Object.keys(record)).map((key) => [key, reordered(record[key], order)]));
}

function shuffle(seed: number): (keys: string[]) => string[] {
  const random = generator(seed);
  return (keys) => {
    const copy = [...keys];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [copy[index], copy[other]] = [copy[other], copy[index]];
    }
    return copy;
  };
}

// As the Pulumi CLI hands object config to a program: its Go config objects marshal through encoding/json, keys sorted.
const sorted = (keys: string[]) => [...keys].sort();

const STACKS = [
  { stack: "dev", file: "Pulumi.dev.yaml" },
  { stack: "staging", file: "Pulumi.staging.yaml" },
  { stack: "production", file: "Pulumi.production.yaml" },
  { stack: "eks", file: "examples/kubernetes/Pulumi.eks.yaml" },
];

async function synthJson(stack: string, text: string): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), "release-order-")), `Pulumi.${stack}.yaml`);
  writeFileSync(path, text);
  return renderJson(await synthesizeStack({ stack, configFile: path }));
}

describe("offline equals deployed: nothing synthesized depends on the order of keys in a map", () => {
  it.each(STACKS)("$file synthesizes to the same JSON with keys sorted (as pulumi up passes them) and shuffled at every level", async ({ stack, file }) => {
    const document = parse(readFileSync(join(PROJECT_ROOT, file), "utf8")) as unknown;
    const original = await synthJson(stack, stringify(document));
    expect(await synthJson(stack, stringify(reordered(document, sorted)))).toBe(original);
    for (const seed of [1, 2, 3]) expect(await synthJson(stack, stringify(reordered(document, shuffle(seed))))).toBe(original);
  });
});
