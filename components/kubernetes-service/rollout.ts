/** The Argo Rollout of a Kubernetes service: the Services it moves, its strategy as plain data, and the Rollout itself. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedKubernetesServiceArgs } from "./args";
import type { AnalysisArgs, AnalysisTemplateNames } from "./analysis";
import type { ChildContext } from "./child-context";
import { type Draining, type PodArgs, podContainers } from "./pod";
import type { RolloutStep } from "./steps";

/** The two Services Argo moves: blue/green's active and preview, or canary's stable and canary. */
export interface RolloutServices {
  readonly names: { readonly live: string; readonly next: string };
  readonly services: k8s.core.v1.Service[];
  /** The new version's Service inside the cluster, e.g. `http://search-canary.shop.svc.cluster.local:8080`. */
  readonly nextServiceUrl: string;
}

/** One Service per role the strategy gives Argo: it moves their selectors (blue/green) or the Ingress weights (canary). */
export function createRolloutServices(context: ChildContext, blueGreen: boolean, port: number): RolloutServices {
  const { name, namespace, meta, selector, k8sOpts } = context;
  const names = blueGreen ? { live: `${name}-active`, next: `${name}-preview` } : { live: `${name}-stable`, next: `${name}-canary` };
  const services = [names.live, names.next].map(
    (serviceName) =>
      new k8s.core.v1.Service(
        serviceName,
        {
          metadata: meta(serviceName),
          spec: { type: "ClusterIP", selector, ports: [{ name: "http", port, targetPort: port, protocol: "TCP" }] },
        },
        k8sOpts,
      ),
  );
  return { names, services, nextServiceUrl: `http://${names.next}.${namespace}.svc.cluster.local:${port}` };
}

/** What a user does after Argo aborts a release. */
export function afterAbortAdvice(namespace: string, name: string): string {
  return (
    `after an abort the Rollout ${namespace}/${name} stays Degraded on the old version until its spec is set back: ` +
    `put the previous image back in the stack file and pulumi up, or fix the image and pulumi up (kubectl argo rollouts undo ${name} -n ${namespace} alone is undone by the next pulumi up)`
  );
}

/** What the Rollout's strategy is made of. */
export interface RolloutPlan {
  /** The Rollout's name, and the canary Ingress's. */
  readonly name: string;
  readonly port: number;
  readonly services: RolloutServices["names"];
  /** The traffic stages of a canary; blue/green has none. */
  readonly steps: readonly RolloutStep[];
  readonly templates: AnalysisTemplateNames;
  readonly args: AnalysisArgs;
  /** How long Argo keeps the old ReplicaSet after a switch or an abort (its targets drain first). */
  readonly scaleDownDelaySeconds: number;
}

/** The Rollout's `strategy`: blue/green (a bake template given) or canary, with the analyses where they run. */
export function rolloutStrategy(plan: RolloutPlan): Record<string, unknown> {
  const { name, templates, args } = plan;
  const scaleDown = { scaleDownDelaySeconds: plan.scaleDownDelaySeconds, abortScaleDownDelaySeconds: plan.scaleDownDelaySeconds };
  const withArgs = (templateName: string) => ({ templates: [{ templateName }], args: [args.loadBalancer, args.newTargetGroup] });
  const smokeRef = templates.smoke ? { templates: [{ templateName: templates.smoke }] } : undefined;
  if (templates.bake) {
    const before = [...(smokeRef ? smokeRef.templates : []), ...(templates.promotionCheck ? [{ templateName: templates.promotionCheck }] : [])];
    return {
      blueGreen: {
        activeService: plan.services.live,
        previewService: plan.services.next,
        autoPromotionEnabled: true,
        ...scaleDown,
        ...(before.length > 0 ? { prePromotionAnalysis: { templates: before, args: templates.promotionCheck ? [args.loadBalancer, args.newTargetGroup] : [] } } : {}),
        // After the switch the active group holds the new version: the bake judges it there and switches back on failure.
        postPromotionAnalysis: { templates: [{ templateName: templates.bake }], args: [args.loadBalancer, args.activeTargetGroup] },
      },
    };
  }
  const steps: Record<string, unknown>[] = [];
  if (smokeRef) {
    // One pod of the new version with no user traffic yet: the smoke test calls it through the canary Service.
    steps.push({ setCanaryScale: { replicas: 1 } }, { analysis: smokeRef }, { setCanaryScale: { matchTrafficWeight: true } });
  }
  let startingStep = -1;
  plan.steps.forEach((stage, index) => {
    if (templates.promotionCheck && index === plan.steps.length - 1 && stage.percent === 100) steps.push({ analysis: withArgs(templates.promotionCheck) });
    steps.push({ setWeight: stage.percent });
    if (startingStep === -1 && templates.precondition) {
      // Argo builds a run's arguments from the Rollout as read at the start of the reconcile
      // (BuildArgumentsForRolloutAnalysisRun(..., c.rollout), rollout/analysis.go), while the first setWeight's
      // status.alb is written into the new status of that same reconcile: a run started at the first weight gets the
      // previous release's (or no) target group. With --aws-verify-target-group the step completes only once the
      // weight is verified on the canary's target group, and that verification writes status.alb; the precondition
      // then checks the status and the background analysis starts on the step after it.
      steps.push({ analysis: { templates: [{ templateName: templates.precondition }] } });
      startingStep = steps.length;
    }
    if (stage.pauseMinutes > 0) steps.push({ pause: { duration: `${stage.pauseMinutes}m` } });
  });
  return {
    canary: {
      stableService: plan.services.live,
      canaryService: plan.services.next,
      ...scaleDown,
      trafficRouting: { alb: { ingress: name, servicePort: plan.port } },
      analysis: { ...withArgs(templates.alarms), startingStep },
      steps,
    },
  };
}

