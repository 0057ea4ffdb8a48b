import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { toFlagdDocument } from "../components/feature-flag-store/backends/flagd/document";
import { describeSensitivity, sensitivityProblems } from "../components/deployment-alarms/alarm-sensitivity";
import { KubernetesService } from "../components/kubernetes-service/kubernetes-service";
import { analysisSensitivity, parseFailureCondition } from "../components/kubernetes-service/analysis-metrics";
import { smokeScript } from "../components/kubernetes-service/smoke";
import { rolloutSteps, stepsProblems } from "../components/kubernetes-service/steps";
import { allowedFailures } from "../components/lifecycle-hooks/handlers/smoke-decision";
import { policyResources } from "../policy/from-synth";
import { kubernetesManifestValid } from "../policy/rules/kubernetes-manifest-valid";
import { kubernetesServiceHasAnalysis } from "../policy/rules/kubernetes-service-has-analysis";
import { alarmSensitivityRule } from "../policy/rules/alarm-sensitivity";
import { type SynthDocument, synthesize, synthesizeProgram } from "../src/synth/capture";
import { renderJson, renderTree } from "../src/synth/render";
import { PROJECT_ROOT } from "../src/synth/run";
import { configError, load, resource, resourcesOf, setPath, type StackConfig, synth, testEnvironment, testKubernetesServiceArgs } from "./helpers";

const EXAMPLE = join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml");
const exampleConfig = (): StackConfig => structuredClone((parse(readFileSync(EXAMPLE, "utf8")) as { config: StackConfig }).config);
const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
const BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding";
const TARGET_GROUP = "aws:lb/targetGroup:TargetGroup";
type Json = Record<string, any>;

let example: SynthDocument;
beforeAll(async () => {
  example = await synth(exampleConfig(), "eks");
});

const inputs = (document: SynthDocument, type: string, name: string) => resource(document, type, name).inputs as Json;
const metricsOf = (document: SynthDocument, template: string) => inputs(document, "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate", template).spec.metrics as Json[];

describe("a stack with an ECS service and two Kubernetes services", () => {
  it("synthesizes both runtimes: the ECS service, Rollouts, Services, bindings, Ingress, PDBs and autoscalers in the stack's namespace", () => {
    expect(resource(example, "aws:ecs/service:Service", "checkout-service").inputs.name).toBe("checkout");
    expect(resourcesOf(example, ROLLOUT).map((r) => r.name).sort()).toEqual(["catalog-rollout", "search-rollout"]);
    for (const type of ["kubernetes:core/v1:Service", ROLLOUT, TEMPLATE, BINDING, "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:networking.k8s.io/v1:Ingress"]) {
      for (const r of resourcesOf(example, type)) expect((r.inputs as Json).metadata.namespace, r.name).toBe("shop");
    }
    expect(resourcesOf(example, "kubernetes:core/v1:Namespace").map((r) => (r.inputs as Json).metadata.name)).toEqual(["shop"]);
    // Every Kubernetes object goes through the cluster's provider, never an ambient kubeconfig.
    for (const r of example.resources.filter((candidate) => candidate.type.startsWith("kubernetes:"))) {
      expect(r.provider, r.name).toContain("pulumi:providers:kubernetes::cluster");
    }
    const catalog = inputs(example, ROLLOUT, "catalog-rollout");
    expect(catalog.spec.template.spec.containers[0]).toMatchObject({
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog:2.3.0",
      ports: [{ containerPort: 3000 }],
      resources: { requests: { cpu: "1000m", memory: "2048Mi" }, limits: { cpu: "1000m", memory: "2048Mi" } },
      readinessProbe: { httpGet: { path: "/catalog/health", port: 3000 } },
      livenessProbe: { httpGet: { path: "/catalog/health", port: 3000 } },
    });
    const search = inputs(example, ROLLOUT, "search-rollout");
    expect(search.spec.template.spec.containers[0].env).toContainEqual({ name: "LOG_LEVEL", value: "info" });
    expect(inputs(example, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "search-hpa").spec).toMatchObject({
      scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "search" },
      minReplicas: 4,
      maxReplicas: 16,
    });
    expect(resource(example, ROLLOUT, "search-rollout").options.ignoreChanges).toEqual(["spec.replicas"]);
  });

  it("the Rollout's steps are the stack file's steps, each paused as configured, the final 100% pausing for the bake", () => {
    const steps = inputs(example, ROLLOUT, "search-rollout").spec.strategy.canary.steps as Json[];
    const traffic = steps.filter((step) => step.setWeight !== undefined || step.pause !== undefined).map((step) => step.setWeight ?? step.pause.duration);
    expect(traffic).toEqual([5, "10m", 10, "10m", 25, "10m", 50, "30m", 100, "15m"]);
  });

  it("canary weights move through Argo's ALB routing on an Ingress whose action Pulumi leaves to Argo", () => {
    const canary = inputs(example, ROLLOUT, "search-rollout").spec.strategy.canary;
    expect(canary).toMatchObject({ stableService: "search-stable", canaryService: "search-canary", trafficRouting: { alb: { ingress: "search", servicePort: 8080 } } });
    const ingress = resource(example, "kubernetes:networking.k8s.io/v1:Ingress", "search-ingress");
    const spec = (ingress.inputs as Json).spec;
    expect(spec.ingressClassName).toBe("alb");
    expect(spec.rules[0].http.paths[0]).toEqual({
      path: "/search/*",
      pathType: "ImplementationSpecific",
      backend: { service: { name: "search-stable", port: { name: "use-annotation" } } },
    });
    expect(ingress.options.ignoreChanges).toEqual(['metadata.annotations["alb.ingress.kubernetes.io/actions.search-stable"]']);
    expect((ingress.inputs as Json).metadata.annotations["alb.ingress.kubernetes.io/certificate-arn"]).toMatch(/^arn:aws:acm:/);
  });

  it("each TargetGroupBinding binds a target group of this stack to the Service Argo uses for that role, behind the matching listener", () => {
    const rollout = inputs(example, ROLLOUT, "catalog-rollout").spec.strategy.blueGreen;
    const groupsByArn = new Map(resourcesOf(example, TARGET_GROUP).map((group) => [group.outputs.arn, group]));
    const listeners = Object.fromEntries(
      resourcesOf(example, "aws:lb/listener:Listener").map((listener) => [listener.name, listener.outputs.arn]),
    );
    const bindings = resourcesOf(example, BINDING);
    expect(bindings.map((binding) => binding.name).sort()).toEqual(["catalog-active-binding", "catalog-preview-binding"]);
    for (const [role, service, listener] of [
      ["active", rollout.activeService, "eks-production"],
      ["preview", rollout.previewService, "eks-test"],
    ]) {
      const spec = inputs(example, BINDING, `catalog-${role}-binding`).spec;
      const group = groupsByArn.get(spec.targetGroupARN);
      expect(group?.name, `${role} binding's group is in this stack`).toBe(`catalog-${role}`);
      expect(spec.serviceRef).toEqual({ name: service, port: 3000 });
      expect(spec.targetType).toBe("ip");
      expect((group!.inputs as Json).targetType).toBe("ip");
      const rule = inputs(example, "aws:lb/listenerRule:ListenerRule", role === "active" ? "catalog-production" : "catalog-test");
      expect(rule.listenerArn).toBe(listeners[listener]);
      expect(rule.actions[0].forward.targetGroups).toEqual([{ arn: spec.targetGroupARN, weight: 100 }]);
      expect(rule.conditions).toEqual(
        role === "active" ? [{ pathPattern: { values: ["/catalog/*"] } }] : [{ httpHeader: { httpHeaderName: "x-release-service", values: ["catalog"] } }],
      );
      // A new port must not replace a group a binding names (its targetGroupARN is immutable).
      expect(group!.options.ignoreChanges).toEqual(["port"]);
      expect(resource(example, BINDING, `catalog-${role}-binding`).options).toMatchObject({ ignoreChanges: [] });
    }
  });

  it("the environment's dashboard shows the blue/green Kubernetes service beside the ECS one, on its own target groups", () => {
    const body = String(inputs(example, "aws:cloudwatch/dashboard:Dashboard", "eks-dashboard").dashboardBody);
    for (const group of ["catalog-active", "catalog-preview", "checkout-blue"]) expect(body).toContain(String(resource(example, TARGET_GROUP, group).outputs.arnSuffix));
  });

  it("the load balancer reaches the pods' security group on the container port, and the pods admit it", () => {
    const lb = resource(example, "aws:ec2/securityGroup:SecurityGroup", "eks-lb").outputs.id;
    expect(inputs(example, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "catalog-lb-to-pods")).toMatchObject({
      securityGroupId: lb,
      referencedSecurityGroupId: "sg-0e1b2c3d4e5f60719",
      fromPort: 3000,
      toPort: 3000,
    });
    expect(inputs(example, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "catalog-pods-from-lb")).toMatchObject({
      securityGroupId: "sg-0e1b2c3d4e5f60719",
      referencedSecurityGroupId: lb,
      fromPort: 3000,
    });
  });
});

