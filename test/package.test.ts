import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { buildSync } from "esbuild";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleHook, HOOK_NAMES, type HookName } from "../components/lifecycle-hooks/bundle";
import { PROJECT_ROOT } from "../src/synth/run";

interface PackedFile {
  readonly path: string;
}

/** What the scratch program prints: the hook functions as registered, the ECS service's hooks, what it could resolve. */
interface ScratchReport {
  readonly exports: string[];
  readonly esbuild: string;
  readonly functions: { name: string; handler: string; runtime: string; files: Record<string, string> }[];
  readonly lifecycleHooks: { hookTargetArn: string; lifecycleStages: string[] }[];
  readonly functionArns: string[];
  /** Each component the program created: its class, and for each of its Output fields whether registerOutputs got it. */
  readonly components: { readonly className: string; readonly name: string; readonly outputs: Record<string, boolean> }[];
}

/**
 * A platform team's program, as an ES module importing the package by name: a ReleaseEnvironment with a canary ECS
 * service guarded by its alarms and both hooks (smoke test and alarm gate), a blue/green Kubernetes service and flags,
 * under the project's offline mocks (bundled beside it, since they are not part of the package). It records what each
 * component hands registerOutputs.
 */
const PROGRAM = `
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";

const require = createRequire(import.meta.url);
const { awsMocks } = require("./aws-mocks.cjs");
const mocks = awsMocks({ region: "eu-west-1", stackOutputs: {}, onPlaceholder: () => {} });
const registered = [];
pulumi.runtime.setMocks(
  {
    call: (args) => mocks.call(args),
    newResource: (args) => {
      registered.push(args);
      return mocks.newResource(args);
    },
  },
  "shop-platform",
  "production",
  false,
);
// The package resolves @pulumi/pulumi to this same module, so its components call this method. The SDK calls it once
// more, with no outputs, after the constructor; only the first call registers.
const registrations = [];
const registerOutputs = pulumi.ComponentResource.prototype.registerOutputs;
pulumi.ComponentResource.prototype.registerOutputs = function (outputs) {
  if (!this.__registered) registrations.push({ component: this, outputs });
  return registerOutputs.call(this, outputs);
};

// Imported once the mocks are set, as a program under \`pulumi up\` finds its engine already there.
const { ReleaseEnvironment } = await import("release-platform");

const shop = new ReleaseEnvironment("shop", {
  tier: "production",
  region: "eu-west-1",
  network: {
    vpcId: "vpc-0abc0abc0abc0abc0",
    publicSubnetIds: ["subnet-0a0a0a0a0a0a0a0a0", "subnet-0b0b0b0b0b0b0b0b0"],
    privateSubnetIds: ["subnet-0c0c0c0c0c0c0c0c0", "subnet-0d0d0d0d0d0d0d0d0"],
  },
  ingress: { certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0e0e0e0e-0e0e-0e0e-0e0e-0e0e0e0e0e0e" },
  notifications: { emails: ["oncall@example.com"] },
  services: {
    storefront: {
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront:1.4.2",
      port: 8080,
      pathPatterns: ["/*"],
      priority: 100,
      healthCheck: { path: "/healthz" },
      deployment: { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 },
      smokeTest: { enabled: true, paths: ["/healthz"] },
      alarmGate: { enabled: true },
      alarms: { errorRatePercent: 1 },
    },
    inventory: {
      runtime: "kubernetes",
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/inventory:2.0.1",
      port: 8080,
      pathPatterns: ["/inventory/*"],
      priority: 110,
      deployment: { strategy: "blue-green", bakeMinutes: 5 },
    },
  },
  flags: { "one-click-buy": { description: "One-click purchase", owner: "storefront", expires: "2027-09-30", enabled: true, rollout: { percent: 10 } } },
  cluster: { kubeconfig: "apiVersion: v1", name: "shop", securityGroupId: "sg-0f0f0f0f0f0f0f0f0" },
});
const storefront = shop.services.storefront;
const hooks = storefront.hooks;

const settled = (output) => new Promise((resolve) => output.apply(resolve));
// The ECS service takes the hooks' ARNs, so once it is registered the functions are too.
await settled(storefront.serviceArn);
const functionArns = await settled(hooks.functionArns);

let esbuild = "absent";
try {
  require.resolve("esbuild", { paths: [require.resolve("release-platform")] });
  esbuild = "present";
} catch {}

const functions = [];
for (const { type, inputs } of registered) {
  if (type !== "aws:lambda/function:Function") continue;
  const assets = await inputs.code.assets;
  const files = {};
  for (const [file, asset] of Object.entries(assets)) files[file] = await asset.text;
  functions.push({ name: inputs.name, handler: inputs.handler, runtime: inputs.runtime, files });
}
const components = registrations.map(({ component, outputs }) => {
  const values = Object.values(outputs ?? {});
  const fields = Object.entries(component).filter(([, value]) => pulumi.Output.isInstance(value));
  return {
    className: component.constructor.name,
    name: component.__name,
    outputs: Object.fromEntries(fields.map(([field, value]) => [field, values.includes(value)])),
  };
});
const service = registered.find(({ type }) => type === "aws:ecs/service:Service");
process.stdout.write(JSON.stringify({
  exports: Object.keys(require("release-platform")).sort(),
  esbuild,
  functions,
  lifecycleHooks: service.inputs.deploymentConfiguration.lifecycleHooks,
  functionArns,
  components,
}));
`;

