import { createHash } from "node:crypto";

/** @internal */
/** A short, stable digest of `text` (hex), used to keep truncated names unique. */
export function shortHash(text: string, length = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** @internal */
/**
 * A physical name `<parts joined by ->-<suffix>` that fits in `max` characters and is valid for every AWS resource type
 * this library names. When the parts are too long they are cut and a digest of the full name is added, so two long
 * names never collide.
 */
export function physicalName(parts: readonly string[], suffix: string, max: number): string {
  const joined = parts.filter((part) => part.length > 0).join("-");
  // Load balancer and target group names take letters, digits and hyphens only, the strictest of the names set here; a
  // stack named prod.eu or prod_eu gets hyphens and a digest of its real name, so it cannot collide with prod-eu.
  const cleaned = joined.replace(/[^A-Za-z0-9-]/g, "-").replace(/^-+|-+$/g, "");
  const base = cleaned === joined ? joined : [cleaned, shortHash(joined)].filter((part) => part.length > 0).join("-");
  const tail = suffix.length > 0 ? `-${suffix}` : "";
  const whole = `${base}${tail}`;
  if (whole.length <= max) return whole;
  const digest = shortHash(whole, 6);
  const room = max - tail.length - digest.length - 1;
  if (room < 1) throw new Error(`cannot fit a name for ${whole} in ${max} characters`);
  return `${base.slice(0, room).replace(/-+$/, "")}-${digest}${tail}`;
}

/** AWS's limits on the physical names this library sets. */
export const NAME_LIMITS = {
  loadBalancer: 32,
  targetGroup: 32,
  iamRole: 64,
  lambda: 64,
  alarm: 255,
  ecs: 255,
} as const;

/** @internal A DNS label, as Kubernetes names namespaces and most objects. */
export const KUBERNETES_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
