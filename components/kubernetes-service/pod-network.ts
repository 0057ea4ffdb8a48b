/** The security-group path between the environment's load balancer and a blue/green Kubernetes service's pods. */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceEnvironment } from "../environment/service-environment";
import type { ChildContext } from "./child-context";

/** The rules that let the load balancer reach the pods, and the smoke test reach the test listener. */
export interface PodNetworkPath {
  readonly loadBalancerToPods: aws.vpc.SecurityGroupEgressRule;
  readonly podsFromLoadBalancer: aws.vpc.SecurityGroupIngressRule;
  readonly testListenerFromPods?: aws.vpc.SecurityGroupIngressRule;
}

export function createPodNetworkPath(
  context: Pick<ChildContext, "name" | "awsOpts">,
  env: Pick<ServiceEnvironment, "loadBalancerSecurityGroupId" | "internal" | "testListenerPort">,
  pods: { readonly port: number; readonly podSecurityGroupId: pulumi.Input<string>; readonly smokeTest: boolean },
): PodNetworkPath {
  const { name, awsOpts } = context;
  // Targets are pod IPs: the load balancer's group must reach the pods' group on the container port, both ways.
  const loadBalancerToPods = new aws.vpc.SecurityGroupEgressRule(
    `${name}-lb-to-pods`,
    {
      securityGroupId: env.loadBalancerSecurityGroupId,
      description: `To the pods of ${name}`,
      ipProtocol: "tcp",
      fromPort: pods.port,
      toPort: pods.port,
      referencedSecurityGroupId: pods.podSecurityGroupId,
    },
    awsOpts,
  );
  const podsFromLoadBalancer = new aws.vpc.SecurityGroupIngressRule(
    `${name}-pods-from-lb`,
    {
      securityGroupId: pods.podSecurityGroupId,
      description: `${name} from the load balancer`,
      ipProtocol: "tcp",
      fromPort: pods.port,
      toPort: pods.port,
      referencedSecurityGroupId: env.loadBalancerSecurityGroupId,
    },
    awsOpts,
  );
  if (!pods.smokeTest || !env.internal) return { loadBalancerToPods, podsFromLoadBalancer };
  // The smoke job calls the test listener. An internet-facing load balancer admits it from the NAT gateways (its
  // DNS name resolves to public addresses); an internal one at its private addresses, from the pods' group.
  const testListenerFromPods = new aws.vpc.SecurityGroupIngressRule(
    `${name}-lb-test-from-pods`,
    {
      securityGroupId: env.loadBalancerSecurityGroupId,
      description: `Test listener, from the smoke test of ${name}`,
      ipProtocol: "tcp",
      fromPort: env.testListenerPort,
      toPort: env.testListenerPort,
      referencedSecurityGroupId: pods.podSecurityGroupId,
    },
    awsOpts,
  );
  return { loadBalancerToPods, podsFromLoadBalancer, testListenerFromPods };
}
