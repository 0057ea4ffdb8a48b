import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parse } from "yaml";
import { findUp } from "../../components/find-up";
import { didYouMean, invocationDirectory, userPath } from "../command";
import { loadReleaseConfig, type ReleaseConfig } from "../config/load";
import { ConfigError } from "../config/problems";
import { PROJECT, synthesize, type SynthDocument } from "./capture";
import { readStackFile, toConfigValues } from "./stack-file";
import { UsageError } from "../errors";
import { ENVIRONMENT_OUTPUT } from "../../components/environment/contract";
import { environmentStackReference, offlineOrganization } from "../config/source";

/** The repository root, where Pulumi.yaml and the stack files live: the nearest directory above this code with one. */
export const PROJECT_ROOT =
  findUp(__dirname, (directory) => (existsSync(join(directory, "Pulumi.yaml")) ? directory : undefined)) ?? resolve(__dirname, "..", "..");

export interface StackSource {
  readonly stack: string;
  /** Defaults to Pulumi.<stack>.yaml in the project root. */
  readonly configFile?: string;
  /** A JSON file mapping stack reference names to their outputs, e.g. {"org/network/production": {"vpcId": ...}}. */
  readonly stackOutputsFile?: string;
  /** The JSON that `esc env open <org>/<env>` prints: its `pulumiConfig` stands in for the environments the stack imports. */
  readonly envValuesFile?: string;
}

/**
 * Where stack files are looked up: the Pulumi project the user ran the command in (the nearest Pulumi.yaml above their
 * directory, as the Pulumi CLI finds it), else this repository.
 */
export function stacksDirectory(): string {
  return findUp(invocationDirectory(), (directory) => (existsSync(join(directory, "Pulumi.yaml")) ? directory : undefined)) ?? PROJECT_ROOT;
}

export function stackFilePath(source: StackSource): { path: string; display: string } {
  if (source.configFile) return { path: userPath(source.configFile), display: source.configFile };
  const directory = stacksDirectory();
  const name = `Pulumi.${source.stack}.yaml`;
  const path = join(directory, name);
  const display = relative(invocationDirectory(), path) || name;
  if (!existsSync(path)) {
    const existing = readdirSync(directory).filter((file) => /^Pulumi\.[^.]+\.ya?ml$/.test(file)).sort();
    const stacks = existing.map((file) => file.replace(/^Pulumi\.|\.ya?ml$/g, ""));
    throw new UsageError(`no stack file ${name} in ${directory}${didYouMean(source.stack, stacks)}; stack files here: ${existing.join(", ") || "none"}`);
  }
  return { path, display: display.startsWith("..") ? name : display };
}

/** The ESC environments a stack file imports (its top-level `environment:` list), which offline tools cannot open. */
function importedEnvironments(path: string): string[] {
  try {
    // The file was read once already, its YAML warnings reported as problems: not again, raw.
    const environment = (parse(readFileSync(path, "utf8"), { logLevel: "error" }) as { environment?: unknown } | null)?.environment;
    const imports = Array.isArray(environment) ? environment : (environment as { imports?: unknown } | undefined)?.imports;
    return Array.isArray(imports) ? imports.filter((name): name is string => typeof name === "string") : [];
  } catch {
    return [];
  }
}

function readEnvValues(file: string): StackFileConfigValues {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(userPath(file), "utf8"));
  } catch (error) {
    throw new UsageError(`--env-values ${file}: expected the JSON that \`esc env open <org>/<env>\` prints (${(error as Error).message.split("\n")[0]})`);
  }
  const pulumiConfig = (document as { pulumiConfig?: unknown } | null)?.pulumiConfig;
  if (pulumiConfig === null || typeof pulumiConfig !== "object" || Array.isArray(pulumiConfig)) {
    throw new UsageError(`--env-values ${file}: no pulumiConfig map; the stack reads only an environment's pulumiConfig values`);
  }
  return toConfigValues(pulumiConfig as Record<string, unknown>, PROJECT);
}

type StackFileConfigValues = ReturnType<typeof toConfigValues>;

