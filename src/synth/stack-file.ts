import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, isSeq, type Node, parseDocument, visit } from "yaml";
import { findUp } from "../../components/find-up";
import { ConfigError, type ConfigProblem } from "../config/problems";
import { STACK_LIMITS } from "../config/source";
import { SECURE_PLACEHOLDER } from "../../components/formats";

export interface StackFileConfig {
  /** Every key as Pulumi hands it to a program: `ns:key` -> string (objects as JSON). */
  readonly values: Record<string, string>;
  /** Keys holding a `secure:` value anywhere inside. */
  readonly secretKeys: Set<string>;
  /** Where each `secure:` value sits, e.g. `release:services.api.environment.TOKEN`: secrecy per value, not per key. */
  readonly secretPaths: Set<string>;
  /** What the file says that no program reads (keys beside `config:`, tags YAML resolves but Pulumi does not). */
  readonly problems: ConfigProblem[];
}

/** The top-level keys of a stack file Pulumi itself reads (its project stack settings). */
const STACK_FILE_KEYS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

/** YAML 1.2 core tags and the ones `pulumi config set` writes; any other tag changes how the value is read. */
const KNOWN_TAGS = new Set(["tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"]);

/**
 * Reads a `Pulumi.<stack>.yaml` the way the Pulumi CLI presents it to a program. `secure:` values cannot be decrypted
 * offline: they become a placeholder and their key is marked secret, as it would be under `pulumi up`. A file that is
 * not YAML, or not a stack file, throws a ConfigError listing every problem.
 */
export function readStackFile(path: string, project: string, display = path): StackFileConfig {
  const bytes = statSync(path).size;
  if (bytes > STACK_LIMITS.stackFileBytes) {
    throw new ConfigError(display, [
      {
        path: "config",
        message: `the stack file is ${(bytes / 1024 / 1024).toFixed(1)} MB; the largest stack the program supports (50 services, a 1 MB flag document) is far smaller, so it is not read: split it over more stacks`,
        got: `${bytes} bytes`,
        secret: false,
      },
    ]);
  }
  const source = readFileSync(path, "utf8");
  // Its warnings become problems below; the library must not print them to stderr itself.
  const document = parseDocument(source, { logLevel: "error" });
  const lineOf = (offset: number) => source.slice(0, offset).split("\n").length;
  const lineText = (offset: number) => source.split("\n")[lineOf(offset) - 1]?.trim();
  const problems: ConfigProblem[] = document.errors.map((error) => ({
    path: `line ${lineOf(error.pos[0])}`,
    // The yaml library's first line ends "at line 3, column 7:" before an excerpt; the line alone must not dangle.
    message: `not valid YAML: ${error.message.split("\n")[0].replace(/:\s*$/, "")}`,
    got: lineText(error.pos[0]),
    secret: false,
  }));
  if (problems.length > 0) throw new ConfigError(display, problems);
  problems.push(...tagProblems(document.contents, project, lineOf));
  for (const warning of document.warnings.filter((candidate) => candidate.code !== "TAG_RESOLVE_FAILED")) {
    problems.push({ path: `line ${lineOf(warning.pos[0])}`, message: `YAML: ${warning.message.split("\n")[0].replace(/:\s*$/, "")}`, got: lineText(warning.pos[0]), secret: false });
  }
  const contents = documentContents(document, display, lineOf, lineText);
  if (contents === null || contents === undefined) return { values: {}, secretKeys: new Set(), secretPaths: new Set(), problems };
  if (typeof contents !== "object" || Array.isArray(contents)) {
    throw new ConfigError(display, [{ path: "config", message: "expected a stack file: a map with a config: key", got: contents, secret: false }]);
  }
  for (const [key, value] of Object.entries(contents)) {
    if (STACK_FILE_KEYS.includes(key)) continue;
    const meant = key.includes(":") ? key : `release:${key}`;
    problems.push({
      path: key,
      message: `is not a stack file setting (Pulumi reads config:, environment: and its encryption keys here, nothing else): settings go under config:, e.g. config: ${meant}: ...`,
      got: value,
      secret: false,
    });
  }
  const config = (contents as Record<string, unknown>).config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(display, [...problems, { path: "config", message: "expected a map of settings", got: config, secret: false }]);
  }
  return { ...toConfigValues(config as Record<string, unknown>, project), problems };
}

/**
 * The document as plain values, or a ConfigError with the line of every alias that cannot be expanded: one naming an
 * anchor that is not set before it, or so many expansions that the file is a resource-exhaustion attack (Go's yaml.v3,
 * which the Pulumi CLI reads stack files with, refuses both: "unknown anchor" and "document contains excessive aliasing").
 */
