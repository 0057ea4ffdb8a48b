import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import { NAME_LIMITS, physicalName } from "../naming";
import { type Tier, TIER_DEFAULTS, type TierDefaults } from "../tiers";
import {
  type AlarmDefinition,
  type AlarmTiming,
  type CustomAlarm,
  customAlarm,
  detectionSeconds,
  metricMathProblems,
  timingProblems,
  type TrafficTargets,
} from "./alarm-math";
import type { AlarmSpec } from "./alarm-evaluator";
import { alarmSensitivity, describeSensitivity, type ScenarioResult } from "./alarm-sensitivity";
import { ALARM_KINDS, type Thresholds, thresholdsOver } from "./kinds";

/**
 * The thresholds are one number per setting of the built-in alarm kinds (`ALARM_SETTINGS`; the README's *Rollback
 * alarms* says what each means), each @default the tier's (`TIER_DEFAULTS[tier].alarms.thresholds`).
 */
export interface DeploymentAlarmsArgs extends Partial<Thresholds> {
  /** The service the alarms watch; part of every alarm name. */
  readonly serviceName: string;
  /** Prefix of the alarm names, usually the environment's. */
  readonly namePrefix: string;
  /** `app/<name>/<id>` of the load balancer. */
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  /** `targetgroup/<name>/<id>` of every target group the service's traffic can be on (blue and green). */
  readonly targetGroupArnSuffixes: readonly pulumi.Input<string>[];
  /** Where every alarm's ALARM and OK notifications go. */
  readonly alertTopicArn: pulumi.Input<string>;
  /**
   * The tier whose thresholds and timing fill what is left out (`TIER_DEFAULTS[tier].alarms`); a service passes its
   * environment's. @default "production" (the thresholds DeploymentAlarms used before it took a tier)
   */
  readonly tier?: Tier;
  /** Alarms on any other metric, watched like the built-in ones. @default [] */
  readonly custom?: readonly CustomAlarm[];
  /**
   * @default the tier's: 60-second periods, alarming on 3 of 3 in dev, 2 of 2 in staging, 1 of 1 in production
   */
  readonly timing?: AlarmTiming;
  /**
   * What the detection estimate assumes: the new version's first share of production traffic (first canary or linear
   * step) and the running tasks (10 requests per second each). @default { newVersionPercent: 100, tasks: 1 }
   */
  readonly detectionTraffic?: { readonly newVersionPercent: number; readonly tasks: number };
  /**
   * What happens to a release while an alarm is in ALARM, as its description tells on-call.
   * @default "ECS rolls a deployment back while this is in ALARM." (the ECS service lists the alarms in its deployment)
   */
  readonly onAlarm?: string;
}

/** What the alarms of a service Argo Rollouts releases do: Argo's own analysis, not these alarms, aborts a release. */
export const ARGO_ON_ALARM = "Argo Rollouts' analysis, on the same math, aborts a release; this alarm alerts on-call (and, as an AppConfig monitor, rolls flag deployments back).";

/** Alarm thresholds and timing with nothing left out. */
export type AlarmSettings = Thresholds & { readonly timing: AlarmTiming };

/** The tier's alarm thresholds and timing under what the caller set (a field set to undefined is left out). */
export function alarmsWithTierDefaults<A extends Partial<AlarmSettings>>(tier: TierDefaults, alarms: A | undefined): A & AlarmSettings {
  return { ...(alarms as A), ...thresholdsOver(tier.alarms.thresholds, alarms), timing: alarms?.timing ?? tier.alarms.timing };
}

