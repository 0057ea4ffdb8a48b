import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand, usage } from "./command";
import { configReferenceMarkdown, stackFileJsonSchemaText } from "./config/json-schema";
import { PROJECT_ROOT } from "./synth/run";

const USAGE = `usage: npm run schema [-- --check]

  writes docs/stack-file.schema.json (the JSON Schema of a stack file, for editors) and docs/config-reference.md,
  both generated from src/config/schema.ts
  --check    write nothing; exit 1 when either file is out of date`;

const FILES: readonly [string, () => string][] = [
  ["docs/stack-file.schema.json", stackFileJsonSchemaText],
  ["docs/config-reference.md", configReferenceMarkdown],
];

runCommand({
  name: "schema",
  usage: USAGE,
  options: { check: { type: "boolean" } },
  run(values, positionals) {
    if (positionals.length > 0) throw usage(`schema takes no arguments (got ${positionals.join(" ")})`);
    const stale = FILES.filter(([file, generate]) => {
      const path = join(PROJECT_ROOT, file);
      let current = "";
      try {
        current = readFileSync(path, "utf8");
      } catch {
        current = "";
      }
      const wanted = generate();
      if (current === wanted) return false;
      if (!values.check) writeFileSync(path, wanted);
      return true;
    });
    for (const [file] of stale) process.stdout.write(`${values.check ? "out of date" : "wrote"} ${file}\n`);
    return values.check && stale.length > 0 ? 1 : 0;
  },
});
