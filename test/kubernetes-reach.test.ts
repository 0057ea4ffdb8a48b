import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { accessLogBucketPolicy } from "../components/environment/access-logs";
import { kubernetesServiceArgsProblems } from "../components/kubernetes-service/kubernetes-service";
import { ingressGroupName, loadBalancerNameOf } from "../components/kubernetes-service/load-balancer-controller";
import { loadBalancerHasRollbackAlarms as rule } from "../policy/rules/load-balancer-has-rollback-alarms";
import type { PolicyResource, StackContext } from "../policy/rules/types";
import type { SynthDocument } from "../src/synth/capture";
import { MOCK_ACCOUNT } from "../src/synth/mocks";
import { PROJECT_ROOT } from "../src/synth/run";
import { kubernetesAlbStack, searchIngress } from "./fixtures/kubernetes-alb";
import { configError, resource, resourcesOf, setPath, type StackConfig, synth } from "./helpers";

const EXAMPLE = join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml");
const exampleConfig = (): StackConfig => structuredClone((parse(readFileSync(EXAMPLE, "utf8")) as { config: StackConfig }).config);
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
type Json = Record<string, any>;

let example: SynthDocument;
beforeAll(async () => {
  example = await synth(exampleConfig(), "eks");
});

const inputs = (type: string, name: string) => resource(example, type, name).inputs as Json;
const outputs = (type: string, name: string) => resource(example, type, name).outputs as Json;
const annotations = () => inputs(INGRESS, "search-ingress").metadata.annotations as Record<string, string>;
/** Every (LoadBalancer, TargetGroup) an alarm's queries read. */
const dimensionsOf = (alarm: Json) => (alarm.metricQueries as Json[]).filter((query) => query.metric).map((query) => query.metric.dimensions as Record<string, string>);

