import { readAppConfigDocument } from "../../components/feature-flag-store/backends/appconfig/document";
import { parseFailureCondition } from "../../components/kubernetes-service/analysis-metrics";
import type { SynthDocument, SynthResource } from "./capture";
import { releasePlans, renderReleasePlan } from "./release-plan";

/** The JSON contract: stable key order from capture, two-space indent, trailing newline. */
export function renderJson(document: SynthDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

type Inputs = Record<string, unknown>;
const get = (inputs: Inputs, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<string | number, unknown>)[key] : undefined), inputs);

/** `aws:appconfig:Environment`, never a bare `aws:Environment`: several modules (and a component) share a type name. */
function shortType(type: string): string {
  const parts = type.split(":");
  if (parts[0] === "release") return parts[2];
  return parts.length === 3 ? `${parts[0]}:${parts[1].split("/")[0]}:${parts[2]}` : type;
}

const MISSING_DATA: Readonly<Record<string, string>> = {
  notBreaching: "no data is OK",
  breaching: "no data breaches",
  missing: "no data keeps the state",
  ignore: "no data is ignored",
};

/** A metric alarm: what it computes, the threshold in the config's unit, when it fires and what missing data does. */
function alarmSummary(inputs: Inputs): string {
  const queries = (inputs.metricQueries as Inputs[] | undefined) ?? [];
  const returned = queries.find((query) => query.returnData === true);
  const metric = (returned?.metric as Inputs | undefined) ?? undefined;
  const computes = returned?.expression
    ? String(returned.expression)
    : metric
      ? `${String(metric.namespace)} ${String(metric.metricName)} ${String(metric.stat)}`
      : String(inputs.metricName ?? "");
  // TargetResponseTime is in seconds; the stack file sets p99LatencyMs in milliseconds.
  const seconds = queries.some((query) => get(query, "metric", "metricName") === "TargetResponseTime");
  const threshold = seconds ? `${Math.round(Number(inputs.threshold) * 1000)} ms` : String(inputs.threshold);
  const period = get(inputs, "metricQueries", 0, "metric", "period") ?? inputs.period;
  const missing = MISSING_DATA[String(inputs.treatMissingData)] ?? `missing data ${String(inputs.treatMissingData)}`;
  return `${String(inputs.name)} ${computes} ${String(inputs.comparisonOperator)} ${threshold} (${String(inputs.datapointsToAlarm)} of ${String(inputs.evaluationPeriods)} x ${String(period)}s, ${missing})`;
}

function conditionsOf(inputs: Inputs): string {
  const conditions = (get(inputs, "conditions") as Inputs[] | undefined) ?? [];
  return conditions
    .map((condition) => {
      const paths = get(condition, "pathPattern", "values") as string[] | undefined;
      const hosts = get(condition, "hostHeader", "values") as string[] | undefined;
      const header = get(condition, "httpHeader", "httpHeaderName") as string | undefined;
      if (header) return `header ${header}: ${((get(condition, "httpHeader", "values") as string[] | undefined) ?? []).join(",")}`;
      return paths ? `paths ${paths.join(",")}` : hosts ? `hosts ${hosts.join(",")}` : "";
    })
    .filter(Boolean)
    .join(" ");
}

function weightsOf(inputs: Inputs, names: ReadonlyMap<string, string>): string {
  const groups = (get(inputs, "actions", 0, "forward", "targetGroups") as Inputs[] | undefined) ?? [];
  return groups.map((group) => `${names.get(String(group.arn)) ?? "?"} ${group.weight}`).join(" / ");
}

