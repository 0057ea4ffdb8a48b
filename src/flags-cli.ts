import { FLAG_BACKEND_NAMES, FLAG_BACKENDS } from "../components/feature-flag-store/backends";
import { expiredFlagWarnings } from "../components/feature-flag-store/flags/model";
import { NAME_LIMITS, physicalName } from "../components/naming";
import { choice, didYouMean, emit, runCommand, text, usage } from "./command";
import { explain } from "./flags/explain";
import { planText } from "./flags/plan";
import type { StoreExpectation } from "./flags/status";
import type { ReleaseConfig } from "./config/load";
import { loadStack } from "./synth/run";

const USAGE = `usage: npm run flags -- <stack> [--config-file <path>] [--stack-outputs <file.json>] [--backend ${FLAG_BACKEND_NAMES.join("|")}] [--out <file>]
       npm run flags -- <stack> --explain <flag> --context '{"userId":"u-1"}'
       npm run flags -- <stack> --plan
       npm run flags -- <stack> --expired [--today yyyy-mm-dd]   exit 1 when a flag is past its expires date
       npm run flags -- <stack> --status   asks AppConfig (AWS credentials needed) whether the stack's flag
                                           environment serves what the stack deploys; exit 1 on drift
       npm run flags -- <stack> --kill-now turns off at once (AppConfig.AllAtOnce) the flags the stack file
                                           disables, changing nothing else the environment serves

  --stack-outputs  JSON of referenced stacks' outputs, as for synth: a service stack's environment output offline
  prints the flag document the store would hold, or the variant a context gets and why
  (evaluated by flagd's own engine on the flagd document), or each flag's timeline (--plan)

exit codes: 0 done (in sync), 1 invalid config, an expired flag or drift, 2 bad usage (or no AWS credentials)`;

