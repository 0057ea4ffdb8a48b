// A rule as a CrossGuard stack validation: what the policy pack (policy/index.ts) runs under `pulumi preview`.
import type { StackValidation, StackValidationArgs } from "@pulumi/policy";
import { stackTier } from "./rules/props";
import { messagesOf, skipReasonOf } from "./rules/result";
import type { PolicyResource, Rule } from "./rules/types";
import { type Suppression, suppresses } from "./suppressions";

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

/**
 * Reports each non-compliant result's messages (unless suppressed). When the rule speaks to no resource of the stack,
 * it says so with `args.notApplicable`, which @pulumi/policy 1.21 declares as "Marks the policy as not applicable"
 * and the analyzer returns beside the diagnostics, so an unjudged stack is not shown as a pass.
 */
export function stackValidation(rule: Rule, suppressions: readonly Suppression[], log: (line: string) => void = console.log): StackValidation {
  return (args, reportViolation) => {
    const resources = toPolicyResources(args);
    // Every URN carries the stack: urn:pulumi:<stack>::<project>::...
    const stack = resources[0]?.urn.split("::")[0].replace("urn:pulumi:", "") ?? "";
    const context = { tier: stackTier(resources), resources };
    let applied = false;
    for (const resource of resources) {
      const result = rule.judge(resource, context);
      if (result.compliance !== "not-applicable") applied = true;
      // Judged by another stack's check (a service stack's path through the environment's load balancer): said, not passed.
      const reason = skipReasonOf(result);
      if (reason !== undefined) log(`skipped ${rule.id} on ${resource.name}: ${reason}`);
      for (const message of messagesOf(result)) {
        const suppression = suppressions.find((candidate) => suppresses(candidate, rule.id, resource.name, stack));
        if (suppression) {
          log(`suppressed ${rule.id} on ${resource.name}: ${suppression.reason}`);
          continue;
        }
        reportViolation(`${resource.name}: ${message}`, resource.urn);
      }
    }
    if (!applied) args.notApplicable(`no resource of this stack is one ${rule.id} judges`);
  };
}
