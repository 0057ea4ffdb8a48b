import type { ConfigSource } from "./source";
import { type ConfigProblem, renderPath } from "./problems";

/* Which stack-file values were set with `--secret`, and where the program cannot keep them secret. */
/** Path under `release:` -> whether the value there (or one inside it) was set with `--secret`. */
export type Secrecy = (path: readonly (string | number)[]) => boolean;

/** Per value where the source lists its secret leaves; per key where it cannot (each secret key then secret as a whole). */
export function secrecy(source: ConfigSource): Secrecy {
  const leavesByKey = new Map<string, string[]>();
  for (const leaf of source.secretPaths ?? []) {
    const key = leaf.split(/[.[]/)[0];
    leavesByKey.set(key, [...(leavesByKey.get(key) ?? []), leaf]);
  }
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  return (path) => {
    const key = `release:${path[0]}`;
    if (!source.secretKeys.has(key)) return false;
    const leaves = leavesByKey.get(key);
    if (!leaves) return true;
    const at = renderPath(path);
    return leaves.some((leaf) => related(leaf, at) || related(at, leaf));
  };
}

/**
 * Where a `--secret` value stays secret: the places the program wraps in `pulumi.secret` and hands to something that
 * keeps it so (Secrets Manager for environment values, the provider's secret state for the kubeconfig, SNS
 * subscriptions and the listener for the rest).
 */
const KEPT_SECRET = [
  /^release:services\.[^.]+\.environment\.[^.]+$/,
  /^release:notifications\.(emails|httpsEndpoints)\[\d+\]$/,
  /^release:ingress\.certificateArn$/,
  /^release:cluster\.kubeconfig$/,
];

/** Where the others would show in plain text, for the message. */
const SHOWN_AT: readonly [RegExp, string][] = [
  [/^release:services\.[^.]+\.hooks\./, "the ECS service's hookDetails, which anyone allowed ecs:DescribeServices reads"],
  [/^release:flags\./, "the flag document, which every service reading flags receives and the AppConfig console shows"],
];

/**
 * A value set with `--secret` where the program cannot keep it secret is refused, not written in plain text into
 * state, the synth and the resource that receives it.
 */
export function unkeptSecretProblems(secretPaths: ReadonlySet<string> | undefined): ConfigProblem[] {
  return [...(secretPaths ?? [])]
    .filter((path) => path.startsWith("release:") && !KEPT_SECRET.some((pattern) => pattern.test(path)))
    .sort()
    .map((path) => {
      const shown = SHOWN_AT.find(([pattern]) => pattern.test(path))?.[1] ?? "its resource's inputs and the stack's state";
      return {
        path,
        message: `is set with --secret, but its value cannot stay secret: it would be in ${shown}; set it in plain text, or leave it out (secret values are kept for services.<name>.environment, notifications.emails and httpsEndpoints, ingress.certificateArn and cluster.kubeconfig)`,
        got: undefined,
        secret: true,
      };
    });
}
