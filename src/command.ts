import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "./config/problems";
import { UsageError } from "./errors";
import { editDistance } from "../components/edit-distance";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Command<O extends Options> {
  readonly name: string;
  readonly usage: string;
  readonly options: O;
  /** Returns the exit code; throws UsageError (exit 2) or ConfigError (exit 1) for the user's mistakes. */
  readonly run: (values: Record<string, string | boolean | undefined>, positionals: string[]) => Promise<number> | number;
}

/**
 * The shared shape of the project's commands: argument parsing, --help, and exit codes 0 done, 1 invalid config (its
 * problems, no stack trace), 2 bad usage (what was wrong, what is allowed), 3 anything unexpected (with its stack).
 */
export function runCommand<O extends Options>(command: Command<O>): void {
  const finish = (code: number) => {
    process.exitCode = code;
  };
  const hint = `(\`npm run ${command.name} -- --help\` shows the usage)`;
  const args = process.argv.slice(2);
  const flags = args.slice(0, args.includes("--") ? args.indexOf("--") : args.length);
  // Help is answered before anything else is looked at, so it never runs work whatever else is on the line.
  if (flags.includes("--help") || flags.includes("-h")) {
    process.stdout.write(`${command.usage}\n`);
    return finish(0);
  }
  let parsed;
  try {
    const unknown = unknownOption(flags, command.options);
    if (unknown) throw unknown;
    parsed = parseArgs({ args, allowPositionals: true, options: command.options });
  } catch (error) {
    process.stderr.write(`${command.name}: ${parseErrorMessage(error, command.options)}\n${hint}\n`);
    return finish(2);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  Promise.resolve()
    .then(() => command.run(values, parsed.positionals))
    .then(finish, (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        return finish(1);
      }
      if (error instanceof UsageError) {
        process.stderr.write(`${command.name}: ${error.message}\n${hint}\n`);
        return finish(2);
      }
      process.stderr.write(`${command.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return finish(3);
    });
}

const optionList = (options: Options) =>
  Object.entries(options)
    .map(([name, option]) => `--${name}${option.type === "string" ? " <value>" : ""}`)
    .join(", ");

/** Node's own parse errors read "Unknown option '--x'. To specify a positional argument ...": ours name what is allowed. */
function unknownOption(flags: readonly string[], options: Options): UsageError | undefined {
  const shorts = new Map(Object.entries(options).flatMap(([name, option]) => (option.short ? [[option.short, name]] : [])));
  for (const flag of flags) {
    const long = /^--([^=]+)/.exec(flag)?.[1];
    const short = /^-([^-\d])/.exec(flag)?.[1];
    if (long !== undefined && !(long in options)) {
      return new UsageError(`unknown option --${long}${didYouMean(long, Object.keys(options), "--")}; options: ${optionList(options) || "none"}`);
    }
    if (short !== undefined && !shorts.has(short)) {
      return new UsageError(`unknown option -${short}; options: ${optionList(options) || "none"}`);
    }
  }
  return undefined;
}

function parseErrorMessage(error: unknown, options: Options): string {
  if (error instanceof UsageError) return error.message;
  const code = (error as { code?: string }).code;
  const name = /'(--?[\w-]+)/.exec((error as Error).message)?.[1];
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && name) {
    const option = options[name.replace(/^-+/, "")];
    return option?.type === "boolean" ? `${name} takes no value` : `${name} needs a value`;
  }
  return (error as Error).message;
}

/** ` (did you mean --x?)` for a word one or two edits from, or a prefix of, a known one. */
export function didYouMean(word: string, known: readonly string[], prefix = ""): string {
  const candidates = known
    .map((candidate) => ({ candidate, distance: candidate.startsWith(word) || word.startsWith(candidate) ? 1 : editDistance(word.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ distance }) => distance <= 2)
    .sort((a, b) => a.distance - b.distance);
  return candidates.length > 0 ? ` (did you mean ${prefix}${candidates[0].candidate}?)` : "";
}

/**
 * An option's value checked against what it allows: `--format yaml: expected tree or json`, with a suggestion for a near
 * miss, or the hint the caller gives for a value people commonly try.
 */
export function choice<T extends string>(
  option: string,
  value: string | undefined,
  allowed: readonly T[],
  hints: Readonly<Record<string, string>> = {},
): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  const expected = allowed.length === 2 ? `${allowed[0]} or ${allowed[1]}` : `one of ${allowed.join(", ")}`;
  const hint = hints[value.toLowerCase()];
  throw new UsageError(`--${option} ${value}: expected ${expected}${hint ? ` (${hint})` : didYouMean(value, allowed)}`);
}

/** Bad usage (exit 2): what was wrong and/or the usage text, one after the other. */
export function usage(...parts: string[]): UsageError {
  return new UsageError(parts.filter((part) => part.length > 0).join("\n"));
}

export const text = (value: string | boolean | undefined): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * The directory the user ran the command from. `npm run` starts scripts in the package root and keeps the user's directory
 * in INIT_CWD; a process that merely inherited INIT_CWD from an outer npm runs where it was started.
 */
export function invocationDirectory(): string {
  const packageJson = process.env.npm_package_json;
  const underNpm = process.env.INIT_CWD !== undefined && packageJson !== undefined && dirname(packageJson) === process.cwd();
  return underNpm ? (process.env.INIT_CWD as string) : process.cwd();
}

/** A path the user typed, resolved from where they ran the command. */
export const userPath = (path: string): string => resolve(invocationDirectory(), path);

/**
 * Writes a command's result to `--out FILE` (so tools get clean JSON even through npm, which prints its own banner on
 * stdout), or to stdout.
 */
export function emit(out: string | undefined, content: string): void {
  if (out === undefined) {
    process.stdout.write(content);
    return;
  }
  const path = userPath(out);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  } catch (error) {
    throw new UsageError(`--out ${out}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
