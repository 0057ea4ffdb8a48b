import { z } from "zod";
import * as format from "../formats";
import { ENVIRONMENT_CONTRACT_VERSION, LOAD_BALANCER_NAME } from "./contract";

/*
 * The environment contract's schema (contract.ts has its types). Kept out of contract.ts so that no public declaration
 * reaches zod: a team's program compiled without skipLibCheck would compile zod's own declarations, which need
 * esModuleInterop. Only implementations import it (readEnvironmentContract, the stack file's schema).
 */

const id = z.string({ error: "expected a string" }).min(1, { error: "must not be empty" });
const arn = z.string({ error: "expected an ARN" }).regex(/^arn:[\w-]+:[\w-]+:/, { error: "expected an ARN" });

const routeSchema = z.strictObject({
  pathPatterns: z.array(id).max(5),
  hostHeaders: z.array(id).max(5),
  priority: z.number().int().min(1).max(50000),
  loadBalancer: id,
  stack: format.stackReference.optional(),
  releasedByEnvironment: z.literal(true).optional(),
});

/**
 * What a service stack accepts as an environment's contract: anything else (a stack of an older release-platform, a
 * different output) is refused with every field that is wrong, before a resource is registered.
 */
export const environmentContractSchema = z.looseObject({
  version: z.literal(ENVIRONMENT_CONTRACT_VERSION, { error: `expected version ${ENVIRONMENT_CONTRACT_VERSION} of the environment contract` }),
  tier: z.enum(["dev", "staging", "production"]),
  namePrefix: id,
  region: format.awsRegion,
  vpcId: id,
  publicSubnetIds: z.array(id),
  privateSubnetIds: z.array(id).min(1),
  internal: z.boolean(),
  hostedZone: id.optional(),
  productionPort: z.number().int(),
  productionProtocol: z.enum(["HTTP", "HTTPS"]),
  testListenerPort: z.number().int(),
  certificateArn: arn.optional(),
  allowedCidrs: z.array(id).optional(),
  idleTimeoutSeconds: z.number().int().min(1).optional(),
  loadBalancerSecurityGroupId: id,
  hooksSecurityGroupId: id,
  natPrefixListId: id.optional(),
  accessLogBucket: id.optional(),
  clusterArn: arn,
  clusterName: id,
  alertTopicArn: arn,
  alertKeyArn: arn,
  loadBalancers: z
    .array(z.strictObject({ name: id.regex(LOAD_BALANCER_NAME, { error: "expected a load balancer name: a lower-case letter, then at most 5 letters or digits" }), arn, arnSuffix: id, dnsName: id, productionListenerArn: arn, testListenerArn: arn, securityGroupId: id.optional() }))
    .min(1, { error: "an environment has at least one load balancer" }),
  routes: z.record(z.string(), routeSchema),
  cluster: z
    .strictObject({
      namespace: id,
      stackReference: format.stackReference.optional(),
      name: id.optional(),
      securityGroupId: id.optional(),
      controllers: z.array(z.string()),
    })
    .optional(),
  flagStore: z.looseObject({ backend: id, applicationId: id.optional(), environmentId: id.optional(), profileId: id.optional() }),
});
