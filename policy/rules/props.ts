import type { PolicyResource, StackContext, Tier } from "./types";

/** Nested props may arrive as JSON strings (provider inputs in a preview) or as objects. */
export function parsed(value: unknown): unknown {
  if (typeof value === "string" && (value.startsWith("{") || value.startsWith("["))) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

export function at(value: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((current, key) => {
    const container = parsed(current);
    return container !== null && typeof container === "object" ? (container as Record<string | number, unknown>)[key] : undefined;
  }, value);
}

export const list = (value: unknown): unknown[] => {
  const candidate = parsed(value);
  return Array.isArray(candidate) ? candidate : [];
};

/** The tier from the `tier` default tag of the stack's AWS provider. */
export function stackTier(resources: readonly PolicyResource[]): Tier | undefined {
  for (const resource of resources) {
    if (!resource.type.startsWith("pulumi:providers:aws")) continue;
    const tier = at(resource.props, "defaultTags", "tags", "tier");
    if (tier === "dev" || tier === "staging" || tier === "production") return tier;
  }
  return undefined;
}

export const inProduction = (stack: StackContext) => stack.tier === "production";

export const statementsOf = (policy: unknown): Record<string, unknown>[] => list(at(policy, "Statement")) as Record<string, unknown>[];

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
