import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findUp } from "../../components/find-up";
import { loadReleaseConfig, type ReleaseConfig } from "../config/load";
import { PROJECT, synthesize, type SynthDocument } from "./capture";
import { readStackFile } from "./stack-file";

/** The repository root, where Pulumi.yaml and the stack files live: the nearest directory above this code with one. */
export const PROJECT_ROOT =
  findUp(__dirname, (directory) => (existsSync(join(directory, "Pulumi.yaml")) ? directory : undefined)) ?? resolve(__dirname, "..", "..");

export class UsageError extends Error {}

export interface StackSource {
  readonly stack: string;
  /** Defaults to Pulumi.<stack>.yaml in the project root. */
  readonly configFile?: string;
  /** A JSON file mapping stack reference names to their outputs, e.g. {"org/network/production": {"vpcId": ...}}. */
  readonly stackOutputsFile?: string;
}

export function stackFilePath(source: StackSource): { path: string; display: string } {
  if (source.configFile) return { path: resolve(source.configFile), display: source.configFile };
  const display = `Pulumi.${source.stack}.yaml`;
  const path = join(PROJECT_ROOT, display);
  if (!existsSync(path)) {
    const existing = readdirSync(PROJECT_ROOT).filter((file) => /^Pulumi\.[^.]+\.ya?ml$/.test(file)).sort();
    throw new UsageError(`no stack file ${display} in ${PROJECT_ROOT}; stack files here: ${existing.join(", ") || "none"}`);
  }
  return { path, display };
}

/** Stack file -> validated config. Throws ConfigError (bad config) or UsageError. */
export function loadStack(source: StackSource): ReleaseConfig {
  const file = stackFilePath(source);
  if (!existsSync(file.path)) throw new UsageError(`config file ${file.display} does not exist`);
  const stackFile = readStackFile(file.path, PROJECT, file.display);
  return loadReleaseConfig({
    stack: source.stack,
    stackFile: file.display,
    values: stackFile.values,
    secretKeys: stackFile.secretKeys,
    secretPaths: stackFile.secretPaths,
    fileProblems: stackFile.problems,
  });
}

/** Stack file -> validated config -> synthesized document. Throws ConfigError (bad config) or UsageError. */
export async function synthesizeStack(source: StackSource): Promise<SynthDocument> {
  const config = loadStack(source);
  let stackOutputs: Record<string, Record<string, unknown>> = {};
  if (source.stackOutputsFile) {
    try {
      stackOutputs = JSON.parse(readFileSync(resolve(source.stackOutputsFile), "utf8")) as Record<string, Record<string, unknown>>;
    } catch (error) {
      throw new UsageError(`--stack-outputs ${source.stackOutputsFile}: ${(error as Error).message}`);
    }
  }
  return synthesize({ config, stackOutputs });
}

