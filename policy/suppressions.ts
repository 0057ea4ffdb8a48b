import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

export const suppressionSchema = z.strictObject({
  rule: z.string().min(1),
  /** Logical resource name; `*` matches any run of characters. */
  resource: z.string().min(1),
  /** Stacks the suppression applies to. @default every stack */
  stacks: z.array(z.string().min(1)).optional(),
  reason: z.string().trim().min(10, { error: "a suppression needs a reason of at least 10 characters" }),
});

export type Suppression = z.infer<typeof suppressionSchema>;

const fileSchema = z.strictObject({ suppressions: z.array(suppressionSchema).default([]) });

export interface SuppressionProblem {
  /** e.g. `suppressions[0].reason` */
  readonly path: string;
  readonly message: string;
  readonly got: unknown;
}

/** A suppressions file that cannot be used: every problem, one line each, for people (no stack trace). */
export class SuppressionsError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: readonly SuppressionProblem[],
  ) {
    super(problems.map((problem) => `${file}: ${problem.path}: ${problem.message} (got ${problem.got === undefined ? "nothing" : JSON.stringify(problem.got)})`).join("\n"));
    this.name = "SuppressionsError";
  }
}

const pathText = (path: readonly PropertyKey[]) =>
  path.map((part, index) => (typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`)).join("") || "(file)";

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((current, key) => (current !== null && typeof current === "object" ? (current as Record<PropertyKey, unknown>)[key] : undefined), value);
}

/** Reads suppressions.yaml; a malformed entry is an error naming it, not a silent pass. */
export function readSuppressions(path: string, knownRules: readonly string[]): Suppression[] {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (error) {
    throw new SuppressionsError(path, [{ path: "(file)", message: `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, got: undefined }]);
  }
  let document: unknown;
  try {
    document = parse(source) ?? {};
  } catch (error) {
    throw new SuppressionsError(path, [{ path: "(file)", message: `not valid YAML: ${(error as Error).message.split("\n")[0].replace(/:$/, "")}`, got: undefined }]);
  }
  const result = fileSchema.safeParse(document);
  if (!result.success) {
    throw new SuppressionsError(
      path,
      result.error.issues.map((issue) => {
        const keys = issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
        return keys.map((at) => ({ path: pathText(at), message: issue.code === "unrecognized_keys" ? "unknown key (a suppression has rule, resource, stacks, reason)" : issue.message, got: valueAt(document, at) }));
      }).flat(),
    );
  }
  const unknown = result.data.suppressions.flatMap((suppression, index) =>
    knownRules.includes(suppression.rule) ? [] : [{ path: `suppressions[${index}].rule`, message: `no rule ${suppression.rule}; rules: ${knownRules.join(", ")}`, got: suppression.rule }],
  );
  if (unknown.length > 0) throw new SuppressionsError(path, unknown);
  return result.data.suppressions;
}

export function suppresses(suppression: Suppression, rule: string, resourceName: string, stack: string): boolean {
  if (suppression.rule !== rule) return false;
  if (suppression.stacks && !suppression.stacks.includes(stack)) return false;
  const pattern = new RegExp(`^${suppression.resource.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return pattern.test(resourceName);
}
