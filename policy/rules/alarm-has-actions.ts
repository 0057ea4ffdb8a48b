import { list } from "./props";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const alarmHasActions: Rule = defineRule({
  id: "alarm-has-actions",
  description: "Every metric alarm notifies someone when it fires",
  enforcement: "mandatory",
  judge(resource) {
    if (resource.type !== "aws:cloudwatch/metricAlarm:MetricAlarm") return NOT_APPLICABLE;
    if (resource.props.actionsEnabled === false) return nonCompliant("actionsEnabled is false: nobody hears this alarm");
    return list(resource.props.alarmActions).length === 0 ? nonCompliant("alarmActions is empty: add the alert topic") : COMPLIANT;
  },
});
