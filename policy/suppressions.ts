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

/** Reads suppressions.yaml; a malformed entry is an error naming it, not a silent pass. */
export function readSuppressions(path: string, knownRules: readonly string[]): Suppression[] {
  const result = fileSchema.safeParse(parse(readFileSync(path, "utf8")) ?? {});
  if (!result.success) {
    throw new Error(`${path}: ${result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
  }
  for (const [index, suppression] of result.data.suppressions.entries()) {
    if (!knownRules.includes(suppression.rule)) throw new Error(`${path}: suppressions[${index}].rule: no rule ${suppression.rule}`);
  }
  return result.data.suppressions;
}

export function suppresses(suppression: Suppression, rule: string, resourceName: string, stack: string): boolean {
  if (suppression.rule !== rule) return false;
  if (suppression.stacks && !suppression.stacks.includes(stack)) return false;
  const pattern = new RegExp(`^${suppression.resource.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return pattern.test(resourceName);
}
