import { z } from "zod";
import { stackReference } from "../../components/formats";
import { releaseEnvironmentArgsSchema, serviceSchema, servicesOf, tierSchema } from "../../components/release-environment/schema";

export { KUBERNETES_CONTROLLERS, TIERS } from "../../components/release-environment/schema";
export type { Tier } from "../../components/tiers";

/** A service as a stack file writes it: its secret environment values are `environment` values set with `--secret`. */
const stackFileServiceSchema = serviceSchema.omit({ secretEnvironment: true });

/**
 * A service stack's environment, as its stack file names it: the environment stack, whose `environment` output (the
 * contract) the program reads before anything else. The library takes the contract itself.
 */
export const stackFileEnvironmentSchema = z.strictObject({
  /** `org/project/stack` of the environment stack (a stack file with release:routes). */
  stackReference,
});

const library = releaseEnvironmentArgsSchema.shape;

/**
 * What a user writes under the `release:` namespace: the library's `ReleaseEnvironmentArgs` schema, with what a stack
 * file says elsewhere or not at all. The tier may come from the stack's name (or the environment a service stack
 * joins); the Region is `aws:region`, the provider's other settings the other `aws:` keys (src/config/aws-settings.ts);
 * a service stack names its environment's stack where the library takes its contract. A stack file holds no Output, so
 * the Output each `pulumi.Input` field also takes never reaches these fields. Keys in the order a reader meets them.
 */
export const releaseConfigSchema = z.strictObject({
  tier: tierSchema.optional(),
  environment: stackFileEnvironmentSchema.optional(),
  network: library.network,
  ingress: library.ingress,
  notifications: library.notifications,
  routes: library.routes,
  /** Required but in an environment stack (release:routes), which may hold no service of its own. */
  services: servicesOf(stackFileServiceSchema).optional(),
  flags: library.flags,
  flagStore: library.flagStore,
  cluster: library.cluster,
});

export type RawReleaseConfig = z.infer<typeof releaseConfigSchema>;
export type RawService = z.infer<typeof stackFileServiceSchema>;

/** The keys of the `release:` namespace, in the order a reader meets them in a stack file. */
export const RELEASE_KEYS = Object.keys(releaseConfigSchema.shape) as (keyof RawReleaseConfig)[];
