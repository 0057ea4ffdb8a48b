import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import type { EnvironmentFacts, ServiceArgsBase } from "../service/args";
import { autoscalingProblems, latestImageProblems, priorityProblems, routeProblems, sidecarPortProblems } from "../service/problems";
import { type DeploymentStrategy, strategyProblems } from "../blue-green-service/strategy";
import { createServiceRouting, TEST_ROUTE_HEADER } from "../service/routing";
import { type ServiceAlarmsArgs, type ServiceHooksArgs, serviceTierDefaults, type ServiceTierSettings } from "../service/settings";
import type { AlarmTiming } from "../deployment-alarms/alarm-math";
import { describeSensitivity, type ScenarioResult } from "../deployment-alarms/alarm-sensitivity";
import { type AlarmSettings, alarmsWithTierDefaults, ARGO_ON_ALARM, DeploymentAlarms, type DeploymentAlarmsArgs, deploymentAlarmsArgsProblems } from "../deployment-alarms/deployment-alarms";
import { thresholdsOf } from "../deployment-alarms/kinds";
import { type Environment, TLS13_POLICY } from "../environment/environment";
import { smokeTestArgsProblems, smokeTestSettings } from "../lifecycle-hooks/lifecycle-hooks";
import { KUBERNETES_NAME, NAME_LIMITS, physicalName } from "../naming";
import { TIER_DEFAULTS } from "../tiers";
import {
  analysisAlarms,
  analysisMetric,
  analysisPreconditionScript,
  analysisSensitivity,
  completeAfterSeconds,
  drainingOf,
  lookbackSeconds,
  measurementIntervalSeconds,
  releaseMinutes,
  ROLLOUTS_PLUGIN_IMAGE,
  WAIT_MARGIN_MINUTES,
  describeRolloutSteps,
  kubernetesStrategyProblems,
  LOAD_BALANCER_ARG,
  type RolloutStep,
  rolloutSteps,
  SMOKE_IMAGE,
  SMOKE_SETTLE_SECONDS,
  type SmokeTest,
  smokeScript,
  type StepInput,
  stepsProblems,
  TARGET_GROUP_ARG,
} from "./plan";
import { controllerTargetGroupResource, hostInZone, ingressGroupName, loadBalancerNameOf } from "./load-balancer-controller";

/** Template suffixes: the alarm math once before promotion, and the canary's check that Argo wrote `status.alb`. */
export const PROMOTION_CHECK = "promotion-check";
export const PRECONDITION = "analysis-precondition";
/** The namespace label that has the AWS Load Balancer Controller inject its pod readiness gates. */
export const READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject";
/** The target groups' deregistration delay when neither the caller nor a tier set one. */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 30;

export interface KubernetesServiceArgs extends ServiceArgsBase {
  /** The cluster's provider: every Kubernetes object of the service is created through it. */
  readonly provider: k8s.Provider;
  /** Namespace of the service's objects (it must exist or be created by the caller). */
  readonly namespace: string;
  /** blue-green, canary or linear, as on ECS. @default the tier's, as a BlueGreenService's (none with `steps`) */
  readonly deployment?: DeploymentStrategy;
  /** Arbitrary stages instead of the strategy's; each percent above the last, at most 100. @default none */
  readonly steps?: readonly StepInput[];
  /** Pause after each bare-number step. @default 0 */
  readonly stepPauseMinutes?: number;
  /**
   * The ECS alarm thresholds and timing: the service's CloudWatch alarms (blue/green) and Argo's analysis use the same.
   * `extraAlarmNames` does not apply: Argo judges metrics, not alarms. @default the tier's (`TIER_DEFAULTS[tier].alarms`)
   */
  readonly alarms?: ServiceAlarmsArgs;
  /**
   * `smokeTest`: a job analysis against the new version's Service before it gets user traffic; `alarmGate`: an
   * analysis of the alarm math on the new version right before promotion (both @default none / on / on). Argo has no
   * lifecycle hooks or gate override: `extraLifecycleHooks` and `alarmGate.override` do not apply.
   */
  readonly hooks?: ServiceHooksArgs;
  /** Security group of the pods (the EKS cluster security group): blue/green opens it to the load balancer. @default none (blue/green requires it) */
  readonly podSecurityGroupId?: pulumi.Input<string>;
  /** Canary Ingress: subnets of the controller-managed load balancer (public, or private when internal). @default none (canary, linear and steps require it) */
  readonly ingressSubnetIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** @default false */
  readonly internal?: boolean;
  /** HTTPS on the canary Ingress. @default HTTP only */
  readonly certificateArn?: pulumi.Input<string>;
  /** @default ["0.0.0.0/0"] */
  readonly allowedCidrs?: readonly string[];
  /** EKS Pod Identity: a role for the service account, e.g. for the AppConfig Agent. @default no role */
  readonly podIdentity?: { readonly clusterName: pulumi.Input<string> };
  /**
   * Canary, linear and steps: the Route 53 hosted zone of `hostHeaders`, where each host gets an alias record to the
   * controller's load balancer (DNS sends a host, never a path, to a load balancer). @default none (canary, linear and steps require it)
   */
  readonly dnsZone?: CanaryDnsZone;
  /** Canary Ingress: the controller's load balancer's idle timeout, as the environment's. @default 60 */
  readonly idleTimeoutSeconds?: number;
}

/** A service's arguments once its tier has filled them: size, count, health, hooks, alarm thresholds and timing. */
export type ResolvedKubernetesServiceArgs<A extends KubernetesServiceArgsToCheck = KubernetesServiceArgs> = A &
  ServiceTierSettings & { readonly alarms: ServiceAlarmsArgs & AlarmSettings };

/** The smoke test's settings as the ECS hook fills them from the tier; paths default to the health check's. */
function smokeTestOf(args: ResolvedKubernetesServiceArgs<KubernetesServiceArgsToCheck>): SmokeTest | undefined {
  const smoke = args.hooks.smokeTest;
  if (!smoke) return undefined;
  return {
    ...smokeTestSettings({ ...smoke, paths: smoke.paths ?? [args.healthCheck.path] }, args.environment.tier),
    // A wildcard host cannot be sent as Host: the first exact one reaches the service's rule.
    hostHeader: (args.hostHeaders ?? []).find((host) => !/[*?]/.test(host)),
  };
}

/**
 * The service's arguments with what the caller left out taken from its environment's tier (`TIER_DEFAULTS`), as a
 * BlueGreenService takes them: strategy (unless `steps` replace it), size and count, autoscaling, health check,
 * draining, alarm thresholds and timing, the smoke test and the alarm gate (`false` turns either off).
 */
export function kubernetesServiceWithTierDefaults<A extends KubernetesServiceArgsToCheck>(args: A): ResolvedKubernetesServiceArgs<A> {
  const tier = TIER_DEFAULTS[args.environment.tier];
  return {
    ...args,
    deployment: args.deployment ?? (args.steps ? undefined : tier.deployment),
    ...serviceTierDefaults(tier, args, true),
    alarms: alarmsWithTierDefaults(tier, args.alarms),
  };
}

