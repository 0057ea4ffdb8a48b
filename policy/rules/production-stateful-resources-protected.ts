import { inProduction } from "./props";
import type { Rule } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

/** Resources whose deletion loses data or history. */
export const STATEFUL_TYPES = new Set([
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:appconfig/application:Application",
  "aws:appconfig/configurationProfile:ConfigurationProfile",
  "aws:dynamodb/table:Table",
  "aws:rds/instance:Instance",
  "aws:rds/cluster:Cluster",
]);

export const productionStatefulResourcesProtected: Rule = defineRule({
  id: "production-stateful-resources-protected",
  description: "In production, resources that hold data or history are protected from deletion",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (!STATEFUL_TYPES.has(resource.type) || !inProduction(stack)) return NOT_APPLICABLE;
    return resource.options.protect ? COMPLIANT : nonCompliant("holds data or history but is not protected (protect: true)");
  },
});
