import { type DeploymentStrategy, deploymentWaitMinutes, minutesToComplete } from "../../components/blue-green-service/strategy";
import { allowedFailures, DEFAULT_EXPECTED_STATUSES } from "../../components/lifecycle-hooks/handlers/smoke-decision";
import type { SynthDocument, SynthResource } from "./capture";

/** What one deployment of a service does, read from its ECS service as synthesized: the same inputs ECS gets. */

export type ReleaseStepKind = "gate" | "start" | "test" | "smoke" | "shift" | "bake" | "finish";

export interface ReleaseStep {
  readonly kind: ReleaseStepKind;
  readonly text: string;
  /** For a shift: the share of production traffic the new version has after it. */
  readonly percent?: number;
  /** For a bake: its minutes. */
  readonly minutes?: number;
  /** True when ECS rolls back if this step fails (a hook says FAILED, an alarm fires during it). */
  readonly canRollBack: boolean;
}

export interface ReleasePlan {
  /** The ECS service's name: the stack file's service name. */
  readonly service: string;
  readonly strategy: DeploymentStrategy["strategy"];
  readonly steps: readonly ReleaseStep[];
  /** From the first production traffic to the old tasks' end, if nothing fails. */
  readonly minutes: number;
  /** How long `pulumi up` waits for the deployment before it fails. */
  readonly timeoutMinutes: number;
  /** The alarms ECS rolls back on. */
  readonly alarms: number;
}

type Inputs = Record<string, unknown>;

function strategyOf(config: Inputs): DeploymentStrategy {
  const bakeMinutes = Number(config.bakeTimeInMinutes ?? 0);
  const canary = config.canaryConfiguration as Inputs | undefined;
  const linear = config.linearConfiguration as Inputs | undefined;
  switch (config.strategy) {
    case "CANARY":
      return { strategy: "canary", canaryPercent: Number(canary?.canaryPercent), canaryBakeMinutes: Number(canary?.canaryBakeTimeInMinutes ?? 0), bakeMinutes };
    case "LINEAR":
      return { strategy: "linear", stepPercent: Number(linear?.stepPercent), stepBakeMinutes: Number(linear?.stepBakeTimeInMinutes ?? 0), bakeMinutes };
    case "BLUE_GREEN":
      return { strategy: "blue-green", bakeMinutes };
    default:
      return { strategy: "rolling" };
  }
}

function hookDetails(hooks: readonly Inputs[], stage: string): Inputs | undefined {
  const hook = hooks.find((candidate) => ((candidate.lifecycleStages as string[] | undefined) ?? []).includes(stage));
  if (!hook) return undefined;
  try {
    return JSON.parse(String(hook.hookDetails ?? "{}")) as Inputs;
  } catch {
    return {};
  }
}

const round = (percent: number) => Math.round(percent * 10) / 10;

/** Traffic steps in ECS's order: each shift, then its bake. */
function shifts(strategy: DeploymentStrategy, rollsBack: boolean): ReleaseStep[] {
  const shift = (percent: number): ReleaseStep => ({ kind: "shift", text: `${round(percent)}% of production traffic to the new version`, percent, canRollBack: rollsBack });
  const bake = (minutes: number, final = false): ReleaseStep => ({
    kind: "bake",
    text: `bake ${minutes}m${final ? " with both versions running" : ""}${rollsBack ? ", rolled back if an alarm fires" : ""}`,
    minutes,
    canRollBack: rollsBack,
  });
  switch (strategy.strategy) {
    case "rolling":
      return [];
    case "blue-green":
      return [shift(100), bake(strategy.bakeMinutes, true)];
    case "canary":
      return [shift(strategy.canaryPercent), bake(strategy.canaryBakeMinutes), shift(100), bake(strategy.bakeMinutes, true)];
    case "linear": {
      const count = Math.ceil(100 / strategy.stepPercent);
      return Array.from({ length: count }, (_, index) => {
        const percent = Math.min(100, (index + 1) * strategy.stepPercent);
        return index < count - 1 ? [shift(percent), bake(strategy.stepBakeMinutes)] : [shift(percent), bake(strategy.bakeMinutes, true)];
      }).flat();
    }
  }
}

