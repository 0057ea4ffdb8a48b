import { Region } from "@pulumi/aws/types/enums";
import { z } from "zod";
import { PULUMI_OUTPUTS } from "../../components/formats";
import { AWS_PROVIDER_SETTINGS, AWS_SETTING_SHAPES } from "../../components/environment/provider-settings";
import { RELEASE_KEYS, releaseConfigSchema } from "./schema";

/**
 * The JSON Schema of a `Pulumi.<stack>.yaml` that this program reads, generated from the zod schema the loader validates
 * with, for editors (yaml-language-server) and tools. It accepts what the loader accepts: `{secure: ...}` wherever text
 * goes, and the text `pulumi config set --path` stores for numbers and booleans. Rules zod expresses as code (formats
 * such as ARNs and CIDRs, cross-field rules) are checked by `npm run synth`, not here.
 */

type JsonSchema = Record<string, unknown>;

/** The stack file's schema as JSON Schema: a field a program may give an Output is, in a stack file, its plain value. */
function releaseJsonSchema(): JsonSchema {
  return z.toJSONSchema(releaseConfigSchema, {
    unrepresentable: "any",
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema._zod.def.type !== "union" || !PULUMI_OUTPUTS.has(zodSchema._zod.def.options[0])) return;
      const plain = (jsonSchema.anyOf as JsonSchema[])[1];
      delete jsonSchema.anyOf;
      Object.assign(jsonSchema, plain);
    },
  }) as JsonSchema;
}

const SECURE: JsonSchema = {
  type: "object",
  properties: { secure: { type: "string" } },
  required: ["secure"],
  additionalProperties: false,
  description: "an encrypted value (pulumi config set --secret)",
};
const NUMBER_TEXT: JsonSchema = { type: "string", pattern: "^-?\\d+(\\.\\d+)?$", description: "a number as pulumi config set --path stores it" };
const BOOLEAN_TEXT: JsonSchema = { type: "string", enum: ["true", "false"], description: "a boolean as pulumi config set --path stores it" };

/** Widens every value position of a schema to what a stack file may hold there. */
function asStackFileValue(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asStackFileValue);
  if (node === null || typeof node !== "object") return node;
  const schema = { ...(node as JsonSchema) };
  for (const key of ["properties", "patternProperties"]) {
    if (schema[key]) schema[key] = Object.fromEntries(Object.entries(schema[key] as JsonSchema).map(([name, inner]) => [name, asStackFileValue(inner)]));
  }
  for (const key of ["items", "additionalProperties", "anyOf", "oneOf", "allOf"]) {
    if (schema[key] !== undefined && typeof schema[key] === "object") schema[key] = asStackFileValue(schema[key]);
  }
  if (schema.type === "string") return { anyOf: [schema, SECURE] };
  if (schema.type === "number" || schema.type === "integer") return { anyOf: [schema, NUMBER_TEXT] };
  if (schema.type === "boolean") return { anyOf: [schema, BOOLEAN_TEXT] };
  return schema;
}

/**
 * A stack that makes its environment needs a network; a service stack (release:environment) takes its network,
 * listeners, alert subscribers and routes from the environment it joins.
 */
const SERVICE_STACK_RULES: JsonSchema = {
  // A stack without services is an environment stack (routes); a service stack needs services (the loader says so).
  if: { not: { required: ["release:environment"] } },
  then: { required: ["release:network"], anyOf: [{ required: ["release:services"] }, { required: ["release:routes"] }] },
  else: { properties: Object.fromEntries(["network", "ingress", "notifications", "routes"].map((key) => [`release:${key}`, false])) },
};

export function stackFileJsonSchema(): JsonSchema {
  const release = releaseJsonSchema() as JsonSchema & {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  const releaseKeys = RELEASE_KEYS as string[];
  const config: JsonSchema = {
    type: "object",
    description: "Settings by namespace: release: for this program, aws: for the AWS provider",
    properties: {
      "aws:region": { type: "string", enum: Object.values(Region).sort(), description: "the AWS region the stack deploys to" },
      // The AWS provider's other settings: the program passes each to the provider every AWS resource uses.
      ...Object.fromEntries(
        AWS_PROVIDER_SETTINGS.map((key) => [`aws:${key}`, asStackFileValue(z.toJSONSchema(AWS_SETTING_SHAPES[key], { unrepresentable: "any" }))]),
      ),
      ...Object.fromEntries(releaseKeys.map((key) => [`release:${key}`, asStackFileValue(release.properties[key])])),
    },
    // Any other release: or aws: key is a mistake the program refuses; other namespaces belong to other tools.
    patternProperties: {
      [`^release:(?!(${releaseKeys.join("|")})$)`]: false,
      [`^aws:(?!(${["region", ...AWS_PROVIDER_SETTINGS].join("|")})$)`]: false,
    },
  };
  const required = ["aws:region", ...(release.required ?? []).map((key) => `release:${key}`)];
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "release-platform stack file (Pulumi.<stack>.yaml)",
    description: "Generated from src/config/schema.ts by `npm run schema`; do not edit by hand.",
    type: "object",
    properties: {
      config,
      environment: {
        description: "ESC environments the stack imports; their pulumiConfig values count as settings (offline: --env-values)",
        anyOf: [
          { type: "array", items: { type: "string" } },
          { type: "object", properties: { imports: { type: "array", items: { type: "string" } } } },
        ],
      },
      secretsprovider: { type: "string" },
      encryptedkey: { type: "string" },
      encryptionsalt: { type: "string" },
    },
    additionalProperties: false,
    // A stack that imports ESC environments may get any setting from them.
    if: { not: { required: ["environment"] } },
    then: { required: ["config"], properties: { config: { required, ...SERVICE_STACK_RULES } } },
  };
}