describe("analysis on the same alarm math", () => {
  const metric = (document: SynthDocument, template: string, name: string) =>
    (inputs(document, TEMPLATE, template).spec.metrics as Json[]).find((candidate) => candidate.name === name)!;
  const threshold = (condition: string) => parseFailureCondition(condition)!.threshold;
  const returned = (queries: Json[]): Json => queries.find((query) => query.returnData === true) ?? {};

  const measured = (queries: Json[]) => [...new Set(queries.filter((query) => query.metric ?? query.metricStat).map((query) => {
    const stat = query.metric ?? query.metricStat;
    return `${stat.namespace ?? stat.metric.namespace} ${stat.metricName ?? stat.metric.metricName} ${stat.stat} ${stat.period}`;
  }))];

  it("blue/green: thresholds, metrics and error-rate math equal the service's CloudWatch alarms", () => {
    for (const [kind, alarm] of [
      ["error-rate", "catalog-alarms-error-rate"],
      ["p99-latency", "catalog-alarms-p99-latency"],
      ["unhealthy-hosts", "catalog-alarms-unhealthy-hosts"],
    ]) {
      const cloudWatch = inputs(example, "aws:cloudwatch/metricAlarm:MetricAlarm", alarm);
      for (const template of ["catalog-alarms", "catalog-promotion-check", "catalog-bake"]) {
        const analysis = metric(example, template, kind);
        const queries = analysis.provider.cloudWatch.metricDataQueries as Json[];
        const condition = parseFailureCondition(analysis.failureCondition)!;
        expect(condition.threshold, `${template} ${kind}`).toBe(cloudWatch.threshold);
        expect(condition.datapointsToAlarm, `${template} ${kind} datapoints`).toBe(cloudWatch.datapointsToAlarm);
        // The alarm's evaluation window, in complete and published periods only; the lookback reaches back past it.
        expect(condition.windowSeconds, `${template} ${kind} window`).toBe(cloudWatch.evaluationPeriods * cloudWatch.metricQueries[0].metric.period);
        expect(condition.completeAfterSeconds).toBe(120);
        expect(parseInt(analysis.provider.cloudWatch.interval, 10)).toBeGreaterThanOrEqual(condition.completeAfterSeconds + condition.windowSeconds + 60);
        expect(measured(queries)).toEqual(measured(cloudWatch.metricQueries));
      }
    }
    // The alarm takes the worse of two groups; the analysis judges one, with the same per-group math.
    const rateOf = (queries: Json[]) => queries.find((query) => query.id === "rate0")?.expression;
    expect(rateOf(metric(example, "catalog-alarms", "error-rate").provider.cloudWatch.metricDataQueries)).toBe(
      rateOf(inputs(example, "aws:cloudwatch/metricAlarm:MetricAlarm", "catalog-alarms-error-rate").metricQueries),
    );
    expect(threshold(metric(example, "catalog-alarms", "error-rate").failureCondition)).toBe(2);
    expect(threshold(metric(example, "catalog-alarms", "p99-latency").failureCondition)).toBe(1.2);
  });

  it("canary: thresholds equal the alarm thresholds the service's config resolves to", () => {
    const search = load(exampleConfig(), "eks").services.find((service) => service.name === "search")!;
    expect(threshold(metric(example, "search-alarms", "error-rate").failureCondition)).toBe(search.alarms.errorRatePercent);
    expect(threshold(metric(example, "search-alarms", "p99-latency").failureCondition)).toBe(search.alarms.p99LatencyMs / 1000);
    const errorRate = metric(example, "search-alarms", "error-rate").provider.cloudWatch.metricDataQueries as Json[];
    expect(returned(errorRate).expression).toBe("rate0");
    expect(errorRate.find((query) => query.id === "rate0")?.expression).toContain(`>= ${search.alarms.minRequests},`);
  });

  it("is judged on the new version's own target group: canary from the Rollout's ALB status, blue/green preview before and active after promotion", () => {
    const canary = inputs(example, ROLLOUT, "search-rollout").spec.strategy.canary.analysis;
    expect(canary.args).toContainEqual({ name: "target-group", valueFrom: { fieldRef: { fieldPath: "status.alb.canaryTargetGroup.fullName" } } });
    const dimensions = (metric(example, "search-alarms", "error-rate").provider.cloudWatch.metricDataQueries as Json[])
      .filter((query) => query.metricStat)
      .map((query) => query.metricStat.metric.dimensions);
    for (const list of dimensions) expect(list).toEqual([{ name: "LoadBalancer", value: "{{args.load-balancer}}" }, { name: "TargetGroup", value: "{{args.target-group}}" }]);
    const blueGreen = inputs(example, ROLLOUT, "catalog-rollout").spec.strategy.blueGreen;
    const suffix = (name: string) => resource(example, TARGET_GROUP, name).outputs.arnSuffix;
    expect(blueGreen.prePromotionAnalysis.args).toContainEqual({ name: "target-group", value: suffix("catalog-preview") });
    expect(blueGreen.postPromotionAnalysis.args).toContainEqual({ name: "target-group", value: suffix("catalog-active") });
    expect(blueGreen.prePromotionAnalysis.templates.map((t: Json) => t.templateName)).toEqual(["catalog-smoke", "catalog-promotion-check"]);
    // The preview group is measured on real requests: the smoke job goes through the test listener with the routing header.
    const smoke = metric(example, "catalog-smoke", "smoke-test").provider.job.spec.template.spec.containers[0].command[2];
    expect(smoke).toContain(`-H 'x-release-service: catalog'`);
    expect(smoke).toContain(`"${String(example.outputs.testUrl)}$path"`);
  });

  it("the smoke test runs before any user traffic and the alarm gate right before the final promotion", () => {
    const steps = inputs(example, ROLLOUT, "search-rollout").spec.strategy.canary.steps as Json[];
    const smoke = steps.findIndex((step) => step.analysis?.templates[0].templateName === "search-smoke");
    const firstWeight = steps.findIndex((step) => step.setWeight !== undefined);
    expect(smoke).toBeGreaterThanOrEqual(0);
    expect(smoke).toBeLessThan(firstWeight);
    const gate = steps.findIndex((step) => step.analysis?.templates[0].templateName === "search-promotion-check");
    expect(steps[gate + 1]).toEqual({ setWeight: 100 });
    const job = metric(example, "search-smoke", "smoke-test").provider.job.spec.template.spec.containers[0];
    expect(job.command[2]).toContain("http://search-canary.shop.svc.cluster.local:8080$path");
  });
});

