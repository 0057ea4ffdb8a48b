import { at, list } from "./props";
import type { Rule } from "./types";

export const blueGreenRuleIgnoresActions: Rule = {
  id: "blue-green-rule-ignores-actions",
  description: "Listener rules ECS shifts between two target groups ignore changes to actions, so pulumi up never undoes a release",
  enforcement: "mandatory",
  check(resource) {
    if (resource.type !== "aws:lb/listenerRule:ListenerRule") return [];
    const weighted = list(resource.props.actions).some((action) => list(at(action, "forward", "targetGroups")).length >= 2);
    if (!weighted || resource.options.ignoreChanges.includes("actions")) return [];
    return ['forwards to two target groups but does not ignore changes to "actions": ECS moves the weights on every deployment'];
  },
};
