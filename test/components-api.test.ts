import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { SynthDocument } from "../src/synth/capture";
import { PROJECT_ROOT } from "../src/synth/run";
import { resource, resourcesOf } from "./helpers";
import { builtInAlarmNames } from "../components/deployment-alarms/deployment-alarms";

const EXAMPLE = "examples/platform-team";

/** `npm run synth -- <args>` as a user runs it from the repository's root (the bin entry, without npm's banner). */
function synth(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_") && key !== "INIT_CWD"));
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", ...args], { cwd: PROJECT_ROOT, env, encoding: "utf8", timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The example synthesized as JSON through the command, with `--program`. */
function synthesizeExample(stack: string, ...more: string[]): { document: SynthDocument; bytes: string } {
  const out = join(mkdtempSync(join(tmpdir(), "platform-team-")), `${stack}.json`);
  const result = synth([stack, "--program", EXAMPLE, ...more, "--format", "json", "--out", out]);
  expect(result.code, result.stderr).toBe(0);
  const bytes = readFileSync(out, "utf8");
  return { document: JSON.parse(bytes) as SynthDocument, bytes };
}

/** What the team relies on, read from the synthesized document: the service's release, its guards, and the flags' rollback. */
function guardedService(document: SynthDocument) {
  const service = resource(document, "aws:ecs/service:Service", "storefront-service").inputs;
  const configuration = service.deploymentConfiguration as { strategy: string; canaryConfiguration: unknown; lifecycleHooks: { lifecycleStages: string[] }[] };
  const composite = resource(document, "aws:cloudwatch/compositeAlarm:CompositeAlarm", "storefront-alarms-any");
  const flagEnvironment = resourcesOf(document, "aws:appconfig/environment:Environment");
  return {
    strategy: configuration.strategy,
    canary: configuration.canaryConfiguration,
    hookStages: configuration.lifecycleHooks.map((hook) => hook.lifecycleStages),
    rollbackAlarms: (service.alarms as { alarmNames: string[]; rollback: boolean }).alarmNames,
    flagMonitors: flagEnvironment.map((environment) => (environment.inputs.monitors as { alarmArn: string }[]).map((monitor) => monitor.alarmArn === composite.outputs.arn)),
    flagStrategy: resourcesOf(document, "aws:appconfig/deploymentStrategy:DeploymentStrategy").map(({ inputs }) => [
      inputs.growthFactor,
      inputs.deploymentDurationInMinutes,
      inputs.finalBakeTimeInMinutes,
    ]),
    flagHistoryProtected: resourcesOf(document, "aws:appconfig/application:Application").map((application) => application.options.protect),
    alertEmails: resourcesOf(document, "aws:sns/topicSubscription:TopicSubscription").map((subscription) => subscription.inputs.endpoint),
    strategySummary: document.outputs.strategy,
  };
}

const EXPECTED = {
  strategy: "CANARY",
  canary: { canaryPercent: 5, canaryBakeTimeInMinutes: "10" },
  hookStages: [["POST_TEST_TRAFFIC_SHIFT"], ["PRE_SCALE_UP"]],
  rollbackAlarms: [...builtInAlarmNames("shop", "storefront"), "shop-storefront-task-start-impaired"],
  flagMonitors: [[true]],
  flagStrategy: [[20, 20, 10]],
  flagHistoryProtected: [true],
  alertEmails: ["shop-oncall@example.com"],
  strategySummary: "canary 5% -> bake 10m -> 100%, bake 20m",
};

describe("synth --program synthesizes the platform team's own program, as the README shows", () => {
  let example: { document: SynthDocument; bytes: string };
  let byHand: { document: SynthDocument; bytes: string };

  beforeAll(() => {
    example = synthesizeExample("example", "--config-file", `${EXAMPLE}/Pulumi.example.yaml`);
    byHand = synthesizeExample("by-hand");
  }, 120_000);

  it("runs the project's own entry with its own config: a ReleaseEnvironment with a canary guarded by its alarms and both hooks", () => {
    expect(example.document).toMatchObject({ version: 1, project: "shop-platform", stack: "example", tier: "production" });
    expect(resource(example.document, "release:aws:ReleaseEnvironment", "shop").parent).toBeNull();
    expect(guardedService(example.document)).toEqual(EXPECTED);
  });

  it("the hand-composed variant (the by-hand stack file) deploys the same guarded service and flag rollback", () => {
    expect(byHand.document).toMatchObject({ project: "shop-platform", stack: "by-hand", tier: "production" });
    expect(resourcesOf(byHand.document, "release:aws:ReleaseEnvironment")).toEqual([]);
    expect(guardedService(byHand.document)).toEqual(EXPECTED);
  });

  it("gives the same bytes for the same program and stack file", () => {
    expect(synthesizeExample("by-hand").bytes).toBe(byHand.bytes);
  });

  it("reports what the program refuses as the user's to fix (exit 1), and a directory that is no Pulumi project as bad usage (exit 2)", () => {
    const directory = mkdtempSync(join(tmpdir(), "platform-team-"));
    const stackFile = parse(readFileSync(join(PROJECT_ROOT, EXAMPLE, "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> };
    const withoutVpc = join(directory, "Pulumi.novpc.yaml");
    writeFileSync(withoutVpc, stringify({ config: { ...stackFile.config, "shop:vpcId": undefined } }));
    const missing = synth(["novpc", "--program", EXAMPLE, "--config-file", withoutVpc]);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toContain(`${EXAMPLE}: Missing required configuration variable 'shop:vpcId'`);
    expect(missing.stderr).not.toContain("    at ");

    const notAProject = synth(["example", "--program", directory]);
    expect(notAProject.code).toBe(2);
    expect(notAProject.stderr).toContain(`synth: --program ${directory}: no Pulumi.yaml in ${directory}`);
  });
});

/** The README's ```ts samples in "Use the components". */
function readmeSamples(): string[] {
  const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Use the components"), readme.indexOf("\n## ", readme.indexOf("## Use the components") + 1));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/** A statement's code without comments, layout or trailing commas: one sample may wrap what the program spreads out. */
function normalized(node: ts.Node, file: ts.SourceFile): string {
  const printed = ts.createPrinter({ removeComments: true }).printNode(ts.EmitHint.Unspecified, node, file);
  return printed.replace(/\s+/g, "").replace(/,(?=[}\])])/g, "");
}

describe("the README's samples are the example's code", () => {
  const program = ts.createSourceFile("program.ts", readFileSync(join(PROJECT_ROOT, EXAMPLE, "program.ts"), "utf8"), ts.ScriptTarget.ES2022, true);
  // Every statement of the program, at any depth (top level, function bodies).
  const statements = new Set<string>();
  const imported = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isSourceFile(node.parent) || ts.isBlock(node.parent)) statements.add(normalized(node, program));
    if (ts.isImportDeclaration(node) && (node.moduleSpecifier as ts.StringLiteral).text === "../../components") {
      const bindings = node.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) imported.add(element.name.text);
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(program, visit);

  it("shows two samples, each statement of which is in examples/platform-team/program.ts (the package's imports from its index)", () => {
    const samples = readmeSamples();
    expect(samples).toHaveLength(2);
    for (const sample of samples) {
      const file = ts.createSourceFile("sample.ts", sample, ts.ScriptTarget.ES2022, true);
      expect(file.statements.length).toBeGreaterThan(1);
      for (const statement of file.statements) {
        if (ts.isImportDeclaration(statement) && (statement.moduleSpecifier as ts.StringLiteral).text === "release-platform") {
          const bindings = statement.importClause?.namedBindings;
          const names = bindings && ts.isNamedImports(bindings) ? bindings.elements.map((element) => element.name.text) : [];
          expect(names.filter((name) => !imported.has(name)), statement.getText()).toEqual([]);
          continue;
        }
        expect(statements.has(normalized(statement, file)), statement.getText()).toBe(true);
      }
    }
  });
});
