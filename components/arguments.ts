import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

/**
 * One thing wrong with a component's arguments: the argument's path (`["alarms", "custom", 0, "name"]`), what is
 * wrong, and the value given. Config maps `field` to the stack-file path; components print it.
 */
export interface ArgumentProblem {
  readonly field: readonly (string | number)[];
  readonly message: string;
  readonly got: unknown;
}

/** `["custom", 0, "name"]` -> `custom[0].name` */
export function renderField(field: readonly (string | number)[]): string {
  return field.map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? part : `.${part}`)).join("");
}

/** The problems of a nested argument, their fields under `prefix`. */
export function under(prefix: readonly (string | number)[], problems: readonly ArgumentProblem[]): ArgumentProblem[] {
  return problems.map((problem) => ({ ...problem, field: [...prefix, ...problem.field] }));
}

/** `field message (got value)`; without the value when none was given. */
export function describeProblem(problem: ArgumentProblem): string {
  const got = problem.got === undefined ? "" : ` (got ${JSON.stringify(problem.got)})`;
  return `${renderField(problem.field)} ${problem.message}${got}`;
}

/**
 * Throws every problem with a component's arguments at once, naming the component. Components call it before
 * `super()`, so bad arguments register nothing, not even the component; RunError prints without a stack trace.
 */
export function refuseBadArguments(component: string, name: string, problems: readonly ArgumentProblem[]): void {
  if (problems.length > 0) throw new pulumi.RunError(`${component} ${name}: ${problems.map(describeProblem).join("; ")}`);
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

const OUTPUT_REFUSED = "must be known before deployment: give a plain value, not an Output";

/**
 * A schema's issue with `value` as the problems of the arguments it names: each unknown key on its own, a bad map key
 * as an invalid name, a missing value as required, a number out of range with its bound, and an Output where only
 * a plain value will do (the components decide from it what to create) as such.
 *
 * Internal: kept out of the published declarations, so a program's compiler never reads zod's own (with Pulumi's
 * template tsconfig, which has neither `esModuleInterop` nor `skipLibCheck`, zod's locale declarations fail to compile).
 * @internal
 */
export function issueProblems(issue: z.core.$ZodIssue, value: unknown): ArgumentProblem[] {
  const field = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
  // An Output holding a map or a list reads as an object of Pulumi's internals: name it once, at its own field.
  const output = field.findIndex((_, index) => pulumi.Output.isInstance(valueAt(value, field.slice(0, index + 1))));
  if (output >= 0) return [{ field: field.slice(0, output + 1), message: OUTPUT_REFUSED, got: "[Output]" }];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ field: [...field, key], message: "unknown key", got: valueAt(value, [...field, key]) }));
  }
  if (issue.code === "invalid_key") {
    return [{ field, message: `invalid name: ${issue.issues.map((inner) => inner.message).join("; ")}`, got: field[field.length - 1] }];
  }
  const got = valueAt(value, field);
  let message = issue.message;
  if (got === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union")) message = "required";
  if (issue.code === "too_small" && typeof got === "number") message = `must be at least ${String(issue.minimum)}`;
  if (issue.code === "too_big" && typeof got === "number") message = `must be at most ${String(issue.maximum)}`;
  return [{ field, message, got }];
}
