import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildSync } from "esbuild";

export type HookName = "smoke-test" | "alarm-gate";

export interface HookBundle {
  readonly name: HookName;
  /** Minified CommonJS exporting `handler`, for the Lambda handler `index.handler`. */
  readonly code: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The Lambda runtime the bundles target. */
export const HOOK_RUNTIME = "nodejs22.x";

const cache = new Map<HookName, HookBundle>();

/**
 * The handler's source: TypeScript beside this file in the repository, compiled JavaScript in the built package, and
 * from a bundled command line (whose code lives elsewhere) the repository's components/ found upwards.
 */
function handlerSource(name: HookName): string {
  for (let directory = __dirname; ; directory = dirname(directory)) {
    for (const candidate of [join(directory, "handlers"), join(directory, "components", "lifecycle-hooks", "handlers")]) {
      for (const extension of [".ts", ".js"]) {
        const path = join(candidate, `${name}${extension}`);
        if (existsSync(path)) return path;
      }
    }
    if (dirname(directory) === directory) throw new Error(`cannot find the ${name} hook's source near ${__dirname}`);
  }
}

/**
 * Bundles a hook's TypeScript source with esbuild. Same source, same bytes: no timestamps, paths, source maps or legal
 * comments go into the output, so an unchanged hook never shows as a change in a preview.
 */
export function bundleHook(name: HookName): HookBundle {
  const cached = cache.get(name);
  if (cached) return cached;
  const result = buildSync({
    entryPoints: [handlerSource(name)],
    bundle: true,
    platform: "node",
    // The Lambda Node.js runtime ships AWS SDK v3. Bundling it would put ~300 KB into every hook function, which
    // each service repeats: the hooks use the runtime's copy and stay a few KB.
    external: ["@aws-sdk/*"],
    target: "node22",
    format: "cjs",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    charset: "utf8",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  const bundle: HookBundle = {
    name,
    code,
    bytes: Buffer.byteLength(code),
    sha256: createHash("sha256").update(code).digest("hex"),
  };
  cache.set(name, bundle);
  return bundle;
}
