import { readFileSync } from "node:fs";
import { runCommand, text, usage } from "./command";
import type { SynthDocument } from "./synth/capture";
import { diffDocuments, renderDiffMarkdown, renderDiffText } from "./synth/diff";
import { renderJson, renderTree } from "./synth/render";
import { synthesizeStack, UsageError } from "./synth/run";

const USAGE = `usage: npm run synth -- <stack> [--config-file <path>] [--format tree|json] [--stack-outputs <file.json>]
       npm run synth -- diff <base.json> <head.json> [--format text|markdown]

  <stack>            dev, staging, production (reads Pulumi.<stack>.yaml)
  --config-file      a stack file elsewhere, synthesized as <stack>
  --format           tree (default) for people, json for tools (the contract in DESIGN.md)
  --stack-outputs    JSON of referenced stacks' outputs: {"org/network/production": {"vpcId": "vpc-...", ...}}
  diff               compares two synth JSON documents: resources added, removed and changed, by component,
                     with the settings reviewers care about first; markdown ends with a Mermaid diagram

exit codes: 0 synthesized, 1 invalid config, 2 bad usage`;

function readDocument(path: string): SynthDocument {
  let document: SynthDocument;
  try {
    document = JSON.parse(readFileSync(path, "utf8")) as SynthDocument;
  } catch (error) {
    throw new UsageError(`${path}: not a synth JSON document (${(error as Error).message.split("\n")[0]})`);
  }
  if (document?.version !== 1 || !Array.isArray(document.resources)) throw new UsageError(`${path}: not a synth JSON document (version 1)`);
  return document;
}

// `npm run bench` reads the process's own peak memory from here.
if (process.env.RELEASE_REPORT_MAXRSS) process.on("exit", () => process.stderr.write(`maxrss-kb ${process.resourceUsage().maxRSS}\n`));

runCommand({
  name: "synth",
  usage: USAGE,
  options: { "config-file": { type: "string" }, format: { type: "string" }, "stack-outputs": { type: "string" } },
  async run(values, positionals) {
    const format = text(values.format);
    if (positionals[0] === "diff") {
      if (positionals.length !== 3 || !["text", "markdown"].includes(format ?? "text")) throw usage(USAGE);
      const [base, head] = positionals.slice(1).map(readDocument);
      const diff = diffDocuments(base, head);
      process.stdout.write(format === "markdown" ? renderDiffMarkdown(diff, head) : renderDiffText(diff));
      return 0;
    }
    if (positionals.length !== 1 || !["tree", "json"].includes(format ?? "tree")) throw usage(USAGE);
    const document = await synthesizeStack({
      stack: positionals[0],
      configFile: text(values["config-file"]),
      stackOutputsFile: text(values["stack-outputs"]),
    });
    process.stdout.write(format === "json" ? renderJson(document) : renderTree(document));
    return 0;
  },
});