describe("a Kubernetes steps service is reachable on a host of its own", () => {
  it("its Ingress answers on its host, and Route 53 points that host at the load balancer the Ingress's status names", () => {
    expect((inputs(INGRESS, "search-ingress").spec.rules as Json[]).map((rule) => rule.host)).toEqual(["search.shop.example.com"]);
    const hostname = outputs(INGRESS, "search-ingress").status.loadBalancer.ingress[0].hostname as string;
    const record = inputs("aws:route53/record:Record", "search-search.shop.example.com");
    expect(record).toMatchObject({ name: "search.shop.example.com", type: "A" });
    expect(record.aliases).toEqual([{ name: hostname, zoneId: "Z32O12XQLNTSW2", evaluateTargetHealth: true }]);
    // The zone the stack file names (ingress.hostedZone), public for an internet-facing load balancer.
    expect(record.zoneId).toMatch(/^Z[0-9A-F]{20}$/);
    expect((example.outputs.kubernetes as Json).search.url).toBe("https://search.shop.example.com");
  });

  it("internal: the controller's load balancer is internal and the record goes into the private zone of that name", async () => {
    const internal = await synth(setPath(exampleConfig(), "release:ingress.internal", true), "eks");
    const ingress = resource(internal, INGRESS, "search-ingress");
    expect((ingress.inputs as Json).metadata.annotations["alb.ingress.kubernetes.io/scheme"]).toBe("internal");
    const hostname = (ingress.outputs as Json).status.loadBalancer.ingress[0].hostname as string;
    expect(hostname.startsWith("internal-k8s-")).toBe(true);
    const record = resource(internal, "aws:route53/record:Record", "search-search.shop.example.com").inputs as Json;
    expect(record.aliases[0].name).toBe(hostname);
    expect(record.zoneId).not.toBe(inputs("aws:route53/record:Record", "search-search.shop.example.com").zoneId);
    const errorRate = resource(internal, ALARM, "search-alarms-error-rate").inputs as Json;
    expect(dimensionsOf(errorRate)[0].LoadBalancer).toMatch(new RegExp(`^app/${loadBalancerNameOf(hostname)}/`));
  });

  it("without hostHeaders, a hosted zone, or with a host it cannot own, the stack file is refused at the path", () => {
    const paths = (config: StackConfig) => (configError(config, "eks") ?? "").split("\n").filter((line) => line.includes("release:"));
    const noHost = setPath(exampleConfig(), "release:services.search.hostHeaders", undefined);
    expect(paths(noHost)).toEqual([
      "Pulumi.eks.yaml: release:services.search.hostHeaders: are required for canary, linear and steps on kubernetes: the service is served by the AWS Load Balancer Controller's own load balancer, and DNS sends a host, never a path, to a load balancer; give the host name(s) it answers on (got \"pathPatterns /search/* only\")",
    ]);
    const noZone = setPath(exampleConfig(), "release:ingress.hostedZone", undefined);
    expect(paths(noZone)).toEqual([
      "Pulumi.eks.yaml: release:ingress.hostedZone: is required for canary, linear and steps on kubernetes: the program points each of the service's hosts at the controller's load balancer with a Route 53 record in it (got nothing)",
    ]);
    expect(paths(setPath(exampleConfig(), "release:services.search.hostHeaders", ["*.shop.example.com"]))).toEqual([
      'Pulumi.eks.yaml: release:services.search.hostHeaders[0]: must be an exact host name: the program makes a DNS record for each host of a canary service (got "*.shop.example.com")',
    ]);
    expect(paths(setPath(exampleConfig(), "release:services.search.hostHeaders", ["search.example.org"]))).toEqual([
      'Pulumi.eks.yaml: release:services.search.hostHeaders[0]: is not in the hosted zone shop.example.com, where the program makes the service\'s DNS records (got "search.example.org")',
    ]);
    // The ECS service on the environment's load balancer already answers on that host: one record cannot serve both.
    const shared = setPath(exampleConfig(), "release:services.checkout.hostHeaders", ["search.shop.example.com"]);
    expect(paths(shared)).toEqual([
      "Pulumi.eks.yaml: release:services.search.hostHeaders[0]: is also a host of service checkout: this service's DNS record sends the host to the AWS Load Balancer Controller's load balancer, so one host serves one such service only (got \"search.shop.example.com\")",
    ]);
    // A blue/green Kubernetes service stays on the environment's load balancer and needs neither.
    expect(configError(setPath(noZone, "release:services.search", { ...(exampleConfig()["release:services"] as Json).search, hostHeaders: undefined, deployment: { strategy: "blue-green" } }), "eks")).toBeUndefined();
  });
});

