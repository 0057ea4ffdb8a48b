import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/synth/run";
import { setPath, shippedConfig } from "./helpers";

/** Each shell command of the README's ```sh blocks, in order, without its trailing comment. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
  return blocks
    // A line ending in a backslash goes on on the next one, as in a shell.
    .flatMap((block) => block.replace(/\\\n\s*/g, " ").split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .flatMap((line) => line.split(/\s+&&\s+/));
}

/** Words as a POSIX shell splits them: single and double quotes, nothing else. */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]);
}

/** Commands that cannot run offline here, and why; every other README command is run. */
const NOT_OFFLINE: readonly [RegExp, string][] = [
  [/^npm ci$/, "installs from the registry"],
  [/^npm test$/, "is this test suite"],
  [/^npm run bench$/, "takes a minute of both cores"],
  [/^pulumi /, "needs the Pulumi CLI, a backend and AWS credentials"],
  [/^(aws|esc|kubectl|helm) /, "needs cloud credentials or a cluster"],
  [/^curl /, "needs a running service"],
];

describe("every command the README shows works", () => {
  const commands = readmeCommands();

  it("the README shows commands, and each is run or named here as needing the cloud", () => {
    expect(commands.length).toBeGreaterThan(15);
    expect(commands.filter((command) => NOT_OFFLINE.some(([pattern]) => pattern.test(command)))).toEqual(
      expect.arrayContaining(["npm ci", "pulumi preview", "pulumi up"]),
    );
  });

  it("runs them in order from a directory of their own, as a user would, through npm", () => {
    // Files the commands name: a stack file one level up, a referenced stack's outputs, an ESC environment's values.
    const home = mkdtempSync(join(tmpdir(), "readme-"));
    const cwd = join(home, "work");
    mkdirSync(cwd);
    const network = shippedConfig("staging")["release:network"];
    writeFileSync(join(home, "my.yaml"), stringify({ config: setPath(shippedConfig("staging"), "release:network", { stackReference: "acme/network/staging" }) }));
    writeFileSync(join(cwd, "net.json"), JSON.stringify({ "acme/network/staging": network }));
    writeFileSync(join(cwd, "esc.json"), JSON.stringify({ pulumiConfig: { "release:network": network } }));
    // The Kubernetes example, as a clone has it.
    cpSync(join(PROJECT_ROOT, "examples", "kubernetes"), join(cwd, "examples", "kubernetes"), { recursive: true });
    cpSync(join(PROJECT_ROOT, "examples", "service-stacks"), join(cwd, "examples", "service-stacks"), { recursive: true });
    // The platform team's program imports the components by a relative path, so it stays where a clone has it.
    symlinkSync(join(PROJECT_ROOT, "examples", "platform-team"), join(cwd, "examples", "platform-team"), "dir");
    const ran: string[] = [];
    for (const command of commands) {
      if (NOT_OFFLINE.some(([pattern]) => pattern.test(command))) continue;
      const argv = words(command);
      const redirect = argv.indexOf(">");
      const [program, ...args] = redirect >= 0 ? argv.slice(0, redirect) : argv;
      expect(["npm", "npx"], command).toContain(program);
      // npm runs the scripts of the package it finds from its working directory: here, the clone.
      const result = spawnSync(program, program === "npm" ? ["--prefix", PROJECT_ROOT, ...args] : ["--offline", ...args], {
        cwd: program === "npm" ? cwd : PROJECT_ROOT,
        encoding: "utf8",
        timeout: 120_000,
      });
      if (redirect >= 0) writeFileSync(join(cwd, argv[redirect + 1]), result.stdout);
      expect(result.status, `${command}\n${result.stderr}`).toBe(0);
      ran.push(command);
    }
    expect(ran).toEqual(expect.arrayContaining(["npm run synth -- diff base.json head.json", "npx release-platform --version"]));
    expect(JSON.parse(readFileSync(join(cwd, "base.json"), "utf8"))).toMatchObject({ version: 1, stack: "production" });
    expect(readFileSync(join(cwd, "plan.md"), "utf8")).toContain("```mermaid");
  }, 600_000);
});
