/**
 * How the environment marks, in the synthesized graph, the public addresses its hooks' requests leave from, so that
 * `npm run check` (runtime-paths-reachable) judges the test listener by those addresses and not by "any public CIDR".
 */

/** Description of a NAT prefix-list entry that the hooks' subnets route through (their 0.0.0.0/0 route's NAT gateway). */
export const HOOKS_EGRESS_DESCRIPTION = "egress of the hooks' subnets";

/** Description of a test-listener rule for an address in testListenerCidrs: egress the VPC cannot see (e.g. central). */
export const TEST_LISTENER_CIDR_DESCRIPTION = "Test listener, from an address in testListenerCidrs";
