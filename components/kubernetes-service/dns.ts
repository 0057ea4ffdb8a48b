/** The Route 53 records that send a canary Kubernetes service's hosts to the controller's load balancer. */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** The Route 53 hosted zone a canary service's hosts live in: its id, and its name to check the hosts against. */
export interface CanaryDnsZone {
  readonly id: pulumi.Input<string>;
  /** e.g. `shop.example.com` (no trailing dot). */
  readonly name: string;
}

/** One alias record per host, in the service's hosted zone, to the load balancer the controller made for the Ingress. */
export function createHostRecords(
  name: string,
  zone: CanaryDnsZone,
  hosts: readonly string[],
  balancer: pulumi.Output<{ readonly dnsName: string; readonly zoneId: string }>,
  parent: pulumi.Resource,
): aws.route53.Record[] {
  return hosts.map(
    (host) =>
      new aws.route53.Record(
        `${name}-${host}`,
        {
          zoneId: zone.id,
          name: host,
          type: "A",
          // An alias to the controller's load balancer: follows its addresses, answered by Route 53 at no query charge.
          aliases: [{ name: balancer.dnsName, zoneId: balancer.zoneId, evaluateTargetHealth: true }],
        },
        { parent },
      ),
  );
}
