import { closest } from "../../components/edit-distance";
import { type ConfigProblem, renderPath, suggest } from "./problems";
import { RELEASE_KEYS, stackFileEnvironmentSchema } from "./schema";

/* The stack's config as Pulumi holds it (keys and strings) read into the release: keys' raw values. */

/** Where config comes from: the values Pulumi holds for the stack, as strings (objects as JSON). */
export interface ConfigSource {
  readonly stack: string;
  /** The stack file's name as the user knows it, for error messages. */
  readonly stackFile: string;
  readonly values: Readonly<Record<string, string>>;
  /** Keys set with `--secret` (a key is secret as a whole when any path under it is). */
  readonly secretKeys: ReadonlySet<string>;
  /**
   * Where the `--secret` values sit inside those keys (`release:services.api.environment.TOKEN`, the stack file's
   * `secure:` leaves). A secret key with none listed is secret as a whole.
   */
  readonly secretPaths?: ReadonlySet<string>;
  /** Problems found reading the file itself (keys beside `config:`, YAML tags), listed with the rest. */
  readonly fileProblems?: readonly ConfigProblem[];
  /**
   * A service stack (release:environment): the `environment` output of the stack it names, as read before loading
   * (the contract, not yet checked); undefined when that stack exports none.
   */
  readonly environmentOutput?: unknown;
  /** The stack's Pulumi project: a service stack's own resources (flag store, dashboard) are named from it. @default release-platform */
  readonly project?: string;
  /** The stack as `org/project/stack`: a route reserved for one stack (`routes.<service>.stack`) admits only it. */
  readonly stackName?: string;
}

/**
 * The `release:` keys' raw values (maps parsed from their JSON), and a problem for each key that is misplaced, unknown
 * or not the map it must be.
 */
export function readReleaseKeys(source: ConfigSource, isSecret: (key: string) => boolean): { raw: Record<string, unknown>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const raw: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(source.values).sort(([a], [b]) => a.localeCompare(b))) {
    const misplaced = misplacedKeyMessage(fullKey);
    if (misplaced) {
      problems.push({ path: fullKey, message: misplaced, got: parseValue(text), secret: source.secretKeys.has(fullKey) });
      continue;
    }
    if (!fullKey.startsWith("release:")) continue;
    const key = fullKey.slice("release:".length);
    if (!(RELEASE_KEYS as string[]).includes(key)) {
      problems.push({ path: fullKey, message: `unknown key${suggest(key, RELEASE_KEYS)}`, got: text, secret: isSecret(key) });
      continue;
    }
    if (OBJECT_KEYS.has(key)) {
      try {
        raw[key] = JSON.parse(text);
      } catch {
        problems.push({ path: fullKey, message: "expected a map", got: text, secret: isSecret(key) });
      }
    } else {
      raw[key] = text;
    }
  }
  return { raw, problems };
}

/**
 * The environment stack a service stack names (release:environment.stackReference), read before the config is loaded
 * (its contract is what the config is judged with); undefined when the key is absent or malformed (the loader says why).
 */
export function environmentStackReference(values: Readonly<Record<string, string>>): string | undefined {
  const text = values["release:environment"];
  if (text === undefined) return undefined;
  const parsed = stackFileEnvironmentSchema.safeParse(parseValue(text));
  return parsed.success ? parsed.data.stackReference : undefined;
}

const OBJECT_KEYS = new Set<string>(["environment", "network", "ingress", "notifications", "routes", "services", "flags", "flagStore", "cluster"]);

/**
 * The largest stack file the program reads: far above the largest valid stack, which the AWS quotas the library checks
 * bound (50 traffic-shifting services on one load balancer, `LOAD_BALANCER_LIMITS`; a 1 MB flag document).
 */
export const STACK_LIMITS = {
  stackFileBytes: 4 * 1024 * 1024,
  /** The yaml library's own guard against alias bombs (its default); a stack file needs a handful of aliases at most. */
  yamlAliasExpansions: 100,
} as const;

