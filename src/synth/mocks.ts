import type * as pulumi from "@pulumi/pulumi";
import { shortHash } from "../../components/naming";

export const MOCK_ACCOUNT = "123456789012";

/** Network outputs a stack reference yields offline when no --stack-outputs file is given (marked as placeholders). */
export const PLACEHOLDER_NETWORK = {
  vpcId: "vpc-00000000000000000",
  publicSubnetIds: ["subnet-0000000000000000a", "subnet-0000000000000000b"],
  privateSubnetIds: ["subnet-0000000000000000c", "subnet-0000000000000000d"],
};

/** What a cluster stack reference yields offline without --stack-outputs: enough for the Kubernetes provider and bindings. */
export const PLACEHOLDER_CLUSTER = {
  kubeconfig: "[placeholder kubeconfig]",
  clusterName: "placeholder-cluster",
  clusterSecurityGroupId: "sg-00000000000000000",
};

export interface MockOptions {
  readonly region: string;
  /** Outputs of referenced stacks, by stack name. */
  readonly stackOutputs: Readonly<Record<string, Record<string, unknown>>>;
  /** Called when a stack reference falls back to placeholders. */
  readonly onPlaceholder: (stackName: string) => void;
  /** SSM parameters by name; `getParametersByPath` answers those directly under its path (none: an empty answer, as AWS gives). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Answers to data-source calls that replace the ones below (tests of other networks); undefined keeps these. */
  readonly calls?: (token: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
}

function hex(seed: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += shortHash(`${seed}#${i}`, 64);
  return out.slice(0, length);
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

type State = Record<string, unknown>;

/** The ALB the AWS Load Balancer Controller makes for an IngressGroup: `k8s-<group, 17 alphanumerics>-<digest 10>` (model_build_load_balancer.go). */
function controllerLoadBalancerName(group: string, scheme: string): string {
  return `k8s-${group.replace(/[^a-zA-Z0-9]/g, "").slice(0, 17)}-${hex(`${group}|${scheme}`, 10)}`;
}

/** An ALB's DNS name: `<name>-<number>.<region>.elb.amazonaws.com`, `internal-` before an internal one's. */
function loadBalancerDnsName(name: string, region: string, internal: boolean): string {
  return `${internal ? "internal-" : ""}${name}-${parseInt(hex(name, 8), 16)}.${region}.elb.amazonaws.com`;
}

/** ALB canonical hosted zone ids per Region (Elastic Load Balancing endpoints, "Route 53 Hosted Zone ID"). */
const ALB_ZONE_IDS: Readonly<Record<string, string>> = {
  "us-east-1": "Z35SXDOTRQ7X7K",
  "us-east-2": "Z3AADJGX6KTTL2",
  "us-west-1": "Z368ELLRRE2KJ0",
  "us-west-2": "Z1H1FL5HABSF5",
  "eu-west-1": "Z32O12XQLNTSW2",
  "eu-west-2": "ZHURV8PSTC4K8",
  "eu-central-1": "Z215JYRZR1TBD5",
};

/**
 * Mocks that answer like AWS: ARNs in AWS's formats, ids of the right shape, `arnSuffix` for load balancers and
 * target groups, generated names where AWS or Pulumi would generate them. Deterministic: derived from type and name.
 */
export function awsMocks(options: MockOptions): pulumi.runtime.Mocks {
  const { region } = options;
  const account = MOCK_ACCOUNT;
  const arn = (service: string, resource: string, regional = true) =>
    `arn:aws:${service}:${regional ? region : ""}:${regional ? account : ""}:${resource}`;
  const albZoneId = ALB_ZONE_IDS[region] ?? "Z32O12XQLNTSW2";
  // What the controller's load balancers answer at, by name: a lookup by name finds the one an Ingress's status names.
  const controllerBalancers = new Map<string, string>();

  return {
    call(args) {
      const answer = options.calls?.(args.token, args.inputs as Record<string, unknown>);
      if (answer !== undefined) return answer;
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: account, arn: `arn:aws:iam::${account}:user/synth`, userId: "AIDASYNTH", id: account };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
        case "aws:index/getRegion:getRegion":
          return { name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region, id: region };
        case "aws:ec2/getNatGateways:getNatGateways": {
          // Two public NAT gateways per VPC, one per availability zone, as a typical network stack builds them.
          const vpcId = String(args.inputs.vpcId ?? "vpc");
          return { id: region, vpcId, ids: ["a", "b"].map((zone) => `nat-${hex(`${vpcId}${zone}`, 17)}`), filters: args.inputs.filters ?? [], tags: {} };
        }
        case "aws:ec2/getRouteTables:getRouteTables": {
          // A typical network stack: each private subnet has its own table, the public subnets use the main one.
          const vpcId = String(args.inputs.vpcId ?? "vpc");
          const filters = (args.inputs.filters ?? []) as { name: string; values: string[] }[];
          const subnet = filters.find((filter) => filter.name === "association.subnet-id")?.values[0];
          const main = filters.some((filter) => filter.name === "association.main");
          // The last digit of a private subnet's table names its zone's NAT gateway: subnets alternate between the two.
          const zone = subnet ? (parseInt(subnet.slice(-1), 16) % 2 === 0 ? "a" : "b") : "";
          const ids = subnet ? [`rtb-${hex(`${vpcId}${subnet}`, 16)}${zone}`] : main ? [`rtb-${hex(`${vpcId}main`, 17)}`] : [];
          return { id: region, vpcId, ids, filters, tags: {} };
        }
        case "aws:ec2/getRouteTable:getRouteTable": {
          // The private subnets' tables send 0.0.0.0/0 to one of the VPC's two NAT gateways; the main table to an internet gateway.
          const vpcId = String(args.inputs.vpcId ?? "vpc");
          const id = String(args.inputs.routeTableId);
          const main = id === `rtb-${hex(`${vpcId}main`, 17)}`;
          const zone = id.endsWith("a") ? "a" : "b";
          const route = main ? { cidrBlock: "0.0.0.0/0", gatewayId: `igw-${hex(vpcId, 17)}` } : { cidrBlock: "0.0.0.0/0", natGatewayId: `nat-${hex(`${vpcId}${zone}`, 17)}` };
          return { id, routeTableId: id, vpcId, routes: [{ cidrBlock: `10.0.0.0/16`, gatewayId: "local" }, route], associations: [], tags: {} };
        }
        case "aws:ec2/getElasticIp:getElasticIp": {
          const id = String(args.inputs.id);
          return { id, publicIp: `198.51.100.${(parseInt(hex(id, 4), 16) % 250) + 1}`, domain: "vpc", tags: {} };
        }
        case "aws:ec2/getNatGateway:getNatGateway": {
          const id = String(args.inputs.id);
          const octet = (parseInt(hex(id, 4), 16) % 250) + 1;
          return {
            id,
            connectivityType: "public",
            state: "available",
            // Addresses from TEST-NET-3 (RFC 5737): realistic public addresses that belong to nobody.
            publicIp: `203.0.113.${octet}`,
            privateIp: `10.0.${octet}.10`,
            allocationId: `eipalloc-${hex(`${id}eip`, 17)}`,
            networkInterfaceId: `eni-${hex(`${id}eni`, 17)}`,
            subnetId: `subnet-${hex(`${id}subnet`, 17)}`,
            secondaryAllocationIds: [],
            secondaryPrivateIpAddresses: [],
            regionalNatGatewayAddresses: [],
            availabilityMode: "zonal",
            tags: {},
          };
        }
        case "aws:lb/getLoadBalancer:getLoadBalancer": {
          const name = String(args.inputs.name ?? "");
          const dnsName = controllerBalancers.get(name) ?? loadBalancerDnsName(name, region, false);
          const suffix = `app/${name}/${hex(`lb:${name}`, 16)}`;
          const loadBalancerArn = arn("elasticloadbalancing", `loadbalancer/${suffix}`);
          return { id: loadBalancerArn, arn: loadBalancerArn, arnSuffix: suffix, name, dnsName, zoneId: albZoneId, loadBalancerType: "application", internal: dnsName.startsWith("internal-"), tags: {} };
        }
        case "aws:lb/getTargetGroup:getTargetGroup": {
          // The controller's target groups are found by its tags; named k8s-<namespace 8>-<service 8>-<digest 10> (model_build_target_group.go).
          const tags = (args.inputs.tags ?? {}) as Record<string, string>;
          const resource = tags["ingress.k8s.aws/resource"] ?? String(args.inputs.name ?? "target-group");
          const [namespace, rest] = resource.includes("/") ? resource.split("/", 2) : ["", resource];
          const alnum = (text: string) => text.replace(/[^a-zA-Z0-9]/g, "");
          // `<ingress>-<service>`: this program names its Ingresses without hyphens' help, so the service follows the first one.
          const service = rest.split(":")[0].split("-").slice(1).join("-");
          const name = `k8s-${alnum(namespace).slice(0, 8)}-${alnum(service).slice(0, 8)}-${hex(resource, 10)}`;
          const suffix = `targetgroup/${name}/${hex(`tg:${resource}`, 16)}`;
          const targetGroupArn = arn("elasticloadbalancing", suffix);
          return { id: targetGroupArn, arn: targetGroupArn, arnSuffix: suffix, name, targetType: "ip", protocol: "HTTP", tags };
        }
        case "aws:route53/getZone:getZone": {
          const name = String(args.inputs.name ?? "example.com");
          const zoneId = `Z${hex(`zone:${name}:${String(args.inputs.privateZone ?? false)}`, 20).toUpperCase()}`;
          return { id: zoneId, zoneId, name, privateZone: args.inputs.privateZone ?? false, arn: `arn:aws:route53:::hostedzone/${zoneId}`, nameServers: [], resourceRecordSetCount: 2, tags: {} };
        }
        case "aws:ssm/getParametersByPath:getParametersByPath": {
          const path = String(args.inputs.path).replace(/\/?$/, "/");
          const names = Object.keys(options.parameters ?? {})
            .filter((name) => name.startsWith(path) && !name.slice(path.length).includes("/"))
            .sort();
          const values = names.map((name) => String(options.parameters?.[name]));
          return { id: path, path: args.inputs.path, names, values, types: names.map(() => "String"), arns: names.map((name) => arn("ssm", `parameter${name}`)), region };
        }
        default:
          return {};
      }
    },
    newResource(args) {
      const inputs = (args.inputs ?? {}) as State;
      const seed = `${args.type}::${args.name}`;
      const generatedName = `${args.name}-${hex(seed, 7)}`;
      const named = (typeof inputs.name === "string" ? inputs.name : undefined) ?? generatedName;
      const state = (extra: State): State => ({ ...inputs, ...extra });

      if (args.type.startsWith("pulumi:providers:")) return { id: `${args.name}-provider`, state: inputs };
      if (args.type.startsWith("kubernetes:")) {
        // The API server answers with the object as sent plus a uid; the id is namespace/name (name alone when cluster-scoped).
        const metadata = (inputs.metadata ?? {}) as State;
        const objectName = typeof metadata.name === "string" ? metadata.name : generatedName;
        const id = typeof metadata.namespace === "string" ? `${metadata.namespace}/${objectName}` : objectName;
        if (args.type === "kubernetes:networking.k8s.io/v1:Ingress") {
          // The controller writes the load balancer's DNS name into the status; the provider awaits it.
          const annotations = (metadata.annotations ?? {}) as Record<string, string>;
          const scheme = annotations["alb.ingress.kubernetes.io/scheme"] ?? "internal";
          const group = annotations["alb.ingress.kubernetes.io/group.name"] ?? id;
          const balancer = controllerLoadBalancerName(group, scheme);
          const hostname = loadBalancerDnsName(balancer, region, scheme !== "internet-facing");
          controllerBalancers.set(balancer, hostname);
          return { id, state: state({ metadata: { ...metadata, name: objectName, uid: uuid(seed) }, status: { loadBalancer: { ingress: [{ hostname }] } } }) };
        }
        return { id, state: state({ metadata: { ...metadata, name: objectName, uid: uuid(seed) } }) };
      }
      switch (args.type) {
        case "pulumi:pulumi:StackReference": {
          const stackName = String(inputs.name);
          let outputs = options.stackOutputs[stackName];
          if (!outputs) {
            options.onPlaceholder(stackName);
            outputs = { ...PLACEHOLDER_NETWORK, ...PLACEHOLDER_CLUSTER };
          }
          return { id: stackName, state: { name: stackName, outputs, secretOutputNames: [] } };
        }
        case "aws:lb/loadBalancer:LoadBalancer": {
          const suffix = `app/${named}/${hex(seed, 16)}`;
          return {
            id: arn("elasticloadbalancing", `loadbalancer/${suffix}`),
            state: state({
              name: named,
              arn: arn("elasticloadbalancing", `loadbalancer/${suffix}`),
              arnSuffix: suffix,
              dnsName: `${inputs.internal ? "internal-" : ""}${named}-${parseInt(hex(seed, 8), 16)}.${region}.elb.amazonaws.com`,
              zoneId: "Z32O12XQLNTSW2",
            }),
          };
        }
        case "aws:lb/targetGroup:TargetGroup": {
          const suffix = `targetgroup/${named}/${hex(seed, 16)}`;
          const targetGroupArn = arn("elasticloadbalancing", suffix);
          return { id: targetGroupArn, state: state({ name: named, arn: targetGroupArn, arnSuffix: suffix }) };
        }
        case "aws:lb/listener:Listener": {
          // listener/app/<lb name>/<lb id>/<listener id>, under the load balancer it belongs to.
          const balancer = String(inputs.loadBalancerArn ?? "").split(":loadbalancer/")[1] ?? `app/lb/${hex(`${seed}lb`, 16)}`;
          const listenerArn = arn("elasticloadbalancing", `listener/${balancer}/${hex(seed, 16)}`);
          return { id: listenerArn, state: state({ arn: listenerArn }) };
        }
        case "aws:lb/listenerRule:ListenerRule": {
          const listener = String(inputs.listenerArn ?? "").split(":listener/")[1] ?? `app/lb/${hex(`${seed}lb`, 16)}/${hex(`${seed}l`, 16)}`;
          const ruleArn = arn("elasticloadbalancing", `listener-rule/${listener}/${hex(seed, 16)}`);
          return { id: ruleArn, state: state({ arn: ruleArn }) };
        }
        case "aws:ecs/cluster:Cluster":
          return { id: arn("ecs", `cluster/${named}`), state: state({ name: named, arn: arn("ecs", `cluster/${named}`) }) };
        case "aws:ecs/service:Service": {
          const cluster = String(inputs.cluster ?? "cluster").split("/").pop();
          const serviceArn = arn("ecs", `service/${cluster}/${named}`);
          return { id: serviceArn, state: state({ name: named, arn: serviceArn }) };
        }
        case "aws:ecs/taskDefinition:TaskDefinition": {
          const family = String(inputs.family ?? named);
          return {
            id: family,
            state: state({ arn: arn("ecs", `task-definition/${family}:1`), arnWithoutRevision: arn("ecs", `task-definition/${family}`), revision: 1 }),
          };
        }
        case "aws:iam/role:Role":
          return { id: named, state: state({ name: named, arn: arn("iam", `role/${named}`, false).replace("iam:::", `iam::${account}:`), uniqueId: `AROA${hex(seed, 17).toUpperCase()}` }) };
        case "aws:iam/rolePolicy:RolePolicy":
          return { id: `${String(inputs.role)}:${named}`, state: state({ name: named }) };
        case "aws:sfn/stateMachine:StateMachine": {
          // Step Functions: arn:aws:states:<region>:<account>:stateMachine:<name> (what the ramp's EventBridge pattern matches).
          const stateMachineArn = arn("states", `stateMachine:${named}`);
          return { id: stateMachineArn, state: state({ name: named, arn: stateMachineArn }) };
        }
        case "aws:ssm/parameter:Parameter":
          return { id: named, state: state({ name: named, arn: arn("ssm", `parameter${named}`), version: 1 }) };
        case "aws:sns/topic:Topic":
          return { id: arn("sns", named), state: state({ name: named, arn: arn("sns", named) }) };
        case "aws:sns/topicSubscription:TopicSubscription": {
          const subscriptionArn = `${String(inputs.topic)}:${uuid(seed)}`;
          return { id: subscriptionArn, state: state({ arn: subscriptionArn, pendingConfirmation: true }) };
        }
        case "aws:kms/key:Key": {
          const keyId = uuid(seed);
          return { id: keyId, state: state({ keyId, arn: arn("kms", `key/${keyId}`) }) };
        }
        case "aws:cloudwatch/logGroup:LogGroup":
          return { id: named, state: state({ name: named, arn: arn("logs", `log-group:${named}`) }) };
        case "aws:ec2/managedPrefixList:ManagedPrefixList": {
          const id = `pl-${hex(seed, 17)}`;
          return { id, state: state({ arn: arn("ec2", `prefix-list/${id}`), ownerId: account, version: 1 }) };
        }
        case "aws:ec2/securityGroup:SecurityGroup": {
          const id = `sg-${hex(seed, 17)}`;
          return { id, state: state({ name: named, arn: arn("ec2", `security-group/${id}`), ownerId: account }) };
        }
        case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
          const id = `sgr-${hex(seed, 17)}`;
          return { id, state: state({ arn: arn("ec2", `security-group-rule/${id}`), securityGroupRuleId: id }) };
        }
        case "aws:s3/bucket:Bucket": {
          const bucket = typeof inputs.bucket === "string" ? inputs.bucket : generatedName;
          return { id: bucket, state: state({ bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` }) };
        }
        case "aws:appautoscaling/target:Target":
          return { id: String(inputs.resourceId), state: state({ arn: arn("application-autoscaling", `scalable-target/${hex(seed, 20)}`) }) };
        case "aws:appautoscaling/policy:Policy":
          return { id: named, state: state({ name: named, arn: arn("autoscaling", `scalingPolicy:${uuid(seed)}:resource/ecs/${named}`) }) };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
        case "aws:cloudwatch/compositeAlarm:CompositeAlarm": {
          const alarmName = typeof inputs.alarmName === "string" ? inputs.alarmName : named;
          return { id: alarmName, state: state({ name: alarmName, arn: arn("cloudwatch", `alarm:${alarmName}`) }) };
        }
        case "aws:appconfig/application:Application": {
          const id = hex(seed, 7);
          return { id, state: state({ name: named, arn: arn("appconfig", `application/${id}`) }) };
        }
        case "aws:appconfig/environment:Environment": {
          const environmentId = hex(seed, 7);
          const applicationId = String(inputs.applicationId);
          return {
            id: `${environmentId}:${applicationId}`,
            state: state({ environmentId, arn: arn("appconfig", `application/${applicationId}/environment/${environmentId}`), state: "ReadyForDeployment" }),
          };
        }
        case "aws:appconfig/configurationProfile:ConfigurationProfile": {
          const configurationProfileId = hex(seed, 7);
          const applicationId = String(inputs.applicationId);
          return {
            id: `${configurationProfileId}:${applicationId}`,
            state: state({ configurationProfileId, arn: arn("appconfig", `application/${applicationId}/configurationprofile/${configurationProfileId}`) }),
          };
        }
        case "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion": {
          const path = `application/${String(inputs.applicationId)}/configurationprofile/${String(inputs.configurationProfileId)}/hostedconfigurationversion/1`;
          return {
            id: `${String(inputs.applicationId)}/${String(inputs.configurationProfileId)}/1`,
            state: state({ versionNumber: 1, arn: arn("appconfig", path) }),
          };
        }
        case "aws:appconfig/deploymentStrategy:DeploymentStrategy": {
          const id = hex(seed, 7);
          return { id, state: state({ arn: arn("appconfig", `deploymentstrategy/${id}`) }) };
        }
        case "aws:appconfig/deployment:Deployment": {
          const path = `application/${String(inputs.applicationId)}/environment/${String(inputs.environmentId)}/deployment/1`;
          return {
            id: `${String(inputs.applicationId)}/${String(inputs.environmentId)}/1`,
            state: state({ deploymentNumber: 1, arn: arn("appconfig", path), state: "DEPLOYING" }),
          };
        }
        case "aws:lambda/function:Function": {
          const functionArn = arn("lambda", `function:${named}`);
          return { id: named, state: state({ name: named, arn: functionArn, invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`, version: "$LATEST" }) };
        }
        case "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
          const associationId = `a-${hex(seed, 17)}`;
          return { id: `${String(inputs.clusterName)},${associationId}`, state: state({ associationId, associationArn: arn("eks", `podidentityassociation/${String(inputs.clusterName)}/${associationId}`) }) };
        }
        case "aws:secretsmanager/secret:Secret": {
          // Secrets Manager appends six random characters to the name in the ARN.
          const secretName = typeof inputs.namePrefix === "string" ? `${inputs.namePrefix}${hex(seed, 26)}` : named;
          const secretArn = arn("secretsmanager", `secret:${secretName}-${hex(`${seed}arn`, 6)}`);
          return { id: secretArn, state: state({ name: secretName, arn: secretArn }) };
        }
        case "aws:secretsmanager/secretVersion:SecretVersion": {
          const versionId = uuid(seed);
          const secretArn = String(inputs.secretId);
          return { id: `${secretArn}|${versionId}`, state: state({ secretArn, arn: secretArn, versionId, versionStages: ["AWSCURRENT"] }) };
        }
        case "aws:cloudwatch/eventRule:EventRule":
          return { id: named, state: state({ name: named, arn: arn("events", `rule/${named}`) }) };
        // Both take `arn` as an input (the topic, the target) and return it unchanged.
        case "aws:sns/topicPolicy:TopicPolicy":
          return { id: String(inputs.arn), state: state({ owner: account }) };
        case "aws:cloudwatch/eventTarget:EventTarget": {
          const targetId = typeof inputs.targetId === "string" ? inputs.targetId : generatedName;
          return { id: `${String(inputs.rule)}-${targetId}`, state: state({ targetId }) };
        }
        case "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": {
          const chatConfigurationArn = `arn:aws:chatbot::${account}:chat-configuration/slack-channel/${String(inputs.configurationName)}`;
          return { id: chatConfigurationArn, state: state({ chatConfigurationArn }) };
        }
        case "aws:route53/record:Record": {
          // The provider's id: zone, name and type joined by underscores.
          const fqdn = String(inputs.name);
          return { id: `${String(inputs.zoneId)}_${fqdn}_${String(inputs.type)}`, state: state({ fqdn }) };
        }
        case "aws:cloudwatch/dashboard:Dashboard":
          return { id: String(inputs.dashboardName), state: state({ dashboardArn: `arn:aws:cloudwatch::${account}:dashboard/${String(inputs.dashboardName)}` }) };
        default: {
          if (!args.custom) return { id: undefined, state: inputs };
          const service = args.type.split(":")[1]?.split("/")[0] ?? "unknown";
          const id = `${named}-${hex(seed, 8)}`;
          return { id, state: state({ name: named, arn: arn(service, `${args.name}/${id}`) }) };
        }
      }
    },
  };
}
