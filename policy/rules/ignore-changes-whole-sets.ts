import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

/**
 * Inputs that are Terraform sets in the provider, where ignoreChanges must name the whole input: "IgnoreChanges unable
 * to ignore set element changes ... To the diff it looks like the elements are added and removed instead of changed
 * in-place" (pulumi-terraform-bridge#1756), and "Indexing involving paths like `a.b.*` or `a.b[1]` may actually involve
 * collections that TF considers to be order-invariant sets" (#2240). `load_balancer` of aws_ecs_service is a
 * `schema.TypeSet` (terraform-provider-aws internal/service/ecs/service.go).
 */
export const SET_INPUTS: Readonly<Record<string, readonly string[]>> = {
  "aws:ecs/service:Service": ["loadBalancers"],
};

export const ignoreChangesWholeSets: Rule = defineRule({
  id: "ignore-changes-whole-sets",
  description: "ignoreChanges never indexes into a set-typed input (the bridge cannot suppress such a diff): it names the whole input",
  enforcement: "mandatory",
  judge(resource) {
    const sets = SET_INPUTS[resource.type];
    // A type with no set-typed input this rule knows, or a resource that ignores nothing: nothing to judge.
    if (sets === undefined || resource.options.ignoreChanges.length === 0) return NOT_APPLICABLE;
    return judged(resource.options.ignoreChanges
      .filter((path) => sets.some((set) => path.startsWith(`${set}[`) || path.startsWith(`${set}.`)))
      .map((path) => `ignoreChanges "${path}" indexes into ${path.split(/[.[]/)[0]}, a set: the diff is not suppressed; ignore "${path.split(/[.[]/)[0]}" as a whole`));
  },
});
