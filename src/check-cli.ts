import { join } from "node:path";
import { evaluate, report } from "../policy/evaluate";
import { policyResources } from "../policy/from-synth";
import { RULES } from "../policy/rules";
import { readSuppressions } from "../policy/suppressions";
import { runCommand, text, usage } from "./command";
import { PROJECT_ROOT, synthesizeStack } from "./synth/run";

const USAGE = `usage: npm run check -- <stack> [--config-file <path>]

  synthesizes the stack offline and runs every policy rule over it
exit codes: 0 no mandatory violation, 1 a mandatory violation or invalid config, 2 bad usage`;

runCommand({
  name: "check",
  usage: USAGE,
  options: { "config-file": { type: "string" } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw usage(USAGE);
    const [stack] = positionals;
    const document = await synthesizeStack({ stack, configFile: text(values["config-file"]) });
    const suppressions = readSuppressions(join(PROJECT_ROOT, "policy", "suppressions.yaml"), RULES.map((rule) => rule.id));
    const violations = evaluate(policyResources(document), stack, suppressions);
    process.stdout.write(`${stack}: ${RULES.length} rules over ${document.resources.length} resources\n${report(violations)}`);
    return violations.some((violation) => violation.enforcement === "mandatory" && !violation.suppressedBecause) ? 1 : 0;
  },
});
