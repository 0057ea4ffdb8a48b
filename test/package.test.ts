import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
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
 * and a service stack's ReleaseEnvironment joining an environment stack's contract (read by readEnvironmentContract),
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
const { ENVIRONMENT_CONTRACT_VERSION, ReleaseEnvironment, readEnvironmentContract } = await import("release-platform");

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
// A service stack: its ReleaseEnvironment joins the contract an environment stack exported (a JoinedEnvironment).
const balancer = "app/platform-main/0123456789abcdef";
const read = readEnvironmentContract({
  version: ENVIRONMENT_CONTRACT_VERSION,
  tier: "production",
  namePrefix: "platform",
  region: "eu-west-1",
  vpcId: "vpc-0123012301230123a",
  publicSubnetIds: ["subnet-0123012301230123a", "subnet-0123012301230123b"],
  privateSubnetIds: ["subnet-0123012301230123c", "subnet-0123012301230123d"],
  internal: false,
  productionPort: 443,
  productionProtocol: "HTTPS",
  testListenerPort: 9000,
  loadBalancerSecurityGroupId: "sg-0123012301230123a",
  hooksSecurityGroupId: "sg-0123012301230123b",
  natPrefixListId: "pl-0123012301230123a",
  accessLogBucket: "platform-access-logs",
  clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/platform",
  clusterName: "platform",
  alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:platform-alerts",
  alertKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/01230123-0123-0123-0123-012301230123",
  loadBalancers: [{
    name: "main",
    arn: \`arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/\${balancer}\`,
    arnSuffix: balancer,
    dnsName: "platform-main-1.eu-west-1.elb.amazonaws.com",
    productionListenerArn: \`arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/\${balancer}/0a0a0a0a0a0a0a0a\`,
    testListenerArn: \`arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/\${balancer}/0b0b0b0b0b0b0b0b\`,
    securityGroupId: "sg-0123012301230123a",
  }],
  routes: { checkout: { pathPatterns: ["/checkout/*"], hostHeaders: [], priority: 20, loadBalancer: "main" } },
  flagStore: { backend: "appconfig" },
});
if (!("contract" in read)) throw new Error(\`the contract is refused: \${JSON.stringify(read.problems)}\`);
const checkout = new ReleaseEnvironment("checkout", {
  tier: "production",
  region: "eu-west-1",
  environment: read.contract,
  services: {
    checkout: {
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:3.1.0",
      port: 8080,
      healthCheck: { path: "/healthz" },
      deployment: { strategy: "blue-green", bakeMinutes: 5 },
    },
  },
});

const storefront = shop.services.storefront;
const hooks = storefront.hooks;

const settled = (output) => new Promise((resolve) => output.apply(resolve));
// The ECS service takes the hooks' ARNs, so once it is registered the functions are too.
await settled(storefront.serviceArn);
await settled(checkout.services.checkout.serviceArn);
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
const service = registered.find(({ type, name }) => type === "aws:ecs/service:Service" && name === "storefront-service");
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

/** The SDK and providers the package declares as peer dependencies: a team's project brings its own copies. */
export const PEERS = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/kubernetes"] as const;

/**
 * The versions a team's project installs beside the package: the lowest each peer range allows (`^x.y.z` -> x.y.z), or,
 * with RELEASE_PEER_VERSIONS=newest (`npm run test:newest-pulumi`), the newest published.
 */
function peerVersions(): Record<(typeof PEERS)[number], string> {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { peerDependencies: Record<string, string> };
  const newest = process.env.RELEASE_PEER_VERSIONS === "newest";
  return Object.fromEntries(
    PEERS.map((name) => {
      if (newest) return [name, execFileSync("npm", ["view", `${name}@latest`, "version"], { encoding: "utf8" }).trim()];
      const lowest = /^\^(\d+\.\d+\.\d+)$/.exec(manifest.peerDependencies[name] ?? "")?.[1];
      if (!lowest) throw new Error(`peerDependencies.${name}: expected ^x.y.z, got ${manifest.peerDependencies[name]}`);
      return [name, lowest];
    }),
  ) as Record<(typeof PEERS)[number], string>;
}

/** Every installed copy of a package under a project: `<version> <path>`, nested copies included. */
function installedCopies(root: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string): void => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      const folders = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((inner) => `${entry}/${inner}`) : [entry];
      for (const folder of folders) {
        const path = join(modules, folder);
        if (folder === name) found.push(`${(JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as { version: string }).version} ${relative(root, path)}`);
        walk(join(path, "node_modules"));
      }
    }
  };
  walk(join(root, "node_modules"));
  return found.sort();
}

/**
 * Pulumi's TypeScript template's tsconfig.json (pulumi/templates, aws-typescript/tsconfig.json), as `pulumi new
 * aws-typescript` writes it: no `skipLibCheck` and no `esModuleInterop`, so every declaration the program reaches is
 * compiled. `noEmit` only, as the test runs the program through `synth --program`.
 */
const TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
};

/** The public API: the values a program imports at run time, and the types only its declarations carry. */
const PUBLIC_VALUES = [
  "ALARM_SETTINGS",
  "BlueGreenService",
  "DeploymentAlarms",
  "ENVIRONMENT_CONTRACT_VERSION",
  "ENVIRONMENT_OUTPUT",
  "Environment",
  "FeatureFlagStore",
  "FlagdServer",
  "JoinedEnvironment",
  "KubernetesService",
  "LifecycleHooks",
  "MAIN_LOAD_BALANCER",
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
  "readEnvironmentContract",
  "releaseEnvironmentArgsProblems",
  "toAppConfigDocument",
  "toFlagdDocument",
];
const PUBLIC_TYPES = [
  "AlarmGateHookArgs",
  "AlarmSetting",
  "AlarmSettings",
  "AlarmTiming",
  "AlarmedService",
  "ArgumentProblem",
  "Autoscaling",
  "AwsProviderSettings",
  "BlueGreenServiceArgs",
  "BlueGreenServiceArgsToCheck",
  "CanaryDnsZone",
  "ClusterContract",
  "CustomAlarm",
  "DashboardService",
  "DeploymentAlarmsArgs",
  "DeploymentStrategy",
  "EnvironmentAlarm",
  "EnvironmentArgs",
  "EnvironmentContract",
  "EnvironmentFacts",
  "EnvironmentRoute",
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
  "JoinedEnvironmentArgs",
  "JoinedPlace",
  "KubernetesServiceArgs",
  "KubernetesServiceArgsToCheck",
  "LifecycleHook",
  "LifecycleHooksArgs",
  "LoadBalancerContract",
  "MonitoredAlarm",
  "ReleaseClusterArgs",
  "ReleaseDeploymentArgs",
  "ReleaseEnvironmentArgs",
  "ReleaseEnvironmentSettings",
  "ReleaseFlagStoreArgs",
  "ReleaseIngressArgs",
  "ReleaseNetworkArgs",
  "ReleaseNotificationsArgs",
  "ReleaseRouteArgs",
  "ReleaseServiceArgs",
  "ReleaseServiceOutputs",
  "RolloutStep",
  "RouteContract",
  "ServiceAlarmsArgs",
  "ServiceArgsBase",
  "ServiceEnvironment",
  "ServiceHooksArgs",
  "ServiceSmokeTest",
  "Sidecar",
  "SlackChannel",
  "SmokeTestHookArgs",
  "StepInput",
  "SubnetDefaultRoute",
  "Thresholds",
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
      if (ts.isInterfaceDeclaration(declaration) && /Args(Base)?$/.test(name)) {
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

describe("the packed package, installed by npm into a team's project with its own Pulumi SDK and providers", () => {
  let work: string;
  let packed: PackedFile[];
  let report: ScratchReport;
  let declarations: DeclarationReport;
  let scratch: string;
  let versions: ReturnType<typeof peerVersions>;
  let compiled: { status: number | null; output: string };
  let team: { status: number | null; stderr: string; document?: { resources: { type: string; name: string }[] } };
  let ours: { resources: { type: string; name: string }[] };

  beforeAll(() => {
    // RELEASE_PACKAGE_TIMINGS=1 prints how long each step took, from the start (what the README's figures come from).
    const started = Date.now();
    const lap = (step: string) => process.env.RELEASE_PACKAGE_TIMINGS && process.stderr.write(`${step} ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    work = mkdtempSync(join(tmpdir(), "release-package-"));
    versions = peerVersions();
    // npm pack runs `prepare` (npm run build: tsc, then the hook bundles), as an install from a git URL does.
    const [pack] = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    ) as { filename: string; files: PackedFile[] }[];
    packed = pack.files;
    lap("pack");

    // The team's project, as `pulumi new aws-typescript` leaves it plus the package: its own SDK and providers (other
    // versions than this repository's development copies) and the tarball, installed by npm. Install scripts are
    // skipped (they fetch provider plugins, which mocks do not need); --prefer-offline takes what npm's cache holds.
    // Kept between runs, one per set of versions: npm then only replaces the package itself, and no run spends a
    // minute deleting a few hundred megabytes of providers. Outside the repository, where no module of the
    // repository's node_modules can stand in for one the project lacks.
    scratch = join(tmpdir(), "release-platform-package-test", Object.values(versions).join("_"));
    mkdirSync(scratch, { recursive: true });
    rmSync(join(scratch, "node_modules", "release-platform"), { recursive: true, force: true });
    rmSync(join(scratch, "package-lock.json"), { force: true });
    if (process.env.RELEASE_PACKAGE_TIMINGS) process.stderr.write(`versions ${JSON.stringify(versions)}\n`);
    const devTypes = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies["@types/node"];
    writeFileSync(
      join(scratch, "package.json"),
      JSON.stringify({ name: "shop-platform", private: true, dependencies: { ...versions, "release-platform": `file:${join(work, pack.filename)}` }, devDependencies: { "@types/node": devTypes } }),
    );
    execFileSync("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: scratch, stdio: ["ignore", "pipe", "pipe"] });
    lap("install");
    const modules = join(scratch, "node_modules");
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
    lap("program+declarations");

    // The shipped example program, importing the package by name, compiled with the template's tsconfig.json...
    const example = join(PROJECT_ROOT, "examples", "platform-team");
    for (const file of ["Pulumi.yaml", "Pulumi.example.yaml", "index.ts"]) writeFileSync(join(scratch, file), readFileSync(join(example, file)));
    writeFileSync(join(scratch, "program.ts"), readFileSync(join(example, "program.ts"), "utf8").replace(/from "\.\.\/\.\.\/components"/, 'from "release-platform"'));
    writeFileSync(join(scratch, "tsconfig.json"), JSON.stringify(TEMPLATE_TSCONFIG, null, 2));
    const tsc = spawnSync(process.execPath, [createRequire(join(PROJECT_ROOT, "package.json")).resolve("typescript/bin/tsc"), "-p", scratch, "--noEmit"], { cwd: scratch, encoding: "utf8" });
    compiled = { status: tsc.status, output: `${tsc.stdout}${tsc.stderr}` };
    lap("tsc");
    // ...and synthesized through `synth --program`, with the project's SDK, next to the same example from source.
    const synth = (program: string, out: string) =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", "example", "--program", program, "--format", "json", "--out", out], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
      });
    const run = synth(scratch, join(work, "team.json"));
    team = { status: run.status, stderr: run.stderr, document: run.status === 0 ? JSON.parse(readFileSync(join(work, "team.json"), "utf8")) : undefined };
    expect(synth(example, join(work, "ours.json")).status).toBe(0);
    ours = JSON.parse(readFileSync(join(work, "ours.json"), "utf8"));
    lap("synth x2");
  }, 600_000);

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
    const manifest = JSON.parse(readFileSync(join(scratch, "node_modules/release-platform/package.json"), "utf8"));
    for (const path of [manifest.exports["."].types, manifest.exports["."].default, manifest.types]) {
      expect(existsSync(join(scratch, "node_modules/release-platform", path)), path).toBe(true);
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
  it("leaves the project one copy of the SDK and of each provider, the project's own (other versions than this repository's)", () => {
    for (const name of PEERS) {
      expect(installedCopies(scratch, name), name).toEqual([`${versions[name]} node_modules/${name}`]);
      const development = (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
      if (process.env.RELEASE_PEER_VERSIONS !== "newest") expect(versions[name], `${name}: the test must install another version than the development copy`).not.toBe(development);
    }
  });

  it("declares the SDK and providers as peer dependencies with ranges, pinned for development by the lockfile, and the README names the ranges", () => {
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    for (const name of PEERS) {
      expect(manifest.dependencies[name], name).toBeUndefined();
      expect(manifest.devDependencies[name], name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(readme, name).toContain(`\`${name}\` \`${manifest.peerDependencies[name]}\``);
    }
  });

  it("compiles the example program with Pulumi's template tsconfig.json (no skipLibCheck)", () => {
    expect(compiled.output).toBe("");
    expect(compiled.status).toBe(0);
  });

  it("synthesizes the example program through synth --program with the project's own SDK: the resources the example from source has", () => {
    expect(team.stderr).toBe("");
    expect(team.status).toBe(0);
    const names = (document: { resources: { type: string; name: string }[] }) => document.resources.map((resource) => `${resource.type} ${resource.name}`).sort();
    expect(names(team.document!)).toEqual(names(ours));
  });
});