describe("analysis that starts with its arguments, drains without errors, and is waited for", () => {
  it("the canary's background analysis starts after the first weight and a precondition that reads status.alb through the API", () => {
    const canary = inputs(example, ROLLOUT, "search-rollout").spec.strategy.canary;
    const steps = canary.steps as Json[];
    const firstWeight = steps.findIndex((step) => step.setWeight !== undefined);
    expect(steps[firstWeight + 1]).toEqual({ analysis: { templates: [{ templateName: "search-analysis-precondition" }] } });
    expect(canary.analysis.startingStep).toBe(firstWeight + 2);
    const job = (metricsOf(example, "search-analysis-precondition")[0] as Json).provider.job.spec.template.spec;
    expect(job.serviceAccountName).toBe("search-release-reader");
    const script = job.containers[0].command[2] as string;
    expect(script).toContain("https://kubernetes.default.svc/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/search");
    expect(script).toContain("--aws-verify-target-group");
    // No fieldRef: a missing status.alb cannot keep the run from being created.
    expect(JSON.stringify(inputs(example, TEMPLATE, "search-analysis-precondition"))).not.toContain("fieldRef");
    const role = inputs(example, "kubernetes:rbac.authorization.k8s.io/v1:Role", "search-release-reader");
    expect(role.rules[0]).toEqual({ apiGroups: ["argoproj.io"], resources: ["rollouts", "analysisruns", "experiments"], verbs: ["get", "list", "watch"] });
  });

  it("pods drain for the deregistration delay, and Argo keeps the old ReplicaSet until the drain is over", () => {
    for (const [rolloutName, strategy, group] of [
      ["catalog-rollout", "blueGreen", "catalog-active"],
      ["search-rollout", "canary", undefined],
    ] as const) {
      const spec = inputs(example, ROLLOUT, rolloutName).spec;
      const drain = group ? (resource(example, TARGET_GROUP, group).inputs as Json).deregistrationDelay : 60;
      expect(drain).toBe(60);
      expect(spec.template.spec.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: drain } } });
      expect(spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(drain);
      expect(spec.strategy[strategy].scaleDownDelaySeconds).toBeGreaterThan(drain);
      expect(spec.strategy[strategy].abortScaleDownDelaySeconds).toBeGreaterThan(drain);
    }
    const ingress = inputs(example, "kubernetes:networking.k8s.io/v1:Ingress", "search-ingress");
    expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/target-group-attributes"]).toBe("deregistration_delay.timeout_seconds=60");
    expect(inputs(example, "kubernetes:core/v1:NamespacePatch", "search-readiness-gates").metadata).toEqual({
      name: "shop",
      labels: { "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" },
    });
  });

  it("in production a Job per Rollout spec waits for the new generation with the plugin's status command, timed as steps + pauses + analysis + 30m", async () => {
    const waiter = resource(example, "kubernetes:batch/v1:Job", "search-release-waiter");
    const job = waiter.inputs as Json;
    // 10 + 10 + 10 + 30 + 15 minutes of pauses, the smoke test (20 requests of at most 2 s: 1 min), precondition and
    // promotion check (one 4-minute lookback each), + 30.
    expect(job.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe(String((75 + 1 + 8 + 30) * 60));
    const container = job.spec.template.spec.containers[0];
    expect(container.image).toMatch(/^quay\.io\/argoproj\/kubectl-argo-rollouts:v/);
    expect(container.args.slice(0, 4)).toEqual(["status", "search", "--namespace", "shop"]);
    expect(job.spec.backoffLimit).toBe(0);
    expect(waiter.dependencies).toContain(resource(example, ROLLOUT, "search-rollout").urn);
    // A new image is a new Job name (Pulumi replaces it and waits again); the same spec keeps the name.
    const config = exampleConfig();
    setPath(config, "release:services.search.image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/search:5.0.2");
    const next = await synth(config, "eks");
    const name = (document: SynthDocument) => inputs(document, "kubernetes:batch/v1:Job", "search-release-waiter").metadata.name as string;
    expect(name(next)).not.toBe(name(example));
    expect(name(await synth(exampleConfig(), "eks"))).toBe(name(example));
    setPath(config, "release:tier", "dev");
    expect(resourcesOf(await synth(config, "eks"), "kubernetes:batch/v1:Job")).toEqual([]);
  });
});

