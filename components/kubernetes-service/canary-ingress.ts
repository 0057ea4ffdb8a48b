/** A canary Kubernetes service's Ingress, served by the AWS Load Balancer Controller's load balancer, and its alarms there. */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DeploymentAlarms } from "../deployment-alarms/deployment-alarms";
import { TLS13_POLICY } from "../environment/environment";
import type { ResolvedKubernetesServiceArgs } from "./args";
import type { ChildContext } from "./child-context";
import { createHostRecords } from "./dns";
import { controllerTargetGroupResource, ingressGroupName, loadBalancerNameOf } from "./load-balancer-controller";
import { type AlarmsContext, serviceAlarms } from "./service-alarms";

/** What the canary Ingress is made from, as the service's arguments give it (its tier's defaults filled in). */
export interface CanaryIngressArgs
  extends Pick<AlarmsContext["args"], "environment" | "alarms">,
    Pick<
      ResolvedKubernetesServiceArgs,
      | "namespace"
      | "port"
      | "pathPatterns"
      | "hostHeaders"
      | "healthCheck"
      | "deregistrationDelaySeconds"
      | "desiredCount"
      | "ingressSubnetIds"
      | "internal"
      | "certificateArn"
      | "allowedCidrs"
      | "dnsZone"
      | "idleTimeoutSeconds"
    > {}

/** What the canary wiring is made with: the service's children's naming and options, its arguments, and its alarm timing. */
export interface CanaryContext extends Pick<ChildContext, "name" | "parent" | "k8sOpts" | "meta">, AlarmsContext {
  readonly args: CanaryIngressArgs;
}

/** What serves a canary service and watches it. */
export interface CanaryTraffic {
  readonly ingress: k8s.networking.v1.Ingress;
  readonly groupName: string;
  readonly loadBalancerArnSuffix: pulumi.Output<string>;
  readonly stableTargetGroupArnSuffix: pulumi.Output<string>;
  readonly canaryTargetGroupArnSuffix: pulumi.Output<string>;
  readonly alarms: DeploymentAlarms;
  readonly url: string;
}

/**
 * Canary, linear and steps: an Ingress the AWS Load Balancer Controller serves and whose weights Argo moves, the DNS
 * records of the service's hosts pointing at that load balancer, and the service's alarms on it, as the environment's
 * own load balancer has them. The load balancer and its target groups are looked up in the same `pulumi up`: the
 * Kubernetes provider awaits an Ingress until `.status.loadBalancer.ingress` has an entry (pulumi-kubernetes
 * await/ingress.go), and the controller writes that status only after it has deployed the load balancer, its target
 * groups and rules (group_controller.go: buildAndDeployModel, then updateIngressGroupStatus).
 */
