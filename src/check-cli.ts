import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { judgeStack, report, reportJson, reportSarif } from "../policy/evaluate";
import { environmentOfStack, policyResources, servicesByResource } from "../policy/from-synth";
import { RULES } from "../policy/rules";
import { readSuppressions, SuppressionsError } from "../policy/suppressions";
import { choice, emit, runCommand, text, usage, userPath } from "./command";
import { ConfigError } from "./config/problems";
import { environmentStackReference, PROJECT_NAMESPACE } from "./config/source";
import type { SynthDocument } from "./synth/capture";
import { diffDocuments } from "./synth/diff";
import { readSynthDocument } from "./synth/document-file";
import { toConfigValues } from "./synth/stack-file";
import { PROJECT_ROOT, readStackOutputs, stackFilePath, stacksDirectory, synthesizeStack } from "./synth/run";

/** The environment stack a service stack file joins (`release:environment.stackReference`), if it is one: as the loader reads it. */
function environmentReference(stackFileText: string): string | undefined {
  const config = (parse(stackFileText) as { config?: Record<string, unknown> } | null)?.config ?? {};
  return environmentStackReference(toConfigValues(config, PROJECT_NAMESPACE).values);
}

/** The deployed resources (base) that the head deletes: removed, or replaced (a replacement deletes the old one). */
function deletedResources(base: SynthDocument, head: SynthDocument) {
  const going = new Set(
    diffDocuments(base, head)
      .resources.filter((change) => change.kind === "removed" || change.kind === "replaced")
      .map((change) => change.moved?.from ?? change.urn),
  );
  return policyResources(base).filter((resource) => going.has(resource.urn));
}

const USAGE = `usage: npm run check -- <stack> [--config-file <path>] [--env-values <file.json>] [--stack-outputs <file.json>]
                         [--format text|json|sarif] [--out <file>] [--suppressions <file>] [--base <deployed.json>]

  synthesizes the stack offline and runs every policy rule over it
  --format    text (default) for people; json for tools; sarif for GitHub code scanning
              (upload with github/codeql-action/upload-sarif; results point at the stack file)
  --out       write the report to this file instead of stdout
  --suppressions  accepted exceptions (default policy/suppressions.yaml)
  --stack-outputs JSON of referenced stacks' outputs, as for synth; a service stack's check judges its path
              through the environment's load balancer from the environment's contract there
  --base      the synth JSON of what is deployed (e.g. the pull request's base): the rules on what this change
              deletes (production-keeps-protected-resources) compare the two
A split stack's rules judge what the stack holds and list as SKIPPED, with why, what only the other stack's check sees.
Warnings (e.g. placeholder ids for a stack reference) go to stderr, whatever the format.
exit codes: 0 no mandatory violation, 1 a mandatory violation or invalid config (or policy/suppressions.yaml), 2 bad usage`;

runCommand({
  name: "check",
  usage: USAGE,
  options: {
    "config-file": { type: "string" },
    "env-values": { type: "string" },
    "stack-outputs": { type: "string" },
    base: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    suppressions: { type: "string" },
  },
  async run(values, positionals) {
    const format = choice("format", text(values.format), ["text", "json", "sarif"], { sarif2: "sarif", "code-scanning": "sarif" }) ?? "text";
    if (positionals.length !== 1) throw usage(positionals.length === 0 ? "which stack? e.g. npm run check -- production" : `expected one stack, got ${positionals.length}: ${positionals.join(" ")}`);
    const [stack] = positionals;
    const source = { stack, configFile: text(values["config-file"]), envValuesFile: text(values["env-values"]), stackOutputsFile: text(values["stack-outputs"]) };
    const baseFile = text(values.base);
    const base = baseFile === undefined ? undefined : readSynthDocument(baseFile, "--base ");
    const document = await synthesizeStack(source);
    for (const diagnostic of document.diagnostics) process.stderr.write(`${diagnostic.severity}: ${diagnostic.message}\n`);
    const given = text(values.suppressions);
    const suppressionsFile = given ? userPath(given) : join(PROJECT_ROOT, "policy", "suppressions.yaml");
    let suppressions;
    try {
      suppressions = readSuppressions(suppressionsFile, RULES.map((rule) => rule.id));
    } catch (error) {
      // A bad suppressions file is bad config: its problems, exit 1, no stack trace.
      if (error instanceof SuppressionsError) throw new ConfigError(given ?? relative(PROJECT_ROOT, suppressionsFile), error.problems.map((problem) => ({ ...problem, secret: false })));
      throw error;
    }
    const deleted = base ? deletedResources(base, document) : [];
    const file = stackFilePath(source);
    // The contract the stack exports or joins: what a split stack's rules judge in place of the resources of the other stack.
    const environment = environmentOfStack(document, environmentReference(readFileSync(file.path, "utf8")), readStackOutputs(source.stackOutputsFile));
    const { violations, counts, skipped } = judgeStack(policyResources(document), stack, suppressions, RULES, deleted, environment);
    const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;
    emit(
      text(values.out),
      format === "json"
        ? reportJson(violations, { stack }, RULES, skipped)
        : format === "sarif"
          ? reportSarif(violations, { stack, stackFile: relative(stacksDirectory(), file.path), stackFileText: readFileSync(file.path, "utf8"), version, serviceOf: servicesByResource(document) }, RULES, skipped)
          : `${stack}: ${RULES.length} rules over ${document.resources.length} resources\n${report(violations, counts, skipped)}`,
    );
    return violations.some((violation) => violation.enforcement === "mandatory" && !violation.suppressedBecause) ? 1 : 0;
  },
});
