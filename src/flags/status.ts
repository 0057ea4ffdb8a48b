import {
  type AppConfigClient,
  type DeploymentSummary,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListDeploymentsCommand,
  ListEnvironmentsCommand,
} from "@aws-sdk/client-appconfig";
import { FLAG_PROFILE_NAME } from "../../components/feature-flag-store/backends/appconfig/agent";
import { rampStepsForStore } from "../../components/feature-flag-store/backends/appconfig/ramp";
import { flagStoreArgs } from "../../components/feature-flag-store/backends/appconfig/backend";
import { flagEnvironment } from "../../components/release-environment/children";
import type { ReleaseConfig } from "../config/load";
import { UsageError } from "../errors";

/** What a stack's AppConfig store should serve: found by the names the program gives it, holding one of these documents. */
export interface StoreExpectation {
  readonly stackFile: string;
  readonly region: string;
  readonly applicationName: string;
  readonly environmentName: string;
  readonly profileName: string;
  /** `console`: people deploy later versions, so only rollbacks are drift. */
  readonly ownership: "pulumi" | "console";
  /** The documents the stack deploys: the stack file's, then each ramp step's (the state machine deploys those). */
  readonly documents: readonly { readonly label: string; readonly document: string }[];
}

/** The stack's store as the program creates it (`flagStoreArgs`, the one copy of its names and documents). */
export function storeExpectation(config: ReleaseConfig): StoreExpectation {
  const args = flagStoreArgs(flagEnvironment(config.name, config), "");
  const steps = args.ramp ? rampStepsForStore(args.ramp.flags) : [];
  return {
    stackFile: config.stackFile,
    region: config.region,
    applicationName: args.applicationName,
    environmentName: args.environmentName,
    profileName: FLAG_PROFILE_NAME,
    ownership: config.flagStore.ownership,
    documents: [
      { label: `the document of ${config.stackFile}`, document: args.document as string },
      ...steps.map((step, index) => ({ label: `ramp step ${index + 1} of ${steps.length} (${step.description})`, document: step.document })),
    ],
  };
}

export interface FlagStatus {
  /** The environment serves, or is rolling back to, something the stack does not deploy. */
  readonly drift: boolean;
  readonly text: string;
}

/** AppConfig's deployment states (DeploymentState in the SDK): an alarm's rollback ends ROLLED_BACK, StopDeployment's revert of a completed one REVERTED. */
export const IN_FLIGHT = new Set(["DEPLOYING", "BAKING", "VALIDATING"]);
const TAKEN_BACK = new Set(["ROLLING_BACK", "ROLLED_BACK", "REVERTED"]);

/** The console stamps flags with `_createdAt`/`_updatedAt` (the FeatureFlags type reference): not a difference in what is served. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .filter((key) => key !== "_createdAt" && key !== "_updatedAt")
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}
export const sameDocument = (a: string, b: string) => {
  try {
    return JSON.stringify(canonical(JSON.parse(a))) === JSON.stringify(canonical(JSON.parse(b)));
  } catch {
    return false;
  }
};

/** Flags whose definition or value differ between two AppConfig documents, for the drift message. */
function changedFlags(served: string, expected: string): string[] {
  let a: { flags?: Record<string, unknown>; values?: Record<string, unknown> };
  let b: typeof a;
  try {
    a = JSON.parse(served) as typeof a;
    b = JSON.parse(expected) as typeof a;
  } catch {
    return ["(the served version is not JSON)"];
  }
  const keys = [...new Set([...Object.keys(a.flags ?? {}), ...Object.keys(b.flags ?? {})])].sort();
  return keys.flatMap((key) => {
    if (!(key in (a.flags ?? {}))) return [`${key} (not served)`];
    if (!(key in (b.flags ?? {}))) return [`${key} (not in the stack file)`];
    const same = JSON.stringify(canonical([a.flags?.[key], a.values?.[key]])) === JSON.stringify(canonical([b.flags?.[key], b.values?.[key]]));
    return same ? [] : [key];
  });
}

async function findByName<T extends { Id?: string; Name?: string }>(
  list: (token: string | undefined) => Promise<{ Items?: T[]; NextToken?: string }>,
  name: string,
): Promise<T | undefined> {
  let token: string | undefined;
  do {
    const page = await list(token);
    const found = page.Items?.find((item) => item.Name === name);
    if (found) return found;
    token = page.NextToken;
  } while (token);
  return undefined;
}

export const summary = (deployment: DeploymentSummary) => `deployment ${deployment.DeploymentNumber} of version ${deployment.ConfigurationVersion} (${deployment.State})`;

/** The store's ids and this profile's deployments, newest first; or what is missing. */
export interface LocatedStore {
  readonly where: string;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly deployments: readonly DeploymentSummary[];
  /** A version's content and description. */
  readonly content: (version: string | undefined) => Promise<{ text: string; description?: string }>;
}

/**
 * Finds the stack's store by the names the program gives it, and reads its deployments. AppConfig's ListDeployments
 * "Lists the deployments for an environment in descending deployment number order": the first of this profile's is
 * the latest. Pages are read until one deployment completed (the version served when later ones were taken back).
 */