/** One line of the settings a reviewer looks for, per resource type. */
function summary(resource: SynthResource, names: ReadonlyMap<string, string>): string {
  const inputs = resource.inputs;
  const outputs = resource.outputs;
  switch (resource.type) {
    case "release:aws:Environment":
      return `tier ${String(outputs.tier ?? "")}`.trim();
    case "release:aws:BlueGreenService":
      return String(outputs.strategy ?? "");
    case "release:aws:DeploymentAlarms":
      return String(outputs.detection ?? "");
    case "release:aws:LifecycleHooks":
      return String(outputs.summary ?? "");
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return alarmSummary(inputs);
    case "aws:lambda/function:Function": {
      const code = get(inputs, "code", "[archive]", "index.js");
      return `${String(inputs.name)} ${String(inputs.runtime)} timeout ${String(inputs.timeout)}s ${String(code ?? "")}`;
    }
    case "aws:lb/loadBalancer:LoadBalancer":
      return [
        inputs.name,
        inputs.internal ? "internal" : "internet-facing",
        `deletion protection ${inputs.enableDeletionProtection ? "on" : "off"}`,
        inputs.dropInvalidHeaderFields ? "drops invalid headers" : "",
        get(inputs, "accessLogs", "enabled") ? "access logs on" : "",
      ]
        .filter(Boolean)
        .join(", ");
    case "aws:lb/listener:Listener": {
      const action = get(inputs, "defaultActions", 0) as Inputs | undefined;
      const answer =
        action?.type === "redirect"
          ? `redirect to ${String(get(action, "redirect", "protocol"))}`
          : action?.type === "fixed-response"
            ? `default ${String(get(action, "fixedResponse", "statusCode"))}`
            : String(action?.type ?? "");
      return [`${String(inputs.protocol)}:${String(inputs.port)}`, inputs.sslPolicy, answer].filter(Boolean).join(" ");
    }
    case "aws:lb/listenerRule:ListenerRule":
      return `priority ${String(inputs.priority)} ${conditionsOf(inputs)} -> ${weightsOf(inputs, names)}`;
    case "aws:lb/targetGroup:TargetGroup":
      return `${String(inputs.name)} ${String(inputs.protocol)}:${String(inputs.port)} ${String(inputs.targetType)} health ${String(get(inputs, "healthCheck", "path"))} drain ${String(inputs.deregistrationDelay)}s`;
    case "aws:ecs/service:Service": {
      const config = (inputs.deploymentConfiguration as Inputs | undefined) ?? {};
      const alarms = get(inputs, "alarms", "alarmNames") as unknown[] | undefined;
      const hooks = (get(config, "lifecycleHooks") as Inputs[] | undefined) ?? [];
      return [
        `${String(config.strategy ?? "ROLLING")}`,
        `desired ${String(inputs.desiredCount)}`,
        alarms ? `rolls back on ${alarms.length} alarms` : "",
        hooks.length > 0 ? `hooks ${hooks.map((hook) => (hook.lifecycleStages as string[]).join("+")).join(", ")}` : "",
        inputs.waitForSteadyState ? "waits for steady state" : "",
      ]
        .filter(Boolean)
        .join(", ");
    }
    case "aws:ecs/taskDefinition:TaskDefinition": {
      let image = "";
      try {
        image = String((JSON.parse(String(inputs.containerDefinitions)) as Inputs[])[0]?.image ?? "");
      } catch {
        image = String(inputs.containerDefinitions);
      }
      return `cpu ${String(inputs.cpu)} memory ${String(inputs.memory)} ${image}`;
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return `${String(inputs.name)} retention ${String(inputs.retentionInDays)} days`;
    case "aws:sns/topicSubscription:TopicSubscription":
      return `${String(inputs.protocol)} ${String(inputs.endpoint)}`;
    case "aws:appautoscaling/target:Target":
      return `tasks ${String(inputs.minCapacity)}-${String(inputs.maxCapacity)}`;
    case "aws:appautoscaling/policy:Policy":
      return `cpu target ${String(get(inputs, "targetTrackingScalingPolicyConfiguration", "targetValue"))}%`;
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
    case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
      const peer =
        inputs.cidrIpv4 ??
        inputs.cidrIpv6 ??
        (inputs.prefixListId ? `prefix list ${names.get(String(inputs.prefixListId)) ?? inputs.prefixListId}` : undefined) ??
        (inputs.referencedSecurityGroupId ? `sg ${names.get(String(inputs.referencedSecurityGroupId)) ?? inputs.referencedSecurityGroupId}` : "");
      const direction = resource.type.includes("Ingress") ? "from" : "to";
      return `${String(inputs.ipProtocol)} ${String(inputs.fromPort)} ${direction} ${String(peer)}`;
    }
    case "aws:appconfig/deploymentStrategy:DeploymentStrategy":
      return `${String(inputs.name)} ${String(inputs.growthType)} ${String(inputs.growthFactor)}% over ${String(inputs.deploymentDurationInMinutes)}m, bake ${String(inputs.finalBakeTimeInMinutes)}m`;
    case "aws:appconfig/environment:Environment":
      return `${String(inputs.name)} monitors ${((inputs.monitors as unknown[] | undefined) ?? []).length}`;
    case "release:aws:FeatureFlagStore": {
      let flags = "";
      try {
        flags = [...readAppConfigDocument(String(outputs.document))]
          .map(([key, flag]) => {
            if (flag.abTest) return `${key} A/B ${flag.variants.join("/")}`;
            const rules = flag.ruleCount > 0 ? ` + ${flag.ruleCount} rule(s)` : "";
            if (flag.multiVariant) return `${key} ${flag.splitPercent ? `${flag.splitPercent}%` : "on"}${rules}`;
            return `${key} ${flag.enabled ? "on" : "off"}`;
          })
          .join(", ");
      } catch {
        flags = String(outputs.document);
      }
      const ramp = Array.isArray(outputs.rampSteps) && outputs.rampSteps.length > 0 ? `; ramp: ${outputs.rampSteps.join(" -> ")}` : "";
      return `flags: ${flags}${ramp}`;
    }
    case "aws:ecs/cluster:Cluster":
      return `container insights ${String(get(inputs, "settings", 0, "value"))}`;
    case "release:kubernetes:KubernetesService":
      return [outputs.strategy, outputs.detection].filter((part) => typeof part === "string" && part !== "").join("; ");
    case "kubernetes:argoproj.io/v1alpha1:Rollout":
      return rolloutSummary(inputs);
    case "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding":
      return `Service ${String(get(inputs, "spec", "serviceRef", "name"))}:${String(get(inputs, "spec", "serviceRef", "port"))} -> ${names.get(String(get(inputs, "spec", "targetGroupARN"))) ?? "?"} (${String(get(inputs, "spec", "targetType"))})`;
    case "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate":
      return ((get(inputs, "spec", "metrics") as Inputs[] | undefined) ?? [])
        .map((metric) => `${String(metric.name)}${metric.failureCondition ? ` fails if ${conditionSummary(String(metric.failureCondition), metric.interval)}` : ""}${metric.count ? ` x${String(metric.count)}` : ""}`)
        .join("; ");
    default:
      return typeof inputs.name === "string" ? inputs.name : "";
  }
}

