import type * as pulumi from "@pulumi/pulumi";
import type { AlarmTiming } from "../deployment-alarms/alarm-math";
import { type AlarmSettings, ARGO_ON_ALARM, DeploymentAlarms, type DeploymentAlarmsArgs } from "../deployment-alarms/deployment-alarms";
import type { ServiceEnvironment } from "../environment/service-environment";
import { thresholdsOf } from "../deployment-alarms/kinds";
import type { ServiceAlarmsArgs } from "../service/settings";

/** What a service's alarms are made from: its name, environment and alarm settings once the tier has filled them. */
export interface AlarmsContext {
  readonly name: string;
  readonly args: { readonly environment: ServiceEnvironment; readonly alarms: ServiceAlarmsArgs & AlarmSettings };
  readonly parent: pulumi.Resource;
  readonly timing: AlarmTiming;
}

/** The service's CloudWatch alarms over the target groups that serve it, on whichever load balancer they sit. */
export function serviceAlarms(
  context: AlarmsContext,
  loadBalancerArnSuffix: pulumi.Input<string>,
  targetGroupArnSuffixes: readonly pulumi.Input<string>[],
  detectionTraffic?: DeploymentAlarmsArgs["detectionTraffic"],
): DeploymentAlarms {
  const { name, args, parent, timing } = context;
  const env = args.environment;
  return new DeploymentAlarms(
    `${name}-alarms`,
    {
      serviceName: name,
      namePrefix: env.namePrefix,
      loadBalancerArnSuffix,
      targetGroupArnSuffixes,
      alertTopicArn: env.alertTopicArn,
      tier: env.tier,
      ...thresholdsOf(args.alarms),
      custom: args.alarms?.custom,
      timing,
      onAlarm: ARGO_ON_ALARM,
      ...(detectionTraffic ? { detectionTraffic } : {}),
    },
    { parent },
  );
}