runCommand({
  name: "flags",
  usage: USAGE,
  options: {
    "config-file": { type: "string" },
    backend: { type: "string" },
    explain: { type: "string" },
    context: { type: "string" },
    plan: { type: "boolean" },
    "env-values": { type: "string" },
    "stack-outputs": { type: "string" },
    out: { type: "string" },
    expired: { type: "boolean" },
    today: { type: "string" },
    status: { type: "boolean" },
    "kill-now": { type: "boolean" },
  },
  async run(values, positionals) {
    const backend = choice("backend", text(values.backend), FLAG_BACKEND_NAMES, {
      launchdarkly: "LaunchDarkly is not a backend here: flags live in AWS AppConfig, or in flagd on Kubernetes",
      openfeature: "OpenFeature clients read either: flagd speaks it natively, AppConfig through its provider",
    });
    if (positionals.length !== 1) throw usage(positionals.length === 0 ? "which stack? e.g. npm run flags -- staging" : `expected one stack, got ${positionals.length}: ${positionals.join(" ")}`);
    const flag = text(values.explain);
    if (flag === undefined && values.context !== undefined) throw usage(`--context needs --explain <flag>: it is the evaluation context of the flag to explain`);
    if (flag !== undefined && backend !== undefined) throw usage(`--backend does not apply to --explain, which evaluates with flagd's engine`);
    if (values.plan === true && (flag !== undefined || values.expired === true)) throw usage("--plan is a question of its own: ask it without --explain or --expired");
    for (const mode of ["status", "kill-now"] as const) {
      if (values[mode] === true && (flag !== undefined || values.expired === true || values.plan === true || backend !== undefined || values[mode === "status" ? "kill-now" : "status"] === true)) {
        throw usage(`--${mode} is a question of its own: ask it without --explain, --expired, --plan, --backend or --${mode === "status" ? "kill-now" : "status"}`);
      }
    }
    const config = loadStack({
      stack: positionals[0],
      configFile: text(values["config-file"]),
      envValuesFile: text(values["env-values"]),
      stackOutputsFile: text(values["stack-outputs"]),
    });
    if (values.status === true) {
      if (config.flagStore.backend === "flagd") {
        emit(
          text(values.out),
          `${config.stackFile}: flags are served by flagd from a ConfigMap, not AppConfig: nothing rolls them back on its own, and \`pulumi preview --refresh --expect-no-changes\` (drift.yml) shows an edited ConfigMap\n`,
        );
        return 0;
      }
      const status = await askAppConfig(config, (client, module, expected) => module.flagStatus(client, expected));
      emit(text(values.out), status.text);
      return status.drift ? 1 : 0;
    }
    if (values["kill-now"] === true) {
      if (config.flagStore.backend === "flagd") {
        throw usage(`--kill-now is for AppConfig stores: with flagd, pulumi up restarts flagd's pods on the new document at once (its hash is a pod annotation)`);
      }
      emit(text(values.out), await askAppConfig(config, async (client, _module, expected) => (await import("./flags/kill")).killNow(client, expected)));
      return 0;
    }
    if (values.expired) {
      if (flag !== undefined) throw usage("--expired and --explain are two different questions: ask one");
      const today = text(values.today) ?? new Date().toISOString().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw usage(`--today ${today}: expected a date like 2027-03-01`);
      const expired = expiredFlagWarnings(config.flags, today);
      emit(text(values.out), expired.length > 0 ? `${expired.join("\n")}\n` : `${config.stackFile}: no flag expired by ${today}\n`);
      return expired.length > 0 ? 1 : 0;
    }
    if (values.today !== undefined) throw usage("--today applies to --expired only");
    if (values.plan === true) {
      const strategy = config.flagStore.deployment;
      // A service stack's services and alert topic are named after the environment it joins.
      const prefix = config.environment?.namePrefix ?? config.stack;
      emit(
        text(values.out),
        planText(config.flags, {
          deploymentMinutes: strategy.durationMinutes + strategy.bakeMinutes,
          monitors: config.services.map((service) => physicalName([prefix, service.name], "any", NAME_LIMITS.alarm)),
          alertTopic: physicalName([prefix], "alerts", 256),
        }),
      );
      return 0;
    }
    if (flag === undefined) {
      const document = FLAG_BACKENDS[backend ?? config.flagStore.backend].document(config.flags);
      emit(text(values.out), `${JSON.stringify(document, null, 2)}\n`);
      return 0;
    }
    if (!(flag in config.flags)) {
      throw usage(`no flag ${flag} in ${config.stackFile}${didYouMean(flag, Object.keys(config.flags))}; flags: ${Object.keys(config.flags).join(", ") || "none"}`);
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
    emit(
      text(values.out),
      `${result.flag} for ${JSON.stringify(context)}: ${result.variant ?? "(caller's default)"} = ${JSON.stringify(result.value)} [${result.reason}]\n  why: ${result.why}\n`,
    );
    return 0;
  },
});

type StatusModule = typeof import("./flags/status");

/**
 * Runs a question to AppConfig (--status, --kill-now), loaded only then: the SDK is a devDependency, present in a clone
 * after `npm ci`, and the commands run from a clone only.
 */
async function askAppConfig<T>(
  config: ReleaseConfig,
  ask: (client: import("@aws-sdk/client-appconfig").AppConfigClient, module: StatusModule, expected: StoreExpectation) => Promise<T>,
): Promise<T> {
  let sdk: typeof import("@aws-sdk/client-appconfig");
  try {
    sdk = await import("@aws-sdk/client-appconfig");
  } catch {
    throw usage("this needs @aws-sdk/client-appconfig (a devDependency of this repository): run npm ci without --omit=dev");
  }
  const module = await import("./flags/status");
  const client = new sdk.AppConfigClient({ region: config.region });
  await module.requireCredentials(client, config.stack);
  try {
    return await ask(client, module, module.storeExpectation(config));
  } catch (error) {
    const name = (error as Error).name;
    if (name === "AccessDeniedException" || name === "UnrecognizedClientException" || name === "ExpiredTokenException") {
      throw usage(`AppConfig refused (${name}: ${(error as Error).message}); --status needs ${module.STATUS_PERMISSIONS}, --kill-now also CreateHostedConfigurationVersion and StartDeployment`);
    }
    throw error;
  }
}