describe("an aborted release or failed analysis reaches the alert topic", () => {
  it("the Rollout subscribes Argo's failure triggers to its queue, and a pipe publishes the queue's messages to the alert topic", () => {
    const queue = resource(example, "aws:sqs/queue:Queue", "search-release-events");
    const annotations = inputs(example, ROLLOUT, "search-rollout").metadata.annotations;
    for (const trigger of ["on-rollout-aborted", "on-analysis-run-failed", "on-analysis-run-error"]) {
      expect(annotations[`notifications.argoproj.io/subscribe.${trigger}.awssqs`]).toBe((queue.inputs as Json).name);
    }
    const pipe = inputs(example, "aws:pipes/pipe:Pipe", "search-release-events");
    expect(pipe.source).toBe(queue.outputs.arn);
    expect(pipe.target).toBe(example.outputs.alertTopicArn);
    expect(pipe.targetParameters).toEqual({ inputTemplate: "<$.body>" });
    const role = resource(example, "aws:iam/role:Role", "search-release-events");
    expect(pipe.roleArn).toBe(role.outputs.arn);
    const statements = JSON.parse(inputs(example, "aws:iam/rolePolicy:RolePolicy", "search-release-events").policy).Statement as Json[];
    expect(statements).toContainEqual({ Effect: "Allow", Action: "sns:Publish", Resource: example.outputs.alertTopicArn });
    expect(statements).toContainEqual(expect.objectContaining({ Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: queue.outputs.arn }));
    expect(JSON.parse((role.inputs as Json).assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "pipes.amazonaws.com" });
  });
});

