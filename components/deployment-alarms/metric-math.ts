/**
 * The subset of CloudWatch metric math the deployment alarms use, evaluated over per-minute series: numbers, query
 * ids, + - * /, comparisons, AND/OR, IF(c, a[, b]), FILL(x, value) and MAX/MIN([...]). Anything else is refused, so an
 * alarm written with a function this model does not know cannot be judged by accident.
 */

/** One value per minute; undefined where CloudWatch has no datapoint. */
export type Series = readonly (number | undefined)[];

type Node =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "id"; readonly name: string }
  | { readonly kind: "negate"; readonly operand: Node }
  | { readonly kind: "binary"; readonly operator: string; readonly left: Node; readonly right: Node }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Node[] }
  | { readonly kind: "array"; readonly items: readonly Node[] };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|&&|\|\||[-+*/()[\],<>]))/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (!match) throw new Error(`metric math: cannot read ${JSON.stringify(expression.slice(start))} in ${JSON.stringify(expression)}`);
    tokens.push(match[1] ?? match[2] ?? match[3]);
  }
  return tokens;
}

const LEVELS: readonly (readonly string[])[] = [["OR", "||"], ["AND", "&&"], ["==", "!=", ">=", "<=", ">", "<"], ["+", "-"], ["*", "/"]];
const FUNCTIONS = new Set(["IF", "FILL", "MAX", "MIN"]);

export function parse(expression: string): Node {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const expect = (token: string) => {
    if (tokens[position] !== token) throw new Error(`metric math: expected ${token} at ${position} in ${JSON.stringify(expression)}`);
    position++;
  };
  const list = (close: string): Node[] => {
    const items: Node[] = [];
    if (peek() !== close) {
      items.push(level(0));
      while (peek() === ",") {
        position++;
        items.push(level(0));
      }
    }
    expect(close);
    return items;
  };
  const primary = (): Node => {
    const token = tokens[position++];
    if (token === undefined) throw new Error(`metric math: unexpected end of ${JSON.stringify(expression)}`);
    if (token === "-") return { kind: "negate", operand: primary() };
    if (token === "(") {
      const inner = level(0);
      expect(")");
      return inner;
    }
    if (token === "[") return { kind: "array", items: list("]") };
    if (/^\d/.test(token)) return { kind: "number", value: Number(token) };
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() !== "(") return { kind: "id", name: token };
      if (!FUNCTIONS.has(token)) throw new Error(`metric math: ${token} is not modelled (only ${[...FUNCTIONS].join(", ")})`);
      position++;
      return { kind: "call", name: token, args: list(")") };
    }
    throw new Error(`metric math: unexpected ${token} in ${JSON.stringify(expression)}`);
  };
  const level = (depth: number): Node => {
    if (depth === LEVELS.length) return primary();
    let left = level(depth + 1);
    while (peek() !== undefined && LEVELS[depth].includes(peek())) {
      const operator = tokens[position++];
      left = { kind: "binary", operator, left, right: level(depth + 1) };
    }
    return left;
  };
  const root = level(0);
  if (position !== tokens.length) throw new Error(`metric math: unexpected ${tokens[position]} in ${JSON.stringify(expression)}`);
  return root;
}

/** Ids an expression reads. */
export function references(expression: string): string[] {
  const names: string[] = [];
  const walk = (node: Node): void => {
    if (node.kind === "id") names.push(node.name);
    else if (node.kind === "negate") walk(node.operand);
    else if (node.kind === "binary") [node.left, node.right].forEach(walk);
    else if (node.kind === "call") node.args.forEach(walk);
    else if (node.kind === "array") node.items.forEach(walk);
  };
  walk(parse(expression));
  return [...new Set(names)];
}

function apply(operator: string, a: number, b: number): number | undefined {
  switch (operator) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? undefined : a / b;
    case ">=":
      return Number(a >= b);
    case "<=":
      return Number(a <= b);
    case ">":
      return Number(a > b);
    case "<":
      return Number(a < b);
    case "==":
      return Number(a === b);
    case "!=":
      return Number(a !== b);
    case "AND":
    case "&&":
      return Number(a !== 0 && b !== 0);
    default:
      return Number(a !== 0 || b !== 0);
  }
}

/**
 * Evaluates an expression minute by minute. Arithmetic between series has a datapoint only where every operand has one
 * (as CloudWatch's does); FILL gives one at every minute; MAX/MIN of an array take the datapoints present.
 */
export function evaluateExpression(expression: string, length: number, lookup: (id: string) => Series): Series {
  // Each id's series is looked up once, on its first use: the lookup resolves whole queries, and every minute of
  // every case of every service's sensitivity scenarios evaluates here.
  const looked = new Map<string, Series>();
  const series = (id: string): Series => {
    let found = looked.get(id);
    if (found === undefined) {
      found = lookup(id);
      looked.set(id, found);
    }
    return found;
  };
  const at = (node: Node, minute: number): number | undefined => {
    switch (node.kind) {
      case "number":
        return node.value;
      case "id":
        return series(node.name)[minute];
      case "negate": {
        const value = at(node.operand, minute);
        return value === undefined ? undefined : -value;
      }
      case "binary": {
        const left = at(node.left, minute);
        const right = at(node.right, minute);
        return left === undefined || right === undefined ? undefined : apply(node.operator, left, right);
      }
      case "array":
        throw new Error("metric math: an array is only modelled inside MAX or MIN");
      case "call":
        return call(node.name, node.args, minute);
    }
  };
  const call = (name: string, args: readonly Node[], minute: number): number | undefined => {
    if (name === "IF") {
      if (args.length < 2 || args.length > 3) throw new Error("metric math: IF takes 2 or 3 arguments");
      const condition = at(args[0], minute);
      if (condition === undefined) return undefined;
      // IF without a false value drops the datapoint when the condition is false.
      return condition !== 0 ? at(args[1], minute) : args[2] ? at(args[2], minute) : undefined;
    }
    if (name === "FILL") {
      if (args.length !== 2 || args[1].kind !== "number") throw new Error("metric math: only FILL(series, number) is modelled");
      return at(args[0], minute) ?? args[1].value;
    }
    // MAX(series) alone is a single number over the whole range in CloudWatch, not a series: refused here.
    if (args.length !== 1 || args[0].kind !== "array") throw new Error(`metric math: only ${name}([a, b, ...]) is modelled`);
    const values = args[0].items.map((item) => at(item, minute)).filter((value): value is number => value !== undefined);
    if (values.length === 0) return undefined;
    return name === "MAX" ? Math.max(...values) : Math.min(...values);
  };
  const root = parse(expression);
  return Array.from({ length }, (_, minute) => at(root, minute));
}
