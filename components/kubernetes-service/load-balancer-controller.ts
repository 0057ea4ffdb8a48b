import { physicalName, shortHash } from "../naming";

/**
 * Names the AWS Load Balancer Controller gives or reads (IngressGroups, its load balancers and target groups) and the
 * DNS facts a canary's hosts rest on: plain functions, shared by the component and the policy rules.
 */

/** `host` is the zone's apex or a name under it (DNS names compare without case). */
export function hostInZone(host: string, zone: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  const z = zone.toLowerCase().replace(/\.$/, "");
  return h === z || h.endsWith(`.${z}`);
}

/**
 * The IngressGroup of an environment's canary Ingresses: one load balancer per project, stack and environment. The
 * controller merges every Ingress of a group, in any namespace, into one ALB ("The controller will automatically merge
 * Ingress rules for all Ingresses within IngressGroup and support them with a single ALB", LBC annotations.md), so a
 * bare stack name would put two projects' `production` stacks on one ALB. The controller's rule (group_loader.go):
 * "groupName must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an
 * alphanumeric character", at most 63 characters. Lower-cased, a name that had capitals carries a digest of its real
 * spelling, as a cut one does, so no two projects or stacks share a group.
 */
export function ingressGroupName(project: string, stack: string, environment: string): string {
  const parts = environment === stack ? [project, stack] : [project, stack, environment];
  const lower = parts.map((part) => part.toLowerCase());
  const cased = lower.some((part, index) => part !== parts[index]);
  return physicalName(cased ? [...lower, shortHash(parts.join("/"))] : lower, "", 63);
}

/**
 * The load balancer's name in its DNS name: `<name>-<number>.<region>.elb.amazonaws.com`, with `internal-` before an
 * internal one's (AWS refuses names that begin with `internal-`, so the prefix is never part of a name).
 */
export function loadBalancerNameOf(hostname: string): string | undefined {
  const label = hostname.toLowerCase().split(".")[0].replace(/^internal-/, "");
  return /^([a-z0-9-]+)-\d+$/.exec(label)?.[1];
}

/** `ingress.k8s.aws/resource` of a target group the controller makes for an Ingress's Service (tracking/provider.go, buildTargetGroupResourceID). */
export function controllerTargetGroupResource(namespace: string, ingress: string, service: string, port: number): string {
  return `${namespace}/${ingress}-${service}:${port}`;
}
