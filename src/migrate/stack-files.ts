import { isMap, parseDocument } from "yaml";
import { UsageError } from "../errors";
import { ROUTE_FIELDS } from "../../components/release-environment/routes";
import type { DeployedRoute } from "./plan";

/** What the migration moves between the two stack files. */
export interface ServiceSettings {
  /** The service's block as the environment stack file has it. */
  readonly settings: Record<string, unknown>;
  readonly region?: string;
  /** Paths (e.g. `environment.TOKEN`) of `secure:` values, which only the environment stack's secrets provider can decrypt. */
  readonly secrets: readonly string[];
  /** The environment stack file's flags: once moved, the service reads its own stack's store, not this one. */
  readonly flags: readonly EnvironmentFlag[];
  /** How the environment stack file reaches its cluster: a service stack reads the cluster stack too, or needs the kubeconfig. */
  readonly cluster?: "stackReference" | "kubeconfig";
}

export interface EnvironmentFlag {
  readonly name: string;
  readonly owner?: string;
  readonly dependsOn: readonly string[];
}

/** The service's block of `release:services` in the environment stack file (raw, as written: no tier defaults). */
export function readServiceSettings(source: string, display: string, service: string): ServiceSettings {
  const document = parseDocument(source, { logLevel: "error" });
  if (document.errors.length > 0) throw new UsageError(`${display}: not valid YAML (${document.errors[0].message.split("\n")[0]})`);
  const config = (document.toJS() as { config?: Record<string, unknown> } | null)?.config ?? {};
  if (config["release:environment"] !== undefined) {
    throw new UsageError(`${display}: a service stack's file (it has release:environment), not the environment stack's the service is in: pass that one with --config-file`);
  }
  const services = config["release:services"];
  const settings = services !== null && typeof services === "object" ? (services as Record<string, unknown>)[service] : undefined;
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) {
    const names = services !== null && typeof services === "object" ? Object.keys(services as object) : [];
    throw new UsageError(`${display}: no release:services.${service} (services there: ${names.join(", ") || "none"}); pass the environment stack's file with --config-file`);
  }
  if (!isMap(document.contents)) throw new UsageError(`${display}: not a stack file`);
  const region = config["aws:region"];
  const flags = Object.entries((config["release:flags"] ?? {}) as Record<string, { owner?: unknown; dependsOn?: unknown } | null>).map(([name, flag]) => ({
    name,
    ...(typeof flag?.owner === "string" ? { owner: flag.owner } : {}),
    dependsOn: Array.isArray(flag?.dependsOn) ? flag.dependsOn.filter((other): other is string => typeof other === "string") : [],
  }));
  const cluster = (config["release:cluster"] ?? undefined) as { kubeconfig?: unknown; stackReference?: unknown } | undefined;
  const reach = cluster?.kubeconfig !== undefined ? "kubeconfig" : cluster?.stackReference !== undefined ? "stackReference" : undefined;
  return { settings: settings as Record<string, unknown>, region: typeof region === "string" ? region : undefined, secrets: securePaths(settings, ""), flags, ...(reach ? { cluster: reach } : {}) };
}

function securePaths(value: unknown, path: string): string[] {
  if (value === null || typeof value !== "object") return [];
  if (!Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) return [path];
  return Object.entries(value).flatMap(([key, inner]) => securePaths(inner, path ? `${path}.${key}` : key));
}

/** The route the stack file gives the service, in the shape `release:routes.<service>` takes. */
export function routeOfSettings(settings: Record<string, unknown>): Partial<DeployedRoute> {
  return Object.fromEntries(ROUTE_FIELDS.filter((field) => settings[field] !== undefined).map((field) => [field, settings[field]]));
}

/** Where the stack file and the deployed listener rule disagree: a route changed in the file but not yet deployed. */
export function routeDifferences(file: Partial<DeployedRoute>, deployed: DeployedRoute): string[] {
  return ROUTE_FIELDS.filter((field) => JSON.stringify(file[field] ?? null) !== JSON.stringify(deployed[field] ?? null)).map(
    (field) => `${field}: the stack file says ${JSON.stringify(file[field] ?? null)}, the deployed listener rule ${JSON.stringify(deployed[field] ?? null)}`,
  );
}

/** The service's settings for its service stack: everything but its place on the load balancer. */
export function serviceStackSettings(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !(ROUTE_FIELDS as readonly string[]).includes(key)));
}
