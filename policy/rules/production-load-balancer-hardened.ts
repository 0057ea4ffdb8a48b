import { inProduction } from "./props";
import type { Rule } from "./types";

export const productionLoadBalancerHardened: Rule = {
  id: "production-load-balancer-hardened",
  description: "Production load balancers have deletion protection and drop invalid header fields",
  enforcement: "mandatory",
  check(resource, stack) {
    if (resource.type !== "aws:lb/loadBalancer:LoadBalancer" || !inProduction(stack)) return [];
    return [
      ...(resource.props.enableDeletionProtection === true ? [] : ["enableDeletionProtection must be true"]),
      ...(resource.props.dropInvalidHeaderFields === true ? [] : ["dropInvalidHeaderFields must be true"]),
    ];
  },
};
