import { at, inProduction, list } from "./props";
import type { Rule } from "./types";

export const listenerUsesTls13: Rule = {
  id: "listener-uses-tls13",
  description: "HTTPS listeners use a TLS 1.3 policy; in production, plain HTTP listeners on port 80 only redirect to HTTPS",
  enforcement: "mandatory",
  check(resource, stack) {
    if (resource.type !== "aws:lb/listener:Listener") return [];
    if (resource.props.protocol === "HTTPS") {
      return String(resource.props.sslPolicy ?? "").includes("TLS13") ? [] : [`sslPolicy ${String(resource.props.sslPolicy)} is not a TLS 1.3 policy`];
    }
    if (inProduction(stack) && resource.props.port === 80 && at(list(resource.props.defaultActions)[0], "type") !== "redirect") {
      return ["a production HTTP listener must redirect to HTTPS"];
    }
    return [];
  },
};
