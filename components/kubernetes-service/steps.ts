/** A Kubernetes service's traffic stages: the strategy's (or the stack file's own steps) as Argo Rollouts weights. */
import type { ArgumentProblem } from "../arguments";
import type { DeploymentStrategy } from "../blue-green-service/strategy";

/** One stage of a staged rollout: the share of traffic the new version gets, then a pause with analysis running. */
export interface RolloutStep {
  /** Whole percent, 1-100: Argo's `setWeight` is an integer. */
  readonly percent: number;
  readonly pauseMinutes: number;
}

/** A step as the stack file may write it: a bare percent (paused by `stepPauseMinutes`) or `{percent, pauseMinutes}`. */
export type StepInput = number | { readonly percent: number; readonly pauseMinutes?: number };

const wholeMinutes = (value: number) => Number.isInteger(value) && value >= 0 && value <= 1440;

/** @internal */
/** Everything wrong with a list of steps: each percent a whole number from 1 to 100, each above the one before. */
export function stepsProblems(steps: readonly StepInput[], stepPauseMinutes?: number): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  if (steps.length === 0) problems.push({ field: ["steps"], message: "must list at least one step", got: steps });
  if (stepPauseMinutes !== undefined && !wholeMinutes(stepPauseMinutes)) {
    problems.push({ field: ["stepPauseMinutes"], message: "must be a whole number of minutes from 0 to 1440", got: stepPauseMinutes });
  }
  let previous = 0;
  steps.forEach((step, index) => {
    const percent = typeof step === "number" ? step : step.percent;
    const field = typeof step === "number" ? ["steps", index] : ["steps", index, "percent"];
    if (!Number.isInteger(percent) || percent < 1) {
      problems.push({ field, message: "must be a whole percent from 1 to 100 (Argo Rollouts' setWeight is an integer)", got: percent });
    } else if (percent > 100) {
      problems.push({ field, message: "must be at most 100", got: percent });
    } else if (percent <= previous) {
      problems.push({ field, message: `must be greater than the step before it (${previous}): steps only increase`, got: percent });
    }
    if (Number.isFinite(percent)) previous = Math.max(previous, percent);
    if (typeof step !== "number" && step.pauseMinutes !== undefined && !wholeMinutes(step.pauseMinutes)) {
      problems.push({ field: ["steps", index, "pauseMinutes"], message: "must be a whole number of minutes from 0 to 1440", got: step.pauseMinutes });
    }
  });
  return problems;
}

/** What Argo cannot do with an ECS strategy: fractional weights (ECS takes 0.1% steps, Argo whole percents). */
export function kubernetesStrategyProblems(strategy: DeploymentStrategy): ArgumentProblem[] {
  if (strategy.strategy === "rolling") {
    return [{ field: ["strategy"], message: "rolling is ECS-only; use blue-green, canary, linear or steps on kubernetes", got: "rolling" }];
  }
  if (strategy.strategy === "canary" && !Number.isInteger(strategy.canaryPercent)) {
    return [{ field: ["canaryPercent"], message: "must be a whole percent on kubernetes (Argo Rollouts' setWeight is an integer)", got: strategy.canaryPercent }];
  }
  if (strategy.strategy === "linear" && !Number.isInteger(strategy.stepPercent)) {
    return [{ field: ["stepPercent"], message: "must be a whole percent on kubernetes (Argo Rollouts' setWeight is an integer)", got: strategy.stepPercent }];
  }
  return [];
}

/** @internal */
/**
 * The traffic stages of a canary, linear or stepped rollout, always ending at 100% for the final bake (with the old
 * version still running, as ECS's bake keeps the old tasks). Blue/green has no stages.
 */
export function rolloutSteps(strategy: DeploymentStrategy, steps?: readonly StepInput[], stepPauseMinutes = 0): RolloutStep[] {
  const bake = "bakeMinutes" in strategy ? strategy.bakeMinutes : 0;
  let stages: RolloutStep[];
  if (steps !== undefined) {
    // A bare 100 at the end is the final stage, whose pause is the bake.
    stages = steps.map((step, index) =>
      typeof step === "number"
        ? { percent: step, pauseMinutes: step === 100 && index === steps.length - 1 ? bake : stepPauseMinutes }
        : { percent: step.percent, pauseMinutes: step.pauseMinutes ?? stepPauseMinutes },
    );
  } else if (strategy.strategy === "canary") {
    stages = [{ percent: strategy.canaryPercent, pauseMinutes: strategy.canaryBakeMinutes }];
  } else if (strategy.strategy === "linear") {
    stages = [];
    for (let percent = strategy.stepPercent; percent < 100; percent += strategy.stepPercent) {
      stages.push({ percent, pauseMinutes: strategy.stepBakeMinutes });
    }
  } else {
    return [];
  }
  if (stages.length === 0 || stages[stages.length - 1].percent < 100) stages = [...stages, { percent: 100, pauseMinutes: bake }];
  return stages;
}

/** e.g. `blue-green (Argo Rollouts, TargetGroupBinding) 100% at once, bake 15m`, or a canary's stages as `describeRolloutSteps` writes them. */
export function describeRolloutStrategy(strategy: DeploymentStrategy, stages: readonly RolloutStep[]): string {
  return strategy.strategy === "blue-green"
    ? `blue-green (Argo Rollouts, TargetGroupBinding) 100% at once, bake ${"bakeMinutes" in strategy ? strategy.bakeMinutes : 0}m`
    : describeRolloutSteps(stages);
}

/** e.g. `steps 5% 10m -> 25% 10m -> 100% 15m (Argo Rollouts, ALB weights)` */
export function describeRolloutSteps(stages: readonly RolloutStep[]): string {
  return `steps ${stages.map((stage) => `${stage.percent}% ${stage.pauseMinutes}m`).join(" -> ")} (Argo Rollouts, ALB weights)`;
}