/** The alarms' settings with their defaults and their definitions, over sample target groups for what is not a query. */
function alarmPlan(args: DeploymentAlarmsArgs) {
  const tier = TIER_DEFAULTS[args.tier ?? "production"].alarms;
  const thresholds = thresholdsOver(tier.thresholds, args);
  const timing = args.timing ?? tier.timing;
  const settings: AlarmSettings = { timing, ...thresholds };
  const period = timing.periodSeconds;
  const definitions: ((t: TrafficTargets) => AlarmDefinition)[] = [
    ...ALARM_KINDS.map((kind) => (t: TrafficTargets) => kind.define(t, thresholds, period)),
    ...(args.custom ?? []).map((alarm) => () => customAlarm(alarm, period)),
  ];
  // Definitions are built twice: once with the real ARN suffixes for the queries, once with these for the rest.
  const sample: TrafficTargets = {
    loadBalancerArnSuffix: "app/sample/0",
    targetGroupArnSuffixes: args.targetGroupArnSuffixes.map((_, index) => `targetgroup/sample-${index}/0`),
  };
  return { settings, timing, thresholds, definitions, sample };
}

/** Names the service's own alarms take: a custom alarm by one of them would collide with it (`any` is the composite). */
const RESERVED_ALARM_NAMES = [...ALARM_KINDS.map((kind) => kind.name), "any"];

/** The physical names of a service's built-in metric alarms, one per alarm kind. */
export function builtInAlarmNames(namePrefix: string, serviceName: string): string[] {
  return ALARM_KINDS.map((kind) => physicalName([namePrefix, serviceName], kind.name, NAME_LIMITS.alarm));
}

/** Every problem with the alarms' arguments, each naming its field; the constructor refuses them before registering. */
export function deploymentAlarmsArgsProblems(args: DeploymentAlarmsArgs): ArgumentProblem[] {
  const { timing, thresholds, definitions, sample } = alarmPlan(args);
  const custom = args.custom ?? [];
  const names = custom.map((alarm) => alarm.name);
  return [
    ...under(["timing"], timingProblems(timing)),
    ...(args.targetGroupArnSuffixes.length === 0 ? [{ field: ["targetGroupArnSuffixes"], message: "must name at least one target group", got: [] }] : []),
    ...ALARM_KINDS.flatMap((kind) => kind.problems?.(thresholds) ?? []),
    ...names.flatMap((alarmName, index) =>
      RESERVED_ALARM_NAMES.includes(alarmName) || names.indexOf(alarmName) !== index
        ? [{ field: ["custom", index, "name"], message: "is used by another alarm of this service", got: alarmName }]
        : [],
    ),
    ...definitions.flatMap((define, index) =>
      metricMathProblems(define(sample)).map((message) => ({
        field: index < ALARM_KINDS.length ? ["targetGroupArnSuffixes"] : ["custom", index - ALARM_KINDS.length],
        message,
        got: undefined,
      })),
    ),
  ];
}

/**
 * The CloudWatch alarms of one service: error rate and p99 latency over both target groups, unhealthy hosts, custom
 * alarms, and a composite of them all. ECS watches the metric alarms during a deployment and rolls back on any.
 */
export class DeploymentAlarms extends pulumi.ComponentResource {
  /** Names of the metric alarms, for the ECS service's `alarms.alarmNames`. */
  public readonly alarmNames: pulumi.Output<string[]>;
  public readonly alarmArns: pulumi.Output<string[]>;
  /** Any of this service's alarms: for dashboards and flag-store monitors. */
  public readonly compositeAlarmArn: pulumi.Output<string>;
  public readonly compositeAlarmName: pulumi.Output<string>;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** The thresholds and timing the alarms use, the tier's where the caller left them out: e.g. for dashboards. */
  public readonly settings: AlarmSettings;
  /** Worst-case seconds from the start of a sustained breach to the alarm firing. */
  public readonly detectionSeconds: number;
  /** Each scenario's detection time, as the alarms themselves judge synthetic ALB metrics (alarm-sensitivity.ts). @internal */
  public readonly sensitivity: ScenarioResult[];
  /** e.g. `detects 5xx at 2x threshold 2m30s, ..., healthy quiet 30m, ... (new version at 10%, 1000 and 1800 req/min)` */
  public readonly detectionSummary: string;

