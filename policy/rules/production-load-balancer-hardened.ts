import { inProduction } from "./props";
import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

export const productionLoadBalancerHardened: Rule = defineRule({
  id: "production-load-balancer-hardened",
  description: "Production load balancers have deletion protection and drop invalid header fields",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== "aws:lb/loadBalancer:LoadBalancer" || !inProduction(stack)) return NOT_APPLICABLE;
    return judged([
      ...(resource.props.enableDeletionProtection === true ? [] : ["enableDeletionProtection must be true"]),
      ...(resource.props.dropInvalidHeaderFields === true ? [] : ["dropInvalidHeaderFields must be true"]),
    ]);
  },
});