describe("the controller's load balancer is watched as the environment's", () => {
  it("the service's alarms judge its stable and canary target groups, on the load balancer looked up from the Ingress's status, each on its own", () => {
    const hostname = outputs(INGRESS, "search-ingress").status.loadBalancer.ingress[0].hostname as string;
    const balancer = loadBalancerNameOf(hostname)!;
    expect(balancer).toMatch(/^k8s-releaseplatformek-[0-9a-f]{10}$/);
    const kubernetes = ((example.outputs.kubernetes ?? {}) as Json).search;
    expect(kubernetes.loadBalancerArnSuffix).toMatch(new RegExp(`^app/${balancer}/[0-9a-f]{16}$`));
    const [stable, canary] = kubernetes.targetGroupArnSuffixes as string[];
    expect(stable).toMatch(/^targetgroup\/k8s-shop-searchst-/);
    expect(canary).toMatch(/^targetgroup\/k8s-shop-searchca-/);
    const errorRate = inputs(ALARM, "search-alarms-error-rate");
    expect(new Set(dimensionsOf(errorRate).map((dimensions) => dimensions.LoadBalancer))).toEqual(new Set([kubernetes.loadBalancerArnSuffix]));
    expect(new Set(dimensionsOf(errorRate).map((dimensions) => dimensions.TargetGroup))).toEqual(new Set([stable, canary]));
    // The worse target group decides, as on ECS: never the sum, which would dilute a 5% canary's errors.
    expect((errorRate.metricQueries as Json[]).find((query) => query.returnData)?.expression).toBe("MAX([rate0, rate1])");
    expect(errorRate.alarmActions).toEqual([outputs("aws:sns/topic:Topic", "eks-alerts").arn]);
  });

  it("a Kubernetes service's alarms tell on-call that Argo's analysis aborts a release, an ECS service's that ECS rolls it back", () => {
    for (const name of ["search-alarms-error-rate", "catalog-alarms-p99-latency"]) {
      expect(inputs(ALARM, name).alarmDescription).toMatch(/Argo Rollouts' analysis, on the same math, aborts a release; this alarm alerts on-call/);
      expect(inputs(ALARM, name).alarmDescription).not.toContain("ECS");
    }
    expect(inputs(ALARM, "checkout-alarms-error-rate").alarmDescription).toContain("ECS rolls a deployment back while this is in ALARM.");
  });

  it("both Services are in the Ingress's action from the start, so the controller makes both target groups before the status", () => {
    const action = JSON.parse(annotations()["alb.ingress.kubernetes.io/actions.search-stable"]);
    expect(action.forwardConfig.targetGroups).toEqual([
      { serviceName: "search-stable", servicePort: "8080", weight: 100 },
      { serviceName: "search-canary", servicePort: "8080", weight: 0 },
    ]);
  });

  it("the service's composite alarm is a monitor of the flags, and the dashboard has its row on the controller's load balancer", () => {
    const composite = outputs("aws:cloudwatch/compositeAlarm:CompositeAlarm", "search-alarms-any").arn;
    const monitors = inputs("aws:appconfig/environment:Environment", "eks-flags-env").monitors as Json[];
    expect(monitors.map((monitor) => monitor.alarmArn)).toContain(composite);
    const body = JSON.parse(inputs("aws:cloudwatch/dashboard:Dashboard", "eks-dashboard").dashboardBody as string) as Json;
    const requests = (body.widgets as Json[]).find((widget) => widget.properties.title === "search: requests per target group")!;
    const kubernetes = ((example.outputs.kubernetes ?? {}) as Json).search;
    expect((requests.properties.metrics as unknown[][]).map((metric) => [metric[3], metric[5]])).toEqual([
      [kubernetes.loadBalancerArnSuffix, kubernetes.targetGroupArnSuffixes[0]],
      [kubernetes.loadBalancerArnSuffix, kubernetes.targetGroupArnSuffixes[1]],
    ]);
    const checkout = (body.widgets as Json[]).find((widget) => widget.properties.title === "checkout: requests per target group")!;
    expect((checkout.properties.metrics as unknown[][])[0][3]).toBe(outputs("aws:lb/loadBalancer:LoadBalancer", "eks-lb").arnSuffix);
  });

  it("production: it writes access logs to the environment's bucket, under the prefix that bucket's policy lets load balancers write", () => {
    const bucket = outputs("aws:s3/bucket:Bucket", "eks-access-logs");
    const attributes = Object.fromEntries(annotations()["alb.ingress.kubernetes.io/load-balancer-attributes"].split(",").map((pair) => pair.split("=")));
    expect(attributes).toMatchObject({ "access_logs.s3.enabled": "true", "access_logs.s3.bucket": bucket.bucket, "deletion_protection.enabled": "true", "idle_timeout.timeout_seconds": "60" });
    // No access_logs.s3.prefix: the ALB writes <bucket>/AWSLogs/<account>/elasticloadbalancing/..., which the policy allows.
    expect(attributes["access_logs.s3.prefix"]).toBeUndefined();
    const policy = JSON.parse(inputs("aws:s3/bucketPolicy:BucketPolicy", "eks-access-logs").policy as string) as Json;
    expect(policy).toEqual(accessLogBucketPolicy({ region: "eu-west-1", bucketArn: bucket.arn, accountId: MOCK_ACCOUNT }));
    const written = `${bucket.arn}/AWSLogs/${MOCK_ACCOUNT}/elasticloadbalancing/eu-west-1/2026/12/06/log.gz`;
    const allowed = String(policy.Statement[0].Resource);
    expect(written.startsWith(allowed.replace(/\*$/, ""))).toBe(true);
    // The bucket's policy exists before the controller sets the attribute: the Ingress waits for the environment's load balancer, which waits for it.
    expect(resource(example, INGRESS, "search-ingress").dependencies).toContain(resource(example, "aws:lb/loadBalancer:LoadBalancer", "eks-lb").urn);
  });

  it("without access logs (staging), the attribute says so: the controller keeps an attribute once set unless told", async () => {
    const staging = await synth(setPath(exampleConfig(), "release:tier", "staging"), "eks");
    const ingress = resource(staging, INGRESS, "search-ingress").inputs as Json;
    expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/load-balancer-attributes"]).toBe(
      "deletion_protection.enabled=false,routing.http.drop_invalid_header_fields.enabled=true,idle_timeout.timeout_seconds=60,access_logs.s3.enabled=false",
    );
  });
});

