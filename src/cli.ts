import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { SynthDocument } from "./synth/capture";
import { diffDocuments, renderDiffMarkdown, renderDiffText } from "./synth/diff";
import { ConfigError } from "./config/load";
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

function diffCommand(files: string[], format: string): number {
  if (files.length !== 2 || !["text", "markdown"].includes(format)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const [base, head] = files.map(readDocument);
    const diff = diffDocuments(base, head);
    process.stdout.write(format === "markdown" ? renderDiffMarkdown(diff, head) : renderDiffText(diff));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "config-file": { type: "string" },
        format: { type: "string" },
        "stack-outputs": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals[0] === "diff") return diffCommand(positionals.slice(1), values.format ?? "text");
  if (positionals.length !== 1 || !["tree", "json"].includes(values.format ?? "tree")) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const document = await synthesizeStack({
      stack: positionals[0],
      configFile: values["config-file"],
      stackOutputsFile: values["stack-outputs"],
    });
    process.stdout.write((values.format ?? "tree") === "json" ? renderJson(document) : renderTree(document));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

// `npm run bench` reads the process's own peak memory from here.
if (process.env.RELEASE_REPORT_MAXRSS) process.on("exit", () => process.stderr.write(`maxrss-kb ${process.resourceUsage().maxRSS}\n`));

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`synth failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 3;
  },
);
