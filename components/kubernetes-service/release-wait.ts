/** The Job `pulumi up` waits on until a release of the Rollout is through, and how long it may take. */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AlarmTiming } from "../deployment-alarms/alarm-math";
import type { Analysis, SmokeRun } from "./analysis";
import { lookbackSeconds } from "./analysis-metrics";
import type { ChildContext } from "./child-context";
import type { SmokeTest } from "./smoke";
import type { RolloutStep } from "./steps";

/** Image of the Argo Rollouts kubectl plugin, the waiter's `status` command; the version the README installs. */
export const ROLLOUTS_PLUGIN_IMAGE = "quay.io/argoproj/kubectl-argo-rollouts:v1.7.2";

/**
 * Minutes one release of the Rollout takes when healthy: every pause and bake, the smoke test's requests, each
 * analysis that runs alone (precondition, promotion check) one evaluation window.
 */
export function releaseMinutes(parts: {
  readonly pauses: readonly number[];
  readonly smoke?: SmokeTest;
  /** What the smoke test may wait for the new pods' first answer (through the load balancer). */
  readonly smokeSettleSeconds?: number;
  readonly windowMinutes: number;
  readonly standaloneAnalyses: number;
}): number {
  const smoke = parts.smoke ? Math.ceil((parts.smoke.samples * parts.smoke.paths.length * parts.smoke.timeoutMs) / 1000 + (parts.smokeSettleSeconds ?? 0)) / 60 : 0;
  return parts.pauses.reduce((sum, minutes) => sum + minutes, 0) + Math.ceil(smoke) + parts.standaloneAnalyses * parts.windowMinutes;
}

/** As ECS's waitForSteadyState timeout: the release's own minutes plus 30. */
export const WAIT_MARGIN_MINUTES = 30;

/** How long `pulumi up` waits for one release: its pauses, bakes and analyses, with WAIT_MARGIN_MINUTES to spare. */
export function releaseWaitMinutes(release: { readonly steps: readonly RolloutStep[]; readonly analysis: Analysis; readonly smoke?: SmokeRun; readonly timing: AlarmTiming }): number {
  const { analysis, timing } = release;
  return (
    releaseMinutes({
      pauses: analysis.bakePauseMinutes !== undefined ? [analysis.bakePauseMinutes] : release.steps.map((stage) => stage.pauseMinutes),
      smoke: release.smoke?.test,
      smokeSettleSeconds: release.smoke?.target.settle,
      windowMinutes: Math.ceil(lookbackSeconds(timing.periodSeconds, timing.evaluationPeriods) / 60),
      standaloneAnalyses: [analysis.names.promotionCheck, analysis.names.precondition].filter((template) => template !== undefined).length,
    }) + WAIT_MARGIN_MINUTES
  );
}

/** Who may read the Rollout: the canary's analysis precondition and the release waiter. */
export interface RolloutReader {
  readonly name: string;
  readonly resources: pulumi.Resource[];
}

/** A service account that may read the Rollout and what its status is made of (the Argo plugin's informers). */
export function createRolloutReader(context: ChildContext): RolloutReader {
  const { meta, k8sOpts } = context;
  const readerName = `${context.name}-release-reader`;
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
  return { name: readerName, resources: [account, role, binding] };
}

export interface ReleaseWaitInputs {
  readonly reader: RolloutReader;
  readonly rollout: k8s.apiextensions.CustomResource;
  /** The Rollout's spec as created: its hash names the Job. */
  readonly rolloutSpec: Record<string, unknown>;
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
export function createReleaseWaiter(context: ChildContext, waits: ReleaseWaitInputs): k8s.batch.v1.Job {
  const { name, namespace, meta, k8sOpts } = context;
  const { reader, rollout, rolloutSpec, minutes } = waits;
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
            serviceAccountName: reader.name,
            containers: [{ name: "wait", image: ROLLOUTS_PLUGIN_IMAGE, args: ["status", name, "--namespace", namespace, "--timeout", `${pluginTimeoutSeconds}s`] }],
          },
        },
      },
    },
    { ...k8sOpts, dependsOn: [rollout, ...reader.resources] },
  );
}