describe("composed directly, the component refuses the same", () => {
  it("a canary without hosts or zone, a host outside the zone, and an idle timeout an ALB refuses, each by its field", () => {
    const base = { environment: { tier: "production", namePrefix: "shop" }, namespace: "shop", image: "nginx:1.27", port: 80, priority: 1, ingressSubnetIds: ["subnet-0123456789abcdef1"] } as const;
    const problems = (more: Record<string, unknown>) => kubernetesServiceArgsProblems({ ...base, ...more } as never).map((problem) => `${problem.field.join(".")}: ${problem.message}`);
    expect(problems({ pathPatterns: ["/*"] }).map((line) => line.split(":")[0])).toEqual(["hostHeaders", "dnsZone"]);
    expect(problems({ hostHeaders: ["web.example.org"], dnsZone: { id: "Z0123456789ABC", name: "example.com" }, idleTimeoutSeconds: 0 })).toEqual([
      "hostHeaders.0: is not in the hosted zone example.com, where the program makes the service's DNS records",
      "idleTimeoutSeconds: must be a whole number of seconds, 1-4000 (an ALB's idle timeout)",
    ]);
    expect(problems({ hostHeaders: ["web.example.com"], dnsZone: { id: "Z0123456789ABC", name: "example.com" } })).toEqual([]);
  });
});

