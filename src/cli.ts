import { parseArgs } from "node:util";
import { ConfigError } from "./config/load";
import { renderJson, renderTree } from "./synth/render";
import { synthesizeStack, UsageError } from "./synth/run";

const USAGE = `usage: npm run synth -- <stack> [--config-file <path>] [--format tree|json] [--stack-outputs <file.json>]

  <stack>            dev, staging, production (reads Pulumi.<stack>.yaml)
  --config-file      a stack file elsewhere, synthesized as <stack>
  --format           tree (default) for people, json for tools (the contract in DESIGN.md)
  --stack-outputs    JSON of referenced stacks' outputs: {"org/network/production": {"vpcId": "vpc-...", ...}}

exit codes: 0 synthesized, 1 invalid config, 2 bad usage`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "config-file": { type: "string" },
        format: { type: "string", default: "tree" },
        "stack-outputs": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || !["tree", "json"].includes(values.format ?? "")) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const document = await synthesizeStack({
      stack: positionals[0],
      configFile: values["config-file"],
      stackOutputsFile: values["stack-outputs"],
    });
    process.stdout.write(values.format === "json" ? renderJson(document) : renderTree(document));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`synth failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 3;
  },
);