describe("the ECS alarm scenarios on Kubernetes releases: the same evaluator over the analysis as synthesized", () => {
  const traffic = (service: string, blueGreen: boolean, intervalSeconds = 30) => {
    const resolved = load(exampleConfig(), "eks").services.find((candidate) => candidate.name === service)!;
    const { errorRatePercent, p99LatencyMs, minRequests } = resolved.alarms;
    const first = (inputs(example, ROLLOUT, `${service}-rollout`).spec.strategy.canary?.steps as Json[] | undefined)?.find((step) => step.setWeight !== undefined)?.setWeight;
    return { errorRatePercent, p99LatencyMs, minRequests, newVersionPercent: blueGreen ? 100 : first, tasks: resolved.desiredCount ?? 1, blueGreen, intervalSeconds };
  };
  const cases = [
    ["search", "search-alarms", false],
    ["catalog", "catalog-bake", true],
  ] as const;

  it("2x error rate, 2x p99 and crashing pods abort within 3 minutes; a healthy version and quiet hours stay quiet for 30 minutes; synth prints it", () => {
    for (const [service, template, blueGreen] of cases) {
      const metrics = inputs(example, TEMPLATE, template).spec.metrics as Json[];
      const { results, inputs: used } = analysisSensitivity(metrics, traffic(service, blueGreen));
      expect(sensitivityProblems(results, 180), service).toEqual([]);
      for (const result of results) {
        if (result.expect === "alarm") expect(result.seconds, `${service} ${result.id}`).toBeLessThanOrEqual(180);
        else expect(result.seconds, `${service} ${result.id}`).toBeUndefined();
      }
      expect(resource(example, "release:kubernetes:KubernetesService", service).outputs.detection).toBe(`analysis ${describeSensitivity(results, used)}`);
    }
    expect(renderTree(example)).toMatch(/KubernetesService search {2}steps .*; analysis detects 5xx at 2x threshold \dm\d*s?, p99 at 2x threshold/);
  });

  it("measured once a period (Argo's clock is not the minute's), a complete breaching minute can wait a period more: over 3 minutes", () => {
    const metrics = (inputs(example, TEMPLATE, "search-alarms").spec.metrics as Json[]).map((metric) => ({ ...metric, interval: "60s" }));
    const { results } = analysisSensitivity(metrics, traffic("search", false, 60));
    expect(sensitivityProblems(results, 180)).toEqual(expect.arrayContaining([expect.stringMatching(/^5xx at 2x threshold: first rollback alarm after 3m\d+s, needs 3m/)]));
  });

  it("npm run check's alarm-sensitivity judges each Rollout from its synthesized templates: passes, and fails when measured once a minute or on d65906f's condition", () => {
    const resources = policyResources(example);
    const stack = { tier: "production" as const, resources };
    const rollout = (name: string) => resources.find((candidate) => candidate.name === name)!;
    expect(alarmSensitivityRule.check(rollout("search-rollout"), stack)).toEqual([]);
    expect(alarmSensitivityRule.check(rollout("catalog-rollout"), stack)).toEqual([]);
    const withMetrics = (template: string, change: (metric: Json) => Json) =>
      resources.map((candidate) =>
        candidate.name === template && candidate.type === TEMPLATE ? { ...candidate, props: { ...candidate.props, spec: { ...(candidate.props.spec as Json), metrics: ((candidate.props.spec as Json).metrics as Json[]).map(change) } } } : candidate,
      );
    const everyMinute = withMetrics("search-alarms", (metric) => ({ ...metric, interval: "60s" }));
    expect(alarmSensitivityRule.check(rollout("search-rollout"), { tier: "production", resources: everyMinute })).toEqual([expect.stringMatching(/^5xx at 2x threshold: first rollback alarm after 3m\d+s, needs 3m/)]);
    const before = withMetrics("search-alarms", (metric) => ({ ...metric, failureCondition: `len(filter(result[0].Values, {# > ${parseFailureCondition(metric.failureCondition)!.threshold}})) >= 1` }));
    expect(alarmSensitivityRule.check(rollout("search-rollout"), { tier: "production", resources: before })).toEqual([expect.stringContaining("not ones the evaluator reads")]);
  });

  it("a failure condition the evaluator does not read is refused, never guessed", () => {
    const metrics = inputs(example, TEMPLATE, "search-alarms").spec.metrics as Json[];
    expect(() => analysisSensitivity(metrics.map((metric) => ({ ...metric, failureCondition: "len(result[0].Values) > 0" })), traffic("search", false))).toThrow(/not one the evaluator reads/);
  });
});

describe("the smoke-test job's script", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    let warming = 0;
    server = createServer((request, response) => {
      // /preview answers only requests the test listener's rule would route (the header), after two 503s (registering).
      // /stalls sends its status line and never finishes the body, as a wedged service would.
      if (request.url === "/stalls") {
        response.writeHead(200);
        response.write("partial");
        return;
      }
      if (request.url === "/preview") response.statusCode = request.headers["x-release-service"] !== "catalog" ? 404 : warming++ < 2 ? 503 : 200;
      else response.statusCode = request.url === "/ok" ? 200 : 500;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  /** The job's shell and curl against a real server in this process (so not spawnSync, which would block it). */
  const run = (paths: string[], minSuccessRate: number, headers: Record<string, string> = {}, settle = 0) =>
    new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn("sh", ["-c", smokeScript(base, { paths, samples: 3, minSuccessRate, timeoutMs: 1000 }, headers, settle)]);
      let stdout = "";
      child.stdout.on("data", (chunk) => (stdout += String(chunk)));
      child.on("close", (status) => resolve({ status, stdout }));
    });

  it("passes with the failures the ECS hook's binomial bound allows, counting only expected statuses", async () => {
    const result = await run(["/ok"], 1);
    expect(result.stdout).toContain("smoke test: 0 of 3 requests failed, at most 0 allowed");
    expect(result.status).toBe(0);
    // 6 requests at 50%: the hook allows 5 failures (allowedFailures(6, 0.5)).
    expect(allowedFailures(6, 0.5)).toBe(5);
    expect((await run(["/ok", "/broken"], 0.5)).status).toBe(0);
  });
  it("through the load balancer: sends the routing header, and counts samples only once the new pods first answer", async () => {
    expect((await run(["/preview"], 1)).status, "no header: the rule would not route it").not.toBe(0);
    const result = await run(["/preview"], 1, { "x-release-service": "catalog" }, 30);
    expect(result.stdout).toContain("smoke test: 0 of 3 requests failed");
    expect(result.status).toBe(0);
  });
  it("an answer that never finishes within the timeout is a failure, whatever status line came first", async () => {
    const result = await run(["/stalls"], 1);
    expect(result.stdout).toContain("smoke test: 3 of 3 requests failed, at most 0 allowed");
    expect(result.status).not.toBe(0);
  });
  it("fails the analysis when more requests fail than allowed", async () => {
    const result = await run(["/ok", "/broken"], 0.95);
    expect(result.stdout).toContain(`smoke test: 3 of 6 requests failed, at most ${allowedFailures(6, 0.95)} allowed`);
    expect(result.status).not.toBe(0);
  });
});

