/** The AWS AppConfig Agent, the sidecar through which services read an AppConfig store's flags. */

/** @internal */
/** The AppConfig Agent sidecar's PREFETCH_LIST entry; names work as well as ids, so it is known before the store exists. */
export function agentPrefetchPath(applicationName: string, environmentName: string, profileName: string): string {
  return `/applications/${applicationName}/environments/${environmentName}/configurations/${profileName}`;
}

/** @internal */
export const AGENT_PORT = 2772;
export const AGENT_IMAGE = "public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x";

/** The AWS AppConfig Agent container: the app reads flags at http://localhost:2772<prefetch path>. */
export function agentContainer(prefetchPath: string, region: string, image: string = AGENT_IMAGE): Record<string, unknown> {
  return {
    name: "appconfig-agent",
    image,
    // Flags fall back to the app's defaults if the agent stops; the app keeps serving.
    essential: false,
    portMappings: [{ containerPort: AGENT_PORT, protocol: "tcp" }],
    environment: [
      { name: "PREFETCH_LIST", value: prefetchPath },
      { name: "SERVICE_REGION", value: region },
      { name: "POLL_INTERVAL", value: "30" },
    ],
  };
}

/** @internal */
export const FLAG_PROFILE_NAME = "feature-flags";
