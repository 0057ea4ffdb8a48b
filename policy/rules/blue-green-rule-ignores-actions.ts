import { at, list } from "./props";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const blueGreenRuleIgnoresActions: Rule = defineRule({
  id: "blue-green-rule-ignores-actions",
  description: "Listener rules ECS shifts between two target groups ignore changes to actions, so pulumi up never undoes a release",
  enforcement: "mandatory",
  judge(resource) {
    if (resource.type !== "aws:lb/listenerRule:ListenerRule") return NOT_APPLICABLE;
    const weighted = list(resource.props.actions).some((action) => list(at(action, "forward", "targetGroups")).length >= 2);
    if (!weighted) return NOT_APPLICABLE;
    if (resource.options.ignoreChanges.includes("actions")) return COMPLIANT;
    return nonCompliant('forwards to two target groups but does not ignore changes to "actions": ECS moves the weights on every deployment');
  },
});