/** An analysis failure condition in words when it is the project's complete-periods form, else as written. */
function conditionSummary(condition: string, interval: unknown): string {
  const parsed = parseFailureCondition(condition);
  if (!parsed) return condition;
  return `${parsed.datapointsToAlarm} of the ${parsed.windowSeconds}s of complete periods before the last ${parsed.completeAfterSeconds}s ${parsed.operator} ${parsed.threshold} (measured every ${String(interval)})`;
}

/** An Argo Rollout in one line: replicas, image, and the traffic plan with its analysis. */
function rolloutSummary(inputs: Inputs): string {
  const image = String(get(inputs, "spec", "template", "spec", "containers", 0, "image") ?? "");
  const head = `replicas ${String(get(inputs, "spec", "replicas"))} ${image}`;
  const templates = (analysis: unknown) => ((get((analysis ?? {}) as Inputs, "templates") as Inputs[] | undefined) ?? []).map((t) => String(t.templateName)).join("+");
  const blueGreen = get(inputs, "spec", "strategy", "blueGreen") as Inputs | undefined;
  if (blueGreen) {
    return `${head}, blue-green ${String(blueGreen.activeService)}/${String(blueGreen.previewService)}, before promotion ${templates(blueGreen.prePromotionAnalysis) || "nothing"}, after ${templates(blueGreen.postPromotionAnalysis) || "nothing"}`;
  }
  const steps = ((get(inputs, "spec", "strategy", "canary", "steps") as Inputs[] | undefined) ?? []).map((step) => {
    if (step.setWeight !== undefined) return `${String(step.setWeight)}%`;
    if (step.pause !== undefined) return `pause ${String(get(step, "pause", "duration"))}`;
    if (step.analysis !== undefined) return `analysis ${templates(step.analysis)}`;
    return step.setCanaryScale !== undefined ? `canary scale ${JSON.stringify(step.setCanaryScale)}` : Object.keys(step).join(",");
  });
  return `${head}, canary ${steps.join(" -> ")}, throughout ${templates(get(inputs, "spec", "strategy", "canary", "analysis")) || "nothing"}`;
}

/** People's view: the component tree with each resource's key settings, then outputs. */
export function renderTree(document: SynthDocument): string {
  const children = new Map<string | null, SynthResource[]>();
  const names = new Map<string, string>();
  for (const resource of document.resources) {
    const siblings = children.get(resource.parent) ?? [];
    siblings.push(resource);
    children.set(resource.parent, siblings);
    for (const key of ["arn", "id"]) {
      const value = resource.outputs[key];
      if (typeof value === "string") names.set(value, resource.name);
    }
  }
  const lines: string[] = [
    `${document.project} / ${document.stack} (tier ${document.tier}): ${document.resources.length} resources`,
  ];
  const walk = (parent: string | null, depth: number) => {
    const nodes = [...(children.get(parent) ?? [])]
      .filter((node) => !node.type.startsWith("pulumi:providers:"))
      .sort((a, b) => Number(a.custom) - Number(b.custom) || a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
    for (const node of nodes) {
      const flags = [
        node.options.protect ? "protected" : "",
        node.options.ignoreChanges.length > 0 ? `ignoreChanges ${node.options.ignoreChanges.join(",")}` : "",
      ].filter(Boolean);
      const text = summary(node, names);
      lines.push(
        `${"  ".repeat(depth)}${node.custom ? "" : "+ "}${shortType(node.type)} ${node.name}${text ? `  ${text}` : ""}${flags.length ? `  [${flags.join("; ")}]` : ""}`,
      );
      walk(node.urn, depth + 1);
    }
  };
  walk(null, 1);
  const plans = releasePlans(document);
  if (plans.length > 0) {
    lines.push("release plans (what one deployment does):");
    for (const plan of plans) lines.push(...renderReleasePlan(plan));
  }
  const outputs = Object.entries(document.outputs);
  if (outputs.length > 0) {
    lines.push("outputs:");
    for (const [key, value] of outputs) lines.push(`  ${key}: ${JSON.stringify(value)}`);
  }
  // Diagnostics go to stderr (the commands print them whatever the format), not into the tree.
  return `${lines.join("\n")}\n`;
}
