// The policy pack for `pulumi preview --policy-pack policy`: the same rules `npm run check` runs offline.
import { join } from "node:path";
import { PolicyPack, type StackValidationArgs } from "@pulumi/policy";
import { RULES } from "./rules";
import { stackTier } from "./rules/props";
import type { PolicyResource } from "./rules/types";
import { readSuppressions, suppresses } from "./suppressions";

const suppressions = readSuppressions(join(__dirname, "suppressions.yaml"), RULES.map((rule) => rule.id));

function toPolicyResources(args: StackValidationArgs): PolicyResource[] {
  return args.resources.map((resource) => ({
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: resource.props,
    options: { protect: resource.opts.protect, ignoreChanges: resource.opts.ignoreChanges },
    parent: resource.parent?.urn,
    provider: resource.provider?.urn,
  }));
}

new PolicyPack("release-platform", {
  // Rules on deleted resources need the deployed stack, which a stack policy does not see (the engine itself refuses
  // to delete a protected resource under pulumi up).
  policies: RULES.filter((rule) => !rule.onDeleted).map((rule) => ({
    name: rule.id,
    description: rule.description,
    enforcementLevel: rule.enforcement,
    validateStack: (args: StackValidationArgs, reportViolation: (message: string, urn?: string) => void) => {
      const resources = toPolicyResources(args);
      // Every URN carries the stack: urn:pulumi:<stack>::<project>::...
      const stack = resources[0]?.urn.split("::")[0].replace("urn:pulumi:", "") ?? "";
      const context = { tier: stackTier(resources), resources };
      for (const resource of resources) {
        for (const message of rule.check(resource, context)) {
          const suppression = suppressions.find((candidate) => suppresses(candidate, rule.id, resource.name, stack));
          if (suppression) {
            console.log(`suppressed ${rule.id} on ${resource.name}: ${suppression.reason}`);
            continue;
          }
          reportViolation(`${resource.name}: ${message}`, resource.urn);
        }
      }
    },
  })),
});