/** A service's arguments as its validator takes them: the environment as facts, and no cluster provider. */
export type KubernetesServiceArgsToCheck = Omit<KubernetesServiceArgs, "environment" | "provider"> & { readonly environment: EnvironmentFacts };

/** Problems with the arguments, each naming its field, before anything is registered. */
export function kubernetesServiceArgsProblems(given: KubernetesServiceArgsToCheck): ArgumentProblem[] {
  const args = kubernetesServiceWithTierDefaults(given);
  const strategy = args.deployment ?? { strategy: "blue-green", bakeMinutes: 0 };
  const blueGreen = strategy.strategy === "blue-green";
  const smokeTest = smokeTestOf(args);
  return [
    ...under(["deployment"], strategyProblems(strategy)),
    ...under(["deployment"], kubernetesStrategyProblems(strategy)),
    ...(args.steps ? stepsProblems(args.steps, args.stepPauseMinutes) : []),
    ...(args.steps && strategy.strategy !== "canary"
      ? [{ field: ["steps"], message: `replace the strategy's stages: leave the strategy out or make it canary, not ${strategy.strategy}`, got: undefined }]
      : []),
    ...routeProblems(args),
    ...priorityProblems(args.priority),
    ...latestImageProblems(args.image, args.environment.tier),
    ...sidecarPortProblems(args.port, args.sidecars),
    ...(blueGreen && args.podSecurityGroupId === undefined
      ? [{ field: ["podSecurityGroupId"], message: "is required for blue-green: the load balancer must reach the pods", got: undefined }]
      : []),
    ...(!blueGreen && args.ingressSubnetIds === undefined ? [{ field: ["ingressSubnetIds"], message: "is required for a canary Ingress", got: undefined }] : []),
    ...(blueGreen ? [] : canaryReachProblems(args)),
    ...autoscalingProblems(args.autoscaling),
    ...(KUBERNETES_NAME.test(args.namespace) ? [] : [{ field: ["namespace"], message: "must be a Kubernetes name: lower-case letters, digits and hyphens, at most 63", got: args.namespace }]),
    // The same settings make the blue/green alarms and Argo's analysis: one check, ids only name things.
    ...under(
      ["alarms"],
      deploymentAlarmsArgsProblems({
        tier: args.environment.tier,
        serviceName: "service",
        namePrefix: args.environment.namePrefix,
        loadBalancerArnSuffix: "",
        targetGroupArnSuffixes: ["", ""],
        alertTopicArn: "",
        ...thresholdsOf(args.alarms),
        custom: args.alarms.custom,
        timing: args.alarms.timing,
      }).filter((problem) => problem.field[0] !== "targetGroupArnSuffixes"),
    ),
    ...(args.alarms.extraAlarmNames?.length ? [{ field: ["alarms", "extraAlarmNames"], message: "do not apply on kubernetes: Argo Rollouts judges metrics, not alarms", got: undefined }] : []),
    ...(smokeTest ? under(["hooks", "smokeTest"], smokeTestArgsProblems(smokeTest)) : []),
    ...(args.hooks.alarmGate && args.hooks.alarmGate.override !== undefined
      ? [{ field: ["hooks", "alarmGate", "override"], message: "does not apply on kubernetes: abort or promote the Rollout instead", got: args.hooks.alarmGate.override }]
      : []),
    ...(args.hooks.extraLifecycleHooks?.length ? [{ field: ["hooks", "extraLifecycleHooks"], message: "are ECS lifecycle hooks: they do not apply on kubernetes", got: undefined }] : []),
  ];
}

/** An ECS container definition (as agentContainer returns it) as a Kubernetes container. */
export function toKubernetesContainer(definition: Record<string, unknown>): Record<string, unknown> {
  const ports = (definition.portMappings as { containerPort: number }[] | undefined) ?? [];
  const environment = (definition.environment as { name: string; value: string }[] | undefined) ?? [];
  return {
    name: definition.name,
    image: definition.image,
    ports: ports.map((port) => ({ containerPort: port.containerPort, protocol: "TCP" })),
    env: environment.map((variable) => ({ name: variable.name, value: variable.value })),
  };
}

/**
 * One service on Kubernetes released by Argo Rollouts with the ECS services' safety: blue/green through the
 * environment's own target groups (TargetGroupBinding), canary and staged steps through an ALB Ingress with exact
 * weights, and analysis on the same alarm math and thresholds.
 */
export class KubernetesService extends pulumi.ComponentResource {
  /** e.g. `steps 5% 10m -> 25% 10m -> 100% 15m (Argo Rollouts, ALB weights)` */
  public readonly strategySummary: string;
  /** The traffic stages (empty for blue/green). */
  public readonly steps: readonly RolloutStep[];
  public readonly rollout: k8s.apiextensions.CustomResource;
  /** Blue/green: the active (production) and preview (test listener) target groups. */
  public readonly activeTargetGroupArn?: pulumi.Output<string>;
  public readonly previewTargetGroupArn?: pulumi.Output<string>;
  public readonly activeTargetGroupArnSuffix?: pulumi.Output<string>;
  public readonly previewTargetGroupArnSuffix?: pulumi.Output<string>;
  /** The CloudWatch alarms over both target groups (dashboard, flag monitors, alerts): active and preview on the environment's load balancer, or stable and canary on the controller's. */
  public readonly alarms?: DeploymentAlarms;
  /** Any of the service's alarms, a flag store's monitor. */
  public readonly compositeAlarmArn?: pulumi.Output<string>;
  public readonly compositeAlarmName?: pulumi.Output<string>;
  /** The service account's role (Pod Identity), for grants such as FeatureFlagStore.grantRead. */
  public readonly podRoleName?: pulumi.Output<string>;
  /** The pod role as a flag store reader (`FeatureFlagStore` `readers`), when the service has one. */
  public readonly flagReader?: { readonly name: string; readonly roleName: pulumi.Output<string> };
  /** Canary: the Ingress whose load balancer the AWS Load Balancer Controller creates. */
  public readonly ingressName?: string;
  /** Canary: the controller's load balancer (`app/<name>/<id>`), looked up from the Ingress's status. */
  public readonly ingressLoadBalancerArnSuffix?: pulumi.Output<string>;
  /** Canary: the target groups the controller made for the stable and the canary Service. */
  public readonly stableTargetGroupArnSuffix?: pulumi.Output<string>;
  public readonly canaryTargetGroupArnSuffix?: pulumi.Output<string>;
  /** Canary: the IngressGroup (one controller load balancer per project, stack and environment). */
  public readonly ingressGroupName?: string;
  /** Canary: where users reach the service, e.g. `https://search.shop.example.com` (its first host; DNS points each at the controller's load balancer). */
  public readonly url?: string;
  /** What a user does after Argo aborts a release. */
  public readonly afterAbort: string;
  /** The alarm scenarios run through the evaluator over the analysis that aborts a release (its metrics as written to the cluster). @internal */
  public readonly sensitivity: readonly ScenarioResult[];
  /** e.g. `analysis detects 5xx at 2x threshold 2m30s, ... (new version at 5%, ...)` */
  public readonly detectionSummary: string;
  /** How long `pulumi up` waits for one release (staging and production): its pauses, bakes and analyses plus 30 minutes. */
  public readonly releaseWaitMinutes: number;
  /** The queue Argo's notifications send aborts and failed analyses to; a pipe forwards them to the alert topic. */
  public readonly releaseEventsQueueName: pulumi.Output<string>;
  /** Staging and production: the Job `pulumi up` waits on until the new generation is Healthy (fails if Degraded). */
  public readonly releaseWaiter?: k8s.batch.v1.Job;

