import * as pulumi from "@pulumi/pulumi";
import type { ReleaseEnvironmentArgs, ReleaseServiceArgs } from "../../components/release-environment/args";
import type { EnvironmentContract } from "../../components/environment/contract";
import type { AwsProviderSettings } from "../../components/environment/provider-settings";
import type { RawReleaseConfig, RawService, Tier } from "./schema";
import type { Secrecy } from "./secrecy";

/* The stack file's settings as the library's ReleaseEnvironmentArgs. */
/** What the stack file's settings are read with besides themselves. */
export interface ArgsContext {
  readonly tier: Tier;
  readonly region: string;
  /** The `aws:` settings, or undefined when one has a shape problem (which says what is wrong there). */
  readonly aws: AwsProviderSettings | undefined;
  readonly secretAt: Secrecy;
  /** A service stack: the contract its environment's stack exports (release:environment names the stack). */
  readonly environment?: EnvironmentContract;
}

/** The stack file's settings as ReleaseEnvironment arguments, secret leaves kept secret. Defaults are the library's. */
export function releaseEnvironmentArgs(config: Omit<RawReleaseConfig, "tier">, context: ArgsContext): ReleaseEnvironmentArgs {
  const { secretAt } = context;
  const secretIf = (secret: boolean) => (value: pulumi.Input<string>): pulumi.Input<string> => (secret ? pulumi.secret(value) : value);
  const secretNotification = (field: string) => (value: pulumi.Input<string>, index: number) => secretIf(secretAt(["notifications", field, index]))(value);
  const { ingress, notifications, environment: _named, ...settings } = config;
  return {
    ...settings,
    ...(context.environment ? { environment: context.environment } : {}),
    tier: context.tier,
    region: context.region,
    aws: context.aws ?? {},
    ...(ingress
      ? { ingress: { ...ingress, ...(ingress.certificateArn !== undefined ? { certificateArn: secretIf(secretAt(["ingress", "certificateArn"]))(ingress.certificateArn) } : {}) } }
      : {}),
    ...(notifications
      ? {
          notifications: {
            ...notifications,
            ...(notifications.emails ? { emails: notifications.emails.map(secretNotification("emails")) } : {}),
            ...(notifications.httpsEndpoints ? { httpsEndpoints: notifications.httpsEndpoints.map(secretNotification("httpsEndpoints")) } : {}),
          },
        }
      : {}),
    services: Object.fromEntries(
      Object.entries(config.services ?? {}).map(([name, service]) => [name, serviceArgs(service, (variable) => secretAt(["services", name, "environment", variable]))]),
    ),
  };
}

/** A service's settings with its `--secret` environment values apart: the service keeps those in Secrets Manager. */
function serviceArgs(service: RawService, isSecretVariable: (name: string) => boolean): ReleaseServiceArgs {
  if (!service.environment) return service;
  const variables = Object.entries(service.environment);
  const secret = variables.filter(([key]) => isSecretVariable(key));
  return {
    ...service,
    environment: Object.fromEntries(variables.filter(([key]) => !isSecretVariable(key))),
    ...(secret.length > 0 ? { secretEnvironment: Object.fromEntries(secret.map(([key, value]) => [key, pulumi.secret(value)])) } : {}),
  };
}
