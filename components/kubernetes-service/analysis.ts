/** The AnalysisTemplates that judge a Kubernetes service's release: the alarm math, the smoke test and the canary's precondition. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AlarmTiming } from "../deployment-alarms/alarm-math";
import { describeSensitivity, type ScenarioResult } from "../deployment-alarms/alarm-sensitivity";
import { TEST_ROUTE_HEADER } from "../service/routing";
import type { Thresholds } from "../deployment-alarms/kinds";
import {
  analysisAlarms,
  analysisMetric,
  analysisPreconditionScript,
  analysisSensitivity,
  completeAfterSeconds,
  LOAD_BALANCER_ARG,
  measurementIntervalSeconds,
  TARGET_GROUP_ARG,
} from "./analysis-metrics";
import type { ChildContext } from "./child-context";
import { SMOKE_IMAGE, SMOKE_SETTLE_SECONDS, type SmokeTest, smokeScript } from "./smoke";

/** Template suffixes: the alarm math once before promotion, and the canary's check that Argo wrote `status.alb`. */
export const PROMOTION_CHECK = "promotion-check";
export const PRECONDITION = "analysis-precondition";

/** The AnalysisTemplates the Rollout refers to, by what each judges; a template the release does not run is absent. */
export interface AnalysisTemplateNames {
  /** The alarm math, measured for as long as the new version takes traffic (canary's background run). */
  readonly alarms: string;
  /** The alarm math once, right before promotion (the alarm gate). */
  readonly promotionCheck?: string;
  readonly smoke?: string;
  /** Canary: the check that Argo wrote `status.alb`. */
  readonly precondition?: string;
  /** Blue/green: the alarm math on the active target group after the switch. */
  readonly bake?: string;
}

/** The values of the alarm templates' args: the load balancer, the new version's target group, and blue/green's active one. */
export interface AnalysisArgs {
  readonly loadBalancer: Record<string, unknown>;
  readonly newTargetGroup: Record<string, unknown>;
  /** Blue/green: after the switch the active group holds the new version. */
  readonly activeTargetGroup?: Record<string, unknown>;
}

/** Blue/green: the environment's load balancer, the preview group before the switch and the active one after it. */
export function blueGreenAnalysisArgs(loadBalancerArnSuffix: pulumi.Input<string>, previewTargetGroupArnSuffix: pulumi.Input<string>, activeTargetGroupArnSuffix: pulumi.Input<string>): AnalysisArgs {
  return {
    loadBalancer: { name: LOAD_BALANCER_ARG, value: loadBalancerArnSuffix },
    newTargetGroup: { name: TARGET_GROUP_ARG, value: previewTargetGroupArnSuffix },
    activeTargetGroup: { name: TARGET_GROUP_ARG, value: activeTargetGroupArnSuffix },
  };
}

/** Canary: Argo fills these once the controller has made the load balancer; they name the canary's own target group. */
export const CANARY_ANALYSIS_ARGS: AnalysisArgs = {
  loadBalancer: { name: LOAD_BALANCER_ARG, valueFrom: { fieldRef: { fieldPath: "status.alb.loadBalancer.fullName" } } },
  newTargetGroup: { name: TARGET_GROUP_ARG, valueFrom: { fieldRef: { fieldPath: "status.alb.canaryTargetGroup.fullName" } } },
};

/** Where the smoke job sends its requests, with which headers, and how long it waits for the first answer. */
export interface SmokeTarget {
  readonly url: pulumi.Output<string>;
  readonly headers: Record<string, string>;
  readonly settle: number;
}

/**
 * Blue/green (`testUrl` given): through the environment's test listener with the header its rule routes on, so the
 * preview target group (the one the promotion check measures) really serves the requests, as the ECS hook's do.
 * Canary: the canary Service, before the new version has any weight (its target group serves no one yet).
 */
export function smokeTarget(name: string, testUrl: pulumi.Output<string> | undefined, canaryServiceUrl: string): SmokeTarget {
  return testUrl
    ? { url: pulumi.output(testUrl), headers: { [TEST_ROUTE_HEADER]: name }, settle: SMOKE_SETTLE_SECONDS }
    : { url: pulumi.output(canaryServiceUrl), headers: {}, settle: 0 };
}

/** The smoke test, and where it sends its requests. */
export interface SmokeRun {
  readonly test: SmokeTest;
  readonly target: SmokeTarget;
}

export interface AnalysisInputs {
  readonly thresholds: Thresholds;
  readonly timing: AlarmTiming;
  /** Blue/green: the bake after the switch; canary: undefined (its background run judges the stages instead). */
  readonly bakeMinutes?: number;
  /** The promotion check runs (`hooks.alarmGate` is not `false`). */
  readonly alarmGate: boolean;
  readonly smoke?: SmokeRun;
  /** The service account that may read the Rollout, the precondition job's. */
  readonly readerName: string;
  /** For the detection estimate: the new version's share of traffic when it is first judged, and the pods. */
  readonly newVersionPercent: number;
  readonly tasks: number;
}

