import type { Rule } from "./types";

export const logGroupHasRetention: Rule = {
  id: "log-group-has-retention",
  description: "Log groups expire their logs (never-expire logs grow cost without bound)",
  enforcement: "mandatory",
  check(resource) {
    if (resource.type !== "aws:cloudwatch/logGroup:LogGroup") return [];
    const days = Number(resource.props.retentionInDays ?? 0);
    return days > 0 ? [] : ["retentionInDays is not set"];
  },
};
