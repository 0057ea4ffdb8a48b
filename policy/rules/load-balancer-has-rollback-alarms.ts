import { loadBalancerNameOf } from "../../components/kubernetes-service/load-balancer-controller";
import { contractListener, listenerInGraph, loadBalancerSuffixOfListener } from "./environment";
import { at, list } from "./props";
import type { PolicyResource, Rule, RuleResult, StackContext } from "./types";
import { COMPLIANT, defineRule, judged, NOT_APPLICABLE, nonCompliant, skipped } from "./result";

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** The ALB dimensions (`LoadBalancer`, `TargetGroup`) of every metric an alarm reads: its own, or its queries'. */
function albDimensions(alarm: PolicyResource): { loadBalancer?: string; targetGroup?: string }[] {
  const metrics = [alarm.props, ...list(at(alarm.props, "metricQueries")).map((query) => at(query, "metric"))];
  return metrics
    .filter((metric) => at(metric, "namespace") === "AWS/ApplicationELB")
    .map((metric) => {
      const dimensions = at(metric, "dimensions");
      const loadBalancer = at(dimensions, "LoadBalancer");
      const targetGroup = at(dimensions, "TargetGroup");
      return { loadBalancer: typeof loadBalancer === "string" ? loadBalancer : undefined, targetGroup: typeof targetGroup === "string" ? targetGroup : undefined };
    });
}

/** Whether `resource` sits under the component `ancestor` (by parent URNs). */
function under(resource: PolicyResource, ancestor: string, byUrn: ReadonlyMap<string, PolicyResource>): boolean {
  for (let parent = resource.parent; parent !== undefined; parent = byUrn.get(parent)?.parent) if (parent === ancestor) return true;
  return false;
}

/**
 * A controller-made ALB: the Services a Rollout routes through the Ingress (stable and canary) each have a target
 * group there, and the alarms on that load balancer must judge at least that many target groups. The load balancer
 * is the one the Ingress's status names; before the status is known (a first preview), the alarms of the service
 * that owns the Ingress stand for it.
 */
function ingressResult(ingress: PolicyResource, stack: StackContext): RuleResult {
  const isAlb = at(ingress.props, "spec", "ingressClassName") === "alb" || at(ingress.props, "metadata", "annotations", "kubernetes.io/ingress.class") === "alb";
  if (!isAlb) return NOT_APPLICABLE;
  const name = at(ingress.props, "metadata", "name");
  const namespace = at(ingress.props, "metadata", "namespace");
  const routed = stack.resources.filter(
    (candidate) => candidate.type === ROLLOUT && at(candidate.props, "metadata", "namespace") === namespace && at(candidate.props, "spec", "strategy", "canary", "trafficRouting", "alb", "ingress") === name,
  );
  const needed = Math.max(1, ...routed.map((rollout) => new Set([at(rollout.props, "spec", "strategy", "canary", "stableService"), at(rollout.props, "spec", "strategy", "canary", "canaryService")].filter(Boolean)).size));
  const hostname = at(ingress.props, "status", "loadBalancer", "ingress", 0, "hostname");
  const balancer = typeof hostname === "string" ? loadBalancerNameOf(hostname) : undefined;
  const byUrn = new Map(stack.resources.map((resource) => [resource.urn, resource]));
  const alarms = stack.resources.filter((resource) => resource.type === ALARM);
  const onIt = balancer
    ? alarms.flatMap((alarm) => albDimensions(alarm).filter((dimension) => dimension.loadBalancer?.startsWith(`app/${balancer}/`)))
    : ingress.parent
      ? alarms.filter((alarm) => under(alarm, ingress.parent!, byUrn)).flatMap(albDimensions)
      : [];
  const where = balancer ? `its load balancer ${balancer}` : "the load balancer the AWS Load Balancer Controller makes for it";
  if (onIt.length === 0) return nonCompliant(`no CloudWatch alarm watches ${where}: a bad release or flag there is never noticed, rolled back by AppConfig or reported`);
  const groups = new Set(onIt.map((dimension) => dimension.targetGroup).filter(Boolean));
  // Before the status (and the lookups) are known, the target groups are unknown too: the alarms' presence is what can be judged.
  if (balancer && groups.size < needed) return nonCompliant(`the alarms on ${where} judge ${groups.size} target group(s); the Rollout routes through ${needed} (stable and canary), each judged on its own`);
  return COMPLIANT;
}