describe("the IngressGroup", () => {
  it("is the project and stack (and the environment when it has another name): two projects' production stacks never share an ALB", () => {
    expect(annotations()["alb.ingress.kubernetes.io/group.name"]).toBe("release-platform-eks");
    expect(ingressGroupName("shop", "production", "production")).toBe("shop-production");
    expect(ingressGroupName("billing", "production", "production")).not.toBe(ingressGroupName("shop", "production", "production"));
    expect(ingressGroupName("shop", "production", "eu")).toBe("shop-production-eu");
  });

  it("meets the controller's rule: lower-case alphanumerics, - or ., alphanumeric at both ends, at most 63; distinct names stay distinct", () => {
    const controllerRule = /^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$/;
    const names = [
      ingressGroupName("Shop", "Production", "Production"),
      ingressGroupName("shop", "production", "production"),
      ingressGroupName("shop_web", "prod.eu", "prod.eu"),
      ingressGroupName("shop-web", "prod-eu", "prod-eu"),
      ingressGroupName("a".repeat(100), "production", "production"),
      ingressGroupName("a".repeat(100), "staging", "staging"),
    ];
    for (const name of names) {
      expect(name).toMatch(controllerRule);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("the load balancer's name in its DNS name", () => {
  it("internet-facing and internal", () => {
    expect(loadBalancerNameOf("k8s-shop-3f2a1b9c0d-1234567890.eu-west-1.elb.amazonaws.com")).toBe("k8s-shop-3f2a1b9c0d");
    expect(loadBalancerNameOf("internal-k8s-shop-3f2a1b9c0d-987654321.eu-west-1.elb.amazonaws.com")).toBe("k8s-shop-3f2a1b9c0d");
    expect(loadBalancerNameOf("example.com")).toBeUndefined();
  });
});

describe("npm run check: load-balancer-has-rollback-alarms", () => {
  const problemsOf = (stack: StackContext) => stack.resources.flatMap((resource: PolicyResource) => rule.check(resource, stack).map((problem) => `${resource.name}: ${problem}`));

  it("fails d65906f's eks stack (search's controller ALB has no alarm) and passes this branch's", () => {
    expect(problemsOf(kubernetesAlbStack("kubernetes-alb-main.json"))).toEqual([
      "search-ingress: no CloudWatch alarm watches the load balancer the AWS Load Balancer Controller makes for it: a bad release or flag there is never noticed, rolled back by AppConfig or reported",
    ]);
    expect(problemsOf(kubernetesAlbStack("kubernetes-alb-reach.json"))).toEqual([]);
  });

  it("alarms on only the stable target group are not enough: the canary's group is judged too", () => {
    const stack = kubernetesAlbStack("kubernetes-alb-reach.json");
    const canary = ((parseDimensions(stack).find((dimensions) => dimensions.TargetGroup?.includes("searchca")) ?? {}) as Record<string, string>).TargetGroup;
    const stableOnly: StackContext = {
      ...stack,
      resources: stack.resources.map((resource) =>
        resource.type === ALARM && resource.name.startsWith("search-")
          ? { ...resource, props: { ...resource.props, metricQueries: (resource.props.metricQueries as Json[]).filter((query) => query.metric?.dimensions?.TargetGroup !== canary) } }
          : resource,
      ),
    };
    expect(rule.check(searchIngress(stableOnly), stableOnly)).toEqual([
      `the alarms on its load balancer ${loadBalancerNameOf(String((searchIngress(stack).props as Json).status.loadBalancer.ingress[0].hostname))} judge 1 target group(s); the Rollout routes through 2 (stable and canary), each judged on its own`,
    ]);
  });

  it("before the status is known (a first preview), the alarms of the service that owns the Ingress count", () => {
    const stack = kubernetesAlbStack("kubernetes-alb-reach.json");
    const preview = (resource: PolicyResource): PolicyResource => (resource.name === "search-ingress" ? { ...resource, props: { ...resource.props, status: undefined } } : resource);
    const unknown: StackContext = { ...stack, resources: stack.resources.map(preview) };
    expect(rule.check(searchIngress(unknown), unknown)).toEqual([]);
    const withoutAlarms: StackContext = { ...unknown, resources: unknown.resources.filter((resource) => !(resource.type === ALARM && resource.name.startsWith("search-"))) };
    expect(rule.check(searchIngress(withoutAlarms), withoutAlarms)).toHaveLength(1);
  });

  it("on the environment's own load balancer, every target group a listener rule forwards to needs an alarm", () => {
    const stack = kubernetesAlbStack("kubernetes-alb-reach.json");
    const balancer = stack.resources.find((resource) => resource.type === "aws:lb/loadBalancer:LoadBalancer")!;
    expect(rule.check(balancer, stack)).toEqual([]);
    const withoutCatalog: StackContext = { ...stack, resources: stack.resources.filter((resource) => !(resource.type === ALARM && resource.name.startsWith("catalog-"))) };
    const problems = rule.check(balancer, withoutCatalog);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^target group targetgroup\/eks-catalog-[ap]\/[0-9a-f]{16} serves traffic on this load balancer and no alarm judges it$/);
  });
});

function parseDimensions(stack: StackContext): Record<string, string | undefined>[] {
  return stack.resources.filter((resource) => resource.type === ALARM).flatMap((alarm) => ((alarm.props.metricQueries as Json[] | undefined) ?? []).filter((query) => query.metric).map((query) => query.metric.dimensions));
}

it("only hosts of services on the controller's load balancer get records: checkout (ECS) and catalog (blue/green) keep the environment's", () => {
  expect(resourcesOf(example, "aws:route53/record:Record").map((record) => record.inputs.name)).toEqual(["search.shop.example.com"]);
});
