import type { Rule } from "./types";

export const hookLambdaHasTimeout: Rule = {
  id: "hook-lambda-has-timeout",
  description: "Lambda functions (the deployment hooks) set an explicit timeout within Lambda's 900 seconds",
  enforcement: "mandatory",
  check(resource) {
    if (resource.type !== "aws:lambda/function:Function") return [];
    const timeout = Number(resource.props.timeout);
    return Number.isInteger(timeout) && timeout >= 1 && timeout <= 900 ? [] : [`timeout ${String(resource.props.timeout)} must be set to 1-900 seconds`];
  },
};