describe("manifests and policy", () => {
  it("Rollouts and AnalysisTemplates validate against @kubernetes-models/argo-rollouts, bindings against the TargetGroupBinding schema", () => {
    const resources = policyResources(example);
    const checked = resources.filter((r) => [ROLLOUT, TEMPLATE, BINDING].includes(r.type));
    expect(checked.length).toBe(2 + 8 + 2);
    for (const r of checked) expect(kubernetesManifestValid.check(r, { tier: "production", resources }), r.name).toEqual([]);
  });

  it("a fractional weight or a missing port is caught by those schemas", () => {
    const resources = policyResources(example);
    const rollout = structuredClone(resources.find((r) => r.name === "search-rollout")!) as Json;
    rollout.props.spec.strategy.canary.steps.find((step: Json) => step.setWeight === 5).setWeight = 2.5;
    expect(kubernetesManifestValid.check(rollout as never, { tier: "production", resources }).join()).toContain("must be integer");
    const binding = structuredClone(resources.find((r) => r.name === "catalog-active-binding")!) as Json;
    delete binding.props.spec.serviceRef.port;
    expect(kubernetesManifestValid.check(binding as never, { tier: "production", resources }).join()).toContain("must have required property 'port'");
  });

  it("every Kubernetes service is judged on error rate and latency; dropping the latency metric is a violation", () => {
    const resources = policyResources(example);
    for (const rollout of resources.filter((r) => r.type === ROLLOUT)) {
      expect(kubernetesServiceHasAnalysis.check(rollout, { tier: "production", resources }), rollout.name).toEqual([]);
    }
    const without = resources.map((r) => {
      if (r.name !== "catalog-bake") return r;
      const copy = structuredClone(r) as Json;
      copy.props.spec.metrics = copy.props.spec.metrics.filter((m: Json) => m.name !== "p99-latency");
      return copy as never;
    });
    const rollout = without.find((r) => r.name === "catalog-rollout")!;
    expect(kubernetesServiceHasAnalysis.check(rollout, { tier: "production", resources: without })).toEqual([
      "no analysis of the new version's latency (TargetResponseTime) while it serves users",
    ]);
  });

  it("in dev, without smoke test or alarm gate, each Rollout is still judged under user traffic", async () => {
    const config = exampleConfig();
    setPath(config, "release:tier", "dev");
    for (const name of ["checkout", "catalog", "search"]) setPath(config, `release:services.${name}.smokeTest`, undefined);
    setPath(config, "release:services.catalog.deployment", { strategy: "blue-green" });
    const document = await synth(config, "eks");
    expect(resourcesOf(document, TEMPLATE).map((r) => r.name).sort()).toEqual(["catalog-alarms", "catalog-bake", "search-alarms", "search-analysis-precondition"]);
    const blueGreen = inputs(document, ROLLOUT, "catalog-rollout").spec.strategy.blueGreen;
    expect(blueGreen.prePromotionAnalysis).toBeUndefined();
    // No bake in dev, yet the run lasts until the first minute wholly after the switch is complete and counted.
    const bake = metricsOf(document, "catalog-bake")[0] as Json;
    const condition = parseFailureCondition(bake.failureCondition)!;
    expect((bake.count - 1) * parseInt(bake.interval, 10)).toBeGreaterThanOrEqual(condition.completeAfterSeconds + 60);
    const resources = policyResources(document);
    for (const rollout of resources.filter((r) => r.type === ROLLOUT)) {
      expect(kubernetesServiceHasAnalysis.check(rollout, { tier: "dev", resources }), rollout.name).toEqual([]);
    }
  });

  it("the same stack file synthesizes to the same bytes", async () => {
    const again = await synth(exampleConfig(), "eks");
    expect(renderJson(again)).toBe(renderJson(example));
    expect(renderTree(example)).toContain("after an abort the Rollout shop/search stays Degraded");
  });
});

describe("the commands on the shipped Kubernetes stack file", () => {
  const cli = (command: string, ...args: string[]) => {
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), command, ...args], { encoding: "utf8", cwd: tmpdir() });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it("synth, check, flags and diff handle it", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-k8s-"));
    const base = cli("synth", "eks", "--config-file", EXAMPLE, "--format", "json");
    expect(base.code, base.stderr).toBe(0);
    writeFileSync(join(dir, "base.json"), base.stdout);
    writeFileSync(join(dir, "Pulumi.eks.yaml"), readFileSync(EXAMPLE, "utf8").replace("steps: [5, 10, 25,", "steps: [2, 10, 25,"));
    const head = cli("synth", "eks", "--config-file", join(dir, "Pulumi.eks.yaml"), "--format", "json");
    writeFileSync(join(dir, "head.json"), head.stdout);
    const diff = cli("synth", "diff", join(dir, "base.json"), join(dir, "head.json"));
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain("inputs.spec.strategy.canary.steps[3].setWeight: 5 -> 2");
    const check = cli("check", "eks", "--config-file", EXAMPLE);
    expect(check.stdout).toContain("0 mandatory violation(s)");
    expect(check.code).toBe(0);
    const flags = cli("flags", "eks", "--config-file", EXAMPLE, "--backend", "flagd");
    expect(flags.code).toBe(0);
    expect(JSON.parse(flags.stdout).flags["new-search"]).toBeDefined();
  });
});

