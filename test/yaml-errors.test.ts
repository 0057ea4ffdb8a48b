import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/synth/run";

/** Stack files broken in each way YAML can be: every one is a config error (exit 1) with the file named, never a stack trace. */
const CORPUS: Record<string, string | Buffer> = {
  "an alias naming no anchor": "config:\n  aws:region: eu-west-1\n  release:tier: *stage\n",
  "an alias bomb": `config:\n  aws:region: eu-west-1\n  release:x:\n    a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n${["b", "c", "d", "e"].map((name, i) => `    ${name}: &${name} [${Array(9).fill(`*${"abcd"[i]}`).join(", ")}]`).join("\n")}\n`,
  "an anchor set twice, the alias reading the later one": "config:\n  aws:region: &r eu-west-1\n  release:tier: &r dev\n  release:x: *r\n",
  "a tab as indentation": "config:\n  aws:region: eu-west-1\n\trelease:tier: dev\n",
  "an unterminated quote": 'config:\n  aws:region: "eu-west-1\n',
  "a duplicate key": "config:\n  aws:region: eu-west-1\n  aws:region: eu-west-2\n",
  "nesting 3,000 deep": `config:\n  aws:region: eu-west-1\n  release:x: ${"[".repeat(3000)}${"]".repeat(3000)}\n`,
  "two documents": "---\nconfig: {}\n---\nconfig: {}\n",
  "a binary tag": "config: !!binary aGVsbG8=\n",
  "a complex key": "config:\n  ? [a, b]\n  : c\n",
  "a UTF-16 byte order mark": Buffer.from([0xff, 0xfe, ...Buffer.from("config:\n")]),
  "not a map": "- config\n",
};

function synth(text: string | Buffer): Promise<{ status: number | null; stdout: string; stderr: string; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), "release-yaml-")), "Pulumi.dev.yaml");
  writeFileSync(path, text);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "synth", "dev", "--config-file", path], { cwd: tmpdir() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += String(chunk)));
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    child.on("close", (status) => resolve({ status, stdout, stderr, path }));
  });
}

describe("a YAML error of any kind is a config error: exit 1, the file named, no stack trace", () => {
  it.each(Object.keys(CORPUS))("%s", async (name) => {
    const result = await synth(CORPUS[name]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.startsWith(`${result.path}: `)).toBe(true);
    expect(result.stderr).not.toMatch(/\n\s+at .*[:(]\d+/);
  });
});
