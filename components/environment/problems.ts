import { type ArgumentProblem, under } from "../arguments";
import { awsRegion } from "../formats";
import { TIER_DEFAULTS } from "../tiers";
import type { EnvironmentArgs } from "./args";
import { LOAD_BALANCER_NAME, MAIN_LOAD_BALANCER, MAX_EXTRA_LOAD_BALANCERS } from "./contract";
import { slackChannelProblems } from "./notifications";
import { awsProviderSettingsProblems } from "./provider-settings";

/**
 * Listener rule priorities are unique per listener, and the services on one load balancer share its two listeners.
 * @param loadBalancer the load balancer's name, when not the environment's first (`main`)
 */
export function priorityTakenProblem(priority: number, holder: string, loadBalancer?: string): ArgumentProblem {
  const where = loadBalancer === undefined || loadBalancer === MAIN_LOAD_BALANCER ? "this environment's listeners" : `load balancer ${loadBalancer}'s listeners`;
  return { field: ["priority"], message: `is already taken by service ${holder} on ${where}`, got: priority };
}

/** Every problem with an environment's arguments, each naming its field; the constructor refuses them before registering. */
export function environmentArgsProblems(args: EnvironmentArgs): ArgumentProblem[] {
  const testListenerPort = args.testListenerPort ?? TIER_DEFAULTS[args.tier].ingress.testListenerPort;
  return [
    ...(args.certificateArn === undefined && args.tier !== "dev"
      ? [{ field: ["certificateArn"], message: `is required in ${args.tier} (HTTP alone is allowed only in dev)`, got: undefined }]
      : []),
    ...(testListenerPort === 443 || testListenerPort === 80
      ? [{ field: ["testListenerPort"], message: "collides with the production listener ports 80/443", got: testListenerPort }]
      : []),
    ...under(["alertSlack"], slackChannelProblems(args.alertSlack)),
    ...under(["testListenerCidrs"], testListenerCidrProblems(args.testListenerCidrs ?? [])),
    ...sharedSubnetProblems(args.publicSubnetIds, args.privateSubnetIds),
    ...certificateRegionProblems(args.certificateArn, args.region),
    ...under(["aws"], awsProviderSettingsProblems(args.aws, args.tags)),
    ...loadBalancerRuleCountProblems(args),
    ...under(["loadBalancers"], loadBalancerNameProblems(args.loadBalancers ?? [])),
  ];
}

/** The names of an environment's load balancers besides `main`: valid, each once, and not too many. */
export function loadBalancerNameProblems(names: readonly string[]): ArgumentProblem[] {
  const problems: ArgumentProblem[] = names.flatMap((name, index) => {
    if (typeof name !== "string" || !LOAD_BALANCER_NAME.test(name)) {
      return [{ field: [index], message: "must be a load balancer name: a lower-case letter, then at most 5 letters or digits (it is part of the physical name)", got: name }];
    }
    if (name === MAIN_LOAD_BALANCER) return [{ field: [index], message: `is the environment's first load balancer, always there: list only the others`, got: name }];
    if (names.indexOf(name) !== index) return [{ field: [index], message: "is listed twice", got: name }];
    return [];
  });
  if (names.length > MAX_EXTRA_LOAD_BALANCERS) {
    problems.push({
      field: [],
      message: `lists ${names.length} load balancers besides main; at most ${MAX_EXTRA_LOAD_BALANCERS} (AWS: "Application Load Balancers per Region: 50", shared by the account's environments)`,
      got: names.length,
    });
  }
  return problems;
}

/**
 * Tasks and hooks run in the private subnets and reach the internet through NAT; a subnet listed in both (a YAML alias
 * of publicSubnetIds, a copy and paste) would put them beside the load balancer, with a public route.
 */
