/** A service's strategy from what it names and its tier's, one decision for a service of either runtime and a stack file's. */
import type { DeploymentStrategy } from "../blue-green-service/strategy";
import { STRATEGY_FILL } from "../tiers";

type Numbers<S extends DeploymentStrategy["strategy"]> = Partial<Omit<Extract<DeploymentStrategy, { readonly strategy: S }>, "strategy">>;

/** A strategy as a service names it: its kind and any of its numbers, or only the stages that replace them (`steps`). */
export type StrategyChoice = { readonly strategy?: DeploymentStrategy["strategy"]; readonly steps?: readonly unknown[] } & Numbers<"canary"> & Numbers<"linear">;

/**
 * A service's strategy: what it names, with the numbers it leaves out from the tier's strategy when that is the same
 * kind, else `STRATEGY_FILL`. `steps` without a strategy mean a canary (Argo Rollouts' steps).
 */
export function resolveStrategy(deployment: StrategyChoice, fallback: DeploymentStrategy): DeploymentStrategy {
  const strategy = deployment.strategy ?? (deployment.steps ? "canary" : fallback.strategy);
  const bakeMinutes = deployment.bakeMinutes ?? ("bakeMinutes" in fallback ? fallback.bakeMinutes : 0);
  switch (strategy) {
    case "rolling":
      return { strategy };
    case "blue-green":
      return { strategy, bakeMinutes };
    case "canary":
      return {
        strategy,
        bakeMinutes,
        canaryPercent: deployment.canaryPercent ?? (fallback.strategy === "canary" ? fallback.canaryPercent : STRATEGY_FILL.canary.canaryPercent),
        canaryBakeMinutes:
          deployment.canaryBakeMinutes ?? (fallback.strategy === "canary" ? fallback.canaryBakeMinutes : STRATEGY_FILL.canary.canaryBakeMinutes),
      };
    case "linear":
      return {
        strategy,
        bakeMinutes,
        stepPercent: deployment.stepPercent ?? STRATEGY_FILL.linear.stepPercent,
        stepBakeMinutes: deployment.stepBakeMinutes ?? STRATEGY_FILL.linear.stepBakeMinutes,
      };
  }
}