describe("flags on Kubernetes", () => {
  it("pods run the AppConfig Agent sidecar and read the store through a Pod Identity role scoped to it", () => {
    const containers = inputs(example, ROLLOUT, "catalog-rollout").spec.template.spec.containers as Json[];
    expect(containers.map((container) => container.name)).toEqual(["app", "appconfig-agent"]);
    expect(containers[1].env).toContainEqual({ name: "PREFETCH_LIST", value: "/applications/release-platform-eks/environments/eks/configurations/feature-flags" });
    const role = resource(example, "aws:iam/role:Role", "catalog-pod");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0]).toEqual({
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
    });
    expect(inputs(example, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "catalog-pod")).toMatchObject({
      clusterName: "shop-eks",
      namespace: "shop",
      serviceAccount: "catalog",
      roleArn: role.outputs.arn,
    });
    const grant = inputs(example, "aws:iam/rolePolicy:RolePolicy", "eks-flags-read-catalog");
    expect(grant.role).toBe(role.inputs.name);
    expect(JSON.parse(String(grant.policy)).Statement[0].Action).toEqual(["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"]);
    // checkout, catalog and search (the steps service's alarms, on the controller's load balancer) all monitor the flags.
    expect((inputs(example, "aws:appconfig/environment:Environment", "eks-flags-env").monitors as Json[]).length).toBe(3);
  });

  it("with backend flagd, a flagd Deployment and Service serve the stack's document from a ConfigMap, and pods are told where", async () => {
    const config = setPath(exampleConfig(), "release:flagStore", { backend: "flagd" });
    const document = await synth(config, "eks");
    const flags = load(config, "eks").flags;
    const configMap = inputs(document, "kubernetes:core/v1:ConfigMap", "eks-flagd-flags");
    expect(JSON.parse(configMap.data["flags.flagd.json"])).toEqual(toFlagdDocument(flags));
    const deployment = inputs(document, "kubernetes:apps/v1:Deployment", "eks-flagd-deployment");
    expect(deployment.spec.template.spec.volumes[0].configMap.name).toBe("eks-flagd");
    expect(inputs(document, "kubernetes:core/v1:Service", "eks-flagd-service").spec.ports[0].port).toBe(8013);
    const env = inputs(document, ROLLOUT, "search-rollout").spec.template.spec.containers[0].env as Json[];
    expect(env).toContainEqual({ name: "FLAGD_HOST", value: "eks-flagd.shop.svc.cluster.local" });
    expect(resourcesOf(document, "aws:appconfig/application:Application")).toEqual([]);
  });
});

describe("composing KubernetesService directly", () => {
  it("refuses bad steps and a priority another service holds, before registering anything of its own", async () => {
    const thrown: string[] = [];
    const document = await synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1" }, async () => {
      const environment = testEnvironment("staging");
      const service = testKubernetesServiceArgs(environment, { alarms: { errorRatePercent: 1, minRequests: 50, p99LatencyMs: 800, unhealthyHosts: 1 } });
      new KubernetesService("first", service, { providers: [environment.provider] });
      for (const [name, args] of [
        ["second", service],
        ["third", { ...service, priority: 8, deployment: { strategy: "canary", canaryPercent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 }, steps: [10, 5], ingressSubnetIds: ["subnet-0123456789abcdef1"], hostHeaders: ["third.example.com"], dnsZone: { id: "Z0123456789ABC", name: "example.com" } }],
      ] as const) {
        try {
          new KubernetesService(name, args as never, { providers: [environment.provider] });
        } catch (error) {
          thrown.push((error as Error).message);
        }
      }
      return {};
    });
    expect(thrown).toEqual([
      "KubernetesService second: priority is already taken by service first on this environment's listeners (got 7)",
      'KubernetesService third: steps[1] must be greater than the step before it (10): steps only increase (got 5)',
    ]);
    const names = document.resources.map((r) => r.name);
    expect(names).toContain("first-rollout");
    expect(names.filter((name) => name.startsWith("second") || name.startsWith("third"))).toEqual([]);
  });
  it("makes a service given steps and no strategy a canary with those steps, as a stack file's service is", async () => {
    let service: KubernetesService | undefined;
    const document = await synthesizeProgram({ stack: "staging", tier: "staging", region: "eu-west-1" }, async () => {
      const environment = testEnvironment("staging");
      const args = testKubernetesServiceArgs(environment, {
        steps: [10, 50, 100],
        stepPauseMinutes: 2,
        pathPatterns: undefined,
        hostHeaders: ["steps.example.com"],
        ingressSubnetIds: ["subnet-0123456789abcdef1"],
        dnsZone: { id: "Z0123456789ABC", name: "example.com" },
      });
      service = new KubernetesService("stepped", args, { providers: [environment.provider] });
      return {};
    });
    const strategy = inputs(document, ROLLOUT, "stepped-rollout").spec.strategy;
    expect(strategy.blueGreen).toBeUndefined();
    expect((strategy.canary.steps as Json[]).filter((step) => step.setWeight !== undefined).map((step) => step.setWeight)).toEqual([10, 50, 100]);
    expect(service?.steps.map((step) => step.percent)).toEqual([10, 50, 100]);
    expect(service?.strategySummary).toMatch(/^steps 10% 2m -> 50% 2m -> 100%/);
    expect(service?.ingressName).toBe("stepped");
  });
});

describe("a cluster from another stack", () => {
  it("takes kubeconfig (kept secret), the cluster's name and the pods' security group from that stack's outputs", async () => {
    const config = exampleConfig();
    setPath(config, "release:cluster", { stackReference: "acme/eks/production", namespace: "shop", controllers: ["aws-load-balancer-controller", "argo-rollouts"] });
    const document = await synthesize({
      config: load(config, "eks"),
      stackOutputs: { "acme/eks/production": { kubeconfig: "apiVersion: v1", clusterName: "acme-eks", clusterSecurityGroupId: "sg-0aaaabbbbccccdddd" } },
    });
    const provider = document.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(provider.inputs).toEqual({ kubeconfig: "[secret]", namespace: "shop" });
    expect(inputs(document, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "search-pod").clusterName).toBe("acme-eks");
    expect(inputs(document, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "catalog-pods-from-lb").securityGroupId).toBe("sg-0aaaabbbbccccdddd");
    expect(document.diagnostics).toEqual([]);
  });
});

