import * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import { DeploymentAlarms } from "../deployment-alarms/deployment-alarms";
import { type LifecycleHook, LifecycleHooks } from "../lifecycle-hooks/lifecycle-hooks";
import type { AwsAccount } from "./aws-account";
import { type GuardedTargets, type ServiceAlarmsArgs, serviceAlarmsArgs, type ServiceHooksArgs, serviceHooksArgs } from "../service/settings";
import { createTaskStartWatch, type TaskStartWatch } from "./task-start-impaired";

export interface DeploymentGuardsArgs {
  /** The service's alarms; `false` or left out: none. */
  readonly alarms?: ServiceAlarmsArgs | false;
  readonly hooks?: ServiceHooksArgs;
  /** What the alarms and hooks watch and call: the service's target groups, test URL, subnets. */
  readonly targets: GuardedTargets;
  /** The strategy moves traffic between two target groups (not `rolling`): the test listener and the task-start watch exist. */
  readonly shiftsTraffic: boolean;
  readonly environment: Pick<ServiceEnvironment, "namePrefix" | "clusterName" | "alertTopicArn">;
  readonly tags: Record<string, string>;
  readonly account: AwsAccount;
}

/** What guards a deployment of the service: what ECS rolls back on and what it calls on the way. */
export interface DeploymentGuards {
  /** The service's alarms over its target groups (`<name>-alarms`). */
  readonly alarms?: DeploymentAlarms;
  readonly taskStartWatch?: TaskStartWatch;
  /** The smoke test and alarm gate (`<name>-hooks`). */
  readonly hooks?: LifecycleHooks;
  /** Every alarm ECS rolls a deployment back on: the service's own, those made elsewhere, the task-start watch's. */
  readonly alarmNames?: pulumi.Output<string[]>;
  /** The `deploymentConfiguration.lifecycleHooks` of the service: its own, then those made elsewhere. */
  readonly lifecycleHooks: pulumi.Input<LifecycleHook>[];
}

/** The service's alarms, its task-start watch and its lifecycle hooks, as children of `parent`. */
export function createDeploymentGuards(name: string, args: DeploymentGuardsArgs, parent: pulumi.Resource): DeploymentGuards {
  const { targets } = args;
  const alarmsArgs = serviceAlarmsArgs(args.alarms, targets);
  const alarms = alarmsArgs ? new DeploymentAlarms(`${name}-alarms`, alarmsArgs, { parent }) : undefined;
  const taskStartWatch = args.shiftsTraffic && alarmsArgs ? createTaskStartWatch(name, args, parent) : undefined;
  const extraAlarmNames: pulumi.Input<string>[] = [
    ...(args.alarms ? (args.alarms.extraAlarmNames ?? []) : []),
    ...(taskStartWatch ? [taskStartWatch.alarm.name] : []),
  ];
  const guardAlarmNames: pulumi.Input<pulumi.Input<string>[]> | undefined =
    extraAlarmNames.length > 0 ? pulumi.all([alarms?.alarmNames ?? [], ...extraAlarmNames]).apply(([own, ...extra]) => [...(own as string[]), ...(extra as string[])]) : alarms?.alarmNames;
  const hooksArgs = serviceHooksArgs(args.hooks, targets, guardAlarmNames ?? [], args.shiftsTraffic);
  const hooks = hooksArgs ? new LifecycleHooks(`${name}-hooks`, hooksArgs, { parent }) : undefined;
  return {
    alarms,
    taskStartWatch,
    hooks,
    alarmNames: guardAlarmNames !== undefined ? pulumi.output(guardAlarmNames) : undefined,
    lifecycleHooks: [...(hooks?.lifecycleHooks ?? []), ...(args.hooks?.extraLifecycleHooks ?? [])],
  };
}