  constructor(name: string, given: KubernetesServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const args = kubernetesServiceWithTierDefaults(given);
    const problems = kubernetesServiceArgsProblems(args);
    // Only blue/green puts rules on the environment's listeners; a canary's rules live on the controller's load balancer.
    const onListeners = (args.deployment ?? { strategy: "blue-green" }).strategy === "blue-green";
    const taken = problems.length === 0 && onListeners ? args.environment.claimPriority(args.priority, name) : undefined;
    refuseBadArguments("KubernetesService", name, taken ? [...problems, taken] : problems);
    super("release:kubernetes:KubernetesService", name, {}, opts);
    const env = args.environment;
    const strategy: DeploymentStrategy = args.deployment ?? { strategy: "blue-green", bakeMinutes: 0 };
    const blueGreen = strategy.strategy === "blue-green";
    this.steps = blueGreen ? [] : rolloutSteps(strategy, args.steps, args.stepPauseMinutes);
    this.strategySummary = blueGreen
      ? `blue-green (Argo Rollouts, TargetGroupBinding) 100% at once, bake ${"bakeMinutes" in strategy ? strategy.bakeMinutes : 0}m`
      : describeRolloutSteps(this.steps);
    this.afterAbort =
      `after an abort the Rollout ${args.namespace}/${name} stays Degraded on the old version until its spec is set back: ` +
      `put the previous image back in the stack file and pulumi up, or fix the image and pulumi up (kubectl argo rollouts undo ${name} -n ${args.namespace} alone is undone by the next pulumi up)`;

    const k8sOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const awsOpts: pulumi.CustomResourceOptions = { parent: this };
    const namespace = args.namespace;
    const selector = { "app.kubernetes.io/name": name };
    const labels = { ...selector, "app.kubernetes.io/managed-by": "release-platform" };
    const meta = (objectName: string, extra: Record<string, string> = {}) => ({ name: objectName, namespace, labels: { ...labels, ...extra } });
    const healthCheck = args.healthCheck;
    const timing = args.alarms.timing;
    const smoke = smokeTestOf(args);
    const tags = { service: name };

    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta(name) }, k8sOpts);
    if (args.podIdentity) {
      const role = new aws.iam.Role(
        `${name}-pod`,
        {
          name: physicalName([env.namePrefix, name], "pod", NAME_LIMITS.iamRole),
          // EKS Pod Identity assumes the role for the service account's pods; it needs TagSession as well.
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
          }),
          tags,
        },
        awsOpts,
      );
      new aws.eks.PodIdentityAssociation(
        `${name}-pod`,
        { clusterName: args.podIdentity.clusterName, namespace, serviceAccount: name, roleArn: role.arn, tags },
        { ...awsOpts, dependsOn: [serviceAccount] },
      );
      this.podRoleName = role.name;
      this.flagReader = { name, roleName: role.name };
    }

    // One Service per role the strategy gives Argo: it moves their selectors (blue/green) or the Ingress weights (canary).
    const serviceNames = blueGreen ? { live: `${name}-active`, next: `${name}-preview` } : { live: `${name}-stable`, next: `${name}-canary` };
    const services = [serviceNames.live, serviceNames.next].map(
      (serviceName) =>
        new k8s.core.v1.Service(
          serviceName,
          {
            metadata: meta(serviceName),
            spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: args.port, targetPort: args.port, protocol: "TCP" }] },
          },
          k8sOpts,
        ),
    );
    const nextServiceUrl = `http://${serviceNames.next}.${namespace}.svc.cluster.local:${args.port}`;

    const context: TrafficContext = { name, args, parent: this, k8sOpts, awsOpts, meta, tags, timing };
    let loadBalancerArg: Record<string, unknown>;
    let newTargetGroupArg: Record<string, unknown>;
    if (blueGreen) {
      const traffic = environmentTraffic(context, services);
      this.activeTargetGroupArn = traffic.active.arn;
      this.previewTargetGroupArn = traffic.preview.arn;
      this.activeTargetGroupArnSuffix = traffic.active.arnSuffix;
      this.previewTargetGroupArnSuffix = traffic.preview.arnSuffix;
      this.alarms = traffic.alarms;
      this.compositeAlarmArn = traffic.alarms.compositeAlarmArn;
      this.compositeAlarmName = traffic.alarms.compositeAlarmName;
      loadBalancerArg = { name: LOAD_BALANCER_ARG, value: env.loadBalancerArnSuffix };
      newTargetGroupArg = { name: TARGET_GROUP_ARG, value: traffic.preview.arnSuffix };
    } else {
      this.ingressName = name;
      const served = canaryIngress(context, serviceNames, services, this.steps[0]?.percent ?? 100);
      Object.assign(this, canaryOutputs(served));
      // Argo fills these once the controller has made the load balancer; they name the canary's own target group.
      loadBalancerArg = { name: LOAD_BALANCER_ARG, valueFrom: { fieldRef: { fieldPath: "status.alb.loadBalancer.fullName" } } };
      newTargetGroupArg = { name: TARGET_GROUP_ARG, valueFrom: { fieldRef: { fieldPath: "status.alb.canaryTargetGroup.fullName" } } };
    }

    const alarmDefinitions = analysisAlarms(thresholdsOf(args.alarms), timing.periodSeconds);
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
    const gate = args.hooks?.alarmGate !== false;
    // Not ECS's alarm gate (which reads the CloudWatch alarms' state): one evaluation of the alarm math over the new
    // version's own target group right before promotion, so it is named for what it does.
    if (gate) templates.push(template(PROMOTION_CHECK, alarmDefinitions.map((alarm) => analysisMetric(alarm, timing, 1)), alarmArgs));
    // Who may read the Rollout: the canary's analysis precondition and the release waiter (staging and production).
    const readerName = `${name}-release-reader`;
    const reader = rolloutReader(readerName, meta, k8sOpts);
    if (smoke) {
      // Blue/green: through the environment's test listener with the header its rule routes on, so the preview target
      // group (the one the promotion check measures) really serves the requests, as the ECS hook's do. Canary: the
      // canary Service, before the new version has any weight (its target group serves no one yet).
      const through: { url: pulumi.Output<string>; headers: Record<string, string>; settle: number } = blueGreen
        ? { url: pulumi.output(env.testUrl()), headers: { [TEST_ROUTE_HEADER]: name }, settle: SMOKE_SETTLE_SECONDS }
        : { url: pulumi.output(nextServiceUrl), headers: {}, settle: 0 };
      templates.push(
        template(
          "smoke",
          [jobMetric("smoke-test", through.url.apply((url) => ({ name: "smoke", image: SMOKE_IMAGE, command: ["sh", "-c", smokeScript(url, smoke, through.headers, through.settle)] })))],
          [],
        ),
      );
    }
    if (!blueGreen) {
      templates.push(
        template(PRECONDITION, [jobMetric("status-alb", { name: "precondition", image: SMOKE_IMAGE, command: ["sh", "-c", analysisPreconditionScript(namespace, name)] }, readerName)], []),
      );
    }
    const withArgs = (templateName: string) => ({ templates: [{ templateName: `${name}-${templateName}` }], args: [loadBalancerArg, newTargetGroupArg] });
    const smokeRef = { templates: [{ templateName: `${name}-smoke` }] };
    const draining = drainingOf(args.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS);
    const scaleDown = { scaleDownDelaySeconds: draining.scaleDownDelaySeconds, abortScaleDownDelaySeconds: draining.scaleDownDelaySeconds };

    let strategySpec: Record<string, unknown>;
    let pauses: number[];
    let standaloneAnalyses = gate ? 1 : 0;
    // The metrics that abort a release under user traffic: blue/green's bake after the switch, canary's background run.
    let judgingMetrics = backgroundMetrics;
    if (blueGreen) {
      // At least one period after the switch even without a bake: the new version is always judged under user traffic.
      // The bake, and at least until the first period wholly after the switch is complete and counted.
      const interval = measurementIntervalSeconds(timing.periodSeconds);
      const measurements = Math.max(
        Math.ceil((strategy.bakeMinutes * 60) / interval),
        Math.ceil((completeAfterSeconds(timing.periodSeconds) + timing.periodSeconds) / interval) + 1,
      );
      pauses = [Math.ceil((measurements * interval) / 60)];
      judgingMetrics = alarmDefinitions.map((alarm) => analysisMetric(alarm, timing, measurements));
      templates.push(template("bake", judgingMetrics, alarmArgs));
      const activeTargetGroupArg = { name: TARGET_GROUP_ARG, value: this.activeTargetGroupArnSuffix };
      const before = [...(smoke ? smokeRef.templates : []), ...(gate ? [{ templateName: `${name}-${PROMOTION_CHECK}` }] : [])];
      strategySpec = {
        blueGreen: {
          activeService: serviceNames.live,
          previewService: serviceNames.next,
          autoPromotionEnabled: true,
          ...scaleDown,
          ...(before.length > 0 ? { prePromotionAnalysis: { templates: before, args: gate ? [loadBalancerArg, newTargetGroupArg] : [] } } : {}),
          // After the switch the active group holds the new version: the bake judges it there and switches back on failure.
          postPromotionAnalysis: { templates: [{ templateName: `${name}-bake` }], args: [loadBalancerArg, activeTargetGroupArg] },
        },
      };
    } else {
      const steps: Record<string, unknown>[] = [];
      if (smoke) {
        // One pod of the new version with no user traffic yet: the smoke test calls it through the canary Service.
        steps.push({ setCanaryScale: { replicas: 1 } }, { analysis: smokeRef }, { setCanaryScale: { matchTrafficWeight: true } });
      }
      let startingStep = -1;
      this.steps.forEach((stage, index) => {
        if (gate && index === this.steps.length - 1 && stage.percent === 100) steps.push({ analysis: withArgs(PROMOTION_CHECK) });
        steps.push({ setWeight: stage.percent });
        if (startingStep === -1) {
          // Argo builds a run's arguments from the Rollout as read at the start of the reconcile
          // (BuildArgumentsForRolloutAnalysisRun(..., c.rollout), rollout/analysis.go), while the first setWeight's
          // status.alb is written into the new status of that same reconcile: a run started at the first weight gets the
          // previous release's (or no) target group. With --aws-verify-target-group the step completes only once the
          // weight is verified on the canary's target group, and that verification writes status.alb; the precondition
          // then checks the status and the background analysis starts on the step after it.
          steps.push({ analysis: { templates: [{ templateName: `${name}-${PRECONDITION}` }] } });
          startingStep = steps.length;
          standaloneAnalyses += 1;
        }
        if (stage.pauseMinutes > 0) steps.push({ pause: { duration: `${stage.pauseMinutes}m` } });
      });
      pauses = this.steps.map((stage) => stage.pauseMinutes);
      strategySpec = {
        canary: {
          stableService: serviceNames.live,
          canaryService: serviceNames.next,
          ...scaleDown,
          trafficRouting: { alb: { ingress: name, servicePort: args.port } },
          analysis: { ...withArgs("alarms"), startingStep },
          steps,
        },
      };
    }
    const sensitivity = analysisSensitivity(judgingMetrics, {
      ...thresholdsOf(args.alarms),
      newVersionPercent: blueGreen ? 100 : this.steps[0].percent,
      tasks: args.desiredCount ?? 1,
      blueGreen,
      intervalSeconds: measurementIntervalSeconds(timing.periodSeconds),
    });
    this.sensitivity = sensitivity.results;
    this.detectionSummary = `analysis ${describeSensitivity(sensitivity.results, sensitivity.inputs)}`;
    this.releaseWaitMinutes =
      releaseMinutes({ pauses, smoke, smokeSettleSeconds: blueGreen ? SMOKE_SETTLE_SECONDS : 0, windowMinutes: Math.ceil(lookbackSeconds(timing.periodSeconds, timing.evaluationPeriods) / 60), standaloneAnalyses }) +
      WAIT_MARGIN_MINUTES;

    const cpu = args.cpu ?? 256;
    const memory = args.memory ?? 512;
    const desiredCount = args.desiredCount ?? 1;
    const scaling = args.autoscaling ?? { min: desiredCount, max: desiredCount, cpuTargetPercent: 60 };
    const probe = (initialDelaySeconds: number) => ({
      // Kubernetes counts 200-399 as healthy, the target groups' default matcher.
      httpGet: { path: healthCheck.path ?? "/", port: args.port },
      initialDelaySeconds,
      periodSeconds: healthCheck.intervalSeconds ?? 15,
      timeoutSeconds: healthCheck.timeoutSeconds ?? 5,
      failureThreshold: healthCheck.unhealthyThreshold ?? 3,
    });
    const environmentVariables = Object.entries(args.environmentVariables ?? {}).sort(([a], [b]) => a.localeCompare(b));
    const container = pulumi
      .all([pulumi.output(args.image), pulumi.all(environmentVariables.map(([key, value]) => pulumi.output(value).apply((v) => ({ name: key, value: v }))))])
      .apply(([image, env]) => ({
        name: "app",
        image,
        ports: [{ name: "http", containerPort: args.port, protocol: "TCP" }],
        env,
        // ECS CPU units: 1024 is one vCPU, 1000m in Kubernetes.
        resources: {
          requests: { cpu: `${Math.round((cpu * 1000) / 1024)}m`, memory: `${memory}Mi` },
          limits: { cpu: `${Math.round((cpu * 1000) / 1024)}m`, memory: `${memory}Mi` },
        },
        readinessProbe: probe(0),
        // As ECS's 60 s health-check grace period: a slow start is not a dead container.
        livenessProbe: probe(60),
        // Kubernetes' own sleep action (1.30+), so the image needs no shell: the pod keeps answering while the load
        // balancer drains it and stops sending it requests.
        lifecycle: { preStop: { sleep: { seconds: draining.preStopSeconds } } },
      }));
    const sidecars = pulumi.all((args.sidecars ?? []).map((sidecar) => pulumi.output(sidecar.definition).apply((definition) => toKubernetesContainer(definition))));
    const autoscaled = scaling.max > scaling.min;
    const events = releaseEvents({ name, env, tags, awsOpts });
    this.releaseEventsQueueName = events.queue.name;
    const rolloutSpec = {
          replicas: autoscaled ? Math.max(scaling.min, Math.min(scaling.max, desiredCount)) : desiredCount,
          revisionHistoryLimit: 3,
          // Pods that never become ready abort the release, as ECS's deployment fails and rolls back.
          progressDeadlineSeconds: 600,
          progressDeadlineAbort: true,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: name,
              terminationGracePeriodSeconds: draining.terminationGracePeriodSeconds,
              containers: pulumi.all([container, sidecars]).apply(([app, others]) => [app, ...others]),
            },
          },
          strategy: strategySpec,
    };
    this.rollout = new k8s.apiextensions.CustomResource(
      `${name}-rollout`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { ...meta(name), annotations: events.queue.name.apply((queue) => subscriptions(queue)) },
        spec: rolloutSpec,
      },
      {
        ...k8sOpts,
        dependsOn: [serviceAccount, ...services, ...templates, ...reader],
        // The HorizontalPodAutoscaler owns the count once the Rollout exists.
        ...(autoscaled ? { ignoreChanges: ["spec.replicas"] } : {}),
      },
    );
    if (autoscaled) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
          metadata: meta(name),
          spec: {
            scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name },
            minReplicas: Math.max(1, scaling.min),
            maxReplicas: scaling.max,
            metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: scaling.cpuTargetPercent } } }],
          },
        },
        { ...k8sOpts, dependsOn: [this.rollout] },
      );
    }
    // The AWS Load Balancer Controller injects its readiness gates into new pods of a labelled namespace: a pod is
    // ready only once its target is healthy in the target group ("you need to apply the label
    // elbv2.k8s.aws/pod-readiness-gate-inject: enabled to the pod namespace", docs/deploy/pod_readiness_gate.md). The
    // gate is decided at pod creation, so Services whose selector Argo moves later (blue/green's active Service) get
    // none: --aws-verify-target-group covers those, and the scale-down delays cover the drain.
    new k8s.core.v1.NamespacePatch(`${name}-readiness-gates`, { metadata: { name: namespace, labels: { [READINESS_GATE_LABEL]: "enabled" } } }, k8sOpts);
    if (env.tier !== "dev") {
      this.releaseWaiter = releaseWaiter({ name, namespace, meta, k8sOpts, readerName, rollout: this.rollout, rolloutSpec, reader, minutes: this.releaseWaitMinutes });
    }
    // Voluntary disruptions (node drains) take one pod at a time, never the whole service.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, k8sOpts);

    this.registerOutputs({
      strategy: this.strategySummary,
      detection: this.detectionSummary,
      releaseEventsQueue: this.releaseEventsQueueName,
      afterAbort: this.afterAbort,
      activeTargetGroupArn: this.activeTargetGroupArn,
      previewTargetGroupArn: this.previewTargetGroupArn,
      ingress: this.ingressName,
      url: this.url,
      ingressLoadBalancerArnSuffix: this.ingressLoadBalancerArnSuffix,
      compositeAlarmArn: this.compositeAlarmArn,
      compositeAlarmName: this.compositeAlarmName,
      activeTargetGroupArnSuffix: this.activeTargetGroupArnSuffix,
      previewTargetGroupArnSuffix: this.previewTargetGroupArnSuffix,
      podRoleName: this.podRoleName,
    });
  }
}

