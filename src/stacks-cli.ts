import { readdirSync } from "node:fs";
import { join } from "node:path";
import { choice, emit, runCommand, text, usage } from "./command";
import { tierFromStackName } from "./config/load";
import { TIERS } from "./config/schema";
import { PROJECT } from "./synth/capture";
import { stacksDirectory } from "./synth/run";
import { readStackFile } from "./synth/stack-file";

const USAGE = `usage: npx release-platform stacks [--format text|json] [--out <file>]

  lists the stacks (a Pulumi.<stack>.yaml next to the nearest Pulumi.yaml) with their tier and region, in promotion
  order (dev, staging, production); json is a GitHub Actions matrix: {"include": [{"stack", "tier", "region"}]}`;

export interface StackEntry {
  readonly stack: string;
  readonly tier: string;
  readonly region: string;
}

/** Stacks from their files: tier from release:tier or the stack's name, region from aws:region. */
export function listStacks(directory: string): StackEntry[] {
  return readdirSync(directory)
    .map((file) => /^Pulumi\.([^.]+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .map((stack) => {
      // A stack file that does not read is invalid config (ConfigError, exit 1), as in every other command.
      const { values } = readStackFile(join(directory, `Pulumi.${stack}.yaml`), PROJECT, `Pulumi.${stack}.yaml`);
      return { stack, tier: values["release:tier"] ?? tierFromStackName(stack) ?? "", region: values["aws:region"] ?? "" };
    })
    .sort((a, b) => TIERS.indexOf(a.tier as (typeof TIERS)[number]) - TIERS.indexOf(b.tier as (typeof TIERS)[number]) || a.stack.localeCompare(b.stack));
}

runCommand({
  name: "stacks",
  usage: USAGE,
  options: { format: { type: "string" }, out: { type: "string" } },
  run(values, positionals) {
    if (positionals.length > 0) throw usage(`stacks takes no arguments (got ${positionals.join(" ")})`);
    const format = choice("format", text(values.format), ["text", "json"]) ?? "text";
    const stacks = listStacks(stacksDirectory());
    const missing = stacks.filter((entry) => !entry.region || !entry.tier);
    if (missing.length > 0) {
      throw usage(missing.map((entry) => `Pulumi.${entry.stack}.yaml: ${!entry.region ? "no aws:region" : "no release:tier, and the stack's name names none"}`).join("\n"));
    }
    emit(text(values.out), format === "json" ? `${JSON.stringify({ include: stacks })}\n` : stacks.map((entry) => `${entry.stack} ${entry.tier} ${entry.region}\n`).join(""));
    return 0;
  },
});