export async function locateStore(client: AppConfigClient, expected: StoreExpectation): Promise<LocatedStore | { missing: string }> {
  const where = `${expected.applicationName}/${expected.environmentName} in ${expected.region}`;
  const missing = (what: string) => ({
    missing: `${where}: no ${what}: the stack ${expected.stackFile} deploys flags there (is it deployed, to this account and region?)`,
  });
  const application = await findByName((NextToken) => client.send(new ListApplicationsCommand({ NextToken, MaxResults: 50 })), expected.applicationName);
  if (!application?.Id) return missing(`AppConfig application ${expected.applicationName}`);
  const ApplicationId = application.Id;
  const environment = await findByName((NextToken) => client.send(new ListEnvironmentsCommand({ ApplicationId, NextToken, MaxResults: 50 })), expected.environmentName);
  if (!environment?.Id) return missing(`environment ${expected.environmentName}`);
  const profile = await findByName(
    (NextToken) => client.send(new ListConfigurationProfilesCommand({ ApplicationId, NextToken, MaxResults: 50 })),
    expected.profileName,
  );
  if (!profile?.Id) return missing(`configuration profile ${expected.profileName}`);
  const ConfigurationProfileId = profile.Id;

  const deployments: DeploymentSummary[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListDeploymentsCommand({ ApplicationId, EnvironmentId: environment.Id, NextToken: token, MaxResults: 50 }));
    deployments.push(...(page.Items ?? []).filter((item) => item.ConfigurationProfileId === undefined || item.ConfigurationProfileId === ConfigurationProfileId));
    token = deployments.some((item) => item.State === "COMPLETE") ? undefined : page.NextToken;
  } while (token);
  if (deployments.length === 0) return missing(`deployment of ${expected.profileName}`);
  return {
    where,
    applicationId: ApplicationId,
    environmentId: environment.Id,
    profileId: ConfigurationProfileId,
    deployments,
    content: async (version) => {
      const result = await client.send(new GetHostedConfigurationVersionCommand({ ApplicationId, ConfigurationProfileId, VersionNumber: Number(version) }));
      return { text: new TextDecoder().decode(result.Content ?? new Uint8Array()), description: result.Description };
    },
  };
}

/**
 * Compares what the stack's AppConfig environment serves with what the stack deploys. Drift when the latest deployment
 * was rolled back or reverted (the environment went back to an older version while the stack and Pulumi's state still
 * hold the new one: `pulumi up` sees no change), or when the version it deploys is none of the stack's documents
 * (someone deployed other flags). A deployment still rolling out a stack document is not drift.
 */
export async function flagStatus(client: AppConfigClient, expected: StoreExpectation): Promise<FlagStatus> {
  const store = await locateStore(client, expected);
  if ("missing" in store) return { drift: true, text: `${store.missing}\n` };
  const { where, deployments, content } = store;
  const [latest] = deployments;
  const match = (text: string) => expected.documents.find((candidate) => sameDocument(text, candidate.document));

  if (TAKEN_BACK.has(latest.State ?? "")) {
    const serving = deployments.find((item) => item.State === "COMPLETE");
    const now = serving ? `it serves version ${serving.ConfigurationVersion} (deployment ${serving.DeploymentNumber})` : "it serves no completed version";
    return {
      drift: true,
      text:
        `${where}: drift: the latest ${summary(latest)} was taken back (an alarm rolled it back, or someone stopped it); ${now}, not what ${expected.stackFile} deploys. ` +
        `\`pulumi up\` sees no change: revert the flag change in the stack file (or fix what alarmed and change it again) and deploy.\n`,
    };
  }
  if (expected.ownership === "console") {
    return { drift: false, text: `${where}: ${summary(latest)}; the store is console-owned (release:flagStore.ownership), so versions are not compared with the stack file\n` };
  }
  const deployed = await content(latest.ConfigurationVersion);
  const found = match(deployed.text);
  if (found) {
    const progress = IN_FLIGHT.has(latest.State ?? "") ? `, ${latest.PercentageComplete ?? 0}% rolled out` : "";
    return { drift: false, text: `${where}: in sync: ${summary(latest)}${progress} is ${found.label}\n` };
  }
  const differing = changedFlags(deployed.text, expected.documents[0].document);
  return {
    drift: true,
    text:
      `${where}: drift: the latest ${summary(latest)}${deployed.description ? ` "${deployed.description}"` : ""} is none of the documents ${expected.stackFile} deploys ` +
      `(flags that differ from the stack file's: ${differing.join(", ") || "none by key; the document differs elsewhere"}); someone deployed other flags, or the stack file changed since the last \`pulumi up\`.\n`,
  };
}

export const STATUS_PERMISSIONS = "appconfig:ListApplications, ListEnvironments, ListConfigurationProfiles, ListDeployments and GetHostedConfigurationVersion";

/** The SDK's credential chain finds nothing: a clear message instead of a stack trace from the first call. */
export async function requireCredentials(client: AppConfigClient, stack: string): Promise<void> {
  try {
    await client.config.credentials();
  } catch (error) {
    throw new UsageError(
      `this asks AppConfig about ${stack}'s flag environment, and found no AWS credentials (${(error as Error).message.split("\n")[0]}): ` +
        `set AWS_PROFILE (after \`aws sso login\`) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run it where a role is assumed (drift.yml); ` +
        `it needs ${STATUS_PERMISSIONS}`,
    );
  }
}