/** What the traffic wiring shares with the component: its name and args, options for its children, and naming. */
interface TrafficContext {
  readonly name: string;
  readonly args: ResolvedKubernetesServiceArgs;
  readonly parent: pulumi.Resource;
  readonly k8sOpts: pulumi.CustomResourceOptions;
  readonly awsOpts: pulumi.CustomResourceOptions;
  readonly meta: (objectName: string) => Record<string, unknown>;
  readonly tags: Record<string, string>;
  readonly timing: AlarmTiming;
}

/** The service's CloudWatch alarms over the target groups that serve it, on whichever load balancer they sit. */
function serviceAlarms(
  context: TrafficContext,
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

/**
 * Blue/green on the environment's load balancer: the active and preview target groups behind the production and test
 * rules, each bound to its Service, the security-group path to the pods, and the alarms over both groups.
 */
function environmentTraffic(context: TrafficContext, services: readonly k8s.core.v1.Service[]) {
  const { name, args, parent, k8sOpts, awsOpts, meta, tags } = context;
  const env = args.environment;
  // As the ECS groups: the controller registers each pod with its Service's target port and the health check follows it
  // (traffic-port), so the group's own port is a default set at creation; a new port updates the bindings in place.
  const routing = createServiceRouting(
    name,
    {
      environment: env,
      port: args.port,
      priority: args.priority,
      pathPatterns: args.pathPatterns ?? [],
      hostHeaders: args.hostHeaders ?? [],
      healthCheck: args.healthCheck,
      deregistrationDelaySeconds: args.deregistrationDelaySeconds,
      tags,
      groups: { production: { role: "active", letter: "a", tags: { role: "active" } }, test: { role: "preview", letter: "p", tags: { role: "preview" } } },
      forward: "per-group",
      targetGroupIgnoreChanges: ["port"],
    },
    parent,
  );
  const active = routing.productionTargetGroup;
  const preview = routing.testTargetGroup;
  [
    { service: services[0], targetGroup: active, role: "active" },
    { service: services[1], targetGroup: preview, role: "preview" },
  ].forEach(({ service, targetGroup: group, role }) => {
    new k8s.apiextensions.CustomResource(
      `${name}-${role}-binding`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBinding",
        metadata: meta(`${name}-${role}`),
        spec: { serviceRef: { name: service.metadata.name, port: args.port }, targetGroupARN: group.arn, targetType: "ip" },
      },
      // targetGroupARN and targetType are immutable in the controller's webhook: a new group means a new binding.
      { ...k8sOpts, replaceOnChanges: ["spec.targetGroupARN", "spec.targetType"], deleteBeforeReplace: true },
    );
  });
  // Targets are pod IPs: the load balancer's group must reach the pods' group on the container port, both ways.
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-lb-to-pods`,
    {
      securityGroupId: env.loadBalancerSecurityGroupId,
      description: `To the pods of ${name}`,
      ipProtocol: "tcp",
      fromPort: args.port,
      toPort: args.port,
      referencedSecurityGroupId: args.podSecurityGroupId,
    },
    awsOpts,
  );
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-pods-from-lb`,
    {
      securityGroupId: args.podSecurityGroupId!,
      description: `${name} from the load balancer`,
      ipProtocol: "tcp",
      fromPort: args.port,
      toPort: args.port,
      referencedSecurityGroupId: env.loadBalancerSecurityGroupId,
    },
    awsOpts,
  );
  if (args.hooks?.smokeTest && env.natPrefixList === undefined) {
    // The smoke job calls the test listener. An internet-facing load balancer admits it from the NAT gateways (its
    // DNS name resolves to public addresses); an internal one at its private addresses, from the pods' group.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-lb-test-from-pods`,
      {
        securityGroupId: env.loadBalancerSecurityGroupId,
        description: `Test listener, from the smoke test of ${name}`,
        ipProtocol: "tcp",
        fromPort: env.testListenerPort,
        toPort: env.testListenerPort,
        referencedSecurityGroupId: args.podSecurityGroupId,
      },
      awsOpts,
    );
  }
  const alarms = serviceAlarms(context, env.loadBalancerArnSuffix, [active.arnSuffix, preview.arnSuffix]);
  return { active, preview, alarms };
}

