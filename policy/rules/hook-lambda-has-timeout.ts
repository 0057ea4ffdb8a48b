import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const hookLambdaHasTimeout: Rule = defineRule({
  id: "hook-lambda-has-timeout",
  description: "Lambda functions (the deployment hooks) set an explicit timeout within Lambda's 900 seconds",
  enforcement: "mandatory",
  judge(resource) {
    if (resource.type !== "aws:lambda/function:Function") return NOT_APPLICABLE;
    const timeout = Number(resource.props.timeout);
    return Number.isInteger(timeout) && timeout >= 1 && timeout <= 900 ? COMPLIANT : nonCompliant(`timeout ${String(resource.props.timeout)} must be set to 1-900 seconds`);
  },
});
