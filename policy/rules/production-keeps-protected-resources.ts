import { inProduction } from "./props";
import { STATEFUL_TYPES } from "./production-stateful-resources-protected";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

/**
 * A change that deletes a protected resource cannot deploy: "it will be an error to do a Pulumi deployment which tries
 * to delete a protected resource for any reason" (Pulumi, resource option `protect`), and a replacement deletes. One
 * that deletes a resource holding data loses it. In production both are refused in review, where the pull request's
 * diff is made, not at `pulumi up`. Offline only, with `check --base` (the deployed stack's synth JSON): a policy pack
 * sees no deleted resources, and the engine itself refuses deleting protected ones there.
 */
export const productionKeepsProtectedResources: Rule = defineRule({
  id: "production-keeps-protected-resources",
  description: "In production, a change deletes (removes or replaces) no protected resource and none that holds data or history",
  enforcement: "mandatory",
  onDeleted: true,
  judge(resource, stack) {
    if (!inProduction(stack) || !stack.deleted?.some((deleted) => deleted.urn === resource.urn)) return NOT_APPLICABLE;
    if (resource.options.protect) {
      return nonCompliant("is protected, and this change deletes it: pulumi up would stop with an error; to let it go, unprotect it (`pulumi state unprotect`) in a change of its own first");
    }
    return STATEFUL_TYPES.has(resource.type) ? nonCompliant("holds data or history, and this change deletes it (with its data)") : COMPLIANT;
  },
});