/** The Route 53 hosted zone a canary service's hosts live in: its id, and its name to check the hosts against. */
export interface CanaryDnsZone {
  readonly id: pulumi.Input<string>;
  /** e.g. `shop.example.com` (no trailing dot). */
  readonly name: string;
}

/** A host a DNS record can be made for: no `*` or `?` of a listener rule's wildcards. */
const exactHost = (host: string) => !/[*?]/.test(host);

/**
 * Canary, linear and steps services are served by the AWS Load Balancer Controller's load balancer, not the
 * environment's: DNS resolves a host name to one load balancer and knows nothing of paths, so a path on the
 * environment's host can never reach them. Each needs hosts of its own, exact (a DNS record names one host), in the
 * hosted zone where the program points them at the controller's load balancer.
 */
function canaryReachProblems(args: KubernetesServiceArgsToCheck): ArgumentProblem[] {
  const hosts = args.hostHeaders ?? [];
  const problems: ArgumentProblem[] = [];
  if (hosts.length === 0) {
    problems.push({
      field: ["hostHeaders"],
      message:
        "are required for canary, linear and steps on kubernetes: the service is served by the AWS Load Balancer Controller's own load balancer, and DNS sends a host, never a path, to a load balancer; give the host name(s) it answers on",
      got: args.pathPatterns?.length ? `pathPatterns ${args.pathPatterns.join(", ")} only` : undefined,
    });
  }
  hosts.forEach((host, index) => {
    if (!exactHost(host)) problems.push({ field: ["hostHeaders", index], message: "must be an exact host name: the program makes a DNS record for each host of a canary service", got: host });
    else if (args.dnsZone && !hostInZone(host, args.dnsZone.name)) {
      problems.push({ field: ["hostHeaders", index], message: `is not in the hosted zone ${args.dnsZone.name}, where the program makes the service's DNS records`, got: host });
    }
  });
  const idle = args.idleTimeoutSeconds;
  if (idle !== undefined && !(Number.isInteger(idle) && idle >= 1 && idle <= 4000)) {
    problems.push({ field: ["idleTimeoutSeconds"], message: "must be a whole number of seconds, 1-4000 (an ALB's idle timeout)", got: idle });
  }
  if (!args.dnsZone) {
    problems.push({
      field: ["dnsZone"],
      message: "is required for canary, linear and steps on kubernetes: the program points each of the service's hosts at the controller's load balancer with a Route 53 record in it",
      got: undefined,
    });
  }
  return problems;
}




