import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findUp } from "../find-up";
import type * as esbuild from "esbuild";

/** The hooks the package ships, each bundled into one file. */
export const HOOK_NAMES = ["smoke-test", "alarm-gate"] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** @internal */
export interface HookBundle {
  readonly name: HookName;
  /** Minified CommonJS exporting `handler`, for the Lambda handler `index.handler`. */
  readonly code: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** @internal */
/** The Lambda runtime the bundles target. */
export const HOOK_RUNTIME = "nodejs22.x";

const cache = new Map<HookName, HookBundle>();

/** Where `npm run build` puts the bundles: beside this module compiled, so the installed package needs no esbuild. */
const SHIPPED_BUNDLES = join(__dirname, "bundles");

/**
 * The handler's TypeScript source: beside this file in the repository, and from a bundled command line or the built
 * dist/ (whose code lives elsewhere) the repository's components/ found upwards.
 */
function handlerSource(name: HookName): string {
  const source = findUp(__dirname, (directory) =>
    [join(directory, "handlers", `${name}.ts`), join(directory, "components", "lifecycle-hooks", "handlers", `${name}.ts`)].find(existsSync),
  );
  if (!source) {
    throw new Error(`the ${name} hook is neither bundled in ${SHIPPED_BUNDLES} nor found as TypeScript source near ${__dirname}: build the package with npm run build`);
  }
  return source;
}

/** @internal */
/**
 * A hook as one file: the bundle the built package ships, or in the repository its TypeScript source bundled with
 * esbuild. Same source, same bytes either way: no timestamps, paths, source maps or legal comments go into the output,
 * so an unchanged hook never shows as a change in a preview, whether the program runs from source or the package.
 */
export function bundleHook(name: HookName): HookBundle {
  const cached = cache.get(name);
  if (cached) return cached;
  const shipped = join(SHIPPED_BUNDLES, `${name}.js`);
  let code: string;
  if (existsSync(shipped)) code = readFileSync(shipped, "utf8");
  else {
    const source = handlerSource(name);
    code = fromDiskCache(name, source) ?? build(source);
  }
  const bundle: HookBundle = {
    name,
    code,
    bytes: Buffer.byteLength(code),
    sha256: createHash("sha256").update(code).digest("hex"),
  };
  cache.set(name, bundle);
  return bundle;
}

const BUILD_OPTIONS = {
  bundle: true,
  platform: "node" as const,
  target: "node22",
  format: "cjs" as const,
  // The Lambda Node.js runtime ships AWS SDK v3. Bundling it would put ~300 KB into every hook function, which
  // each service repeats: the hooks use the runtime's copy and stay a few KB.
  external: ["@aws-sdk/*"],
  minify: true,
  sourcemap: false,
  legalComments: "none" as const,
  charset: "utf8" as const,
} satisfies esbuild.BuildOptions;

function build(source: string): string {
  // Loaded only when a bundle is not cached: esbuild's service costs a process start.
  const { buildSync } = require("esbuild") as typeof esbuild;
  const result = buildSync({ ...BUILD_OPTIONS, entryPoints: [source], write: false, logLevel: "silent" });
  const [output] = result.outputFiles ?? [];
  if (!output) throw new Error(`esbuild produced no bundle for ${source}`);
  return output.text;
}

/**
 * Bundles keyed by a digest of the handlers' sources, esbuild's version and the options, in node_modules/.cache:
 * the same inputs give the same bytes, so a cached bundle is the one a build would make.
 */
function fromDiskCache(name: HookName, source: string): string | undefined {
  let directory = dirname(source);
  const modules = findUp(directory, (up) => (existsSync(join(up, "node_modules", "esbuild", "package.json")) ? join(up, "node_modules") : undefined));
  if (!modules) return undefined;
  const digest = createHash("sha256");
  digest.update(readFileSync(join(modules, "esbuild", "package.json")));
  digest.update(JSON.stringify(BUILD_OPTIONS));
  for (const file of readdirSync(directory).sort()) digest.update(file).update(readFileSync(join(directory, file)));
  directory = join(modules, ".cache", "release-platform", "hooks");
  const path = join(directory, `${name}-${digest.digest("hex").slice(0, 16)}.js`);
  if (existsSync(path)) return readFileSync(path, "utf8");
  const code = build(source);
  try {
    mkdirSync(directory, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, code);
    renameSync(temporary, path);
  } catch {
    // A read-only node_modules only loses the cache.
  }
  return code;
}

/** The bundle as built from the TypeScript source, bypassing every cache (for tests of determinism). */
export function buildHookUncached(name: HookName): string {
  return build(handlerSource(name));
}

/** Bundles every hook from its source into `directory`, where the compiled module reads them. */
export function writeHookBundles(directory: string = SHIPPED_BUNDLES): void {
  mkdirSync(directory, { recursive: true });
  for (const name of HOOK_NAMES) writeFileSync(join(directory, `${name}.js`), buildHookUncached(name));
}

// `npm run build` runs this module, compiled into dist/, after tsc: the bundles go beside it into the package.
if (require.main === module) writeHookBundles();
