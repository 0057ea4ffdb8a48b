import { Region } from "@pulumi/aws";
import { CHATBOT_REGIONS } from "../../components/environment/notifications";
import type { PolicyResource, Rule, StackContext } from "./types";
import { COMPLIANT, defineRule, NOT_APPLICABLE, nonCompliant } from "./result";

/**
 * The Regions each AWS service this program uses has its API in, by the resource type's module. `undefined`: every
 * commercial Region (ECS, Elastic Load Balancing, EC2/VPC, Lambda, CloudWatch, EventBridge, SNS, KMS, S3, Secrets
 * Manager, AppConfig, Step Functions, Application Auto Scaling and the global IAM, as AWS's Regional services list
 * shows them). Chatbot is the exception: "APIs are currently available in the following Regions: US East (Ohio) -
 * us-east-2, US West (Oregon) - us-west-2, Asia Pacific (Singapore) - ap-southeast-1, Europe (Ireland) - eu-west-1"
 * (Chatbot API Reference). A module missing here is reported, so a new service is looked up before it ships.
 * SQS and SSM are in every commercial Region, Route 53 is global; EventBridge Pipes is not in Asia Pacific (Taipei), whose
 * row of "Amazon EventBridge feature availability by AWS Region" has event buses and Scheduler only.
 */
const PIPES_REGIONS = (Object.values(Region) as string[]).filter((region) => region !== "ap-east-2").sort();

export const SERVICE_REGIONS: Readonly<Record<string, readonly string[] | undefined>> = {
  appautoscaling: undefined,
  appconfig: undefined,
  chatbot: CHATBOT_REGIONS,
  cloudwatch: undefined,
  ec2: undefined,
  ecs: undefined,
  iam: undefined,
  kms: undefined,
  lambda: undefined,
  lb: undefined,
  s3: undefined,
  secretsmanager: undefined,
  sfn: undefined,
  sns: undefined,
  vpc: undefined,
  eks: undefined,
  sqs: undefined,
  ssm: undefined,
  route53: undefined,
  pipes: PIPES_REGIONS,
};

/** The Region a resource is created in: its own `region` input (pulumi-aws 7), else its provider's. */
export function regionOf(resource: PolicyResource, stack: StackContext): string | undefined {
  if (typeof resource.props.region === "string") return resource.props.region;
  const providers = stack.resources.filter((r) => r.type === "pulumi:providers:aws");
  const own = resource.provider ? providers.find((p) => resource.provider === p.urn || resource.provider?.startsWith(`${p.urn}::`)) : undefined;
  const region = (own ?? (providers.length === 1 ? providers[0] : undefined))?.props.region;
  return typeof region === "string" ? region : undefined;
}

export const servicesAvailableInRegion: Rule = defineRule({
  id: "services-available-in-region",
  description: "Every AWS resource is created in a Region where its service's API exists (AWS Chatbot: four Regions only)",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (!resource.type.startsWith("aws:")) return NOT_APPLICABLE;
    const module = resource.type.split(":")[1]?.split("/")[0] ?? "";
    if (!(module in SERVICE_REGIONS)) return nonCompliant(`uses AWS module ${module}, whose Regions this check does not know: add it to SERVICE_REGIONS after looking them up`);
    const regions = SERVICE_REGIONS[module];
    const region = regionOf(resource, stack);
    if (regions === undefined) return COMPLIANT;
    // A Region this stack does not say (several providers, none named): nothing to judge against.
    if (region === undefined) return NOT_APPLICABLE;
    return regions.includes(region) ? COMPLIANT : nonCompliant(`is created in ${region}, where AWS has no ${module} API (it has: ${regions.join(", ")})`);
  },
});