/** The organization of a stack of a DIY backend (`organization/<project>/<stack>`), and of every stack offline. */
export const DEFAULT_ORGANIZATION = "organization";

/**
 * A service stack's organization offline, where no backend says: its environment stack's (`org/` of
 * release:environment.stackReference), as service stacks share their environment's organization; so a route reserved
 * for `acme/checkout/production` admits the checkout project's production stack offline too.
 */
export function offlineOrganization(environmentStack: string | undefined): string {
  return environmentStack?.split("/")[0] ?? DEFAULT_ORGANIZATION;
}

/** The project's name (Pulumi.yaml): a key written without a namespace, or set by `pulumi config set` without one, lands in it. */
export const PROJECT_NAMESPACE = "release-platform";

/**
 * Namespaces something reads besides the program: `aws:` (the environment's provider takes the stack's AWS settings)
 * and `pulumi:` (the engine's own settings, e.g. pulumi:disable-default-providers). Every other namespace is read by
 * nothing: the Kubernetes provider is built from release:cluster's kubeconfig, and an explicit provider takes nothing
 * from its namespace, so a `kubernetes:context` would be lost as surely as a misspelt `relese:flags`.
 */
const READ_NAMESPACES = ["aws", "pulumi"];

/**
 * Why a key outside `release:` is one the user meant for the program (a missing or misspelt namespace) or one nothing
 * reads, or undefined for `aws:` and `pulumi:` keys. The namespace meant is named however far the typo is from
 * `release`: a key nothing reads is an error anyway, so a guess can only help.
 */
export function misplacedKeyMessage(fullKey: string): string | undefined {
  const colon = fullKey.indexOf(":");
  const namespace = fullKey.slice(0, colon);
  const key = fullKey.slice(colon + 1);
  if (namespace === "release" || READ_NAMESPACES.includes(namespace)) return undefined;
  const known = RELEASE_KEYS as readonly string[];
  if (namespace === "kubernetes") {
    return "the program's Kubernetes provider is built from release:cluster (a kubeconfig or a stack exporting one) and reads no kubernetes: settings: put the cluster's kubeconfig in release:cluster";
  }
  const root = key.split(/[.[]/)[0];
  const meant = known.includes(namespace) ? `${namespace}.${key}` : known.includes(root) ? key : closest(key, known);
  if (!meant) return `the program reads only release: keys (${known.map((k) => `release:${k}`).join(", ")}), and nothing else reads ${namespace}: keys; ${namespace}:${key} is none of them`;
  const why = namespace === PROJECT_NAMESPACE ? `keys without a namespace land in the project's, ${PROJECT_NAMESPACE}:` : `unknown namespace ${namespace}`;
  return `${why}; the program reads release:${meant} (write release:${meant} in the stack file, or pulumi config set --path release:${meant}...)`;
}

/** Names every JavaScript object answers to: a service or flag called so would collide with the object's own members. */
const OBJECT_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * A key `__proto__` anywhere, or a service or flag named after a member of every object (`constructor`, `toString`),
 * is refused rather than lost: assigned to a plain object, `__proto__` sets its prototype instead of adding an entry, so
 * a flag of that name would vanish from the document without a word. Such keys are removed from `raw` once reported.
 */
export function reservedNameProblems(raw: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, [...path, index]));
    if (value === null || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    const names = path.length === 1 && (path[0] === "services" || path[0] === "flags");
    for (const key of Object.keys(record)) {
      if (key === "__proto__" || (names && OBJECT_MEMBERS.has(key))) {
        const what = names ? (path[0] === "services" ? "service" : "flag") + " name" : "key";
        problems.push({ path: renderPath([...path, key]), message: `${key} cannot be a ${what}: every JavaScript object has a member of that name, so the program could not tell it from one; choose another name`, got: key, secret: false });
        delete record[key];
      } else {
        walk(record[key], [...path, key]);
      }
    }
  };
  for (const [key, value] of Object.entries(raw)) walk(value, [key]);
  return problems;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
