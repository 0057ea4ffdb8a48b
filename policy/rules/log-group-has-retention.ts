import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const logGroupHasRetention: Rule = defineRule({
  id: "log-group-has-retention",
  description: "Log groups expire their logs (never-expire logs grow cost without bound)",
  enforcement: "mandatory",
  judge(resource) {
    if (resource.type !== "aws:cloudwatch/logGroup:LogGroup") return NOT_APPLICABLE;
    const days = Number(resource.props.retentionInDays ?? 0);
    return days > 0 ? COMPLIANT : nonCompliant("retentionInDays is not set");
  },
});
