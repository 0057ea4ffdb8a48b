// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production, dev } from "./fixture-kit";

export const fixtures: RuleFixtures = {
  compliant: [[res("aws:lb/listener:Listener", { protocol: "HTTPS", port: 443, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }), production()]],
  nonCompliant: [[res("aws:lb/listener:Listener", { protocol: "HTTPS", port: 443, sslPolicy: "ELBSecurityPolicy-2016-08" }), production()]],
  notApplicable: [
    // Plain HTTP on 80 outside production, and a plain test listener on another port.
    [res("aws:lb/listener:Listener", { protocol: "HTTP", port: 80, defaultActions: [{ type: "forward" }] }), dev()],
    [res("aws:lb/listener:Listener", { protocol: "HTTP", port: 9000, defaultActions: [{ type: "forward" }] }), production()],
  ],
};