  constructor(name: string, args: DeploymentAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    refuseBadArguments("DeploymentAlarms", name, deploymentAlarmsArgsProblems(args));
    super("release:aws:DeploymentAlarms", name, {}, opts);
    const { settings, timing, thresholds, definitions, sample } = alarmPlan(args);
    this.settings = settings;

    const targets: pulumi.Output<TrafficTargets> = pulumi
      .all([pulumi.output(args.loadBalancerArnSuffix), pulumi.all(args.targetGroupArnSuffixes.map((suffix) => pulumi.output(suffix)))])
      .apply(([loadBalancerArnSuffix, targetGroupArnSuffixes]) => ({ loadBalancerArnSuffix, targetGroupArnSuffixes }));
    const specs: AlarmSpec[] = definitions.map((define) => {
      const shape = define(sample);
      return {
        name: physicalName([args.namePrefix, args.serviceName], shape.kind, NAME_LIMITS.alarm),
        comparison: shape.comparison,
        threshold: shape.threshold,
        evaluationPeriods: Math.max(timing.evaluationPeriods, shape.minimumEvaluation?.evaluationPeriods ?? 0),
        datapointsToAlarm: Math.max(timing.datapointsToAlarm, shape.minimumEvaluation?.datapointsToAlarm ?? 0),
        treatMissingData: shape.treatMissingData,
        metricQueries: shape.metricQueries,
      };
    });

    this.alarms = definitions.map((define, index) => {
      const shape = define(sample);
      const spec = specs[index];
      return new aws.cloudwatch.MetricAlarm(
        `${name}-${shape.kind}`,
        {
          name: spec.name,
          alarmDescription: `${args.serviceName}: ${shape.description}. ${args.onAlarm ?? "ECS rolls a deployment back while this is in ALARM."}`,
          comparisonOperator: spec.comparison,
          threshold: spec.threshold,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          treatMissingData: spec.treatMissingData,
          metricQueries: targets.apply((t) => define(t).metricQueries.map((query) => ({ ...query }))),
          alarmActions: [args.alertTopicArn],
          okActions: [args.alertTopicArn],
          actionsEnabled: true,
          tags: { service: args.serviceName },
        },
        { parent: this },
      );
    });
    this.alarmNames = pulumi.all(this.alarms.map((alarm) => alarm.name));
    this.alarmArns = pulumi.all(this.alarms.map((alarm) => alarm.arn));

    const composite = new aws.cloudwatch.CompositeAlarm(
      `${name}-any`,
      {
        alarmName: physicalName([args.namePrefix, args.serviceName], "any", NAME_LIMITS.alarm),
        alarmDescription: `${args.serviceName}: any of its deployment alarms. Notifications come from the member alarms.`,
        alarmRule: this.alarmNames.apply((names) => names.map((alarmName) => `ALARM(${JSON.stringify(alarmName)})`).join(" OR ")),
        actionsEnabled: false,
        tags: { service: args.serviceName },
      },
      { parent: this },
    );
    this.compositeAlarmArn = composite.arn;
    this.compositeAlarmName = composite.alarmName;
    this.detectionSeconds = detectionSeconds(timing);
    const traffic = {
      ...thresholds,
      newVersionPercent: args.detectionTraffic?.newVersionPercent ?? 100,
      tasks: args.detectionTraffic?.tasks ?? 1,
      targetGroups: sample.targetGroupArnSuffixes,
    };
    this.sensitivity = alarmSensitivity(specs, traffic);
    this.detectionSummary = describeSensitivity(this.sensitivity, traffic);

    this.registerOutputs({
      detection: this.detectionSummary,
      alarmNames: this.alarmNames,
      alarmArns: this.alarmArns,
      compositeAlarmArn: this.compositeAlarmArn,
      compositeAlarmName: this.compositeAlarmName,
    });
  }
}
