import * as pulumi from "@pulumi/pulumi";
import { SECURE_PLACEHOLDER } from "../../components/formats";
import { closest } from "../../components/edit-distance";

/* A problem in a stack file and how it is printed: the file, the key path, the message and the value (never a secret one). */

export interface ConfigProblem {
  /** e.g. `release:services.checkout.port` */
  readonly path: string;
  readonly message: string;
  /** What the user wrote there; undefined when nothing was. */
  readonly got: unknown;
  readonly secret: boolean;
}

/** At most this many problems are printed; a file with more is mostly one mistake repeated. */
export const PRINTED_PROBLEMS = 50;

/** Bad config: every problem at once, each naming the file, the key path and the value. Printed without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(
    public readonly stackFile: string,
    public readonly problems: readonly ConfigProblem[],
  ) {
    const printed = problems.slice(0, PRINTED_PROBLEMS).map((problem) => formatProblem(stackFile, problem));
    const rest = problems.length - printed.length;
    super([...printed, ...(rest > 0 ? [`${stackFile}: ... and ${rest} more problem${rest === 1 ? "" : "s"} (${problems.length} in all)`] : [])].join("\n"));
    this.name = "ConfigError";
  }
}

/** How much of a path and of a message one printed problem shows: a line stays readable whatever the file holds. */
export const MESSAGE_LIMITS = { path: 200, message: 1000, value: 80 } as const;

export function formatProblem(stackFile: string, problem: ConfigProblem): string {
  return `${printable(stackFile, MESSAGE_LIMITS.path)}: ${printable(problem.path, MESSAGE_LIMITS.path)}: ${printable(problem.message, MESSAGE_LIMITS.message)} (got ${renderValue(problem.got, problem.secret)})`;
}

/**
 * Control characters and the bidirectional overrides that reorder what a terminal shows (U+202A-U+202E,
 * U+2066-U+2069, the marks U+200E/U+200F) written as escapes, so a key or value from the file can neither end a line,
 * move the cursor nor disguise itself; and text past `max` characters cut with "...".
 */
export function printable(text: string, max: number): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max - 3)}...` : escaped;
}

function renderValue(value: unknown, secret: boolean): string {
  if (value === undefined) return "nothing";
  if (secret || value === SECURE_PLACEHOLDER) return "[secret]";
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return printable(text, MESSAGE_LIMITS.value);
}

export function renderPath(path: readonly (string | number)[]): string {
  let text = "release:";
  path.forEach((part, index) => {
    if (typeof part === "number") text += `[${part}]`;
    else text += index === 0 ? part : `.${part}`;
  });
  return text;
}

/** By path, so the same mistakes read the same whatever the order of keys in the stack file. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.message.localeCompare(b.message)));
}

/** ` (did you mean "x"?)` for a key one or two edits from a known one. */
export function suggest(key: string, known: readonly string[]): string {
  const best = closest(key, known);
  return best ? ` (did you mean "${best}"?)` : "";
}
