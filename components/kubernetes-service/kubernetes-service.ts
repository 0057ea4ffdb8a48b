import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ArgumentProblem, refuseBadArguments, under } from "../arguments";
import { autoscalingProblems, latestImageProblems, priorityProblems, routeProblems, sidecarPortProblems } from "../service/problems";
import { strategyProblems } from "../blue-green-service/strategy";
import { createServiceRouting, serviceRoute } from "../service/routing";
import { resolveStrategy } from "../service/strategy";
import { serviceTierDefaults } from "../service/settings";
import type { AlarmTiming } from "../deployment-alarms/alarm-math";
import { thresholdsOf } from "../deployment-alarms/kinds";
import type { ScenarioResult } from "../deployment-alarms/alarm-sensitivity";
import { alarmsWithTierDefaults, type DeploymentAlarms, deploymentAlarmsArgsProblems } from "../deployment-alarms/deployment-alarms";
import { smokeTestArgsProblems, smokeTestSettings } from "../lifecycle-hooks/lifecycle-hooks";
import { KUBERNETES_NAME } from "../naming";
import { TIER_DEFAULTS } from "../tiers";
import type { KubernetesServiceArgs, KubernetesServiceArgsToCheck, ResolvedKubernetesServiceArgs } from "./args";
import { blueGreenAnalysisArgs, CANARY_ANALYSIS_ARGS, createAnalysis, smokeTarget } from "./analysis";
import { canaryIngress, canaryOutputs } from "./canary-ingress";
import { childContext } from "./child-context";
import { hostInZone } from "./load-balancer-controller";
import { createPodSafeguards, drainingOf } from "./pod";
import { createPodNetworkPath } from "./pod-network";
import { createReleaseEvents, subscriptions } from "./release-events";
import { createReleaseWaiter, createRolloutReader, releaseWaitMinutes } from "./release-wait";
import { afterAbortAdvice, createRollout, createRolloutServices } from "./rollout";
import { serviceAlarms } from "./service-alarms";
import { createServiceAccount } from "./service-account";
import type { SmokeTest } from "./smoke";
import { describeRolloutStrategy, kubernetesStrategyProblems, type RolloutStep, rolloutSteps, stepsProblems } from "./steps";

