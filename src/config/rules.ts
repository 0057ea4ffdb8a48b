import { releaseEnvironmentArgsProblems } from "../../components/release-environment/problems";
import { type ArgsContext, releaseEnvironmentArgs } from "./args";
import { awsSettingPath } from "./aws-settings";
import { type ConfigProblem, renderPath } from "./problems";
import { INVALID, type ParsedParts, type Part } from "./shape";

/* The library's own rules on the stack file, each problem mapped to its stack-file path. */
export interface CheckContext extends ArgsContext {
  /** The ReleaseEnvironment's name: the stack's, or a service stack's project. */
  readonly name: string;
  readonly secretKeys: ReadonlySet<string>;
  /** A service stack: the environment's stack, as release:environment.stackReference names it. */
  readonly environmentStack?: string;
  /** The stack as `org/project/stack`. */
  readonly stackName?: string;
}

/** Ids only name things while checking: a network that did not parse stands in empty. */
const NO_NETWORK = { vpcId: "", publicSubnetIds: [], privateSubnetIds: [] };

/**
 * The library's rules (`releaseEnvironmentArgsProblems`) on the parts that parsed, each problem at its stack-file path.
 * A part with a shape problem stands in empty and the rules' problems inside it are dropped: its shape problems say
 * what is wrong there. A service with a shape problem is left out; the others are judged.
 */
export function ruleProblems(parts: ParsedParts, context: CheckContext): ConfigProblem[] {
  const keys = ["network", "ingress", "notifications", "routes", "flags", "flagStore", "cluster"] as const;
  const invalid = new Set<string>([...(context.aws === undefined ? ["aws"] : []), ...keys.filter((key) => parts[key] === INVALID)]);
  const valid = <T>(part: Part<T>, empty: T): T => (part === INVALID ? empty : part);
  const args = releaseEnvironmentArgs(
    {
      network: valid(parts.network, context.environment ? undefined : NO_NETWORK),
      ingress: valid(parts.ingress, undefined),
      notifications: valid(parts.notifications, undefined),
      routes: valid(parts.routes, undefined),
      services: parts.services,
      flags: valid(parts.flags, {}),
      // A store that did not parse stands in without the agent: no rule that only the agent brings (cluster name, its port) speaks.
      flagStore: valid(parts.flagStore, { agent: false }),
      cluster: valid(parts.cluster, {}),
    },
    context,
  );
  const { environmentStack } = context;
  const place = { environmentStack, stack: context.stackName };
  return releaseEnvironmentArgsProblems(context.name, args, place).flatMap((problem) => {
    const path = stackFilePath(problem.field);
    if (invalid.has(String(path[0]))) return [];
    // The Region is aws:region: only the environment's rule on it is the library's (its format is the file's own check).
    if (path[0] === "region") return context.environment ? [{ path: "aws:region", message: problem.message, got: problem.got, secret: false }] : [];
    // The provider's settings are the stack file's aws: keys.
    if (path[0] === "aws") return [{ path: awsSettingPath(path.slice(1)), message: problem.message, got: problem.got, secret: context.secretKeys.has(`aws:${String(path[1])}`) }];
    return [{ path: renderPath(path), message: problem.message, got: problem.got, secret: context.secretAt(path) }];
  });
}

/** A ReleaseEnvironment's field as the stack file writes it: secret environment values sit among the others there. */
function stackFilePath(field: readonly (string | number)[]): (string | number)[] {
  return field[0] === "services" && field[2] === "secretEnvironment" ? [...field.slice(0, 2), "environment", ...field.slice(3)] : [...field];
}