export function stackFileJsonSchemaText(): string {
  return `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`;
}

type Node = JsonSchema & {
  type?: string;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
  anyOf?: Node[];
  enum?: unknown[];
};

function constraints(node: Node): string {
  const parts: string[] = [];
  const bound = (value: unknown) => (typeof value === "number" && value < Number.MAX_SAFE_INTEGER ? String(value) : "");
  if (typeof node.description === "string") parts.push(node.description);
  if (node.enum) parts.push(node.enum.map((value) => `\`${String(value)}\``).join(" \\| "));
  if (node.minimum !== undefined || node.maximum !== undefined) parts.push([bound(node.minimum), bound(node.maximum)].join("-").replace(/-$/, " or more"));
  if (node.multipleOf !== undefined) parts.push(`multiple of ${String(node.multipleOf)}`);
  if (node.minItems !== undefined) parts.push(node.maxItems !== undefined ? `${String(node.minItems)}-${String(node.maxItems)} items` : `at least ${String(node.minItems)}`);
  else if (node.maxItems !== undefined) parts.push(`at most ${String(node.maxItems)} items`);
  if (node.maxLength !== undefined) parts.push(`at most ${String(node.maxLength)} characters`);
  if (node.format === "date") parts.push("a date like 2027-03-01");
  else if (typeof node.pattern === "string") parts.push(`\`${node.pattern.replace(/\|/g, "\\|")}\``);
  return parts.join(", ");
}

function typeOf(node: Node): string {
  if (node.anyOf && node.anyOf.every((option) => option.const !== undefined)) return "one of";
  if (node.anyOf) return [...new Set(node.anyOf.map(typeOf))].join(" or ");
  if (node.type === "array") return `list of ${node.items ? typeOf(node.items) : "values"}`;
  if (node.type === "object" && node.additionalProperties && typeof node.additionalProperties === "object") return "map";
  if (node.const !== undefined) return JSON.stringify(node.const);
  return node.type ?? "any";
}

function limits(node: Node): string {
  if (node.anyOf && node.anyOf.every((option) => option.const !== undefined)) return node.anyOf.map((option) => String(option.const)).join(", ");
  return [constraints(node), ...(node.anyOf ?? []).map(constraints)].filter(Boolean).join("; ");
}

/** One row per setting, walking maps (`<name>`), lists (`[]`) and alternatives. */
function rows(node: Node, path: string, required: boolean, out: string[][]): void {
  if (node.anyOf && node.anyOf.every((option) => option.type === "object" && option.properties)) {
    for (const option of node.anyOf) rows(option, path, required, out);
    return;
  }
  if (node.type === "object" && node.properties) {
    for (const [key, inner] of Object.entries(node.properties)) rows(inner, `${path}.${key}`, node.required?.includes(key) ?? false, out);
    return;
  }
  if (node.type === "object" && node.additionalProperties && typeof node.additionalProperties === "object") {
    const name = node.propertyNames ? constraints(node.propertyNames) : "";
    out.push([path, "map", name ? `keys ${name}` : "", required ? "required" : ""]);
    rows(node.additionalProperties, `${path}.<name>`, false, out);
    return;
  }
  if (node.type === "array" && node.items?.type === "object") {
    out.push([path, "list", constraints(node), required ? "required" : ""]);
    rows(node.items, `${path}[]`, false, out);
    return;
  }
  out.push([path, typeOf(node), limits(node), required ? "required" : ""]);
}

/** The config reference, generated from the same schema: every key the loader reads, its type and limits. */
export function configReferenceMarkdown(): string {
  const release = releaseJsonSchema() as Node;
  const out: string[][] = [];
  for (const [key, inner] of Object.entries(release.properties ?? {})) rows(inner, `release:${key}`, release.required?.includes(key) ?? false, out);
  const cell = (text: string) => text.replace(/\n/g, " ");
  return [
    "# Config reference",
    "",
    "Generated from `src/config/schema.ts` by `npm run schema` (a test fails when this file is out of date); do not edit by hand.",
    "Every key of the `release` namespace the program reads, with its type and limits. Defaults per tier and the rules",
    "between keys are in the README's *Config reference*; `npm run synth -- <stack>` checks all of them. Besides these,",
    "a stack file sets `aws:region` (one of the regions @pulumi/aws knows). Any text may be a secret (`secure:`); numbers",
    "and booleans may be text, as `pulumi config set --path` stores them.",
    "",
    "| key | type | limits | |",
    "|---|---|---|---|",
    ...out.map((row) => `| \`${row[0]}\` | ${cell(row[1])} | ${cell(row[2])} | ${row[3]} |`),
    "",
  ].join("\n");
}
