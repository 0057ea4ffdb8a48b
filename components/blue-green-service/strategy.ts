import type * as aws from "@pulumi/aws";
import type { ArgumentProblem } from "../arguments";

type EcsDeploymentConfiguration = aws.types.input.ecs.ServiceDeploymentConfiguration;

/** How ECS moves traffic from the running (blue) to the new (green) target group. */
export type DeploymentStrategy =
  | { readonly strategy: "blue-green"; readonly bakeMinutes: number }
  | {
      readonly strategy: "canary";
      /** Share of production traffic the new version gets first, 0.1-100. */
      readonly canaryPercent: number;
      readonly canaryBakeMinutes: number;
      readonly bakeMinutes: number;
    }
  | {
      readonly strategy: "linear";
      /** Share of production traffic moved per step, 3-100. */
      readonly stepPercent: number;
      readonly stepBakeMinutes: number;
      readonly bakeMinutes: number;
    }
  /** In-place replacement without a second target group's traffic shift: dev only. */
  | { readonly strategy: "rolling" };

function outside(value: number, min: number, max: number): boolean {
  return !Number.isFinite(value) || value < min || value > max;
}

/** ECS takes traffic percentages in steps of 0.1 ("valid values are multiples of 0.1"); 0.3 is 0.30000000000000004 in binary. */
function tenths(value: number): boolean {
  return Math.abs(value * 10 - Math.round(value * 10)) < 1e-9;
}

/** @internal */
/** Everything ECS would reject about a strategy, each naming its field. */
export function strategyProblems(strategy: DeploymentStrategy): ArgumentProblem[] {
  const problems: ArgumentProblem[] = [];
  const bake = (field: string, value: number) => {
    if (outside(value, 0, 1440) || !Number.isInteger(value)) {
      problems.push({ field: [field], message: "must be a whole number of minutes from 0 to 1440", got: value });
    }
  };
  switch (strategy.strategy) {
    case "canary":
      if (outside(strategy.canaryPercent, 0.1, 100)) {
        problems.push({ field: ["canaryPercent"], message: "must be from 0.1 to 100", got: strategy.canaryPercent });
      } else if (!tenths(strategy.canaryPercent)) {
        problems.push({ field: ["canaryPercent"], message: "must be a multiple of 0.1 (ECS shifts traffic in tenths of a percent)", got: strategy.canaryPercent });
      }
      bake("canaryBakeMinutes", strategy.canaryBakeMinutes);
      bake("bakeMinutes", strategy.bakeMinutes);
      break;
    case "linear":
      if (outside(strategy.stepPercent, 3, 100)) {
        problems.push({ field: ["stepPercent"], message: "must be from 3 to 100", got: strategy.stepPercent });
      } else if (!tenths(strategy.stepPercent)) {
        problems.push({ field: ["stepPercent"], message: "must be a multiple of 0.1 (ECS shifts traffic in tenths of a percent)", got: strategy.stepPercent });
      }
      bake("stepBakeMinutes", strategy.stepBakeMinutes);
      bake("bakeMinutes", strategy.bakeMinutes);
      break;
    case "blue-green":
      bake("bakeMinutes", strategy.bakeMinutes);
      break;
    case "rolling":
      break;
  }
  return problems;
}

/** True when ECS shifts traffic between two target groups, so listener rules and alternates are needed. */
export function shiftsTraffic(strategy: DeploymentStrategy): boolean {
  return strategy.strategy !== "rolling";
}

/** @internal */
/** The `deploymentConfiguration` block of the ECS service (bake times are strings in @pulumi/aws). */
export function toDeploymentConfiguration(strategy: DeploymentStrategy): EcsDeploymentConfiguration {
  switch (strategy.strategy) {
    case "rolling":
      return { strategy: "ROLLING" };
    case "blue-green":
      return { strategy: "BLUE_GREEN", bakeTimeInMinutes: String(strategy.bakeMinutes) };
    case "canary":
      return {
        strategy: "CANARY",
        bakeTimeInMinutes: String(strategy.bakeMinutes),
        canaryConfiguration: {
          canaryPercent: strategy.canaryPercent,
          canaryBakeTimeInMinutes: String(strategy.canaryBakeMinutes),
        },
      };
    case "linear":
      return {
        strategy: "LINEAR",
        bakeTimeInMinutes: String(strategy.bakeMinutes),
        linearConfiguration: {
          stepPercent: strategy.stepPercent,
          stepBakeTimeInMinutes: String(strategy.stepBakeMinutes),
        },
      };
  }
}

/** One line a reviewer reads, e.g. `canary 10% -> bake 5m -> 100%, bake 15m`. */
export function describeStrategy(strategy: DeploymentStrategy): string {
  switch (strategy.strategy) {
    case "rolling":
      return "rolling (no traffic shift)";
    case "blue-green":
      return `blue-green 100% at once, bake ${strategy.bakeMinutes}m`;
    case "canary":
      return `canary ${strategy.canaryPercent}% -> bake ${strategy.canaryBakeMinutes}m -> 100%, bake ${strategy.bakeMinutes}m`;
    case "linear": {
      const steps = Math.ceil(100 / strategy.stepPercent);
      return `linear ${strategy.stepPercent}% every ${strategy.stepBakeMinutes}m (${steps} steps) -> 100%, bake ${strategy.bakeMinutes}m`;
    }
  }
}

/** @internal */
/** Minutes from the first production traffic to the old tasks' end, if nothing fails. */
export function minutesToComplete(strategy: DeploymentStrategy): number {
  switch (strategy.strategy) {
    case "rolling":
      return 0;
    case "blue-green":
      return strategy.bakeMinutes;
    case "canary":
      return strategy.canaryBakeMinutes + strategy.bakeMinutes;
    case "linear":
      return (Math.ceil(100 / strategy.stepPercent) - 1) * strategy.stepBakeMinutes + strategy.bakeMinutes;
  }
}

/** How long `pulumi up` may wait for a deployment: the traffic shift and bakes, plus 30 minutes for tasks to start, hooks to run and old tasks to drain. */
export function deploymentWaitMinutes(strategy: DeploymentStrategy): number {
  return minutesToComplete(strategy) + 30;
}