function sharedSubnetProblems(publicSubnetIds: EnvironmentArgs["publicSubnetIds"], privateSubnetIds: EnvironmentArgs["privateSubnetIds"]): ArgumentProblem[] {
  if (!Array.isArray(publicSubnetIds) || !Array.isArray(privateSubnetIds)) return [];
  const shared = privateSubnetIds.filter((id) => typeof id === "string" && (publicSubnetIds as unknown[]).includes(id));
  return shared.length === 0 ? [] : [{ field: ["privateSubnetIds"], message: `must differ from publicSubnetIds: ${shared.join(", ")} would put the tasks and hooks in the load balancer's public subnets`, got: shared }];
}

/** The partition a Region belongs to, as its ARNs spell it. */
export function regionPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-iso-")) return "aws-iso";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("eusc-")) return "aws-eusc";
  return "aws";
}

/** ACM: "To use a certificate with Elastic Load Balancing, you must request or import the certificate in the same Region as your load balancer". */
function certificateRegionProblems(certificateArn: EnvironmentArgs["certificateArn"], region: EnvironmentArgs["region"]): ArgumentProblem[] {
  if (typeof certificateArn !== "string" || typeof region !== "string" || !awsRegion.safeParse(region).success) return [];
  const [, partition, , certificateRegion] = certificateArn.split(":");
  if (certificateRegion === undefined) return [];
  const expected = regionPartition(region);
  if (partition === expected && certificateRegion === region) return [];
  return [{ field: ["certificateArn"], message: `must be a certificate of the load balancer's Region ${region} (partition ${expected}): ACM certificates are regional, and the load balancer can use only its own Region's`, got: certificateArn }];
}

/**
 * AWS's default quota of inbound rules per security group (L-0EA8095F): "You can have 60 inbound and 60 outbound rules
 * per security group ... This quota is enforced separately for IPv4 rules and IPv6 rules", and "A rule that references
 * a security group or prefix list ID counts as one rule each for IPv4 and IPv6" (Service Quotas), except that a
 * referenced prefix list "counts as" its maximum entries (VPC quotas: "if you create a prefix list with 20 maximum
 * entries and you reference that prefix list in a security group rule, this counts as 20 security group rules").
 */
export const SECURITY_GROUP_INBOUND_RULES = 60;

/**
 * The load balancer's security group takes one inbound rule per allowed CIDR per listener port, the hooks' path to the
 * test listener (their group's reference, or the NAT prefix list counted as its entries: at least one here, all of
 * them in `npm run check`) and one per test-listener CIDR. Over the quota, `pulumi up` fails part-way through with
 * RulesPerSecurityGroupLimitExceeded, so the arguments are refused instead.
 */
export function loadBalancerRuleCountProblems(args: Pick<EnvironmentArgs, "tier" | "certificateArn" | "allowedCidrs" | "internal" | "testListenerCidrs">): ArgumentProblem[] {
  const ports = args.certificateArn !== undefined ? 2 : 1;
  const allowed = args.allowedCidrs ?? TIER_DEFAULTS[args.tier].ingress.allowedCidrs;
  const test = args.testListenerCidrs ?? [];
  return (["IPv4", "IPv6"] as const).flatMap((family) => {
    const inFamily = (cidr: string) => cidr.includes(":") === (family === "IPv6");
    const count = allowed.filter(inFamily).length * ports + 1 + test.filter(inFamily).length;
    if (count <= SECURITY_GROUP_INBOUND_RULES) return [];
    return [
      {
        field: ["allowedCidrs"],
        message:
          `with ${ports} listener port(s), the test listener's sources and testListenerCidrs give the load balancer's security group at least ${count} ` +
          `${family} inbound rules; AWS allows ${SECURITY_GROUP_INBOUND_RULES} per security group and IP family by default: list fewer, wider CIDRs`,
        got: allowed.filter(inFamily).length,
      },
    ];
  });
}

/** The test listener serves versions no one has released yet: it never admits the whole internet. */
export function testListenerCidrProblems(cidrs: readonly string[]): ArgumentProblem[] {
  return cidrs.flatMap((cidr, index) =>
    /^(0\.0\.0\.0|::)\/0$/.test(cidr) ? [{ field: [index], message: "opens the test listener, which serves unreleased versions, to the internet: list specific sources", got: cidr }] : [],
  );
}