/** Runs a CommonJS bundle the way Lambda does, resolving what it leaves external (the AWS SDK) from the repository. */
function loadHandler(code: string): unknown {
  const module = { exports: {} as Record<string, unknown> };
  new Function("module", "exports", "require", code)(module, module.exports, createRequire(join(PROJECT_ROOT, "package.json")));
  return module.exports.handler;
}

/**
 * The packages `npm install --omit=dev` puts beside the package: the lockfile's non-dev entries, i.e. the production
 * dependencies and theirs. Top-level folders only; nested ones come along inside them.
 */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => /^node_modules\/(@[^/]+\/)?[^/@]+$/.test(path) && !entry.dev)
    .map(([path]) => path);
}

/** The public API: the values a program imports at run time, and the types only its declarations carry. */
const PUBLIC_VALUES = [
  "BlueGreenService",
  "DeploymentAlarms",
  "Environment",
  "FeatureFlagStore",
  "FlagdServer",
  "KubernetesService",
  "LifecycleHooks",
  "ReleaseEnvironment",
  "TIER_DEFAULTS",
  "agentContainer",
  "blueGreenServiceArgsProblems",
  "deploymentAlarmsArgsProblems",
  "describeRolloutSteps",
  "describeStrategy",
  "environmentArgsProblems",
  "expiredFlagWarnings",
  "featureFlagStoreArgsProblems",
  "flagsProblems",
  "kubernetesServiceArgsProblems",
  "lifecycleHooksArgsProblems",
  "rampStepsForStore",
  "releaseEnvironmentArgsProblems",
  "toAppConfigDocument",
  "toFlagdDocument",
];
const PUBLIC_TYPES = [
  "AlarmGateHookArgs",
  "AlarmSettings",
  "AlarmTiming",
  "AlarmedService",
  "ArgumentProblem",
  "Autoscaling",
  "BlueGreenServiceArgs",
  "BlueGreenServiceArgsToCheck",
  "CaseResult",
  "CustomAlarm",
  "DashboardService",
  "DeploymentAlarmsArgs",
  "DeploymentStrategy",
  "EnvironmentArgs",
  "EnvironmentFacts",
  "FeatureFlagStoreArgs",
  "FlagDefinition",
  "FlagDeploymentStrategy",
  "FlagRampStep",
  "FlagReader",
  "FlagReadingService",
  "FlagRollout",
  "FlagRule",
  "FlagStoreKind",
  "FlagValue",
  "FlagdServerArgs",
  "Flags",
  "HealthCheck",
  "KubernetesServiceArgs",
  "KubernetesServiceArgsToCheck",
  "LifecycleHook",
  "LifecycleHooksArgs",
  "MonitoredAlarm",
  "ReleaseClusterArgs",
  "ReleaseDeploymentArgs",
  "ReleaseEnvironmentArgs",
  "ReleaseFlagStoreArgs",
  "ReleaseIngressArgs",
  "ReleaseNetworkArgs",
  "ReleaseNotificationsArgs",
  "ReleaseServiceArgs",
  "ReleaseServiceOutputs",
  "ResolvedCluster",
  "ResolvedReleaseEnvironment",
  "ResolvedService",
  "RolloutStep",
  "ScenarioId",
  "ScenarioResult",
  "ServiceAlarmsArgs",
  "ServiceHooksArgs",
  "ServiceSmokeTest",
  "Sidecar",
  "SlackChannel",
  "SmokeTestHookArgs",
  "StepInput",
  "SubnetDefaultRoute",
  "Tier",
  "TierDefaults",
  "VariantSpec",
];

/** What the TypeScript compiler finds in the installed package's declarations, read as a team's editor reads them. */
interface DeclarationReport {
  readonly exports: string[];
  /** `<export> names <type> (<file>)`: a type of the package the index does not export, or one from a package other than Pulumi's. */
  readonly unexported: string[];
  /** `<Args>.<field>`: a field with no doc comment, or an optional one whose comment has no `@default`. */
  readonly undocumented: string[];
  /** Per exported class, its public fields typed `Output<T>`. */
  readonly outputFields: Record<string, string[]>;
  /** Errors in the package's declaration files (e.g. a name `stripInternal` removed that another declaration needs). */
  readonly errors: string[];
}

