import type { PropertyChange } from "./model";

// Property-level differences between two resources' inputs, JSON held in strings opened up.

export function parseJsonString(value: unknown): unknown {
  if (typeof value === "string" && /^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** Leaf values by path (`a.b[0].c`); JSON held in strings (policies, container definitions) is opened up. */
export function flatten(value: unknown, path = "", out = new Map<string, unknown>()): Map<string, unknown> {
  const opened = parseJsonString(value);
  if (Array.isArray(opened)) {
    if (opened.length === 0) out.set(path, []);
    opened.forEach((item, index) => flatten(item, `${path}[${index}]`, out));
  } else if (opened !== null && typeof opened === "object") {
    const entries = Object.entries(opened);
    if (entries.length === 0) out.set(path, {});
    for (const [key, inner] of entries) flatten(inner, path ? `${path}.${key}` : key, out);
  } else {
    out.set(path, opened);
  }
  return out;
}

export function propertyChanges(base: unknown, head: unknown, prefix: string): PropertyChange[] {
  const before = flatten(base, prefix);
  const after = flatten(head, prefix);
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths
    .filter((path) => JSON.stringify(before.get(path)) !== JSON.stringify(after.get(path)))
    .map((path) => ({ path, old: before.get(path), new: after.get(path) }));
}

export const show = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value));