/** What the Rollout's pods are. */
export interface RolloutPods {
  readonly replicas: number;
  readonly serviceAccountName: string;
  readonly terminationGracePeriodSeconds: number;
  readonly containers: pulumi.Input<Record<string, unknown>[]>;
}

/** The Rollout's spec; its JSON names the release waiter's Job, so its keys keep their order. */
export function rolloutSpec(context: Pick<ChildContext, "selector" | "labels">, pods: RolloutPods, strategy: Record<string, unknown>): Record<string, unknown> {
  return {
    replicas: pods.replicas,
    revisionHistoryLimit: 3,
    // Pods that never become ready abort the release, as ECS's deployment fails and rolls back.
    progressDeadlineSeconds: 600,
    progressDeadlineAbort: true,
    selector: { matchLabels: context.selector },
    template: {
      metadata: { labels: context.labels },
      spec: {
        serviceAccountName: pods.serviceAccountName,
        terminationGracePeriodSeconds: pods.terminationGracePeriodSeconds,
        containers: pods.containers,
      },
    },
    strategy,
  };
}

/** What the Rollout's pods are made of and how many run, as the service's arguments give them. */
export type RolloutArgs = PodArgs & Pick<ResolvedKubernetesServiceArgs, "desiredCount" | "autoscaling">;

export interface RolloutInputs {
  readonly plan: Omit<RolloutPlan, "scaleDownDelaySeconds">;
  readonly args: RolloutArgs;
  readonly draining: Draining;
  /** Argo's notification subscriptions. */
  readonly annotations: pulumi.Input<Record<string, string>>;
  readonly dependsOn: pulumi.Resource[];
}

/** The Rollout and its spec, and a HorizontalPodAutoscaler when autoscaling has room. */
export interface Rollout {
  readonly rollout: k8s.apiextensions.CustomResource;
  readonly spec: Record<string, unknown>;
  readonly autoscaler?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
}

export function createRollout(context: ChildContext, inputs: RolloutInputs): Rollout {
  const { name, meta, k8sOpts } = context;
  const { args, draining } = inputs;
  const { desiredCount, autoscaling: scaling } = args;
  const autoscaled = scaling.max > scaling.min;
  const pods: RolloutPods = {
    replicas: autoscaled ? Math.max(scaling.min, Math.min(scaling.max, desiredCount)) : desiredCount,
    serviceAccountName: name,
    terminationGracePeriodSeconds: draining.terminationGracePeriodSeconds,
    containers: podContainers(args, draining),
  };
  const spec = rolloutSpec(context, pods, rolloutStrategy({ ...inputs.plan, scaleDownDelaySeconds: draining.scaleDownDelaySeconds }));
  const rollout = new k8s.apiextensions.CustomResource(
    `${name}-rollout`,
    { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", metadata: { ...meta(name), annotations: inputs.annotations }, spec },
    {
      ...k8sOpts,
      dependsOn: inputs.dependsOn,
      // The HorizontalPodAutoscaler owns the count once the Rollout exists.
      ...(autoscaled ? { ignoreChanges: ["spec.replicas"] } : {}),
    },
  );
  if (!autoscaled) return { rollout, spec };
  const autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
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
    { ...k8sOpts, dependsOn: [rollout] },
  );
  return { rollout, spec, autoscaler };
}
