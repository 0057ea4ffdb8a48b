import { runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { asArray, statementsOf } from "./props";

/*
 * A helper of the runtime-paths-allowed rule (not a rule: RULES in index.ts lists those): one runtime call, and AWS's
 * decision on it as @cloud-copilot/iam-simulate evaluates the policies.
 */

/**
 * One call the running system makes: who (a role, after the service assumed it, or a service principal), what, on
 * which resource, with which request context, and the policies AWS evaluates for it.
 */
export interface RuntimeCall {
  /** What makes the call, for people: `ECS invokes the hooks of checkout-service`. */
  readonly caller: string;
  /** A role ARN or a service principal such as `events.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
  readonly identityPolicies?: readonly { readonly name: string; readonly policy: unknown }[];
  readonly resourcePolicy?: unknown;
  /**
   * DescribeAlarms that must return composite alarms: "To use this operation and return information about composite
   * alarms, you must be signed on with the cloudwatch:DescribeAlarms permission that is scoped to *" (CloudWatch API
   * reference). The simulator cannot know this, so only statements whose Resource is literally `*` may allow it.
   */
  readonly compositeAlarms?: boolean;
}

/**
 * AWS's managed `AmazonECSInfrastructureRolePolicyForLoadBalancers`, as the AWS Managed Policy Reference publishes it:
 * the graph names the policy only, so the check models the statements ECS's blue/green deployments rely on.
 */
export const ECS_LOAD_BALANCER_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "ELBReadOperations",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
      ],
      Resource: "*",
    },
    {
      Sid: "TargetGroupOperations",
      Effect: "Allow",
      Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
      Resource: "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
    },
    { Sid: "ALBModifyListeners", Effect: "Allow", Action: "elasticloadbalancing:ModifyListener", Resource: ["arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*"] },
    { Sid: "ALBModifyRules", Effect: "Allow", Action: "elasticloadbalancing:ModifyRule", Resource: ["arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*/*"] },
  ],
};
export const MANAGED_POLICIES: Readonly<Record<string, unknown>> = { AmazonECSInfrastructureRolePolicyForLoadBalancers: ECS_LOAD_BALANCER_POLICY };

/** AWS's decision on one call: "Allowed", "ImplicitlyDenied" or "ExplicitlyDenied". */
export function decide(call: RuntimeCall): string {
  const identityPolicies = (call.identityPolicies ?? []).map(({ name, policy }) => ({
    name,
    policy: call.compositeAlarms ? onlyStarResources(policy) : policy,
  }));
  const simulation: Simulation = {
    request: {
      principal: call.principal,
      action: call.action,
      resource: { resource: call.resource, accountId: accountOf(call.resource) ?? accountOf(call.principal) ?? "" },
      contextVariables: { ...call.context },
    },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    // The simulator's policy loader reads a name from a validated policy's metadata; plain data in its documented shape.
    ...(call.resourcePolicy ? { resourcePolicy: { __validated: true, policyDocument: call.resourcePolicy, metadata: { name: "resource policy" }, errors: [] } } : {}),
  };
  return runUnsafeSimulation(simulation, {});
}

/** A policy keeping only what applies to `*` itself: Allow statements keep a literal `*` Resource; Denies stay whole. */
function onlyStarResources(policy: unknown): unknown {
  const statements = statementsOf(policy).filter((statement) => statement.Effect === "Deny" || asArray(statement.Resource).includes("*"));
  return {
    Version: "2012-10-17",
    Statement: statements.map((statement) => (statement.Effect === "Deny" ? statement : { ...statement, Resource: "*" })),
  };
}

export function accountOf(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}