/** The AnalysisTemplates of a release and what the rest of the service needs to know of them. */
export interface Analysis {
  readonly templates: k8s.apiextensions.CustomResource[];
  readonly names: AnalysisTemplateNames;
  /** Blue/green: the minutes the bake analysis runs. */
  readonly bakePauseMinutes?: number;
  /** The alarm scenarios run through the evaluator over the metrics that abort a release under user traffic. */
  readonly sensitivity: readonly ScenarioResult[];
  /** e.g. `analysis detects 5xx at 2x threshold 2m30s, ... (new version at 5%, ...)` */
  readonly detectionSummary: string;
}

/**
 * Measurements of blue/green's bake: at least one period after the switch even without a bake, so the new version is
 * always judged under user traffic. The bake, and at least until the first period wholly after the switch is complete
 * and counted.
 */
export function bakeMeasurements(bakeMinutes: number, timing: AlarmTiming): number {
  const interval = measurementIntervalSeconds(timing.periodSeconds);
  return Math.max(Math.ceil((bakeMinutes * 60) / interval), Math.ceil((completeAfterSeconds(timing.periodSeconds) + timing.periodSeconds) / interval) + 1);
}

/** The AnalysisTemplates: the alarm math (in the background, before promotion, in the bake), the smoke test and the canary's precondition. */
export function createAnalysis(context: ChildContext, inputs: AnalysisInputs): Analysis {
  const { name, namespace, meta, k8sOpts } = context;
  const { timing, smoke } = inputs;
  const alarmDefinitions = analysisAlarms(inputs.thresholds, timing.periodSeconds);
  const template = (templateName: string, metrics: pulumi.Input<Record<string, unknown>>[], templateArgs: string[]) =>
    new k8s.apiextensions.CustomResource(
      `${name}-${templateName}`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: meta(`${name}-${templateName}`),
        spec: { ...(templateArgs.length > 0 ? { args: templateArgs.map((arg) => ({ name: arg })) } : {}), metrics },
      },
      k8sOpts,
    );
  // A job metric: one pod, no retries, the analysis fails with the job.
  const jobMetric = (metricName: string, container: pulumi.Input<Record<string, unknown>>, serviceAccountName?: string) => ({
    name: metricName,
    count: 1,
    failureLimit: 0,
    provider: {
      job: {
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: "Never", ...(serviceAccountName ? { serviceAccountName } : {}), containers: [container] } },
        },
      },
    },
  });
  const alarmArgs = [LOAD_BALANCER_ARG, TARGET_GROUP_ARG];
  const templates: k8s.apiextensions.CustomResource[] = [];
  // Measured every period for as long as the new version takes traffic: aborts the moment an alarm would fire.
  const backgroundMetrics = alarmDefinitions.map((alarm) => analysisMetric(alarm, timing));
  templates.push(template("alarms", backgroundMetrics, alarmArgs));
  // Not ECS's alarm gate (which reads the CloudWatch alarms' state): one evaluation of the alarm math over the new
  // version's own target group right before promotion, so it is named for what it does.
  if (inputs.alarmGate) templates.push(template(PROMOTION_CHECK, alarmDefinitions.map((alarm) => analysisMetric(alarm, timing, 1)), alarmArgs));
  if (smoke) {
    const through = smoke.target;
    templates.push(
      template(
        "smoke",
        [jobMetric("smoke-test", through.url.apply((url) => ({ name: "smoke", image: SMOKE_IMAGE, command: ["sh", "-c", smokeScript(url, smoke.test, through.headers, through.settle)] })))],
        [],
      ),
    );
  }
  const blueGreen = inputs.bakeMinutes !== undefined;
  if (!blueGreen) {
    templates.push(
      template(PRECONDITION, [jobMetric("status-alb", { name: "precondition", image: SMOKE_IMAGE, command: ["sh", "-c", analysisPreconditionScript(namespace, name)] }, inputs.readerName)], []),
    );
  }
  const names: AnalysisTemplateNames = {
    alarms: `${name}-alarms`,
    ...(inputs.alarmGate ? { promotionCheck: `${name}-${PROMOTION_CHECK}` } : {}),
    ...(smoke ? { smoke: `${name}-smoke` } : {}),
    ...(blueGreen ? { bake: `${name}-bake` } : { precondition: `${name}-${PRECONDITION}` }),
  };
  // The metrics that abort a release under user traffic: blue/green's bake after the switch, canary's background run.
  const measurements = inputs.bakeMinutes === undefined ? undefined : bakeMeasurements(inputs.bakeMinutes, timing);
  const judgingMetrics = measurements === undefined ? backgroundMetrics : alarmDefinitions.map((alarm) => analysisMetric(alarm, timing, measurements));
  if (measurements !== undefined) templates.push(template("bake", judgingMetrics, alarmArgs));
  const detection = analysisSensitivity(judgingMetrics, {
    errorRatePercent: inputs.thresholds.errorRatePercent,
    p99LatencyMs: inputs.thresholds.p99LatencyMs,
    minRequests: inputs.thresholds.minRequests,
    newVersionPercent: inputs.newVersionPercent,
    tasks: inputs.tasks,
    blueGreen,
    intervalSeconds: measurementIntervalSeconds(timing.periodSeconds),
  });
  return {
    templates,
    names,
    ...(measurements !== undefined ? { bakePauseMinutes: Math.ceil((measurements * measurementIntervalSeconds(timing.periodSeconds)) / 60) } : {}),
    sensitivity: detection.results,
    detectionSummary: `analysis ${describeSensitivity(detection.results, detection.inputs)}`,
  };
}