/** The target groups a listener rule forwards to (ARNs). */
const forwardedBy = (rule: PolicyResource) =>
  list(at(rule.props, "actions"))
    .flatMap((action) => [at(action, "targetGroupArn"), ...list(at(action, "forward", "targetGroups")).map((group) => at(group, "arn"))])
    .filter((groupArn): groupArn is string => typeof groupArn === "string");

/** Of the target groups `forwarded` on the load balancer `suffix`, those no alarm of the stack judges there. */
function unwatched(forwarded: readonly string[], suffix: string, stack: StackContext): string[] {
  const suffixes = new Map(stack.resources.filter((r) => r.type === "aws:lb/targetGroup:TargetGroup").map((r) => [at(r.props, "arn"), at(r.props, "arnSuffix")]));
  const watched = new Set(
    stack.resources
      .filter((r) => r.type === ALARM)
      .flatMap(albDimensions)
      .filter((dimension) => dimension.loadBalancer === suffix)
      .map((dimension) => dimension.targetGroup),
  );
  return [...new Set(forwarded)].flatMap((groupArn) => {
    const group = suffixes.get(groupArn);
    return typeof group === "string" && !watched.has(group) ? [group] : [];
  });
}

/** A Pulumi-made ALB: every target group a listener rule forwards to has an alarm on it, on this load balancer. */
function loadBalancerResult(balancer: PolicyResource, stack: StackContext): RuleResult {
  const arn = at(balancer.props, "arn");
  const suffix = at(balancer.props, "arnSuffix");
  if (typeof arn !== "string" || typeof suffix !== "string") return NOT_APPLICABLE;
  const listeners = new Set(stack.resources.filter((r) => r.type === "aws:lb/listener:Listener" && at(r.props, "loadBalancerArn") === arn).map((r) => at(r.props, "arn")));
  const forwarded = stack.resources.filter((r) => r.type === "aws:lb/listenerRule:ListenerRule" && listeners.has(at(r.props, "listenerArn"))).flatMap(forwardedBy);
  return judged(unwatched(forwarded, suffix, stack).map((group) => `target group ${group} serves traffic on this load balancer and no alarm judges it`));
}

/**
 * A listener rule on a load balancer of another stack (a service stack's, on the environment's listener): judged by the
 * rule itself, since the load balancer is not here; the load balancer is the contract's, or the one its listener's ARN
 * names (`listener/app/<name>/<id>/...`), which is what the alarms' LoadBalancer dimension holds.
 */
function foreignRuleResult(rule: PolicyResource, stack: StackContext): RuleResult {
  const listenerArn = at(rule.props, "listenerArn");
  if (typeof listenerArn !== "string" || listenerInGraph(listenerArn, stack.resources)) return NOT_APPLICABLE;
  const suffix = contractListener(stack, listenerArn)?.loadBalancer.arnSuffix ?? loadBalancerSuffixOfListener(listenerArn);
  if (suffix === undefined) return skipped(`its listener ${listenerArn} is not in this stack and its ARN names no load balancer: the alarms on its target groups cannot be matched to one`);
  return judged(unwatched(forwardedBy(rule), suffix, stack).map((group) => `target group ${group} serves traffic on load balancer ${suffix} (of another stack) and no alarm judges it there`));
}

export const loadBalancerHasRollbackAlarms: Rule = defineRule({
  id: "load-balancer-has-rollback-alarms",
  description:
    "Every load balancer that serves a service, the environment's or the AWS Load Balancer Controller's for a Kubernetes canary, has the service's alarms on each of its target groups",
  enforcement: "mandatory",
  judge(resource, stack) {
    if (resource.type === INGRESS) return ingressResult(resource, stack);
    if (resource.type === LOAD_BALANCER) return loadBalancerResult(resource, stack);
    if (resource.type === "aws:lb/listenerRule:ListenerRule") return foreignRuleResult(resource, stack);
    return NOT_APPLICABLE;
  },
});
