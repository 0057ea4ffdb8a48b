import * as pulumi from "@pulumi/pulumi";

/**
 * Throws every problem with a component's arguments at once, naming the component. Components call it before
 * `super()`, so bad arguments register nothing, not even the component; RunError prints without a stack trace.
 */
export function refuseBadArguments(component: string, name: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new pulumi.RunError(`${component} ${name}: ${problems.join("; ")}`);
}
