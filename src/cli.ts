import { readdirSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { choice, emit, runCommand, text } from "./command";
import { ConfigError } from "./config/problems";
import type { SynthDocument } from "./synth/capture";
import { diffDocuments, renderDiffMarkdown, renderDiffText } from "./synth/diff";
import { readSynthDocument } from "./synth/document-file";
import { synthesizeProject } from "./synth/program-dir";
import { renderJson, renderTree } from "./synth/render";
import { UsageError } from "./errors";
import { stacksDirectory, synthesizeStack } from "./synth/run";

const USAGE = `usage: npm run synth -- <stack> [--config-file <path>] [--format tree|json] [--stack-outputs <file.json>]
                         [--env-values <file.json>] [--out <file>]
       npm run synth -- <stack> --program <dir> [--config-file <path>] [--format tree|json] [--stack-outputs <file.json>] [--out <file>]
       npm run synth -- diff <base.json> <head.json> [--format text|markdown] [--exit-code] [--out <file>]
       (or: npx release-platform synth ...)

  <stack>            a stack with a Pulumi.<stack>.yaml next to the nearest Pulumi.yaml (dev, staging, production here)
  --config-file      a stack file elsewhere, synthesized as <stack>
  --program          another Pulumi project's program (its Pulumi.yaml's main, e.g. a team's own composing the
                     components) under the same mocks, with its Pulumi.<stack>.yaml (or --config-file) as its config
  --format           tree (default) for people, json for tools (the contract in docs/json-contract.md)
  --stack-outputs    JSON of referenced stacks' outputs: {"org/network/production": {"vpcId": "vpc-...", ...}}
  --env-values       the JSON \`esc env open <org>/<env>\` prints, for a stack file that imports ESC environments
  --out              write the result to this file instead of stdout (npm prints its own banner on stdout)
  diff               compares two synth JSON documents: resources added, removed and changed, by component,
                     with the settings reviewers care about first; markdown ends with a Mermaid diagram
  --exit-code        diff only: exit 1 when the documents differ, like git diff --exit-code
  --version          the version of release-platform

Relative paths are taken from the directory you ran the command in.
exit codes: 0 synthesized (diff: no change, or any change without --exit-code), 1 invalid config or arguments (diff --exit-code:
changes), 2 bad usage`;

function knownStacks(): string {
  const stacks = readdirSync(stacksDirectory())
    .map((file) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
  return stacks.join(", ") || "none";
}

// `npm run bench` reads the process's own peak memory from here.
if (process.env.RELEASE_REPORT_MAXRSS) process.on("exit", () => process.stderr.write(`maxrss-kb ${process.resourceUsage().maxRSS}\n`));

runCommand({
  name: "synth",
  usage: USAGE,
  options: {
    "config-file": { type: "string" },
    format: { type: "string" },
    "stack-outputs": { type: "string" },
    "env-values": { type: "string" },
    out: { type: "string" },
    "exit-code": { type: "boolean" },
    program: { type: "string" },
  },
  async run(values, positionals) {
    const out = text(values.out);
    if (positionals[0] === "diff") {
      const format = choice("format", text(values.format), ["text", "markdown"], { json: "diff reads JSON; it writes text or markdown", md: "markdown" });
      const files = positionals.slice(1);
      if (files.length !== 2) {
        throw new UsageError(`diff needs two synth JSON files, base then head (got ${files.length}${files.length ? `: ${files.join(" ")}` : ""})`);
      }
      for (const option of ["config-file", "stack-outputs", "env-values", "program"]) {
        if (values[option] !== undefined) throw new UsageError(`--${option} does not apply to diff, which compares two synth JSON files`);
      }
      const [base, head] = files.map((file) => readSynthDocument(file));
      const diff = diffDocuments(base, head);
      emit(out, format === "markdown" ? renderDiffMarkdown(diff, head) : renderDiffText(diff));
      return values["exit-code"] && diff.resources.length > 0 ? 1 : 0;
    }
    const format = choice("format", text(values.format), ["tree", "json"], {
      yaml: "json is YAML too: any YAML parser reads it",
      text: "the text form is tree",
      markdown: "markdown is for diff: npm run synth -- diff <base.json> <head.json> --format markdown",
    });
    if (values["exit-code"]) throw new UsageError("--exit-code applies to diff only");
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? `which stack? give one of: ${knownStacks()}`
          : `expected one stack, got ${positionals.length}: ${positionals.join(" ")} (to compare two synth files: npm run synth -- diff <base.json> <head.json>)`,
      );
    }
    const programDirectory = text(values.program);
    if (programDirectory !== undefined && values["env-values"] !== undefined) {
      throw new UsageError("--env-values reads ESC values into release-platform's own stacks; with --program, put the values in the stack file");
    }
    let document: SynthDocument;
    try {
      document = programDirectory
        ? await synthesizeProject({ stack: positionals[0], programDirectory, configFile: text(values["config-file"]), stackOutputsFile: text(values["stack-outputs"]) })
        : await synthesizeStack({
            stack: positionals[0],
            configFile: text(values["config-file"]),
            stackOutputsFile: text(values["stack-outputs"]),
            envValuesFile: text(values["env-values"]),
          });
    } catch (error) {
      // A program's own refusals (a component's bad argument, a missing config value) are the user's to fix, as config is.
      if (programDirectory === undefined || error instanceof ConfigError || !pulumi.RunError.isInstance(error)) throw error;
      process.stderr.write(`${programDirectory}: ${(error as Error).message}\n`);
      // The SDK rejects more of its own promises with the same error once the program has failed; unhandled, Node
      // would print each with a crash dump after the message above. Said once is enough.
      process.on("unhandledRejection", (reason) => {
        if (pulumi.RunError.isInstance(reason)) return;
        process.stderr.write(`synth failed: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
        process.exitCode = 3;
      });
      return 1;
    }
    // Warnings on stderr whatever the format, so stdout stays the result and `--out` runs (CI) still show them.
    for (const diagnostic of document.diagnostics) process.stderr.write(`${diagnostic.severity}: ${diagnostic.message}\n`);
    emit(out, format === "json" ? renderJson(document) : renderTree(document));
    return 0;
  },
});
