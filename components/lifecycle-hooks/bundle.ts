import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
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
 * Bundles a hook's TypeScript source with esbuild. Same source, same bytes: no timestamps, paths, source maps or legal
 * comments go into the output, so an unchanged hook never shows as a change in a preview.
 */
export function bundleHook(name: HookName): HookBundle {
  const cached = cache.get(name);
  if (cached) return cached;
  // From the repository the TypeScript source; from the built package (dist/) its compiled JavaScript.
  const source = join(__dirname, "handlers", `${name}.ts`);
  const result = buildSync({
    entryPoints: [existsSync(source) ? source : join(__dirname, "handlers", `${name}.js`)],
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
