import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { SECURE_PLACEHOLDER } from "../config/formats";

export interface StackFileConfig {
  /** Every key as Pulumi hands it to a program: `ns:key` -> string (objects as JSON). */
  readonly values: Record<string, string>;
  /** Keys holding a `secure:` value anywhere inside. */
  readonly secretKeys: Set<string>;
}

export class StackFileError extends Error {}

/**
 * Reads a `Pulumi.<stack>.yaml` the way the Pulumi CLI presents it to a program. `secure:` values cannot be decrypted
 * offline: they become a placeholder and their key is marked secret, as it would be under `pulumi up`.
 */
export function readStackFile(path: string, project: string): StackFileConfig {
  let document: unknown;
  try {
    document = parse(readFileSync(path, "utf8"));
  } catch (error) {
    // The yaml library's first line ends "at line 3, column 7:" before an excerpt; the line alone must not dangle.
    throw new StackFileError(`${path}: not valid YAML: ${(error as Error).message.split("\n")[0].replace(/:\s*$/, "")}`);
  }
  if (document === null || document === undefined) return { values: {}, secretKeys: new Set() };
  if (typeof document !== "object" || Array.isArray(document)) throw new StackFileError(`${path}: expected a map with a config: key`);
  const config = (document as Record<string, unknown>).config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new StackFileError(`${path}: config: expected a map of settings`);
  }
  return toConfigValues(config as Record<string, unknown>, project);
}

/** A stack file's `config:` map as Pulumi hands it to a program: `ns:key` -> string, objects as JSON. */
export function toConfigValues(config: Readonly<Record<string, unknown>>, project: string): StackFileConfig {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [rawKey, rawValue] of Object.entries(config)) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    let secret = false;
    const value = replaceSecure(rawValue, () => {
      secret = true;
    });
    if (secret) secretKeys.add(key);
    values[key] = typeof value === "string" ? value : value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return { values, secretKeys };
}

function isSecure(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as Record<string, unknown>).secure === "string"
  );
}

function replaceSecure(value: unknown, onSecret: () => void): unknown {
  if (isSecure(value)) {
    onSecret();
    return SECURE_PLACEHOLDER;
  }
  if (Array.isArray(value)) return value.map((item) => replaceSecure(item, onSecret));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v, onSecret)]));
  }
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return value;
}
