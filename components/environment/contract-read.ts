import { ENVIRONMENT_OUTPUT, type EnvironmentContract } from "./contract";
import { environmentContractSchema } from "./contract-schema";

/**
 * The contract in `value`, or what is wrong with it, each problem naming its field under `environment` (the output).
 * @returns `{ contract }` or `{ problems }`
 */
export function readEnvironmentContract(value: unknown): { readonly contract: EnvironmentContract } | { readonly problems: readonly { readonly field: string; readonly message: string }[] } {
  const parsed = environmentContractSchema.safeParse(value);
  if (parsed.success) {
    // `loadBalancers[].securityGroupId` came after version 1 shipped: an environment stack written before it had one
    // group for all its load balancers, the top-level `loadBalancerSecurityGroupId`, which stands in when it is missing.
    const loadBalancers = parsed.data.loadBalancers.map((balancer) => ({ ...balancer, securityGroupId: balancer.securityGroupId ?? parsed.data.loadBalancerSecurityGroupId }));
    return { contract: { ...parsed.data, loadBalancers } as unknown as EnvironmentContract };
  }
  return {
    problems: parsed.error.issues.map((issue) => ({
      field: [ENVIRONMENT_OUTPUT, ...issue.path.map(String)].join("."),
      message: issue.message,
    })),
  };
}
