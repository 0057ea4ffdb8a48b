import { list } from "./props";
import type { Rule } from "./types";

export const alarmHasActions: Rule = {
  id: "alarm-has-actions",
  description: "Every metric alarm notifies someone when it fires",
  enforcement: "mandatory",
  check(resource) {
    if (resource.type !== "aws:cloudwatch/metricAlarm:MetricAlarm") return [];
    if (resource.props.actionsEnabled === false) return ["actionsEnabled is false: nobody hears this alarm"];
    return list(resource.props.alarmActions).length === 0 ? ["alarmActions is empty: add the alert topic"] : [];
  },
};
