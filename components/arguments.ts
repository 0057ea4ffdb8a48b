import * as pulumi from "@pulumi/pulumi";

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
