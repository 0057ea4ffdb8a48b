/** The pods of a Kubernetes service: their containers, how they end while the load balancer drains them, and what keeps them available. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedKubernetesServiceArgs } from "./args";
import type { ChildContext } from "./child-context";

/** The namespace label that has the AWS Load Balancer Controller inject its pod readiness gates. */
export const READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject";

/** What a pod's end waits for, all derived from the target group's deregistration delay (one value, never a second literal). */
export interface Draining {
  /** preStop sleep: the pod keeps serving while its target drains and late-routed requests still arrive. */
  readonly preStopSeconds: number;
  /** Time Kubernetes allows for the preStop sleep and the app's own shutdown before SIGKILL. */
  readonly terminationGracePeriodSeconds: number;
  /** Argo keeps the old ReplicaSet this long after a switch (or an abort) so its targets finish draining first. */
  readonly scaleDownDelaySeconds: number;
}

/** Seconds the AWS Load Balancer Controller may take to see an endpoint change and deregister the target. */
export const CONTROLLER_LAG_SECONDS = 30;

/**
 * Argo's default scale-down delay is 30 s; a target group drains for its deregistration delay (60 s in production), so
 * the old pods went away while the load balancer still sent them requests. Every wait here is the delay plus the
 * controller's lag.
 */
export function drainingOf(deregistrationDelaySeconds: number): Draining {
  return {
    preStopSeconds: deregistrationDelaySeconds,
    terminationGracePeriodSeconds: deregistrationDelaySeconds + CONTROLLER_LAG_SECONDS,
    scaleDownDelaySeconds: deregistrationDelaySeconds + CONTROLLER_LAG_SECONDS,
  };
}

/** What the pod's containers are made of, as the service's arguments give it. */
export type PodArgs = Pick<ResolvedKubernetesServiceArgs, "image" | "port" | "cpu" | "memory" | "healthCheck" | "environmentVariables" | "sidecars">;

/** The pod's containers: the app, sized and probed as the ECS task's, then its sidecars. */
export function podContainers(args: PodArgs, draining: Draining): pulumi.Output<Record<string, unknown>[]> {
  const { healthCheck, cpu, memory } = args;
  const probe = (initialDelaySeconds: number) => ({
    // Kubernetes counts 200-399 as healthy, the target groups' default matcher.
    httpGet: { path: healthCheck.path, port: args.port },
    initialDelaySeconds,
    periodSeconds: healthCheck.intervalSeconds,
    timeoutSeconds: healthCheck.timeoutSeconds,
    failureThreshold: healthCheck.unhealthyThreshold,
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
  return pulumi.all([container, sidecars]).apply(([app, others]): Record<string, unknown>[] => [app, ...others]);
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

/** What keeps the pods available: readiness gates on their target health, and a disruption budget. */
export interface PodSafeguards {
  readonly readinessGates: k8s.core.v1.NamespacePatch;
  readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
}

export function createPodSafeguards(context: ChildContext): PodSafeguards {
  const { name, namespace, meta, selector, k8sOpts } = context;
  // The AWS Load Balancer Controller injects its readiness gates into new pods of a labelled namespace: a pod is
  // ready only once its target is healthy in the target group ("you need to apply the label
  // elbv2.k8s.aws/pod-readiness-gate-inject: enabled to the pod namespace", docs/deploy/pod_readiness_gate.md). The
  // gate is decided at pod creation, so Services whose selector Argo moves later (blue/green's active Service) get
  // none: --aws-verify-target-group covers those, and the scale-down delays cover the drain.
  const readinessGates = new k8s.core.v1.NamespacePatch(`${name}-readiness-gates`, { metadata: { name: namespace, labels: { [READINESS_GATE_LABEL]: "enabled" } } }, k8sOpts);
  // Voluntary disruptions (node drains) take one pod at a time, never the whole service.
  const disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, k8sOpts);
  return { readinessGates, disruptionBudget };
}