describe("network and cluster from one stack", () => {
  it("reads both through one StackReference (two of one name are a duplicate URN)", async () => {
    const config = exampleConfig();
    const stack = "acme/platform/production";
    setPath(config, "release:network", { stackReference: stack });
    setPath(config, "release:cluster", { stackReference: stack, namespace: "shop", controllers: ["aws-load-balancer-controller", "argo-rollouts"] });
    // The synthesis reads stack references (they are no registrations in its document): count the objects read from.
    const readFrom = new Set<pulumi.StackReference>();
    const requireOutput = pulumi.StackReference.prototype.requireOutput;
    const spy = vi.spyOn(pulumi.StackReference.prototype, "requireOutput").mockImplementation(function (this: pulumi.StackReference, output) {
      readFrom.add(this);
      return requireOutput.call(this, output);
    });
    const document = await synthesize({
      config: load(config, "eks"),
      stackOutputs: {
        [stack]: {
          vpcId: "vpc-0123456789abcdef0",
          publicSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
          privateSubnetIds: ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
          kubeconfig: "apiVersion: v1",
          clusterName: "acme-eks",
          clusterSecurityGroupId: "sg-0aaaabbbbccccdddd",
        },
      },
    }).finally(() => spy.mockRestore());
    expect([...readFrom].length).toBe(1);
    expect(inputs(document, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "search-pod").clusterName).toBe("acme-eks");
    expect(inputs(document, "aws:lb/loadBalancer:LoadBalancer", "eks-lb").subnets).toEqual(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]);
  });
});

describe("prerequisites", () => {
  it("warns about each controller the cluster config does not list", async () => {
    const document = await synth(setPath(exampleConfig(), "release:cluster.controllers", ["argo-rollouts"]), "eks");
    const warnings = document.diagnostics.map((diagnostic) => diagnostic.message).filter((message) => message.startsWith("release:cluster"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("cannot tell whether aws-load-balancer-controller runs in the cluster");
    expect(example.diagnostics).toEqual([]);
  });
});

describe("bad input is a config error before any resource", () => {
  const errorOf = (change: (config: StackConfig) => void) => {
    const config = exampleConfig();
    change(config);
    return configError(config, "eks");
  };
  const search = "release:services.search.deployment";

  it("steps that do not increase, or go over 100, name the step", () => {
    expect(errorOf((c) => setPath(c, "release:services.search.deployment.steps", [5, 25, 10, 120]))).toBe(
      [
        `Pulumi.eks.yaml: ${search}.steps[2]: must be greater than the step before it (25): steps only increase (got 10)`,
        `Pulumi.eks.yaml: ${search}.steps[3]: must be at most 100 (got 120)`,
      ].join("\n"),
    );
    expect(errorOf((c) => setPath(c, "release:services.search.deployment.steps", [{ percent: 2.5, pauseMinutes: 5 }]))).toContain(
      `${search}.steps[0].percent: must be a whole percent from 1 to 100`,
    );
  });

  it("steps set by pulumi config set --path (stored as text) read as numbers; other text is refused", () => {
    const config = setPath(exampleConfig(), "release:services.search.deployment.steps", ["5", { percent: "50", pauseMinutes: "3" }]);
    expect(load(config, "eks").services.find((service) => service.name === "search")?.steps).toEqual([5, { percent: 50, pauseMinutes: 3 }]);
    expect(errorOf((c) => setPath(c, "release:services.search.deployment.steps", ["five"]))).toBe(
      `Pulumi.eks.yaml: ${search}.steps[0]: expected a percent or {percent, pauseMinutes} (got "five")`,
    );
  });

  it("steps on an ECS service say they need runtime kubernetes", () => {
    expect(errorOf((c) => setPath(c, "release:services.checkout.deployment", { steps: [10, 50, 100] }))).toBe(
      "Pulumi.eks.yaml: release:services.checkout.deployment.steps: arbitrary steps need runtime: kubernetes (Argo Rollouts); ECS's native engine shifts by one canary step or equal linear steps: use strategy canary or linear (got [10,50,100])",
    );
  });

  it("runtime kubernetes without release:cluster names every such service, all in one run", () => {
    const message = errorOf((c) => {
      delete c["release:cluster"];
      setPath(c, "release:services.search.deployment.steps", [50, 40]);
    });
    expect(message).toBe(
      [
        'Pulumi.eks.yaml: release:services.catalog.runtime: kubernetes needs a cluster (cluster.stackReference to a stack exporting kubeconfig, or cluster.kubeconfig) (got "kubernetes")',
        `Pulumi.eks.yaml: ${search}.steps[1]: must be greater than the step before it (50): steps only increase (got 40)`,
        'Pulumi.eks.yaml: release:services.search.runtime: kubernetes needs a cluster (cluster.stackReference to a stack exporting kubeconfig, or cluster.kubeconfig) (got "kubernetes")',
      ].join("\n"),
    );
  });

  it("a cluster with both or neither source, and blue/green without the pods' security group, are refused", () => {
    expect(errorOf((c) => setPath(c, "release:cluster.stackReference", "acme/eks/production"))).toContain(
      "release:cluster: give exactly one of stackReference (a stack exporting kubeconfig) or kubeconfig",
    );
    expect(errorOf((c) => setPath(c, "release:cluster.securityGroupId", undefined))).toContain("release:cluster.securityGroupId: required for blue-green on kubernetes (catalog)");
  });

  it("the component refuses the same steps when used directly (one copy of the rule)", () => {
    expect(stepsProblems([10, 5]).map((p) => p.field)).toEqual([["steps", 1]]);
    expect(rolloutSteps({ strategy: "linear", stepPercent: 30, stepBakeMinutes: 2, bakeMinutes: 7 })).toEqual([
      { percent: 30, pauseMinutes: 2 },
      { percent: 60, pauseMinutes: 2 },
      { percent: 90, pauseMinutes: 2 },
      { percent: 100, pauseMinutes: 7 },
    ]);
  });
});
