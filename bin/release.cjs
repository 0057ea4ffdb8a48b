#!/usr/bin/env node
// Runs one of the project's TypeScript entry points (synth, flags, check, bench, migrate...) as plain JavaScript: esbuild bundles
// it into node_modules/.cache when a source file is newer than the bundle, then Node runs the bundle without a
// TypeScript loader in the way of every module it loads.
"use strict";
const { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const entries = { synth: "src/cli.ts", flags: "src/flags-cli.ts", check: "src/check-cli.ts", schema: "src/schema-cli.ts", stacks: "src/stacks-cli.ts", bench: "bench/bench.ts", migrate: "src/migrate-cli.ts" };
const [command, ...args] = process.argv.slice(2);
const entry = entries[command];
const version = () => require(join(root, "package.json")).version;
const USAGE = `usage: release-platform <command> [args]     (npx release-platform ..., or npm run <command> -- ...)

  synth     synthesize a stack offline and print its resources, or diff two synth JSON files
  check     run the policy rules over a synthesized stack
  flags     print a stack's flag document, or explain a flag's decision
  stacks    list the stacks with tier and region (--format json: a workflow matrix)
  schema    regenerate docs/stack-file.schema.json and docs/config-reference.md from the config schema
  bench     measure synthesis times (about a minute)
  migrate   print the steps that move a service from its environment stack to a service stack of its own

  release-platform <command> --help    what a command takes
  release-platform --version           the version`;
const options = args.slice(0, args.includes("--") ? args.indexOf("--") : args.length);
if (command === "--version" || command === "-V" || (entry && options.includes("--version"))) {
  process.stdout.write(`release-platform ${version()}\n`);
  process.exit(0);
}
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!entry) {
  const near = Object.keys(entries).find((name) => name.startsWith(command) || command.startsWith(name) || distance(name, command) <= 2);
  process.stderr.write(`release-platform: unknown command ${command}${near ? ` (did you mean ${near}?)` : ""}; commands: ${Object.keys(entries).join(", ")}\n`);
  process.exit(2);
}
// The benchmark has no option parser of its own to answer --help with: it must never start measuring for one.
if (command === "bench" && (options.includes("--help") || options.includes("-h"))) {
  process.stdout.write("usage: npm run bench [-- --json]\n\n  measures synthesis wall times against a floor (about a minute); --json prints the figures as JSON\n");
  process.exit(0);
}
if (!existsSync(join(root, entry))) {
  // A package installed from a registry or git tarball carries only what package.json "files" lists.
  process.stderr.write(`release-platform ${command}: ${entry} is not in ${root}; the commands run from a clone of the repository (or a linked one: npm install <path-to-clone>)\n`);
  process.exit(2);
}

// components/edit-distance.ts's algorithm: this file runs before any TypeScript is bundled, so it cannot import it.
function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
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
