import { asArray, at, list, statementsOf } from "./props";
import type { PolicyResource, Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

function roleOf(policy: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | undefined {
  const roles = resources.filter((r) => r.type === "aws:iam/role:Role");
  const role = policy.props.role;
  // Known ids and names link directly; in a preview of a new stack they are unknown, so the sibling role is used.
  return (
    roles.find((r) => role !== undefined && (r.props.id === role || r.props.name === role)) ??
    roles.find((r) => r.parent !== undefined && r.parent === policy.parent && r.name === policy.name)
  );
}

export const hookInvokeRoleIsEcsOnly: Rule = defineRule({
  id: "hook-invoke-role-is-ecs-only",
  description: "A role that may invoke Lambda functions is assumable by ECS only and may do nothing else",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== "aws:iam/rolePolicy:RolePolicy") return NOT_APPLICABLE;
    const statements = statementsOf(resource.props.policy);
    const invokes = statements.some((statement) => asArray(at(statement, "Action")).includes("lambda:InvokeFunction"));
    if (!invokes) return NOT_APPLICABLE;
    const problems: string[] = [];
    const others = statements.flatMap((statement) => asArray(at(statement, "Action"))).filter((action) => action !== "lambda:InvokeFunction");
    if (others.length > 0) problems.push(`grants ${others.join(", ")} besides lambda:InvokeFunction`);
    if (statements.some((statement) => asArray(at(statement, "Resource")).includes("*"))) problems.push("may invoke any function (Resource *)");
    const role = roleOf(resource, stack.resources);
    if (!role) return judged([...problems, "its role is not in the stack"]);
    const principals = statementsOf(role.props.assumeRolePolicy).flatMap((statement) => asArray(at(statement, "Principal", "Service")));
    const anyone = statementsOf(role.props.assumeRolePolicy).some((statement) => at(statement, "Principal", "AWS") !== undefined);
    if (anyone || principals.length !== 1 || principals[0] !== "ecs.amazonaws.com") {
      problems.push(`role ${role.name} must trust ecs.amazonaws.com only (trusts ${principals.join(", ") || "other principals"})`);
    }
    if (list(role.props.managedPolicyArns).length > 0) problems.push(`role ${role.name} has managed policies besides the invoke policy`);
    return judged(problems);
  },
});
