#!/usr/bin/env node
// Runs one of the project's TypeScript entry points (synth, flags, check, bench) as plain JavaScript: esbuild bundles
// it into node_modules/.cache when a source file is newer than the bundle, then Node runs the bundle without a
// TypeScript loader in the way of every module it loads.
"use strict";
const { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const entries = { synth: "src/cli.ts", flags: "src/flags-cli.ts", check: "src/check-cli.ts", bench: "bench/bench.ts" };
const [command, ...args] = process.argv.slice(2);
const entry = entries[command];
if (!entry) {
  process.stderr.write(`usage: node bin/release.cjs ${Object.keys(entries).join("|")} [args]\n`);
  process.exit(2);
}

function newest(directory) {
  let latest = 0;
  for (const name of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, name.name);
    if (name.isDirectory()) latest = Math.max(latest, newest(path));
    else if (name.name.endsWith(".ts")) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

const cache = join(root, "node_modules", ".cache", "release-platform");
const output = join(cache, `${command}.js`);
const sources = ["src", "components", "policy", "bench"].filter((dir) => existsSync(join(root, dir)));
const stale = !existsSync(output) || sources.some((dir) => newest(join(root, dir)) > statSync(output).mtimeMs) ||
  statSync(join(root, "package-lock.json")).mtimeMs > statSync(output).mtimeMs;
if (stale) {
  mkdirSync(cache, { recursive: true });
  const result = require("esbuild").buildSync({
    entryPoints: [join(root, entry)],
    outfile: output,
    write: false,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    sourcemap: "inline",
    logLevel: "warning",
  });
  // Written aside and renamed, so two commands starting at once never run a half-written bundle.
  const temporary = `${output}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  renameSync(temporary, output);
}
process.argv = [process.argv[0], output, ...args];
require(output);
