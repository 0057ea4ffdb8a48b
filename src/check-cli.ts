import { join } from "node:path";
import { parseArgs } from "node:util";
import { evaluate, report } from "../policy/evaluate";
import { policyResources } from "../policy/from-synth";
import { RULES } from "../policy/rules";
import { readSuppressions } from "../policy/suppressions";
import { ConfigError } from "./config/load";
import { PROJECT_ROOT, synthesizeStack, UsageError } from "./synth/run";

const USAGE = `usage: npm run check -- <stack> [--config-file <path>]

  synthesizes the stack offline and runs every policy rule over it
exit codes: 0 no mandatory violation, 1 a mandatory violation or invalid config, 2 bad usage`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { "config-file": { type: "string" }, help: { type: "boolean", short: "h" } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const stack = parsed.positionals[0];
  try {
    const document = await synthesizeStack({ stack, configFile: parsed.values["config-file"] });
    const suppressions = readSuppressions(join(PROJECT_ROOT, "policy", "suppressions.yaml"), RULES.map((rule) => rule.id));
    const violations = evaluate(policyResources(document), stack, suppressions);
    process.stdout.write(`${stack}: ${RULES.length} rules over ${document.resources.length} resources\n${report(violations)}`);
    return violations.some((violation) => violation.enforcement === "mandatory" && !violation.suppressedBecause) ? 1 : 0;
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
    process.stderr.write(`check failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 3;
  },
);
