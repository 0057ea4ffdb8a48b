#!/usr/bin/env node
// The service stacks a change touches, as a GitHub Actions matrix: {"include": [{"directory", "project", "stack", "region"}]}.
// Reads changed paths (one a line, relative to the repository root) on stdin, or takes --all for every service stack.
// A service stack is a Pulumi.<stack>.yaml in a folder stacks/<name>/ that holds a Pulumi.yaml (its own project): a changed
// stack file is that stack alone, any other changed file of the folder (Pulumi.yaml, a README) is every stack of it.
// Deleted stack files are left out: retiring a stack (pulumi destroy) is a person's decision, never a merge's.
"use strict";
const { existsSync, readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { parse } = require("yaml");

const ROOT = "stacks";
const PROMOTION = ["dev", "staging", "production"];

function stacksOf(directory) {
  return readdirSync(directory)
    .map((file) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(file)?.[1])
    .filter((stack) => stack !== undefined);
}

function entry(root, directory, stack) {
  const read = (file) => parse(readFileSync(join(root, directory, file), "utf8")) ?? {};
  const project = read("Pulumi.yaml").name;
  const file = ["yaml", "yml"].map((ext) => `Pulumi.${stack}.${ext}`).find((name) => existsSync(join(root, directory, name)));
  const region = (read(file).config ?? {})["aws:region"];
  return { directory, project: String(project), stack, region: typeof region === "string" ? region : "" };
}

function serviceStacks(root, changed, all) {
  const wanted = new Map();
  const folders = existsSync(join(root, ROOT)) ? readdirSync(join(root, ROOT)).map((name) => `${ROOT}/${name}`) : [];
  for (const directory of folders) {
    if (!existsSync(join(root, directory, "Pulumi.yaml"))) continue;
    const stacks = stacksOf(join(root, directory));
    if (all) {
      for (const stack of stacks) wanted.set(`${directory}/${stack}`, [directory, stack]);
      continue;
    }
    for (const path of changed) {
      if (!path.startsWith(`${directory}/`)) continue;
      const stack = /^Pulumi\.([^.]+)\.ya?ml$/.exec(path.slice(directory.length + 1))?.[1];
      for (const name of stack !== undefined ? (stacks.includes(stack) ? [stack] : []) : stacks) wanted.set(`${directory}/${name}`, [directory, name]);
    }
  }
  const rank = (stack) => (PROMOTION.includes(stack) ? PROMOTION.indexOf(stack) : PROMOTION.length);
  return [...wanted.values()]
    .sort(([a, x], [b, y]) => a.localeCompare(b) || rank(x) - rank(y) || x.localeCompare(y))
    .map(([directory, stack]) => entry(root, directory, stack));
}

if (require.main === module) {
  const all = process.argv.includes("--all");
  const changed = all ? [] : readFileSync(0, "utf8").split("\n").map((line) => line.trim()).filter(Boolean);
  process.stdout.write(`${JSON.stringify({ include: serviceStacks(process.cwd(), changed, all) })}\n`);
}

module.exports = { serviceStacks };
