import type { DeploymentStrategy } from "./blue-green-service/strategy";
import type { AlarmTiming } from "./deployment-alarms/alarm-math";
import type { Thresholds } from "./deployment-alarms/kinds";

/** How careful an environment is: dev fast, staging production-like, production careful. */
export type Tier = "dev" | "staging" | "production";

/**
 * What each tier brings when the stack file is silent. dev is fast, staging production-like, production careful.
 * The README's config reference is written from this table; components fill what their callers leave out from it.
 */
export interface TierDefaults {
  readonly deployment: DeploymentStrategy;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  /** null: fixed at desiredCount. */
  readonly autoscaling: { readonly maxFactor: number; readonly cpuTargetPercent: number } | null;
  readonly healthCheck: {
    readonly path: string;
    readonly matcher: string;
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
  };
  readonly deregistrationDelaySeconds: number;
  readonly logRetentionDays: number;
  readonly smokeTest: {
    readonly enabled: boolean;
    /** Per path; one path's worth must be enough to fail a version answering half its requests with errors. */
    readonly samples: number;
    readonly minSuccessRate: number;
    readonly timeoutMs: number;
    readonly expectedStatuses: string;
  };
  readonly alarmGate: boolean;
  /** One threshold per setting of the built-in alarm kinds (deployment-alarms/kinds), and when they fire. */
  readonly alarms: { readonly thresholds: Thresholds; readonly timing: AlarmTiming };
  readonly ingress: {
    readonly allowedCidrs: readonly string[];
    readonly testListenerPort: number;
    readonly idleTimeoutSeconds: number;
    /** Load balancer access logs to an S3 bucket. */
    readonly accessLogs: boolean;
    readonly accessLogExpirationDays: number;
  };
  readonly deletionProtection: boolean;
  readonly containerInsights: boolean;
  readonly waitForSteadyState: boolean;
  readonly protectStateful: boolean;
  readonly flagStore: {
    readonly growthType: "LINEAR" | "EXPONENTIAL";
    readonly growthFactor: number;
    readonly durationMinutes: number;
    readonly bakeMinutes: number;
  };
  /**
   * Days a removed secret variable's secret stays restorable: dev frees it at once; staging and production keep it for
   * a variable removed by mistake. Running tasks keep their value either way: ECS injects it "when the container is
   * initially started".
   */
  readonly secretRecoveryWindowDays: number;
}

const healthCheck = {
  path: "/",
  matcher: "200-399",
  intervalSeconds: 15,
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
} as const;

const ingress = { allowedCidrs: ["0.0.0.0/0"], testListenerPort: 9000, idleTimeoutSeconds: 60, accessLogs: false, accessLogExpirationDays: 90 };

export const TIER_DEFAULTS: Readonly<Record<Tier, TierDefaults>> = {
  dev: {
    deployment: { strategy: "blue-green", bakeMinutes: 0 },
    cpu: 256,
    memory: 512,
    desiredCount: 1,
    autoscaling: null,
    healthCheck: { ...healthCheck, intervalSeconds: 10, healthyThreshold: 2 },
    deregistrationDelaySeconds: 5,
    logRetentionDays: 7,
    smokeTest: { enabled: false, samples: 30, minSuccessRate: 0.8, timeoutMs: 2000, expectedStatuses: "200-299" },
    alarmGate: false,
    alarms: {
      thresholds: { errorRatePercent: 5, minRequests: 10, p99LatencyMs: 2000, unhealthyHosts: 1 },
      timing: { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 },
    },
    ingress,
    deletionProtection: false,
    containerInsights: false,
    waitForSteadyState: false,
    protectStateful: false,
    flagStore: { growthType: "LINEAR", growthFactor: 100, durationMinutes: 0, bakeMinutes: 0 },
    secretRecoveryWindowDays: 0,
  },
  staging: {
    deployment: { strategy: "blue-green", bakeMinutes: 5 },
    cpu: 512,
    memory: 1024,
    desiredCount: 2,
    autoscaling: { maxFactor: 2, cpuTargetPercent: 60 },
    healthCheck,
    deregistrationDelaySeconds: 30,
    logRetentionDays: 30,
    smokeTest: { enabled: true, samples: 20, minSuccessRate: 0.95, timeoutMs: 2000, expectedStatuses: "200-299" },
    alarmGate: true,
    alarms: {
      thresholds: { errorRatePercent: 2, minRequests: 20, p99LatencyMs: 1000, unhealthyHosts: 1 },
      timing: { periodSeconds: 60, evaluationPeriods: 2, datapointsToAlarm: 2 },
    },
    ingress,
    deletionProtection: false,
    containerInsights: true,
    waitForSteadyState: true,
    protectStateful: false,
    flagStore: { growthType: "LINEAR", growthFactor: 50, durationMinutes: 4, bakeMinutes: 5 },
    secretRecoveryWindowDays: 7,
  },
  production: {
    deployment: { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 },
    cpu: 512,
    memory: 1024,
    desiredCount: 3,
    autoscaling: { maxFactor: 4, cpuTargetPercent: 60 },
    healthCheck,
    deregistrationDelaySeconds: 60,
    logRetentionDays: 90,
    smokeTest: { enabled: true, samples: 20, minSuccessRate: 0.95, timeoutMs: 2000, expectedStatuses: "200-299" },
    alarmGate: true,
    alarms: {
      thresholds: { errorRatePercent: 1, minRequests: 50, p99LatencyMs: 800, unhealthyHosts: 1 },
      // One breaching minute rolls back: production must detect within 3 minutes, and the minRequests gate keeps
      // a few failed requests at low traffic from tripping it.
      timing: { periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1 },
    },
    ingress: { ...ingress, accessLogs: true },
    deletionProtection: true,
    containerInsights: true,
    waitForSteadyState: true,
    protectStateful: true,
    flagStore: { growthType: "LINEAR", growthFactor: 20, durationMinutes: 20, bakeMinutes: 10 },
    secretRecoveryWindowDays: 30,
  },
};

/** Canary and linear numbers a user may leave out when choosing that strategy in a tier whose default is another. */
export const STRATEGY_FILL = {
  canary: { canaryPercent: 10, canaryBakeMinutes: 5 },
  linear: { stepPercent: 10, stepBakeMinutes: 2 },
} as const;
