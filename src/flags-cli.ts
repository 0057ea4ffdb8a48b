import { toAppConfigDocument, toFlagdDocument } from "../components/feature-flag-store/documents";
import { NAME_LIMITS, physicalName } from "../components/naming";
import { runCommand, text, usage } from "./command";
import { explain } from "./flags/explain";
import { planText } from "./flags/plan";
import { loadStack } from "./synth/run";

const USAGE = `usage: npm run flags -- <stack> [--config-file <path>] [--backend appconfig|flagd]
       npm run flags -- <stack> --explain <flag> --context '{"userId":"u-1"}'
       npm run flags -- <stack> --plan

  prints the flag document the store would hold, or the variant a context gets and why
  (evaluated by flagd's own engine on the flagd document), or each flag's timeline (--plan)

exit codes: 0 done, 1 invalid config, 2 bad usage`;

runCommand({
  name: "flags",
  usage: USAGE,
  options: {
    "config-file": { type: "string" },
    backend: { type: "string" },
    explain: { type: "string" },
    context: { type: "string", default: "{}" },
    plan: { type: "boolean" },
  },
  run(values, positionals) {
    const backend = text(values.backend);
    if (positionals.length !== 1 || (backend !== undefined && !["appconfig", "flagd"].includes(backend))) throw usage(USAGE);
    const config = loadStack({ stack: positionals[0], configFile: text(values["config-file"]) });
    const flag = text(values.explain);
    if (values.plan === true) {
      const strategy = config.flagStore.deployment;
      process.stdout.write(
        planText(config.flags, {
          deploymentMinutes: strategy.durationMinutes + strategy.bakeMinutes,
          monitors: config.services.map((service) => physicalName([config.stack, service.name], "any", NAME_LIMITS.alarm)),
          alertTopic: physicalName([config.stack], "alerts", 256),
        }),
      );
      return 0;
    }
    if (flag === undefined) {
      const document = (backend ?? config.flagStore.backend) === "flagd" ? toFlagdDocument(config.flags) : toAppConfigDocument(config.flags);
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return 0;
    }
    if (!(flag in config.flags)) {
      throw usage(`no flag ${flag} in ${config.stackFile}; flags: ${Object.keys(config.flags).join(", ") || "none"}`);
    }
    let context: unknown;
    try {
      context = JSON.parse(text(values.context) ?? "{}");
    } catch {
      context = undefined;
    }
    if (context === null || typeof context !== "object" || Array.isArray(context)) {
      throw usage(`--context must be a JSON object, like '{"userId":"u-1"}'`);
    }
    const result = explain(config.flags, flag, context as Record<string, string>);
    process.stdout.write(
      `${result.flag} for ${JSON.stringify(context)}: ${result.variant ?? "(caller's default)"} = ${JSON.stringify(result.value)} [${result.reason}]\n  why: ${result.why}\n`,
    );
    return 0;
  },
});
