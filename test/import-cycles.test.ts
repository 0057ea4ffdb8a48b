import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import madge from "madge";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");

/**
 * The import graph as madge reads it: TypeScript files, type-only imports included (`import type` ties two modules
 * as much for a reader as a value import does, and the review counted them).
 */
async function graph(directory: string, paths: string[]) {
  return madge(paths, {
    baseDir: directory,
    fileExtensions: ["ts"],
    tsConfig: join(ROOT, "tsconfig.json"),
    detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
  });
}

describe("import cycles", () => {
  it("components/, src/ and policy/ import each other without a cycle", async () => {
    const result = await graph(ROOT, ["components", "src", "policy"]);
    // The walk did see the modules and their imports (a graph of nothing has no cycle either).
    const modules = result.obj();
    expect(Object.keys(modules).length).toBeGreaterThan(80);
    expect(modules["components/blue-green-service/blue-green-service.ts"]).toContain("components/service/settings.ts");
    expect(result.circular()).toEqual([]);
  }, 60_000);

  describe("the check itself", () => {
    const fixture = mkdtempSync(join(tmpdir(), "import-cycles-"));
    afterAll(() => rmSync(fixture, { recursive: true, force: true }));

    it("finds a cycle made of type-only imports", async () => {
      writeFileSync(join(fixture, "a.ts"), 'import type { B } from "./b";\nexport interface A { readonly b?: B }\n');
      writeFileSync(join(fixture, "b.ts"), 'import type { A } from "./a";\nexport interface B { readonly a?: A }\n');
      writeFileSync(join(fixture, "c.ts"), 'import type { A } from "./a";\nexport type C = A;\n');
      const result = await graph(fixture, [fixture]);
      expect(result.circular()).toEqual([["a.ts", "b.ts"]]);
    }, 60_000);
  });
});
