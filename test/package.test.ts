import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildSync } from "esbuild";
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
}

/**
 * A platform team's program, as an ES module importing the package by name: an Environment and a canary
 * BlueGreenService that creates its own DeploymentAlarms and LifecycleHooks (smoke test and alarm gate), under the project's
 * offline mocks (bundled beside it, since they are not part of the package).
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

// Imported once the mocks are set, as a program under \`pulumi up\` finds its engine already there.
const api = await import("release-platform");
const { BlueGreenService, Environment } = api;

const environment = new Environment("shop", {
  tier: "production",
  region: "eu-west-1",
  vpcId: "vpc-0abc0abc0abc0abc0",
  publicSubnetIds: ["subnet-0a0a0a0a0a0a0a0a0", "subnet-0b0b0b0b0b0b0b0b0"],
  privateSubnetIds: ["subnet-0c0c0c0c0c0c0c0c0", "subnet-0d0d0d0d0d0d0d0d0"],
  certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0e0e0e0e-0e0e-0e0e-0e0e-0e0e0e0e0e0e",
  alertEmails: ["oncall@example.com"],
});
const storefront = new BlueGreenService(
  "storefront",
  {
    environment,
    image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront:1.4.2",
    port: 8080,
    pathPatterns: ["/*"],
    priority: 100,
    healthCheck: { path: "/healthz" },
    deployment: { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 15 },
    alarms: {},
    hooks: { smokeTest: {}, alarmGate: {} },
  },
  { providers: [environment.provider] },
);
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
const service = registered.find(({ type }) => type === "aws:ecs/service:Service");
process.stdout.write(JSON.stringify({
  exports: Object.keys(api).sort(),
  esbuild,
  functions,
  lifecycleHooks: service.inputs.deploymentConfiguration.lifecycleHooks,
  functionArns,
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

describe("the packed package, installed with production dependencies only", () => {
  let work: string;
  let packed: PackedFile[];
  let report: ScratchReport;

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
    const declarations = readFileSync(join(work, "scratch/node_modules/release-platform", manifest.types), "utf8");
    for (const name of ["EnvironmentArgs", "BlueGreenServiceArgs", "ServiceAlarmsArgs", "ServiceHooksArgs", "DeploymentAlarmsArgs", "LifecycleHooksArgs", "FeatureFlagStoreArgs"]) {
      expect(declarations, name).toContain(name);
    }
  });

  it("runs a program importing it by name, with no esbuild installed", () => {
    expect(report.esbuild).toBe("absent");
    for (const name of ["Environment", "BlueGreenService", "DeploymentAlarms", "LifecycleHooks", "FeatureFlagStore", "toAppConfigDocument"]) {
      expect(report.exports, name).toContain(name);
    }
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