function inspectDeclarations(packageRoot: string, indexPath: string): DeclarationReport {
  const declarations = ts.sys.readDirectory(packageRoot, [".d.ts"]);
  const program = ts.createProgram([indexPath, ...declarations], {
    strict: true,
    noEmit: true,
    types: [],
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const inPackage = (file: ts.SourceFile) => !relative(packageRoot, file.fileName).startsWith("..");
  const where = (node: ts.Node) => relative(packageRoot, node.getSourceFile().fileName);
  const resolve = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const hidden = (node: ts.Node) => (ts.getCombinedModifierFlags(node as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(indexPath)!)!);
  const publicSymbols = new Set(exported.map(resolve));
  const unexported = new Set<string>();
  const undocumented: string[] = [];
  const outputFields: Record<string, string[]> = {};

  const visit = (owner: string, node: ts.Node): void => {
    if ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node)) && hidden(node)) return;
    const reference = ts.isTypeReferenceNode(node)
      ? node.typeName
      : ts.isExpressionWithTypeArguments(node)
        ? node.expression
        : ts.isTypeQueryNode(node)
          ? node.exprName
          : ts.isImportTypeNode(node)
            ? node.qualifier
            : undefined;
    const symbol = reference && checker.getSymbolAtLocation(reference);
    if (symbol && !(symbol.flags & ts.SymbolFlags.TypeParameter)) {
      const target = resolve(symbol);
      const declaration = target.declarations?.[0];
      const file = declaration?.getSourceFile();
      if (file && inPackage(file) && !publicSymbols.has(target)) unexported.add(`${owner} names ${target.getName()} (${where(declaration!)})`);
      // A team's compiler must find every other type too: TypeScript's own, or Pulumi's (the packages a program has).
      if (file && !inPackage(file) && !program.isSourceFileDefaultLibrary(file) && !/[/\\]node_modules[/\\]@pulumi[/\\]/.test(file.fileName)) {
        unexported.add(`${owner} names ${target.getName()} (${file.fileName})`);
      }
    }
    ts.forEachChild(node, (child) => visit(owner, child));
  };

  for (const symbol of exported) {
    const name = symbol.getName();
    for (const declaration of resolve(symbol).declarations ?? []) {
      visit(name, declaration);
      if (ts.isInterfaceDeclaration(declaration) && name.endsWith("Args")) {
        for (const member of declaration.members) {
          const comments = ts.getJSDocCommentsAndTags(member);
          const optional = ts.isPropertySignature(member) && member.questionToken !== undefined;
          const hasDefault = comments.some((comment) => ts.isJSDoc(comment) && (comment.tags ?? []).some((tag) => tag.tagName.text === "default"));
          if (comments.length === 0 || (optional && !hasDefault)) undocumented.push(`${name}.${member.name?.getText()}`);
        }
      }
      if (ts.isClassDeclaration(declaration)) {
        outputFields[name] = declaration.members
          .filter((member): member is ts.PropertyDeclaration => ts.isPropertyDeclaration(member) && !hidden(member))
          .filter((member) => {
            const type = checker.getNonNullableType(checker.getTypeAtLocation(member));
            return ["Output", "OutputInstance"].includes((type.aliasSymbol ?? type.getSymbol())?.getName() ?? "");
          })
          .map((member) => member.name.getText());
      }
    }
  }
  const errors = program
    .getSourceFiles()
    .filter(inPackage)
    .flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)])
    .map((diagnostic) => `${diagnostic.file ? where(diagnostic.file) : ""}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`);
  return { exports: exported.map((symbol) => symbol.getName()).sort(), unexported: [...unexported].sort(), undocumented, outputFields, errors };
}

