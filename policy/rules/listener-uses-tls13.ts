import { at, inProduction, list } from "./props";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

export const listenerUsesTls13: Rule = defineRule({
  id: "listener-uses-tls13",
  description: "HTTPS listeners use a TLS 1.3 policy; in production, plain HTTP listeners on port 80 only redirect to HTTPS",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type !== "aws:lb/listener:Listener") return NOT_APPLICABLE;
    if (resource.props.protocol === "HTTPS") {
      return String(resource.props.sslPolicy ?? "").includes("TLS13") ? COMPLIANT : nonCompliant(`sslPolicy ${String(resource.props.sslPolicy)} is not a TLS 1.3 policy`);
    }
    if (inProduction(stack) && resource.props.port === 80) {
      return at(list(resource.props.defaultActions)[0], "type") === "redirect" ? COMPLIANT : nonCompliant("a production HTTP listener must redirect to HTTPS");
    }
    // A plain listener on another port (a test listener), or outside production.
    return NOT_APPLICABLE;
  },
});