export function releasePlan(service: SynthResource): ReleasePlan {
  const inputs = service.inputs;
  const config = (inputs.deploymentConfiguration as Inputs | undefined) ?? {};
  const strategy = strategyOf(config);
  const hooks = (config.lifecycleHooks as Inputs[] | undefined) ?? [];
  const alarms = (inputs.alarms as { alarmNames?: unknown[]; rollback?: boolean } | undefined) ?? {};
  const alarmCount = alarms.rollback ? (alarms.alarmNames?.length ?? 0) : 0;
  const gate = hookDetails(hooks, "PRE_SCALE_UP");
  const smoke = hookDetails(hooks, "POST_TEST_TRAFFIC_SHIFT");
  const steps: ReleaseStep[] = [];
  // A switched-off gate stays on the service only so its hook list never empties: it stops nothing.
  if (gate && gate.enabled !== false) {
    const watched = Array.isArray(gate.alarmNames) ? `${gate.alarmNames.length} alarms` : "the service's alarms";
    steps.push({
      kind: "gate",
      text:
        typeof gate.override === "string"
          ? `alarm gate OVERRIDDEN (${gate.override}): goes ahead while any of ${watched} fires; if one was in ALARM at the start, NO alarm rolls this deployment back`
          : `alarm gate: stops if any of ${watched} is in ALARM, was when the deployment started, or went into ALARM since`,
      canRollBack: true,
    });
  }
  // ECS starts as many new tasks as the service runs at the time (autoscaling's count), not the desiredCount at creation.
  steps.push({ kind: "start", text: "start the new version's tasks, as many as run now", canRollBack: true });
  if (strategy.strategy === "rolling") {
    steps.push({ kind: "finish", text: "replace tasks in place (no traffic shift); the circuit breaker rolls back tasks that never get healthy", canRollBack: true });
  } else {
    steps.push({ kind: "test", text: "test listener to the new version", canRollBack: false });
    if (smoke) {
      const paths = Array.isArray(smoke.paths) ? smoke.paths : [];
      const requests = typeof smoke.samples === "number" ? smoke.samples * Math.max(1, paths.length) : undefined;
      const statuses = typeof smoke.expectedStatuses === "string" ? smoke.expectedStatuses : DEFAULT_EXPECTED_STATUSES;
      const samples = requests === undefined ? "GETs" : `${requests} GETs`;
      const rate =
        typeof smoke.minSuccessRate === "number" && requests !== undefined
          ? `, fails on more than ${allowedFailures(requests, smoke.minSuccessRate)} answers outside ${statuses} (minSuccessRate ${round(smoke.minSuccessRate * 100)}%)`
          : "";
      const pathText = paths.length > 0 ? ` of ${paths.join(", ")}` : "";
      steps.push({ kind: "smoke", text: `smoke test: ${samples}${pathText} on the test listener${rate}`, canRollBack: true });
    }
    steps.push(...shifts(strategy, alarmCount > 0));
    steps.push({ kind: "finish", text: "old tasks stopped", canRollBack: false });
  }
  return {
    service: String(inputs.name ?? service.name),
    strategy: strategy.strategy,
    steps,
    minutes: minutesToComplete(strategy),
    timeoutMinutes: deploymentWaitMinutes(strategy),
    alarms: alarmCount,
  };
}

/** Every ECS service's plan, by service name. */
export function releasePlans(document: SynthDocument): ReleasePlan[] {
  return document.resources
    .filter((resource) => resource.type === "aws:ecs/service:Service")
    .map(releasePlan)
    .sort((a, b) => a.service.localeCompare(b.service));
}

/** The plan as text: a header line, then one numbered line per step. */
export function renderReleasePlan(plan: ReleasePlan, indent = "  "): string[] {
  const waits = plan.strategy === "rolling" ? "" : `, ${plan.minutes}m of traffic shift and bakes if healthy, pulumi up waits up to ${plan.timeoutMinutes}m`;
  const rollback = plan.alarms > 0 ? `, rolls back on ${plan.alarms} alarms` : ", no alarm rollback";
  return [`${indent}${plan.service}: ${plan.strategy}${waits}${rollback}`, ...plan.steps.map((step, index) => `${indent}  ${index + 1}. ${step.text}`)];
}

const id = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");

/** The plan as a Mermaid flowchart: the steps in order, and where each can roll back. */
export function releaseMermaid(plan: ReleasePlan): string {
  const prefix = id(plan.service);
  const lines = ["flowchart LR"];
  plan.steps.forEach((step, index) => {
    const label = step.text.replace(/["<>]/g, "").replace(/, rolled back if an alarm fires/, "");
    const shape = step.kind === "gate" || step.kind === "smoke" ? `{{"${label}"}}` : step.kind === "finish" ? `(["${label}"])` : `["${label}"]`;
    lines.push(`  ${prefix}_${index}${shape}`);
    if (index > 0) lines.push(`  ${prefix}_${index - 1} --> ${prefix}_${index}`);
  });
  const rollbacks = plan.steps.map((step, index) => ({ step, index })).filter(({ step }) => step.canRollBack && step.kind !== "start");
  if (rollbacks.length > 0) {
    lines.push(`  ${prefix}_rollback(["roll back to the old version"])`);
    for (const { step, index } of rollbacks) lines.push(`  ${prefix}_${index} -.->|${step.kind === "bake" || step.kind === "shift" ? "alarm" : "fails"}| ${prefix}_rollback`);
  }
  return lines.join("\n");
}
