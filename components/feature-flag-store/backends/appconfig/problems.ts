/** Every problem with a FeatureFlagStore's arguments, its ramp's included, found before anything is registered. */
import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../../../arguments";
import { rampSteps } from "../../flags/ramp-steps";
import { APPCONFIG_NAME_MAX, type FeatureFlagStoreArgs, MAX_APPCONFIG_MONITORS, MAX_FLAG_DOCUMENT_BYTES, monitoredAlarms, storeSettings } from "./args";
import { toAppConfigDocument } from "./document";
import { rampStepsForStore } from "./ramp";
import { HISTORY_EVENT_BUDGET, HISTORY_EVENT_LIMIT, rampDefinition, worstCaseHistoryEvents } from "./ramp-definition";

/** Step Functions refuses definitions above 1 MB, and a task's input above 256 KiB (each step's document is one). */
const MAX_DEFINITION_BYTES = 1024 * 1024;
const MAX_TASK_INPUT_BYTES = 256 * 1024;

/** Every problem with the store's arguments, each naming its field; the constructor refuses them before registering. */
export function featureFlagStoreArgsProblems(args: FeatureFlagStoreArgs): ArgumentProblem[] {
  const { strategy } = storeSettings(args);
  const monitors = monitoredAlarms(args.monitors ?? []).length;
  const nameProblems = (["applicationName", "environmentName"] as const).flatMap((field) =>
    typeof args[field] !== "string" || (args[field].length >= 1 && args[field].length <= APPCONFIG_NAME_MAX) ? [] : [{ field: [field], message: `must be 1-${APPCONFIG_NAME_MAX} characters (AppConfig's limit)`, got: args[field] }],
  );
  return [
    ...nameProblems,
    ...(strategy.growthFactor >= 1 && strategy.growthFactor <= 100 ? [] : [{ field: ["strategy", "growthFactor"], message: "must be 1-100", got: strategy.growthFactor }]),
    ...(strategy.durationMinutes >= 0 && strategy.durationMinutes <= 1440
      ? []
      : [{ field: ["strategy", "durationMinutes"], message: "must be 0-1440", got: strategy.durationMinutes }]),
    ...(strategy.bakeMinutes >= 0 && strategy.bakeMinutes <= 1440 ? [] : [{ field: ["strategy", "bakeMinutes"], message: "must be 0-1440", got: strategy.bakeMinutes }]),
    ...(monitors > 100 * MAX_APPCONFIG_MONITORS ? [{ field: ["monitors"], message: `must be at most ${100 * MAX_APPCONFIG_MONITORS} alarms`, got: monitors }] : []),
    ...documentProblems(args.document),
    ...rampProblems(args),
  ];
}

/** A document still to be resolved (an Output) is checked by AppConfig itself when the version is created. */
function documentProblems(document: pulumi.Input<string>): ArgumentProblem[] {
  const bytes = typeof document === "string" ? Buffer.byteLength(document) : 0;
  return bytes > MAX_FLAG_DOCUMENT_BYTES
    ? [
        {
          field: ["document"],
          message: `makes an AppConfig flag document of ${bytes} bytes; AppConfig's hosted store takes at most ${MAX_FLAG_DOCUMENT_BYTES} (1 MB): remove flags past their expiry, or split them over more stores`,
          got: `${bytes} bytes`,
        },
      ]
    : [];
}

function rampProblems(args: FeatureFlagStoreArgs): ArgumentProblem[] {
  if (!args.ramp) return [];
  const { strategy } = storeSettings(args);
  // The stack file's timeline is the longest one: a ramp that has reached a stage deploys only the steps after it.
  const steps = rampStepsForStore(args.ramp.flags);
  const ids = { applicationId: "a", environmentId: "e", profileId: "p", strategyId: "s", alertTopicArn: "t", label: args.applicationName, recordName: "r" };
  const size = Buffer.byteLength(JSON.stringify(rampDefinition(ids, steps)));
  const deploymentMinutes = strategy.durationMinutes + strategy.bakeMinutes;
  const events = worstCaseHistoryEvents(steps.length, deploymentMinutes);
  const ramping = Object.keys(rampSteps(args.ramp.flags)[0]?.percents ?? {});
  return [
    ...(args.ownership === "console" ? [{ field: ["ramp"], message: "is not for a console-owned store (people make its versions)", got: undefined }] : []),
    ...(typeof args.document === "string" && args.document !== JSON.stringify(toAppConfigDocument(args.ramp.flags))
      ? [{ field: ["ramp", "flags"], message: "must be the flags the document was made from", got: undefined }]
      : []),
    ...steps.flatMap((step, index) =>
      Buffer.byteLength(step.document) < MAX_TASK_INPUT_BYTES - 1024
        ? []
        : [{ field: ["ramp", "steps", index, "document"], message: "is too large for a Step Functions task input (256 KiB)", got: undefined }],
    ),
    ...(size > MAX_DEFINITION_BYTES
      ? [{ field: ["ramp", "steps"], message: `make a state machine of ${size} bytes, above Step Functions' 1 MB; ramp fewer flags or stages at once`, got: undefined }]
      : []),
    ...(events > HISTORY_EVENT_BUDGET
      ? [
          {
            field: ["ramp"],
            message:
              `the ramp of ${ramping.join(", ")} takes ${steps.length} steps of ~${deploymentMinutes} min deployments: up to ${events} history events in one execution, ` +
              `above the budget of ${HISTORY_EVENT_BUDGET} (Step Functions ends a standard execution at ${HISTORY_EVENT_LIMIT}); ramp fewer flags at once, or with fewer stages`,
            got: `${steps.length} steps`,
          },
        ]
      : []),
  ];
}