/** The component's canary fields from what serves the service (assigned at once, so the constructor's branch stays one line). */
function canaryOutputs(served: CanaryTraffic): Partial<KubernetesService> {
  return {
    ingressGroupName: served.groupName,
    ingressLoadBalancerArnSuffix: served.loadBalancerArnSuffix,
    stableTargetGroupArnSuffix: served.stableTargetGroupArnSuffix,
    canaryTargetGroupArnSuffix: served.canaryTargetGroupArnSuffix,
    alarms: served.alarms,
    compositeAlarmArn: served.alarms.compositeAlarmArn,
    compositeAlarmName: served.alarms.compositeAlarmName,
    url: served.url,
  };
}

/** What serves a canary service and watches it. */
interface CanaryTraffic {
  readonly ingress: k8s.networking.v1.Ingress;
  readonly groupName: string;
  readonly loadBalancerArnSuffix: pulumi.Output<string>;
  readonly stableTargetGroupArnSuffix: pulumi.Output<string>;
  readonly canaryTargetGroupArnSuffix: pulumi.Output<string>;
  readonly alarms: DeploymentAlarms;
  readonly url: string;
}

/**
 * Canary, linear and steps: an Ingress the AWS Load Balancer Controller serves and whose weights Argo moves, the DNS
 * records of the service's hosts pointing at that load balancer, and the service's alarms on it, as the environment's
 * own load balancer has them. The load balancer and its target groups are looked up in the same `pulumi up`: the
 * Kubernetes provider awaits an Ingress until `.status.loadBalancer.ingress` has an entry (pulumi-kubernetes
 * await/ingress.go), and the controller writes that status only after it has deployed the load balancer, its target
 * groups and rules (group_controller.go: buildAndDeployModel, then updateIngressGroupStatus).
 */