export type { KubernetesServiceArgs, KubernetesServiceArgsToCheck, ResolvedKubernetesServiceArgs } from "./args";

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
 * BlueGreenService takes them: strategy (a canary when only `steps` are given, as a stack file's service), size and
 * count, autoscaling, health check, draining, alarm thresholds and timing, the smoke test and the alarm gate (`false`
 * turns either off).
 */
export function kubernetesServiceWithTierDefaults<A extends KubernetesServiceArgsToCheck>(args: A): ResolvedKubernetesServiceArgs<A> {
  const tier = TIER_DEFAULTS[args.environment.tier];
  return {
    ...args,
    deployment: args.deployment ?? resolveStrategy({ steps: args.steps }, tier.deployment),
    ...serviceTierDefaults(tier, args, true),
    alarms: alarmsWithTierDefaults(tier, args.alarms),
  };
}

/** Problems with the arguments, each naming its field, before anything is registered. */
export function kubernetesServiceArgsProblems(given: KubernetesServiceArgsToCheck): ArgumentProblem[] {
  const args = kubernetesServiceWithTierDefaults(given);
  const strategy = args.deployment;
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
  /**
   * Blue/green: the environment's load balancer the service's rules are on (`app/<name>/<id>`): `main`'s, or the one it
   * joined with `environment.loadBalancer(name)`; the dashboard's. Not registered, so a stack's outputs stay as they
   * were (the environment's `loadBalancerArnSuffix`, or its view's, is public). @internal
   */
  public readonly loadBalancerArnSuffix?: pulumi.Output<string>;
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
    const onListeners = args.deployment.strategy === "blue-green";
    const taken = problems.length === 0 && onListeners ? args.environment.claimPriority(args.priority, name) : undefined;
    refuseBadArguments("KubernetesService", name, taken ? [...problems, taken] : problems);
    super("release:kubernetes:KubernetesService", name, {}, opts);
    const env = args.environment;
    const strategy = args.deployment;
    const blueGreen = strategy.strategy === "blue-green";
    this.steps = blueGreen ? [] : rolloutSteps(strategy, args.steps, args.stepPauseMinutes);
    this.strategySummary = describeRolloutStrategy(strategy, this.steps);
    this.afterAbort = afterAbortAdvice(args.namespace, name);

    const children = childContext(name, args.namespace, this, args.provider);
    const timing = args.alarms.timing;
    const account = createServiceAccount(children, env.namePrefix, args.podIdentity);
    if (account.role) {
      this.podRoleName = account.role.name;
      this.flagReader = { name, roleName: account.role.name };
    }
    const { names: serviceNames, services, nextServiceUrl } = createRolloutServices(children, blueGreen, args.port);

    const context = { ...children, args, timing };
    let analysisArgs = CANARY_ANALYSIS_ARGS;
    if (blueGreen) {
      const traffic = environmentTraffic(context, services);
      this.activeTargetGroupArn = traffic.active.arn;
      this.previewTargetGroupArn = traffic.preview.arn;
      this.activeTargetGroupArnSuffix = traffic.active.arnSuffix;
      this.previewTargetGroupArnSuffix = traffic.preview.arnSuffix;
      this.loadBalancerArnSuffix = env.loadBalancerArnSuffix;
      this.alarms = traffic.alarms;
      this.compositeAlarmArn = traffic.alarms.compositeAlarmArn;
      this.compositeAlarmName = traffic.alarms.compositeAlarmName;
      analysisArgs = blueGreenAnalysisArgs(env.loadBalancerArnSuffix, traffic.preview.arnSuffix, traffic.active.arnSuffix);
    } else {
      this.ingressName = name;
      const served = canaryIngress(context, serviceNames, services, this.steps[0]?.percent ?? 100);
      // Pick: each field canaryOutputs names is one of the component's, of its type.
      Object.assign(this, canaryOutputs(served) satisfies Pick<KubernetesService, keyof ReturnType<typeof canaryOutputs>>);
    }

    const smokeTest = smokeTestOf(args);
    const smoke = smokeTest && { test: smokeTest, target: smokeTarget(name, blueGreen ? env.testUrl() : undefined, nextServiceUrl) };
    const reader = createRolloutReader(children);
    const analysis = createAnalysis(children, {
      thresholds: thresholdsOf(args.alarms),
      timing,
      bakeMinutes: blueGreen ? strategy.bakeMinutes : undefined,
      alarmGate: args.hooks.alarmGate !== false,
      smoke,
      readerName: reader.name,
      newVersionPercent: blueGreen ? 100 : this.steps[0].percent,
      tasks: args.desiredCount,
    });
    this.sensitivity = analysis.sensitivity;
    this.detectionSummary = analysis.detectionSummary;
    this.releaseWaitMinutes = releaseWaitMinutes({ steps: this.steps, analysis, smoke, timing });

    const events = createReleaseEvents(children, env);
    this.releaseEventsQueueName = events.queue.name;
    const { rollout, spec } = createRollout(children, {
      plan: { name, port: args.port, services: serviceNames, steps: this.steps, templates: analysis.names, args: analysisArgs },
      args,
      draining: drainingOf(args.deregistrationDelaySeconds),
      annotations: events.queue.name.apply((queue) => subscriptions(queue)),
      dependsOn: [account.serviceAccount, ...services, ...analysis.templates, ...reader.resources],
    });
    this.rollout = rollout;
    createPodSafeguards(children);
    if (env.tier !== "dev") this.releaseWaiter = createReleaseWaiter(children, { reader, rollout, rolloutSpec: spec, minutes: this.releaseWaitMinutes });

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

/**
 * Blue/green on the environment's load balancer: the active and preview target groups behind the production and test
 * rules, each bound to its Service, the security-group path to the pods, and the alarms over both groups.
 */
function environmentTraffic(context: TrafficContext, services: readonly k8s.core.v1.Service[]) {
  const { name, args, parent, k8sOpts, meta, tags } = context;
  const env = args.environment;
  // As the ECS groups: the controller registers each pod with its Service's target port and the health check follows it
  // (traffic-port), so the group's own port is a default set at creation; a new port updates the bindings in place.
  const routing = createServiceRouting(
    name,
    {
      ...serviceRoute(args),
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
  createPodNetworkPath(context, env, { port: args.port, podSecurityGroupId: args.podSecurityGroupId!, smokeTest: Boolean(args.hooks.smokeTest) });
  const alarms = serviceAlarms(context, env.loadBalancerArnSuffix, [active.arnSuffix, preview.arnSuffix]);
  return { active, preview, alarms };
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
