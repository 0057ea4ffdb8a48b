/** The alarms that roll a flag deployment back, as AppConfig takes them, and the role AppConfig reads them with. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy } from "../../../iam";
import { NAME_LIMITS, physicalName } from "../../../naming";
import { type FeatureFlagStoreArgs, MAX_APPCONFIG_MONITORS, type MonitoredAlarm, monitoredAlarms } from "./args";

/** An AppConfig composite alarm rule over alarm names: `ALARM("a") OR ALARM("b")`. */
export function anyAlarmRule(names: readonly string[]): string {
  return names.map((name) => `ALARM(${JSON.stringify(name)})`).join(" OR ");
}

export interface FlagMonitorsArgs extends Pick<FeatureFlagStoreArgs, "applicationName" | "monitors"> {
  readonly tags: Record<string, string>;
}

export interface FlagMonitors {
  /** What the environment watches: the monitors themselves, or composites of them when there are more than AppConfig takes. */
  readonly alarms: MonitoredAlarm[];
  /** The role AppConfig describes the alarms with; only when there are alarms. */
  readonly role?: aws.iam.Role;
}

/** The store's monitors, at most 5 (more are folded into composites), and the role AppConfig reads them with; children of `parent`. */
export function createMonitors(name: string, args: FlagMonitorsArgs, parent: pulumi.Resource): FlagMonitors {
  const alarms = foldedAlarms(name, args.applicationName, monitoredAlarms(args.monitors ?? []), parent);
  const role =
    alarms.length > 0
      ? new aws.iam.Role(
          `${name}-monitors`,
          {
            name: physicalName([args.applicationName], "monitors", NAME_LIMITS.iamRole),
            assumeRolePolicy: assumeRolePolicy("appconfig.amazonaws.com"),
            inlinePolicies: [
              {
                name: "describe-monitored-alarms",
                policy: pulumi.jsonStringify({
                  Version: "2012-10-17",
                  // The monitors are composite alarms: "you can't return information about composite alarms if your cloudwatch:DescribeAlarms permission has a narrower scope" than * (CloudWatch API reference).
                  Statement: [{ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: "*" }],
                }),
              },
            ],
            tags: args.tags,
          },
          { parent },
        )
      : undefined;
  return { alarms, role };
}

/** At most 5 monitors: more alarms are folded into composites of up to 100 each. */
function foldedAlarms(name: string, prefix: string, alarms: readonly MonitoredAlarm[], parent: pulumi.Resource): MonitoredAlarm[] {
  if (alarms.length <= MAX_APPCONFIG_MONITORS) return [...alarms];
  const groups: MonitoredAlarm[][] = [];
  for (let start = 0; start < alarms.length; start += 100) groups.push(alarms.slice(start, start + 100));
  return groups.map((group, index) => {
    const composite = new aws.cloudwatch.CompositeAlarm(
      `${name}-monitor-${index}`,
      {
        alarmName: physicalName([prefix], `flag-monitor-${index}`, NAME_LIMITS.alarm),
        alarmDescription: "Any service alarm: rolls a flag deployment back",
        alarmRule: pulumi.all(group.map((alarm) => pulumi.output(alarm.name))).apply(anyAlarmRule),
        actionsEnabled: false,
      },
      { parent },
    );
    return { name: composite.alarmName, arn: composite.arn };
  });
}