function canaryIngress(
  context: TrafficContext,
  serviceNames: { readonly live: string; readonly next: string },
  dependsOn: readonly pulumi.Resource[],
  firstPercent: number,
): CanaryTraffic {
  const { name, args, parent, k8sOpts, meta } = context;
  const env = args.environment;
  const stableService = serviceNames.live;
  const healthCheck = args.healthCheck ?? {};
  const ingressSubnets = pulumi.output(args.ingressSubnetIds!).apply((ids) => ids.join(","));
  const https = args.certificateArn !== undefined;
  const groupName = ingressGroupName(pulumi.getProject(), pulumi.getStack(), env.namePrefix);
  // Both Services from the start, the canary at weight 0 (the action Argo writes itself): the controller makes both
  // target groups before it writes the Ingress's status, so both can be looked up and watched on the first release.
  const rootAction = JSON.stringify({
    type: "forward",
    forwardConfig: {
      targetGroups: [
        { serviceName: stableService, servicePort: String(args.port), weight: 100 },
        { serviceName: serviceNames.next, servicePort: String(args.port), weight: 0 },
      ],
    },
  });
  const actionAnnotation = `alb.ingress.kubernetes.io/actions.${stableService}`;
  const paths = (args.pathPatterns?.length ? args.pathPatterns : ["/*"]).map((path) => ({
    path,
    // The controller takes ALB wildcards (/catalog/*) with ImplementationSpecific.
    pathType: "ImplementationSpecific",
    backend: { service: { name: stableService, port: { name: "use-annotation" } } },
  }));
  const hosts = args.hostHeaders ?? [];
  // Access logs as the environment's load balancer writes them: same bucket, no prefix, so the bucket policy's
  // `AWSLogs/<account>/*` covers both. "To unset any AWS defaults (e.g. Disabling access logs after having them
  // enabled once), the values need to be explicitly set" (LBC annotations.md): always say enabled or not.
  const accessLogBucket = env.accessLogBucket?.bucket ?? pulumi.output("");
  const ingress = new k8s.networking.v1.Ingress(
    `${name}-ingress`,
    {
      metadata: {
        ...meta(name),
        annotations: pulumi.all([ingressSubnets, pulumi.output(args.certificateArn ?? ""), accessLogBucket]).apply(([subnets, certificate, logBucket]) => ({
          // One controller-managed load balancer per project, stack and environment; a Pulumi-owned ALB cannot be handed to an Ingress.
          "alb.ingress.kubernetes.io/group.name": groupName,
          "alb.ingress.kubernetes.io/scheme": args.internal ? "internal" : "internet-facing",
          "alb.ingress.kubernetes.io/target-type": "ip",
          "alb.ingress.kubernetes.io/subnets": subnets,
          "alb.ingress.kubernetes.io/inbound-cidrs": (args.allowedCidrs ?? ["0.0.0.0/0"]).join(","),
          "alb.ingress.kubernetes.io/listen-ports": JSON.stringify(https ? [{ HTTP: 80 }, { HTTPS: 443 }] : [{ HTTP: 80 }]),
          // As the environment's load balancer: with a certificate, HTTP only redirects to HTTPS.
          ...(https
            ? { "alb.ingress.kubernetes.io/certificate-arn": certificate, "alb.ingress.kubernetes.io/ssl-policy": TLS13_POLICY, "alb.ingress.kubernetes.io/ssl-redirect": "443" }
            : {}),
          "alb.ingress.kubernetes.io/healthcheck-path": healthCheck.path ?? "/",
          "alb.ingress.kubernetes.io/success-codes": healthCheck.matcher ?? "200-399",
          "alb.ingress.kubernetes.io/healthcheck-interval-seconds": String(healthCheck.intervalSeconds ?? 15),
          "alb.ingress.kubernetes.io/healthcheck-timeout-seconds": String(healthCheck.timeoutSeconds ?? 5),
          "alb.ingress.kubernetes.io/healthy-threshold-count": String(healthCheck.healthyThreshold ?? 2),
          "alb.ingress.kubernetes.io/unhealthy-threshold-count": String(healthCheck.unhealthyThreshold ?? 3),
          "alb.ingress.kubernetes.io/target-group-attributes": `deregistration_delay.timeout_seconds=${args.deregistrationDelaySeconds ?? 30}`,
          // Exclusive in the group: every canary Ingress of the environment writes the same value.
          "alb.ingress.kubernetes.io/load-balancer-attributes": [
            `deletion_protection.enabled=${env.tier === "production"}`,
            "routing.http.drop_invalid_header_fields.enabled=true",
            `idle_timeout.timeout_seconds=${args.idleTimeoutSeconds ?? 60}`,
            `access_logs.s3.enabled=${logBucket !== ""}`,
            ...(logBucket !== "" ? [`access_logs.s3.bucket=${logBucket}`] : []),
          ].join(","),
          [actionAnnotation]: rootAction,
        })),
      },
      spec: {
        ingressClassName: "alb",
        rules: (hosts.length > 0 ? hosts : [undefined]).map((host) => ({ ...(host ? { host } : {}), http: { paths } })),
      },
    },
    {
      ...k8sOpts,
      // The controller resolves both Services; with access logs, AWS refuses the attribute until the bucket policy
      // lets the load balancer write, and the environment's load balancer is created only after that policy.
      dependsOn: [...dependsOn, ...(env.accessLogBucket ? [env.loadBalancer] : [])],
      // Argo rewrites the action's weights during every release; Pulumi must not put them back.
      ignoreChanges: [`metadata.annotations["${actionAnnotation}"]`],
    },
  );

  const invoke: pulumi.InvokeOutputOptions = { parent };
  const hostname = ingress.status.apply((status) => {
    const found = status?.loadBalancer?.ingress?.[0]?.hostname;
    if (!found) throw new Error(`Ingress ${args.namespace}/${name} has no load balancer hostname in its status: is the AWS Load Balancer Controller running?`);
    return found;
  });
  const balancer = hostname.apply((host) => {
    const balancerName = loadBalancerNameOf(host);
    if (!balancerName) throw new Error(`Ingress ${args.namespace}/${name}: ${host} is not an Application Load Balancer's DNS name`);
    return aws.lb.getLoadBalancerOutput({ name: balancerName }, invoke).apply((found) => {
      // The name came from the hostname: the load balancer found must be the one DNS will point at.
      if (found.dnsName.toLowerCase() !== host.toLowerCase()) throw new Error(`load balancer ${balancerName} answers at ${found.dnsName}, not at the Ingress's ${host}`);
      return found;
    });
  });
  // The controller tags each target group it makes (tracking/provider.go): `ingress.k8s.aws/stack` is the group,
  // `ingress.k8s.aws/resource` is `namespace/ingressName-serviceName:servicePort`. Looked up once the status exists.
  const targetGroup = (service: string) =>
    hostname.apply(() =>
      aws.lb.getTargetGroupOutput(
        { tags: { "ingress.k8s.aws/stack": groupName, "ingress.k8s.aws/resource": controllerTargetGroupResource(args.namespace, name, service, args.port) } },
        invoke,
      ),
    );
  const stable = targetGroup(stableService);
  const canary = targetGroup(serviceNames.next);

  const zone = args.dnsZone!;
  hosts.forEach((host) => {
    new aws.route53.Record(
      `${name}-${host}`,
      {
        zoneId: zone.id,
        name: host,
        type: "A",
        // An alias to the controller's load balancer: follows its addresses, answered by Route 53 at no query charge.
        aliases: [{ name: balancer.dnsName, zoneId: balancer.zoneId, evaluateTargetHealth: true }],
      },
      { parent },
    );
  });

  // The same alarms as on the environment's load balancer, judged per target group: the stable and the canary group
  // each on its own, so a 5% canary's errors are not diluted by the stable version's traffic.
  const alarms = serviceAlarms(context, balancer.arnSuffix, [stable.arnSuffix, canary.arnSuffix], { newVersionPercent: firstPercent, tasks: args.desiredCount ?? 1 });
  return {
    ingress,
    groupName,
    loadBalancerArnSuffix: balancer.arnSuffix,
    stableTargetGroupArnSuffix: stable.arnSuffix,
    canaryTargetGroupArnSuffix: canary.arnSuffix,
    alarms,
    url: `${https ? "https" : "http"}://${hosts[0]}`,
  };
}

