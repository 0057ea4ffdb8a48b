import type { LoadBalancerContract } from "../../components/environment/contract";
import type { PolicyResource, StackContext } from "./types";

/*
 * A helper of the rules (not a rule: RULES in index.ts lists those): what a stack split from its environment holds and
 * what it only references. A service stack's listener rules sit on the environment's listeners, its tasks admit the
 * environment's load balancer and its hooks run in the environment's security group: none of those is in its graph.
 */

/** The component a service stack's services join their environment through (`Environment.fromContract`). */
export const JOINED_ENVIRONMENT_TYPE = "release:aws:JoinedEnvironment";

/** The stack joins an environment: the check was given the contract it joins, or its graph holds the joined environment. */
export function joinsEnvironment(stack: StackContext): boolean {
  return stack.environment?.role === "service" || stack.resources.some((resource) => resource.type === JOINED_ENVIRONMENT_TYPE);
}

/** `arn:...:listener/app/<name>/<id>/<listener id>` -> `app/<name>/<id>`, the LoadBalancer dimension of its metrics. */
export function loadBalancerSuffixOfListener(listenerArn: unknown): string | undefined {
  const match = typeof listenerArn === "string" ? /:listener\/(app\/[^/]+\/[^/]+)\/[^/]+$/.exec(listenerArn) : null;
  return match?.[1];
}

/** The environment's load balancer a listener ARN belongs to, as the contract names it, and which of its listeners it is. */
export function contractListener(stack: StackContext, listenerArn: unknown): { readonly loadBalancer: LoadBalancerContract; readonly test: boolean } | undefined {
  for (const loadBalancer of stack.environment?.contract.loadBalancers ?? []) {
    if (loadBalancer.productionListenerArn === listenerArn) return { loadBalancer, test: false };
    if (loadBalancer.testListenerArn === listenerArn) return { loadBalancer, test: true };
  }
  return undefined;
}

/** Whether the listener `arn` is a resource of this stack's graph. */
export const listenerInGraph = (arn: unknown, resources: readonly PolicyResource[]) => resources.some((r) => r.type === "aws:lb/listener:Listener" && r.props.arn === arn);

/** Why a service stack's check cannot see a part of the path it judges. */
export const IN_ENVIRONMENT_STACK = "is in the environment stack, not this one: the environment stack's check judges it";

/** The components a service is (its name is the service's, the stack file's key). */
export const SERVICE_COMPONENT_TYPES: ReadonlySet<string> = new Set(["release:aws:BlueGreenService", "release:kubernetes:KubernetesService"]);

/**
 * An environment stack's routes whose services are not in its graph (those of service stacks), on the load balancer
 * `loadBalancer` (a name of the contract), or on any; none when the stack exports no contract.
 */
export function routesOfOtherStacks(stack: StackContext, loadBalancer?: string): string[] {
  if (stack.environment?.role !== "environment") return [];
  const here = new Set(stack.resources.filter((resource) => SERVICE_COMPONENT_TYPES.has(resource.type)).map((resource) => resource.name));
  return Object.entries(stack.environment.contract.routes)
    .filter(([name, route]) => !here.has(name) && (loadBalancer === undefined || route.loadBalancer === loadBalancer))
    .map(([name]) => name)
    .sort();
}
