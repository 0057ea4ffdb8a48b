/** The pods of a Kubernetes service: their containers and how they end while the load balancer drains them. */

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