/** A service account that may read the Rollout and what its status is made of (the Argo plugin's informers). */
function rolloutReader(readerName: string, meta: (objectName: string) => Record<string, unknown>, k8sOpts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const account = new k8s.core.v1.ServiceAccount(readerName, { metadata: meta(readerName) }, k8sOpts);
  const role = new k8s.rbac.v1.Role(
    readerName,
    {
      metadata: meta(readerName),
      rules: [
        { apiGroups: ["argoproj.io"], resources: ["rollouts", "analysisruns", "experiments"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["apps"], resources: ["replicasets", "deployments"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      ],
    },
    k8sOpts,
  );
  const binding = new k8s.rbac.v1.RoleBinding(
    readerName,
    {
      metadata: meta(readerName),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: readerName },
      subjects: [{ kind: "ServiceAccount", name: readerName }],
    },
    k8sOpts,
  );
  return [account, role, binding];
}

interface WaiterContext {
  readonly name: string;
  readonly namespace: string;
  readonly meta: (objectName: string) => Record<string, unknown>;
  readonly k8sOpts: pulumi.CustomResourceOptions;
  readonly readerName: string;
  readonly rollout: k8s.apiextensions.CustomResource;
  readonly rolloutSpec: Record<string, unknown>;
  readonly reader: pulumi.Resource[];
  readonly minutes: number;
}

/**
 * A Job that `pulumi up` waits on until the Rollout's new generation is Healthy, and that fails when it is Degraded
 * (aborted), as ECS's waitForSteadyState fails the command on a rollback.
 *
 * Not `pulumi.com/waitFor` on the Rollout: the provider's JSONPath condition guards against an old status only
 * through an integer `status.observedGeneration` ("observedGeneration, ok, _ := unstructured.NestedInt64(...,
 * "status", "observedGeneration"); if ok && observedGeneration < generation { return false }", pulumi-kubernetes
 * provider/pkg/await/condition/jsonpath.go), and Argo's is a string (`ObservedGeneration string
 * json:"observedGeneration"`, argo-rollouts pkg/apis/rollouts/v1alpha1/types.go): the guard is skipped, and the
 * previous release's `phase: Healthy`, still there until Argo reconciles, would satisfy the wait at once. Nor can a
 * JSONPath condition fail on Degraded: it would wait out its timeout. `kubectl argo rollouts status` reads the phase
 * through GetRolloutPhase, which is Progressing until "status.observedGeneration" equals metadata.generation
 * (utils/rollout/rolloututil.go), and exits non-zero on Degraded or after --timeout.
 *
 * The Job's name carries a hash of the Rollout's spec: each change is a new Job (Pulumi replaces it and waits on the
 * new one, with `pulumi.com/timeoutSeconds`), an unchanged spec keeps the finished one.
 */
function releaseWaiter(context: WaiterContext): k8s.batch.v1.Job {
  const { name, namespace, meta, k8sOpts, readerName, rollout, rolloutSpec, reader, minutes } = context;
  const timeoutSeconds = minutes * 60;
  // The plugin gives up two minutes before Pulumi does, so its message (not Pulumi's timeout) is what the user reads.
  const pluginTimeoutSeconds = timeoutSeconds - 120;
  const jobName = pulumi
    .output(rolloutSpec)
    .apply((spec) => `${name.slice(0, 42)}-release-${createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 10)}`);
  return new k8s.batch.v1.Job(
    `${name}-release-waiter`,
    {
      metadata: { ...meta(name), name: jobName, annotations: { "pulumi.com/timeoutSeconds": String(timeoutSeconds) } },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: timeoutSeconds,
        template: {
          metadata: { labels: { "app.kubernetes.io/name": `${name}-release-waiter`, "app.kubernetes.io/managed-by": "release-platform" } },
          spec: {
            restartPolicy: "Never",
            serviceAccountName: readerName,
            containers: [{ name: "wait", image: ROLLOUTS_PLUGIN_IMAGE, args: ["status", name, "--namespace", namespace, "--timeout", `${pluginTimeoutSeconds}s`] }],
          },
        },
      },
    },
    { ...k8sOpts, dependsOn: [rollout, ...reader] },
  );
}


/**
 * Argo Rollouts' notification triggers that mean a release did not go through, as its built-in catalog names them
 * ("on-rollout-aborted when a rollout process is aborted before completion", "on-analysis-run-failed",
 * "on-analysis-run-error", docs/features/notifications.md), each subscribed for the `awssqs` service with the
 * service's queue as recipient ("queue - name of the queue ... Can be overridden with target destination annotation",
 * docs/generated/notification-services/awssqs.md).
 */
export const RELEASE_FAILURE_TRIGGERS = ["on-rollout-aborted", "on-analysis-run-failed", "on-analysis-run-error"] as const;

export function subscriptions(queueName: string): Record<string, string> {
  return Object.fromEntries(RELEASE_FAILURE_TRIGGERS.map((trigger) => [`notifications.argoproj.io/subscribe.${trigger}.awssqs`, queueName]));
}

/**
 * Where Argo's notifications of a failed release go: a queue of this service (Argo's notification engine has an SQS
 * service, not an SNS one), and an EventBridge pipe that publishes each message's body to the environment's alert
 * topic, as the EventBridge rule does for ECS deployments. The pipe's role may publish to the topic and have SNS use
 * its key for this topic only (the key policy leaves grants to the account's IAM, the topic policy lets the account
 * publish).
 */
function releaseEvents(context: { name: string; env: Environment; tags: Record<string, string>; awsOpts: pulumi.CustomResourceOptions }) {
  const { name, env, tags, awsOpts } = context;
  const queue = new aws.sqs.Queue(
    `${name}-release-events`,
    { name: physicalName([env.namePrefix, name], "release-events", 80), sqsManagedSseEnabled: true, messageRetentionSeconds: 4 * 24 * 3600, tags },
    awsOpts,
  );
  const account = aws.getCallerIdentityOutput({}, { parent: awsOpts.parent });
  const role = new aws.iam.Role(
    `${name}-release-events`,
    {
      name: physicalName([env.namePrefix, name], "release-events", NAME_LIMITS.iamRole),
      assumeRolePolicy: account.accountId.apply((accountId) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "pipes.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": accountId } } }],
        }),
      ),
      tags,
    },
    awsOpts,
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-release-events`,
    {
      role: role.name,
      policy: pulumi.all([queue.arn, env.alertTopicArn]).apply(([queueArn, topicArn]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: queueArn },
            { Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
            // SNS asks KMS with the encryption context aws:sns:topicArn, as the key policy's statements expect.
            { Effect: "Allow", Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } } },
          ],
        }),
      ),
    },
    awsOpts,
  );
  new aws.pipes.Pipe(
    `${name}-release-events`,
    {
      name: physicalName([env.namePrefix, name], "release-events", 64),
      roleArn: role.arn,
      source: queue.arn,
      sourceParameters: { sqsQueueParameters: { batchSize: 1 } },
      target: env.alertTopicArn,
      // The notification's text, as Argo's template wrote it.
      targetParameters: { inputTemplate: "<$.body>" },
      tags,
    },
    { ...awsOpts, dependsOn: [policy] },
  );
  return { queue };
}
