import type { z } from "zod";
import { releaseEnvironmentArgsSchema, serviceSchema, servicesOf, tierSchema } from "../../components/release-environment/schema";

export { KUBERNETES_CONTROLLERS, TIERS } from "../../components/release-environment/schema";
export type { Tier } from "../../components/tiers";

/** A service as a stack file writes it: its secret environment values are `environment` values set with `--secret`. */
const stackFileServiceSchema = serviceSchema.omit({ secretEnvironment: true });

/**
 * What a user writes under the `release:` namespace: the library's `ReleaseEnvironmentArgs` schema, with what a stack
 * file says elsewhere or not at all. The tier may come from the stack's name; the Region is `aws:region`, the provider's
 * other settings the other `aws:` keys (src/config/aws-settings.ts). A stack file
 * holds no Output, so the Output each `pulumi.Input` field also takes never reaches these fields.
 */
export const releaseConfigSchema = releaseEnvironmentArgsSchema.omit({ region: true, aws: true }).extend({
  tier: tierSchema.optional(),
  services: servicesOf(stackFileServiceSchema),
});

export type RawReleaseConfig = z.infer<typeof releaseConfigSchema>;
export type RawService = z.infer<typeof stackFileServiceSchema>;

/** The keys of the `release:` namespace, in the order a reader meets them in a stack file. */
export const RELEASE_KEYS = Object.keys(releaseConfigSchema.shape) as (keyof RawReleaseConfig)[];
