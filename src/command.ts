import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "./config/load";
import { UsageError } from "./synth/run";

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
 * problems, no stack trace), 2 bad usage (with the usage text), 3 anything unexpected (with its stack).
 */
export function runCommand<O extends Options>(command: Command<O>): void {
  const finish = (code: number) => {
    process.exitCode = code;
  };
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { ...command.options, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${command.usage}\n`);
    return finish(2);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(`${command.usage}\n`);
    return finish(0);
  }
  Promise.resolve()
    .then(() => command.run(values, parsed.positionals))
    .then(finish, (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        return finish(1);
      }
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        return finish(2);
      }
      process.stderr.write(`${command.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return finish(3);
    });
}

/** Bad usage (exit 2): what was wrong and/or the usage text, one after the other. */
export function usage(...parts: string[]): UsageError {
  return new UsageError(parts.filter((part) => part.length > 0).join("\n"));
}

export const text = (value: string | boolean | undefined): string | undefined => (typeof value === "string" ? value : undefined);