export function canaryIngress(
  context: CanaryContext,
  serviceNames: { readonly live: string; readonly next: string },
  dependsOn: readonly pulumi.Resource[],
  firstPercent: number,
): CanaryTraffic {
  const { name, args, parent, k8sOpts, meta } = context;
  const env = args.environment;
  const stableService = serviceNames.live;
  const healthCheck = args.healthCheck;
  const ingressSubnets = pulumi.output(args.ingressSubnetIds!).apply((ids) => ids.join(","));
  const https = args.certificateArn !== undefined;
  const groupName = ingressGroupName(pulumi.getProject(), pulumi.getStack(), env.namePrefix);
  // Both Services from the start, the canary at weight 0 (the action Argo writes itself): the controller makes both
  // target groups before it writes the Ingress's status, so both can be looked up and watched on the first release.
  const rootAction = JSON.stringify({
    type: "forward",
    forwardConfig: {
      targetGroups: [
        { serviceName: stableService, servicePort: String(args.port), weight: 100 },
        { serviceName: serviceNames.next, servicePort: String(args.port), weight: 0 },
      ],
    },
  });
  const actionAnnotation = `alb.ingress.kubernetes.io/actions.${stableService}`;
  const paths = (args.pathPatterns?.length ? args.pathPatterns : ["/*"]).map((path) => ({
    path,
    // The controller takes ALB wildcards (/catalog/*) with ImplementationSpecific.
    pathType: "ImplementationSpecific",
    backend: { service: { name: stableService, port: { name: "use-annotation" } } },
  }));
  const hosts = args.hostHeaders ?? [];
  // Access logs as the environment's load balancer writes them: same bucket, no prefix, so the bucket policy's
  // `AWSLogs/<account>/*` covers both. "To unset any AWS defaults (e.g. Disabling access logs after having them
  // enabled once), the values need to be explicitly set" (LBC annotations.md): always say enabled or not.
  const accessLogBucket = env.accessLogBucketName ?? pulumi.output("");
  const ingress = new k8s.networking.v1.Ingress(
    `${name}-ingress`,
    {
      metadata: {
        ...meta(name),
        annotations: pulumi.all([ingressSubnets, pulumi.output(args.certificateArn ?? ""), accessLogBucket]).apply(([subnets, certificate, logBucket]) => ({
          // One controller-managed load balancer per project, stack and environment; a Pulumi-owned ALB cannot be handed to an Ingress.
          "alb.ingress.kubernetes.io/group.name": groupName,
          "alb.ingress.kubernetes.io/scheme": args.internal ? "internal" : "internet-facing",
          "alb.ingress.kubernetes.io/target-type": "ip",
          "alb.ingress.kubernetes.io/subnets": subnets,
          "alb.ingress.kubernetes.io/inbound-cidrs": (args.allowedCidrs ?? ["0.0.0.0/0"]).join(","),
          "alb.ingress.kubernetes.io/listen-ports": JSON.stringify(https ? [{ HTTP: 80 }, { HTTPS: 443 }] : [{ HTTP: 80 }]),
          // As the environment's load balancer: with a certificate, HTTP only redirects to HTTPS.
          ...(https
            ? { "alb.ingress.kubernetes.io/certificate-arn": certificate, "alb.ingress.kubernetes.io/ssl-policy": TLS13_POLICY, "alb.ingress.kubernetes.io/ssl-redirect": "443" }
            : {}),
          "alb.ingress.kubernetes.io/healthcheck-path": healthCheck.path,
          "alb.ingress.kubernetes.io/success-codes": healthCheck.matcher,
          "alb.ingress.kubernetes.io/healthcheck-interval-seconds": String(healthCheck.intervalSeconds),
          "alb.ingress.kubernetes.io/healthcheck-timeout-seconds": String(healthCheck.timeoutSeconds),
          "alb.ingress.kubernetes.io/healthy-threshold-count": String(healthCheck.healthyThreshold),
          "alb.ingress.kubernetes.io/unhealthy-threshold-count": String(healthCheck.unhealthyThreshold),
          "alb.ingress.kubernetes.io/target-group-attributes": `deregistration_delay.timeout_seconds=${args.deregistrationDelaySeconds}`,
          // Exclusive in the group: every canary Ingress of the environment writes the same value.
          "alb.ingress.kubernetes.io/load-balancer-attributes": [
            `deletion_protection.enabled=${env.tier === "production"}`,
            "routing.http.drop_invalid_header_fields.enabled=true",
            `idle_timeout.timeout_seconds=${args.idleTimeoutSeconds ?? 60}`,
            `access_logs.s3.enabled=${logBucket !== ""}`,
            ...(logBucket !== "" ? [`access_logs.s3.bucket=${logBucket}`] : []),
          ].join(","),
          [actionAnnotation]: rootAction,
        })),
      },
      spec: {
        ingressClassName: "alb",
        rules: (hosts.length > 0 ? hosts : [undefined]).map((host) => ({ ...(host ? { host } : {}), http: { paths } })),
      },
    },
    {
      ...k8sOpts,
      // The controller resolves both Services; with access logs, AWS refuses the attribute until the bucket policy
      // lets the load balancer write, and the environment's load balancer is created only after that policy.
      dependsOn: [...dependsOn, ...env.accessLogsReady],
      // Argo rewrites the action's weights during every release; Pulumi must not put them back.
      ignoreChanges: [`metadata.annotations["${actionAnnotation}"]`],
    },
  );

  const invoke: pulumi.InvokeOutputOptions = { parent };
  const hostname = ingress.status.apply((status) => {
    const found = status?.loadBalancer?.ingress?.[0]?.hostname;
    if (!found) throw new Error(`Ingress ${args.namespace}/${name} has no load balancer hostname in its status: is the AWS Load Balancer Controller running?`);
    return found;
  });
  const balancer = hostname.apply((host) => {
    const balancerName = loadBalancerNameOf(host);
    if (!balancerName) throw new Error(`Ingress ${args.namespace}/${name}: ${host} is not an Application Load Balancer's DNS name`);
    return aws.lb.getLoadBalancerOutput({ name: balancerName }, invoke).apply((found) => {
      // The name came from the hostname: the load balancer found must be the one DNS will point at.
      if (found.dnsName.toLowerCase() !== host.toLowerCase()) throw new Error(`load balancer ${balancerName} answers at ${found.dnsName}, not at the Ingress's ${host}`);
      return found;
    });
  });
  // The controller tags each target group it makes (tracking/provider.go): `ingress.k8s.aws/stack` is the group,
  // `ingress.k8s.aws/resource` is `namespace/ingressName-serviceName:servicePort`. Looked up once the status exists.
  const targetGroup = (service: string) =>
    hostname.apply(() =>
      aws.lb.getTargetGroupOutput(
        { tags: { "ingress.k8s.aws/stack": groupName, "ingress.k8s.aws/resource": controllerTargetGroupResource(args.namespace, name, service, args.port) } },
        invoke,
      ),
    );
  const stable = targetGroup(stableService);
  const canary = targetGroup(serviceNames.next);

  createHostRecords(name, args.dnsZone!, hosts, balancer, parent);

  // The same alarms as on the environment's load balancer, judged per target group: the stable and the canary group
  // each on its own, so a 5% canary's errors are not diluted by the stable version's traffic.
  const alarms = serviceAlarms(context, balancer.arnSuffix, [stable.arnSuffix, canary.arnSuffix], { newVersionPercent: firstPercent, tasks: args.desiredCount });
  return {
    ingress,
    groupName,
    loadBalancerArnSuffix: balancer.arnSuffix,
    stableTargetGroupArnSuffix: stable.arnSuffix,
    canaryTargetGroupArnSuffix: canary.arnSuffix,
    alarms,
    url: `${https ? "https" : "http"}://${hosts[0]}`,
  };
}

/** KubernetesService's canary fields from what serves the service (assigned at once, so the constructor's branch stays one line). */
export function canaryOutputs(served: CanaryTraffic) {
  return {
    ingressGroupName: served.groupName,
    ingressLoadBalancerArnSuffix: served.loadBalancerArnSuffix,
    stableTargetGroupArnSuffix: served.stableTargetGroupArnSuffix,
    canaryTargetGroupArnSuffix: served.canaryTargetGroupArnSuffix,
    alarms: served.alarms,
    compositeAlarmArn: served.alarms.compositeAlarmArn,
    compositeAlarmName: served.alarms.compositeAlarmName,
    url: served.url,
  };
}
