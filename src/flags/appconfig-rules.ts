import { createHash } from "node:crypto";

/**
 * An evaluator of AppConfig multi-variant flags, written from AWS's documentation of the rule syntax ("Defining rules
 * for multi-variant feature flags"): operands (strings, numbers, booleans, `$context` values, lists), `eq`, `in`,
 * `begins_with`, `and`, `or`, `not`, and `(split pct::N by::$attr seed::"s")`. Variants are tried in order; the first
 * whose rule is true wins, else the last (the default, which has no rule).
 *
 * AWS: "split evaluates to true for a given percentage of traffic based on a consistent hash of the provided context
 * value", and with A `pct::20` before B `pct::25` "the first 20% ... match rule A ... leaving 5% for B": a split is a
 * threshold on one hash of (seed, value), so a lower percentage selects a subset of a higher one. AWS does not publish
 * the hash function; `splitBucket` stands in for it with a uniform hash, which is all the properties tested here use.
 */

type Value = string | number | boolean | Value[] | undefined;
type Context = Readonly<Record<string, string | number | boolean | undefined>>;
type Node = { op: string; args: Node[]; options: Record<string, Node> } | { literal: Value } | { context: string } | { list: Node[] };

function tokenize(rule: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*(?:("(?:[^"\\]|\\.)*")|([()[\],])|([^\s()[\],]+))/y;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < rule.length && (match = pattern.exec(rule)) !== null) {
    const token = match[1] ?? match[2] ?? match[3];
    if (token !== undefined && token !== ",") tokens.push(token);
    if (match[0].trim() === "" && pattern.lastIndex >= rule.length) break;
  }
  return tokens;
}

function atom(token: string): Node {
  if (token.startsWith('"')) return { literal: JSON.parse(token) as string };
  if (token.startsWith("$")) return { context: token.slice(1) };
  if (token === "true" || token === "false") return { literal: token === "true" };
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(token)) return { literal: Number(token) };
  throw new Error(`unexpected token ${token}`);
}

/** Parses one rule; throws on syntax AppConfig would reject. */
export function parseRule(rule: string): Node {
  const tokens = tokenize(rule);
  let position = 0;
  const next = (): string => {
    if (position >= tokens.length) throw new Error(`rule ends early: ${rule}`);
    return tokens[position++];
  };
  const expression = (): Node => {
    const token = next();
    if (token === "[") {
      const list: Node[] = [];
      while (tokens[position] !== "]") list.push(expression());
      position++;
      return { list };
    }
    if (token !== "(") return atom(token);
    const op = next();
    const args: Node[] = [];
    const options: Record<string, Node> = {};
    while (tokens[position] !== ")") {
      const option = /^([a-z]+)::(.*)$/.exec(tokens[position]);
      if (option) {
        position++;
        options[option[1]] = atom(option[2]);
      } else args.push(expression());
    }
    position++;
    return { op, args, options };
  };
  const node = expression();
  if (position !== tokens.length) throw new Error(`trailing tokens in rule: ${rule}`);
  return node;
}

/** Where a value falls in [0, 100) for a seed: a stand-in for AppConfig's unpublished consistent hash. */
export function splitBucket(seed: string, value: string): number {
  return (createHash("sha256").update(`${seed}\u0000${value}`).digest().readUInt32BE(0) / 2 ** 32) * 100;
}

function value(node: Node, context: Context): Value {
  if ("literal" in node) return node.literal;
  if ("context" in node) return context[node.context];
  if ("list" in node) return node.list.map((item) => value(item, context));
  return evaluate(node, context);
}

function evaluate(node: Node, context: Context): boolean {
  if (!("op" in node)) return value(node, context) === true;
  const [a, b] = node.args.map((arg) => value(arg, context));
  switch (node.op) {
    case "eq":
      return a !== undefined && a === b;
    case "in":
      return a !== undefined && Array.isArray(b) && b.includes(a);
    case "begins_with":
      return typeof a === "string" && typeof b === "string" && a.startsWith(b);
    case "and":
      return evaluate(node.args[0], context) && evaluate(node.args[1], context);
    case "or":
      return evaluate(node.args[0], context) || evaluate(node.args[1], context);
    case "not":
      return !evaluate(node.args[0], context);
    case "split": {
      const pct = value(node.options.pct, context);
      const by = node.options.by ? value(node.options.by, context) : undefined;
      const seed = node.options.seed ? value(node.options.seed, context) : "";
      if (typeof pct !== "number" || pct < 0 || pct > 100) throw new Error("split needs pct:: between 0 and 100");
      // A context without the `by` value matches no split (AWS returns the default variant).
      if (by === undefined) return false;
      return splitBucket(String(seed), String(by)) < pct;
    }
    default:
      throw new Error(`operator ${node.op} is not in the subset this evaluator knows`);
  }
}

export function ruleMatches(rule: string, context: Context): boolean {
  return evaluate(parseRule(rule), context);
}

export interface AppConfigEvaluation {
  /** The AppConfig variant's name (e.g. `on`, `off-dependency-off`, `control-default`); undefined for a basic flag. */
  readonly variantName?: string;
  /** The logical variant (`attributeValues.variant`), or on/off for a basic flag. */
  readonly variant: string;
  readonly enabled: boolean;
  readonly value?: unknown;
  /** DEFAULT when the last variant (no rule) was served. */
  readonly reason: "STATIC" | "TARGETING_MATCH" | "DEFAULT";
}

interface Variant {
  name: string;
  enabled: boolean;
  rule?: string;
  attributeValues?: Record<string, unknown>;
}

/** What AppConfig serves for one flag of a document to a context. */
export function evaluateAppConfig(document: Record<string, unknown>, key: string, context: Context): AppConfigEvaluation {
  const entry = (document.values as Record<string, { enabled?: boolean; _variants?: Variant[] }>)[key];
  if (!entry) throw new Error(`no flag ${key} in the document`);
  if (!entry._variants) return { variant: entry.enabled ? "on" : "off", enabled: entry.enabled === true, reason: "STATIC" };
  const variants = entry._variants;
  const index = variants.findIndex((variant) => variant.rule !== undefined && ruleMatches(variant.rule, context));
  const chosen = index >= 0 ? variants[index] : variants[variants.length - 1];
  return {
    variantName: chosen.name,
    variant: String(chosen.attributeValues?.variant ?? chosen.name),
    enabled: chosen.enabled,
    value: chosen.attributeValues?.value,
    reason: index >= 0 ? "TARGETING_MATCH" : "DEFAULT",
  };
}
