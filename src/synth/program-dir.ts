import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as esbuild from "esbuild";
import { parse } from "yaml";
import { invocationDirectory, userPath } from "../command";
import { ConfigError } from "../config/problems";
import { synthesizeProgram, type SynthDocument } from "./capture";
import { UsageError } from "../errors";
import { readStackOutputs } from "./run";
import { readStackFile } from "./stack-file";

/** Another Pulumi project's program to synthesize: a team's own, composing the components with its own config. */
export interface ProgramSource {
  readonly stack: string;
  /** The project's directory, as the user typed it: where its Pulumi.yaml is. */
  readonly programDirectory: string;
  /** Defaults to Pulumi.<stack>.yaml in the project's directory. */
  readonly configFile?: string;
  /** A JSON file mapping stack reference names to their outputs. */
  readonly stackOutputsFile?: string;
}

/** What the Pulumi CLI reads of a project file to run a Node.js program: its name and entry module. */
export interface PulumiProject {
  readonly name: string;
  readonly main: string;
}

/**
 * A project's name and entry module as `pulumi up` finds them: `main` in Pulumi.yaml (a file, or a directory), else the
 * project's directory; a directory's entry is its package.json `main`, else index.ts or index.js.
 */
export function readPulumiProject(directory: string, display: string): PulumiProject {
  const path = join(directory, "Pulumi.yaml");
  if (!existsSync(path)) throw new UsageError(`--program ${display}: no Pulumi.yaml in ${directory}; give the directory of a Pulumi project`);
  const project = (parse(readFileSync(path, "utf8")) ?? {}) as { name?: unknown; runtime?: unknown; main?: unknown };
  const runtime = typeof project.runtime === "object" && project.runtime !== null ? (project.runtime as { name?: unknown }).name : project.runtime;
  if (runtime !== "nodejs") throw new UsageError(`--program ${display}: runtime ${JSON.stringify(runtime)} in Pulumi.yaml: only nodejs programs synthesize here`);
  if (typeof project.name !== "string") throw new UsageError(`--program ${display}: Pulumi.yaml has no name`);
  const main = join(directory, typeof project.main === "string" ? project.main : ".");
  return { name: project.name, main: entryModule(main, display) };
}

function entryModule(main: string, display: string): string {
  if (!existsSync(main)) throw new UsageError(`--program ${display}: main ${main} in Pulumi.yaml does not exist`);
  if (!statSync(main).isDirectory()) return main;
  const manifest = join(main, "package.json");
  const declared = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as { main?: unknown }).main : undefined;
  const candidates = [...(typeof declared === "string" ? [join(main, declared)] : []), join(main, "index.ts"), join(main, "index.js")];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  if (!found) throw new UsageError(`--program ${display}: no entry module in ${main} (package.json main, index.ts or index.js)`);
  return found;
}

/**
 * The program's module, compiled from TypeScript as the Pulumi CLI's loader would and evaluated as if it lived at its
 * entry: the packages it imports (`@pulumi/pulumi`, `release-platform`) resolve from its own directory, so with this
 * repository's node_modules they are the modules the mocks are set on.
 */
function loadProgram(entry: string): unknown {
  // A devDependency, as the commands themselves are bundled with it: --program runs from a clone only.
  const { buildSync } = require("esbuild") as typeof esbuild;
  const filename = realpathSync(entry);
  const result = buildSync({
    entryPoints: [filename],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    write: false,
    logLevel: "silent",
  });
  const module = new Module(filename);
  module.filename = filename;
  module.paths = (Module as unknown as { _nodeModulePaths(directory: string): string[] })._nodeModulePaths(dirname(filename));
  (module as unknown as { _compile(code: string, filename: string): void })._compile(result.outputFiles[0].text, filename);
  return module.exports;
}

/** Runs the entry's export as Pulumi does: a function (CommonJS `export =` or a default export) is called, anything else is the stack's outputs. */
async function runProgram(exported: unknown): Promise<Record<string, unknown>> {
  const program = typeof exported === "function" ? exported : (exported as { default?: unknown } | null)?.default;
  if (typeof program === "function") return ((await program()) ?? {}) as Record<string, unknown>;
  return { ...(exported as Record<string, unknown>) };
}

/**
 * The Pulumi SDK the program's `import "@pulumi/pulumi"` finds, as Node resolves it from the entry's directory: the
 * project's own copy (release-platform declares the SDK as a peer dependency, so the project has one copy and the
 * components use it too). This repository's copy when the project has none.
 */
export function projectSdk(entry: string): typeof pulumi {
  let path: string;
  try {
    path = createRequire(realpathSync(entry)).resolve("@pulumi/pulumi");
  } catch {
    return pulumi;
  }
  return require(path) as typeof pulumi;
}

/**
 * Synthesizes another project's program against one of its stack files, under the same mocks as this project's own
 * stacks. Its config is the stack file's, in every namespace; the document's tier is its environments' (empty when it
 * builds none, or environments of different tiers).
 */
export async function synthesizeProject(source: ProgramSource): Promise<SynthDocument> {
  const directory = userPath(source.programDirectory);
  const project = readPulumiProject(directory, source.programDirectory);
  const file = source.configFile
    ? { path: userPath(source.configFile), display: source.configFile }
    : { path: join(directory, `Pulumi.${source.stack}.yaml`), display: relative(invocationDirectory(), join(directory, `Pulumi.${source.stack}.yaml`)) };
  if (!existsSync(file.path)) throw new UsageError(`no stack file ${file.display} for --program ${source.programDirectory}`);
  const stackFile = readStackFile(file.path, project.name, file.display);
  if (stackFile.problems.length > 0) throw new ConfigError(file.display, stackFile.problems);
  const region = stackFile.values["aws:region"];
  if (region === undefined) {
    throw new ConfigError(file.display, [{ path: "aws:region", message: "is required: offline, the mocks build every ARN in it", got: undefined, secret: false }]);
  }
  const stackOutputs = readStackOutputs(source.stackOutputsFile);
  const sdk = projectSdk(project.main);
  sdk.runtime.setAllConfig(stackFile.values, [...stackFile.secretKeys]);
  // Loaded once the mocks are set: a module that creates resources when imported would otherwise miss them.
  const document = await synthesizeProgram({ stack: source.stack, tier: "", region, stackOutputs, stackOutputsFile: source.stackOutputsFile, project: project.name, sdk }, () =>
    runProgram(loadProgram(project.main)),
  );
  const tiers = new Set(document.resources.filter((resource) => resource.type === "release:aws:Environment").map((resource) => resource.outputs.tier));
  return { ...document, tier: tiers.size === 1 ? String([...tiers][0]) : "" };
}
