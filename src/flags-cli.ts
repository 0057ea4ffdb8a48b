import { parseArgs } from "node:util";
import { toAppConfigDocument, toFlagdDocument } from "../components/feature-flag-store/documents";
import { ConfigError } from "./config/load";
import { explain } from "./flags/explain";
import { loadStack, UsageError } from "./synth/run";

const USAGE = `usage: npm run flags -- <stack> [--config-file <path>] [--backend appconfig|flagd]
       npm run flags -- <stack> --explain <flag> --context '{"userId":"u-1"}'

  prints the flag document the store would hold, or the variant a context gets and why
  (evaluated by flagd's own engine on the flagd document)

exit codes: 0 done, 1 invalid config, 2 bad usage`;

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "config-file": { type: "string" },
        backend: { type: "string" },
        explain: { type: "string" },
        context: { type: "string", default: "{}" },
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
  if (positionals.length !== 1 || (values.backend !== undefined && !["appconfig", "flagd"].includes(values.backend))) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const config = loadStack({ stack: positionals[0], configFile: values["config-file"] });
    if (values.explain !== undefined) {
      if (!(values.explain in config.flags)) {
        process.stderr.write(`no flag ${values.explain} in ${config.stackFile}; flags: ${Object.keys(config.flags).join(", ") || "none"}\n`);
        return 2;
      }
      let context: unknown;
      try {
        context = JSON.parse(values.context ?? "{}");
      } catch {
        context = undefined;
      }
      if (context === null || typeof context !== "object" || Array.isArray(context)) {
        process.stderr.write(`--context must be a JSON object, like '{"userId":"u-1"}'\n`);
        return 2;
      }
      const result = explain(config.flags, values.explain, context as Record<string, string>);
      process.stdout.write(
        `${result.flag} for ${JSON.stringify(context)}: ${result.variant ?? "(caller's default)"} = ${JSON.stringify(result.value)} [${result.reason}]\n  why: ${result.why}\n`,
      );
      return 0;
    }
    const backend = values.backend ?? config.flagStore.backend;
    const document = backend === "flagd" ? toFlagdDocument(config.flags) : toAppConfigDocument(config.flags);
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
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

process.exitCode = main(process.argv.slice(2));
