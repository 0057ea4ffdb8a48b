/** The environment's own alarms: each load balancer's error rate, what guards a change to every service at once. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { loadBalancerErrorRateAlarm } from "../deployment-alarms/kinds/error-rate";
import { NAME_LIMITS, physicalName } from "../naming";
import { type Tier, TIER_DEFAULTS } from "../tiers";

export interface LoadBalancerAlarmsArgs {
  readonly namePrefix: string;
  readonly tier: Tier;
  /** Each load balancer's name in the environment and its `app/<name>/<id>`, `main` first. */
  readonly loadBalancers: readonly { readonly name: string; readonly arnSuffix: pulumi.Input<string> }[];
  readonly alertTopicArn: pulumi.Input<string>;
}

/** One of the environment's own alarms (`Environment.loadBalancerAlarms()`), as a flag store watches it (a `MonitoredAlarm`). */
export interface EnvironmentAlarm {
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
}

/**
 * One error-rate alarm per load balancer (`<namePrefix>-<load balancer>-load-balancer-error-rate`), notifying the alert
 * topic. An environment stack's own flags change every service at once, and no service's alarms are in its stack to
 * watch them: these are its flag store's monitors (AppConfig takes 5; the store folds more into a composite).
 *
 * Thresholds: the tier's service defaults (`TIER_DEFAULTS[tier].alarms`: errorRatePercent, minRequests and timing),
 * the same bar a service's release is rolled back at, so an environment-wide flag is held to no laxer a bar than a
 * release. The rate is the whole load balancer's: one broken service among many healthy ones is diluted here, which
 * is why a service stack's flags live in its own store, watched by its own services' alarms.
 */
export function createLoadBalancerAlarms(name: string, args: LoadBalancerAlarmsArgs, opts: pulumi.CustomResourceOptions): EnvironmentAlarm[] {
  const { thresholds, timing } = TIER_DEFAULTS[args.tier].alarms;
  return args.loadBalancers.map((balancer) => {
    const shape = loadBalancerErrorRateAlarm("app/sample/0", thresholds.errorRatePercent, thresholds.minRequests, timing.periodSeconds);
    const alarm = new aws.cloudwatch.MetricAlarm(
      `${name}-${balancer.name}-lb-error-rate`,
      {
        name: physicalName([args.namePrefix, balancer.name], shape.kind, NAME_LIMITS.alarm),
        alarmDescription: `Load balancer ${balancer.name} of ${args.namePrefix}: ${shape.description}. AppConfig rolls a deployment of the environment's own flags back while this is in ALARM.`,
        comparisonOperator: shape.comparison,
        threshold: shape.threshold,
        evaluationPeriods: timing.evaluationPeriods,
        datapointsToAlarm: timing.datapointsToAlarm,
        treatMissingData: shape.treatMissingData,
        metricQueries: pulumi
          .output(balancer.arnSuffix)
          .apply((suffix) => loadBalancerErrorRateAlarm(suffix, thresholds.errorRatePercent, thresholds.minRequests, timing.periodSeconds).metricQueries.map((query) => ({ ...query }))),
        alarmActions: [args.alertTopicArn],
        okActions: [args.alertTopicArn],
        actionsEnabled: true,
      },
      opts,
    );
    return { name: alarm.name, arn: alarm.arn };
  });
}