/** Stack file -> validated config. Throws ConfigError (bad config) or UsageError. */
export function loadStack(source: StackSource): ReleaseConfig {
  const file = stackFilePath(source);
  if (!existsSync(file.path)) throw new UsageError(`config file ${file.display} does not exist`);
  const stackFile = readStackFile(file.path, PROJECT, file.display);
  // Like `pulumi up`: the imported environments' pulumiConfig first, the stack file's own settings over it.
  const environment = source.envValuesFile ? readEnvValues(source.envValuesFile) : undefined;
  const values = { ...environment?.values, ...stackFile.values };
  // A service stack is its own Pulumi project: the one whose Pulumi.yaml is beside its stack file.
  const joins = environmentStackReference(values);
  const project = (joins !== undefined ? projectBeside(file.path) : undefined) ?? PROJECT;
  try {
    return loadReleaseConfig({
      stack: source.stack,
      stackFile: file.display,
      values,
      secretKeys: new Set([...(environment?.secretKeys ?? []), ...stackFile.secretKeys]),
      secretPaths: stackFile.secretPaths,
      fileProblems: stackFile.problems,
      project,
      // As the mocks name the stack when the program runs under them.
      stackName: `${offlineOrganization(joins)}/${project}/${source.stack}`,
      ...(joins !== undefined ? { environmentOutput: offlineEnvironment(joins, source.stackOutputsFile) } : {}),
    });
  } catch (error) {
    const imports = importedEnvironments(file.path);
    if (!(error instanceof ConfigError) || environment || imports.length === 0) throw error;
    const missing = error.problems.filter((problem) => problem.got === undefined);
    if (missing.length === 0) throw error;
    throw new ConfigError(file.display, [
      ...error.problems,
      {
        path: "environment",
        message: `${file.display} imports the ESC environment(s) ${imports.join(", ")}, which offline tools cannot open: pass --env-values <file> with the output of \`esc env open ${imports[imports.length - 1]}\` (values the environment's pulumiConfig sets are missing above)`,
        got: imports,
        secret: false,
      },
    ]);
  }
}

/** The `name:` of the Pulumi.yaml beside a stack file, if there is one. */
function projectBeside(stackFile: string): string | undefined {
  const path = join(dirname(stackFile), "Pulumi.yaml");
  if (!existsSync(path)) return undefined;
  const name = (parse(readFileSync(path, "utf8"), { logLevel: "error" }) as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
}

/**
 * A service stack's environment offline: the environment stack's `environment` output in --stack-outputs (the JSON
 * `pulumi stack output --json` prints for it, under its name). Without it nothing can be judged: a usage error.
 */
function offlineEnvironment(stackReference: string, stackOutputsFile: string | undefined): unknown {
  const outputs = readStackOutputs(stackOutputsFile)[stackReference];
  if (outputs === undefined || !(ENVIRONMENT_OUTPUT in outputs)) {
    const given = stackOutputsFile === undefined ? "none given" : `${stackOutputsFile} has ${outputs === undefined ? `no entry ${stackReference}` : `no ${ENVIRONMENT_OUTPUT} in ${stackReference}`}`;
    throw new UsageError(
      `a service stack needs --stack-outputs with ${stackReference}'s ${ENVIRONMENT_OUTPUT} output offline (${given}): {"${stackReference}": {"${ENVIRONMENT_OUTPUT}": <pulumi stack output ${ENVIRONMENT_OUTPUT} --json --stack ${stackReference}>}}`,
    );
  }
  return outputs[ENVIRONMENT_OUTPUT];
}

/** Stack file -> validated config -> synthesized document. Throws ConfigError (bad config) or UsageError. */
export async function synthesizeStack(source: StackSource): Promise<SynthDocument> {
  const config = loadStack(source);
  return synthesize({ config, stackOutputs: readStackOutputs(source.stackOutputsFile), stackOutputsFile: source.stackOutputsFile });
}

/** `--stack-outputs`: stack reference names mapped to their outputs; none without the option. */
export function readStackOutputs(file: string | undefined): Record<string, Record<string, unknown>> {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(userPath(file), "utf8")) as Record<string, Record<string, unknown>>;
  } catch (error) {
    throw new UsageError(`--stack-outputs ${file}: ${(error as Error).message}`);
  }
}