describe("the packed package, installed with production dependencies only", () => {
  let work: string;
  let packed: PackedFile[];
  let report: ScratchReport;
  let declarations: DeclarationReport;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "release-package-"));
    // npm pack runs `prepare` (npm run build: tsc, then the hook bundles), as an install from a git URL does.
    const [pack] = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    ) as { filename: string; files: PackedFile[] }[];
    packed = pack.files;

    // The scratch project: the tarball unpacked as npm installs it, and the production dependencies linked from this
    // repository's node_modules (what an offline install would copy from the cache), devDependencies such as esbuild not.
    const scratch = join(work, "scratch");
    const modules = join(scratch, "node_modules");
    mkdirSync(join(modules, "release-platform"), { recursive: true });
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "shop-platform", private: true, type: "module" }));
    execFileSync("tar", ["-xzf", join(work, pack.filename), "-C", join(modules, "release-platform"), "--strip-components=1"]);
    for (const path of productionPackages()) {
      mkdirSync(dirname(join(scratch, path)), { recursive: true });
      symlinkSync(join(PROJECT_ROOT, path), join(scratch, path), "dir");
    }
    const mocks = buildSync({
      entryPoints: [join(PROJECT_ROOT, "src/synth/mocks.ts")],
      bundle: true,
      platform: "node",
      format: "cjs",
      packages: "external",
      write: false,
      logLevel: "silent",
    });
    writeFileSync(join(scratch, "aws-mocks.cjs"), mocks.outputFiles[0].text);
    writeFileSync(join(scratch, "program.mjs"), PROGRAM);
    report = JSON.parse(execFileSync(process.execPath, ["program.mjs"], { cwd: scratch, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as ScratchReport;
    const installed = join(modules, "release-platform");
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { types: string };
    declarations = inspectDeclarations(installed, join(installed, manifest.types));
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships the compiled components, their declarations and both hook bundles, and nothing of the repository's tooling", () => {
    const paths = packed.map((file) => file.path);
    for (const path of [
      "package.json",
      "dist/components/index.js",
      "dist/components/index.d.ts",
      "dist/components/lifecycle-hooks/bundles/smoke-test.js",
      "dist/components/lifecycle-hooks/bundles/alarm-gate.js",
    ]) {
      expect(paths, path).toContain(path);
    }
    expect(paths.filter((path) => /^(src|test|policy|bench|examples)\/|\.ts$/.test(path) && !path.endsWith(".d.ts"))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(work, "scratch/node_modules/release-platform/package.json"), "utf8"));
    for (const path of [manifest.exports["."].types, manifest.exports["."].default, manifest.types]) {
      expect(existsSync(join(work, "scratch/node_modules/release-platform", path)), path).toBe(true);
    }
  });

  it("runs a program importing it by name, with no esbuild installed", () => {
    expect(report.esbuild).toBe("absent");
  });

  it("exports exactly the public API: values at run time, values and types in its declarations", () => {
    expect(report.exports).toEqual([...PUBLIC_VALUES].sort());
    expect(declarations.exports).toEqual([...PUBLIC_VALUES, ...PUBLIC_TYPES].sort());
  });

  it("names in its public declarations only types it exports (or TypeScript's and Pulumi's), and its declarations compile", () => {
    expect(declarations.unexported).toEqual([]);
    expect(declarations.errors).toEqual([]);
  });

  it("documents every field of every Args interface, each optional one with its @default", () => {
    expect(declarations.undocumented).toEqual([]);
  });

  it("registers every public Output of every component it exports, so previews and the synth JSON show them", () => {
    const classes = Object.entries(declarations.outputFields).filter(([, fields]) => fields.length > 0);
    expect(classes.map(([name]) => name).sort(), "components with public outputs, each built by the program").toEqual(
      [...new Set(report.components.map((component) => component.className))].filter((name) => declarations.outputFields[name]?.length).sort(),
    );
    const unregistered = report.components.flatMap(({ className, name, outputs }) =>
      (declarations.outputFields[className] ?? []).filter((field) => outputs[field] === false).map((field) => `${className} ${name}: ${field}`),
    );
    expect(unregistered).toEqual([]);
  });

  it("deploys each hook as the handler bundled from this repository's source, byte for byte", () => {
    const byHook = (hook: HookName) => report.functions.find((fn) => fn.name === `shop-storefront-${hook}`);
    for (const hook of HOOK_NAMES) {
      const fn = byHook(hook);
      expect(fn, hook).toBeDefined();
      expect(fn).toMatchObject({ handler: "index.handler", runtime: "nodejs22.x" });
      expect(Object.keys(fn!.files)).toEqual(["index.js"]);
      const { bytes, sha256 } = bundleHook(hook);
      const code = fn!.files["index.js"];
      expect({ bytes: Buffer.byteLength(code), sha256: createHash("sha256").update(code).digest("hex") }, hook).toEqual({ bytes, sha256 });
      expect(typeof loadHandler(fn!.files["index.js"]), hook).toBe("function");
    }
  });

  it("gives the ECS service both hooks at their stages", () => {
    expect(report.functionArns).toHaveLength(2);
    expect(report.lifecycleHooks.map((hook) => [hook.lifecycleStages, report.functionArns.indexOf(hook.hookTargetArn)])).toEqual([
      [["POST_TEST_TRAFFIC_SHIFT"], 0],
      [["PRE_SCALE_UP"], 1],
    ]);
  });
});