function documentContents(document: ReturnType<typeof parseDocument>, display: string, lineOf: (offset: number) => number, lineText: (offset: number) => string | undefined): unknown {
  const problems: ConfigProblem[] = [];
  let firstAlias: number | undefined;
  visit(document, {
    Alias(_key, node) {
      const offset = node.range?.[0] ?? 0;
      firstAlias ??= offset;
      if (node.resolve(document) === undefined) {
        problems.push({ path: `line ${lineOf(offset)}`, message: `not valid YAML: the alias *${node.source} names no anchor set before it (&${node.source})`, got: lineText(offset), secret: false });
      }
    },
  });
  if (problems.length > 0) throw new ConfigError(display, problems);
  try {
    return document.toJS({ maxAliasCount: STACK_LIMITS.yamlAliasExpansions });
  } catch (error) {
    if (!(error instanceof ReferenceError) || firstAlias === undefined) throw error;
    throw new ConfigError(display, [
      {
        path: `line ${lineOf(firstAlias)}`,
        message: `not valid YAML: its aliases expand to more than ${STACK_LIMITS.yamlAliasExpansions} copies (a YAML bomb); write the values out or use fewer aliases`,
        got: lineText(firstAlias),
        secret: false,
      },
    ]);
  }
}

/** True when the stack file imports ESC environments (its top-level `environment:`), which can add secrets of their own. */
function importsEnvironments(path: string): boolean {
  const contents = parseDocument(readFileSync(path, "utf8"), { logLevel: "error" }).toJS({ maxAliasCount: STACK_LIMITS.yamlAliasExpansions }) as Record<string, unknown> | null;
  return contents !== null && typeof contents === "object" && contents.environment !== undefined;
}

/** Each value whose tag is not a core YAML tag, by its config path: YAML resolves it one way, Pulumi (Go YAML) another. */
function tagProblems(root: unknown, project: string, lineOf: (offset: number) => number): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(root as Node, (_key, node, ancestors) => {
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return;
    if (node.tag === undefined || KNOWN_TAGS.has(node.tag)) return;
    const path = configPath([...ancestors, node], project);
    problems.push({
      path: path ?? `line ${lineOf(node.range?.[0] ?? 0)}`,
      message: `YAML tag ${node.tag} is not understood by Pulumi: remove it and write the value itself`,
      got: isScalar(node) ? node.source ?? node.value : undefined,
      secret: false,
    });
  });
  return problems;
}

/** `release:services.api.image` for a node under config:, undefined elsewhere. */
function configPath(chain: readonly unknown[], project: string): string | undefined {
  const parts: (string | number)[] = [];
  for (let index = 1; index < chain.length; index++) {
    const parent = chain[index - 1];
    const child = chain[index];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => item.value === child || item === child);
      if (pair && isScalar(pair.key)) parts.push(String(pair.key.value));
    } else if (isSeq(parent)) {
      parts.push(parent.items.indexOf(child as never));
    }
  }
  if (parts[0] !== "config" || parts.length < 2) return undefined;
  const key = String(parts[1]);
  return renderLeafPath(key.includes(":") ? key : `${project}:${key}`, parts.slice(2));
}

function renderLeafPath(key: string, rest: readonly (string | number)[]): string {
  return key + rest.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("");
}

/** A stack file's `config:` map as Pulumi hands it to a program: `ns:key` -> string, objects as JSON. */
export function toConfigValues(config: Readonly<Record<string, unknown>>, project: string): Omit<StackFileConfig, "problems"> {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const secretPaths = new Set<string>();
  for (const [rawKey, rawValue] of Object.entries(config)) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    const value = replaceSecure(rawValue, [], (path) => {
      secretKeys.add(key);
      secretPaths.add(renderLeafPath(key, path));
    });
    values[key] = typeof value === "string" ? value : value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return { values, secretKeys, secretPaths };
}

function isSecure(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as Record<string, unknown>).secure === "string"
  );
}

function replaceSecure(value: unknown, path: readonly (string | number)[], onSecret: (path: readonly (string | number)[]) => void): unknown {
  if (isSecure(value)) {
    onSecret(path);
    return SECURE_PLACEHOLDER;
  }
  if (Array.isArray(value)) return value.map((item, index) => replaceSecure(item, [...path, index], onSecret));
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v, [...path, k], onSecret)]));
  }
  return value;
}

/**
 * Under `pulumi up` a program learns only which top-level keys are secret (PULUMI_CONFIG_SECRET_KEYS); which values
 * inside them were set with `--secret` is written only in the stack file, which Pulumi runs the program beside.
 * Undefined when the file cannot be read: then each secret key is secret as a whole.
 */
export function stackFileBeside(stack: string, project: string, directory = process.cwd()): StackFileConfig | undefined {
  const projectRoot = findUp(directory, (candidate) => (existsSync(join(candidate, "Pulumi.yaml")) ? candidate : undefined));
  if (!projectRoot) return undefined;
  try {
    const settings = parseDocument(readFileSync(join(projectRoot, "Pulumi.yaml"), "utf8")).toJS() as { stackConfigDir?: unknown } | null;
    const configDirectory = typeof settings?.stackConfigDir === "string" ? join(projectRoot, settings.stackConfigDir) : projectRoot;
    const file = join(configDirectory, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) return undefined;
    const read = readStackFile(file, project, `Pulumi.${stack}.yaml`);
    // An imported ESC environment can mark values secret (fn::secret) under the same keys as the file's secure: leaves,
    // and nothing the program is handed says which: then each secret key is secret as a whole, never a value in plain text.
    return importsEnvironments(file) ? { ...read, secretPaths: new Set() } : read;
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}
