import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { configReferenceMarkdown, stackFileJsonSchema, stackFileJsonSchemaText } from "../src/config/json-schema";
import { reportJson } from "../policy/evaluate";
import { PROJECT_ROOT, synthesizeStack } from "../src/synth/run";
import { configError, setPath, shippedConfig } from "./helpers";

const validate = new Ajv2020({ allErrors: true, strict: false }).compile(stackFileJsonSchema());
const stackFiles = readdirSync(PROJECT_ROOT).filter((file) => /^Pulumi\.[^.]+\.yaml$/.test(file)).sort();

function errorsOf(document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

describe("the stack file's JSON Schema", () => {
  it("is generated from the zod schema: the shipped files are what `npm run schema` writes", () => {
    expect(readFileSync(join(PROJECT_ROOT, "docs/stack-file.schema.json"), "utf8")).toBe(stackFileJsonSchemaText());
    expect(readFileSync(join(PROJECT_ROOT, "docs/config-reference.md"), "utf8")).toBe(configReferenceMarkdown());
  });

  it.each(stackFiles)("%s names the schema for yaml-language-server and is valid against it", (file) => {
    const text = readFileSync(join(PROJECT_ROOT, file), "utf8");
    const reference = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
    expect(reference).toBe("./docs/stack-file.schema.json");
    expect(existsSync(join(dirname(join(PROJECT_ROOT, file)), reference as string))).toBe(true);
    expect(errorsOf(parse(text))).toEqual([]);
  });

  it("accepts what the loader accepts: secrets in place of text, numbers and booleans as --path text, ESC imports", () => {
    const config = shippedConfig("production");
    setPath(config, "release:notifications.emails", [{ secure: "AAAA" }]);
    setPath(config, "release:services.checkout.smokeTest.minSuccessRate", "0.9");
    setPath(config, "release:services.checkout.alarmGate", { enabled: "false" });
    expect(configError(config, "production")).toBeUndefined();
    expect(errorsOf({ config })).toEqual([]);
    const imported = shippedConfig("production");
    delete imported["release:network"];
    expect(errorsOf({ environment: ["acme/network"], config: imported })).toEqual([]);
    expect(errorsOf({ config: imported })).toEqual(["/config must have required property 'release:network'", '/config must match "then" schema', ' must match "then" schema']);
  });

  it.each([
    ["an unknown release key", "release:servics", {}, "/config/release:servics boolean schema is false"],
    ["an unknown service setting", "release:services.checkout.prot", 8080, "/config/release:services/checkout must NOT have additional properties"],
    ["a port that is no number", "release:services.checkout.port", "eighty", "/config/release:services/checkout/port must be integer"],
    ["an unknown strategy", "release:services.checkout.deployment.strategy", "bluegreen", "/config/release:services/checkout/deployment/strategy must be equal to one of the allowed values"],
    ["a region typo", "aws:region", "eu-wst-1", "/config/aws:region must be equal to one of the allowed values"],
  ])("flags %s, as the loader does", (_, path, value, error) => {
    const config = setPath(shippedConfig("production"), path, value);
    expect(configError(config, "production")).toBeDefined();
    expect(errorsOf({ config })).toContain(error);
  });

  it("flags services written as a list", () => {
    const config = shippedConfig("production");
    config["release:services"] = [{ name: "checkout" }];
    expect(errorsOf({ config })).toContain("/config/release:services must be object");
  });
});

describe("the README's config reference", () => {
  type Node = { properties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean; anyOf?: Node[] };
  const resolve = (path: string): Node | undefined => {
    let node: Node | undefined = (stackFileJsonSchema() as Node).properties?.config;
    for (const step of path.replace(/\[\]/g, ".[]").split(".")) {
      const options: Node[] = node ? [node, ...(node.anyOf ?? [])] : [];
      const next: (Node | undefined)[] = options.map((option) =>
        step === "[]"
          ? option.items
          : /^<\w+>$/.test(step)
            ? typeof option.additionalProperties === "object"
              ? option.additionalProperties
              : undefined
            : option.properties?.[step],
      );
      node = next.find((candidate) => candidate !== undefined);
    }
    return node;
  };

  it("names only keys the schema has", () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Config reference"), readme.indexOf("\n## ", readme.indexOf("## Config reference") + 1));
    const keys = table
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => {
        const cell = line.split(" | ")[0].slice(2);
        const names = [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1].replace(/^…\./, "release:services.<name>."));
        let previous = "";
        return names.map((name) => {
          const full = name.startsWith(".") ? previous.replace(/\.[^.]+$/, name) : name;
          previous = full;
          return full;
        });
      });
    expect(keys.length).toBeGreaterThan(40);
    expect(keys.filter((key) => resolve(key) === undefined)).toEqual([]);
  });
});

describe("docs/json-contract.md", () => {
  const contract = readFileSync(join(PROJECT_ROOT, "docs/json-contract.md"), "utf8");
  const examples = [...contract.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]) as Record<string, unknown>);
  const keys = (value: unknown) => Object.keys(value as object);

  it("shows the synth document's fields as synth writes them, in order", async () => {
    const document = await synthesizeStack({ stack: "production" });
    const [example] = examples;
    expect(keys(example)).toEqual(keys(document));
    const [resource] = example.resources as Record<string, unknown>[];
    const real = document.resources.find((r) => r.type === resource.type && r.name === resource.name);
    expect(real, "the example resource exists").toBeDefined();
    expect(keys(resource)).toEqual(keys(real));
    expect(keys(resource.options)).toEqual(keys(real?.options));
    expect({ urn: resource.urn, parent: resource.parent, provider: resource.provider }).toEqual({ urn: real?.urn, parent: real?.parent, provider: real?.provider });
    for (const field of keys(real)) expect(contract, field).toContain(`\`resources[].${field}\``);
  });

  it("shows the check report's and the stacks matrix's fields", () => {
    const violation = { rule: "r", enforcement: "mandatory" as const, resource: "x", type: "t", urn: "u", message: "m", suppressedBecause: "s" };
    const report = JSON.parse(reportJson([violation], { stack: "production" }));
    expect(keys(examples[1])).toEqual(keys(report));
    expect(keys((examples[1].violations as unknown[])[0])).toEqual(keys(report.violations[0]));
    expect(examples[2]).toEqual({ include: [{ stack: "dev", tier: "dev", region: "eu-west-1" }] });
  });
});
