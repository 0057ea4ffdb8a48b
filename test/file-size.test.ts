import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");

/** A source file past this many lines holds more than one concern: split it by what each part makes. */
const MAX_LINES = 400;

/** Non-test TypeScript files under `folder`, as paths from the project root. */
function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** Lines as `wc -l` counts them. */
function lineCount(path: string): number {
  const text = readFileSync(join(ROOT, path), "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

describe("file size", () => {
  const files = ["components", "src", "policy", "bench"].flatMap(sourceFiles).sort();

  it(`no source file under components/, src/, policy/ or bench/ is over ${MAX_LINES} lines`, () => {
    // The walk did see the sources (a walk of nothing has no long file either).
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain("components/environment/environment.ts");
    const over = files
      .map((path) => ({ path, lines: lineCount(path) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ path, lines }) => `${path}: ${lines} lines`);
    expect(over).toEqual([]);
  });
});
