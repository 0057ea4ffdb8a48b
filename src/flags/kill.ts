import { type AppConfigClient, CreateHostedConfigurationVersionCommand, StartDeploymentCommand } from "@aws-sdk/client-appconfig";
import { UsageError } from "../errors";
import { canonical, IN_FLIGHT, locateStore, type StoreExpectation, summary } from "./status";

/**
 * AppConfig's predefined strategy: "This strategy deploys the configuration to all targets immediately. The system
 * monitors for Amazon CloudWatch alarms for 10 minutes" (AppConfig User Guide, predefined deployment strategies).
 */
export const ALL_AT_ONCE = "AppConfig.AllAtOnce";

interface AppConfigDocument {
  version?: string;
  flags?: Record<string, unknown>;
  values?: Record<string, unknown>;
}

const OFF = JSON.stringify({ enabled: false });
const isOff = (value: unknown) => JSON.stringify(canonical(value)) === OFF;

/**
 * The served document with every flag the stack file disables switched off, and nothing else changed: a document that
 * only turns flags off, whatever else differs between the stack file and what the environment serves (a ramp's step, a
 * change not yet deployed). `off` lists the flags it turns off; `leftAsServed` the other differences it does not deploy.
 */
export function switchOff(served: string, stack: string): { document: string; off: string[]; leftAsServed: string[] } {
  const current = JSON.parse(served) as AppConfigDocument;
  const wanted = JSON.parse(stack) as AppConfigDocument;
  const flags = { ...current.flags };
  const values = { ...current.values };
  const off: string[] = [];
  const leftAsServed: string[] = [];
  for (const key of [...new Set([...Object.keys(values), ...Object.keys(wanted.values ?? {})])].sort()) {
    const target = wanted.values?.[key];
    const same = JSON.stringify(canonical([flags[key], values[key]])) === JSON.stringify(canonical([wanted.flags?.[key], target]));
    if (same) continue;
    if (key in values && isOff(target) && !isOff(values[key])) {
      // A disabled flag has no variants: its definition loses the variant attribute, as toAppConfigDocument writes it.
      flags[key] = wanted.flags?.[key];
      values[key] = { enabled: false };
      off.push(key);
    } else {
      leftAsServed.push(key);
    }
  }
  return { document: JSON.stringify({ ...current, flags, values }), off, leftAsServed };
}

/**
 * Turns off at once, with AppConfig.AllAtOnce, the flags the stack file disables: a new version of the served document
 * with only those flags off, deployed to the environment (its monitors still watch the 10-minute bake). For the minutes
 * when a kill switch through the tier's gradual strategy (production: 20 minutes and a 10-minute bake) is too slow.
 * Refuses while a deployment runs (AppConfig takes one at a time) and for a console-owned store.
 */
export async function killNow(client: AppConfigClient, expected: StoreExpectation): Promise<string> {
  if (expected.ownership === "console") {
    throw new UsageError(`--kill-now: the store of ${expected.stackFile} is console-owned (release:flagStore.ownership): switch the flag off in the AppConfig console`);
  }
  const store = await locateStore(client, expected);
  if ("missing" in store) throw new UsageError(`--kill-now: ${store.missing}`);
  const [latest] = store.deployments;
  if (IN_FLIGHT.has(latest.State ?? "") || latest.State === "ROLLING_BACK") {
    throw new UsageError(
      `--kill-now: ${store.where}: ${summary(latest)} is still running, and AppConfig takes one deployment at a time. ` +
        `\`aws appconfig stop-deployment --application-id ${store.applicationId} --environment-id ${store.environmentId} --deployment-number ${latest.DeploymentNumber}\` ` +
        `rolls it back at once; then run --kill-now again`,
    );
  }
  const serving = store.deployments.find((deployment) => deployment.State === "COMPLETE");
  if (!serving) throw new UsageError(`--kill-now: ${store.where}: no deployment completed, so no flag is on to turn off`);
  const served = await store.content(serving.ConfigurationVersion);
  const change = switchOff(served.text, expected.documents[0].document);
  const left = change.leftAsServed.length > 0 ? `; left as served (not an off switch, deploy them with pulumi up): ${change.leftAsServed.join(", ")}` : "";
  if (change.off.length === 0) {
    return `${store.where}: nothing to turn off: every flag ${expected.stackFile} disables is already off in version ${serving.ConfigurationVersion}${left}\n`;
  }
  const description = `Kill switch (flags --kill-now from ${expected.stackFile}): ${change.off.join(", ")} off`.slice(0, 1024);
  const created = await client.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: store.applicationId,
      ConfigurationProfileId: store.profileId,
      Content: new TextEncoder().encode(change.document),
      ContentType: "application/json",
      Description: description,
    }),
  );
  let started;
  try {
    started = await client.send(
      new StartDeploymentCommand({
        ApplicationId: store.applicationId,
        EnvironmentId: store.environmentId,
        ConfigurationProfileId: store.profileId,
        ConfigurationVersion: String(created.VersionNumber),
        DeploymentStrategyId: ALL_AT_ONCE,
        Description: description,
      }),
    );
  } catch (error) {
    if ((error as Error).name !== "ConflictException") throw error;
    throw new UsageError(
      `--kill-now: ${store.where}: a deployment started meanwhile (${(error as Error).message}); version ${created.VersionNumber} is created but not deployed: run --kill-now again once it ends, or stop it`,
    );
  }
  return (
    `${store.where}: ${change.off.join(", ")} off for everyone now: version ${created.VersionNumber} (version ${serving.ConfigurationVersion} with only those flags off), ` +
    `deployment ${started.DeploymentNumber} with ${ALL_AT_ONCE}; the environment's monitors watch it for 10 minutes${left}. ` +
    `Merge the stack file change and deploy it: until then flags --status reports drift, and the next pulumi up that changes flags deploys what the stack file says.\n`
  );
}
