import { DEFAULT_FLAG_BACKEND } from "../feature-flag-store/backends";
import type * as k8s from "@pulumi/kubernetes";
import type { ArgumentProblem } from "../arguments";
import { serviceAlarms, serviceSmokeTest, workloadArgs } from "../release-environment/children";
import { LOAD_BALANCER_LIMITS, type RuntimeEnvironmentArgs, type RuntimeServiceEntry, type ServiceRuntime } from "../service/runtime";
import { KubernetesService, type KubernetesServiceArgsToCheck, kubernetesServiceArgsProblems } from "./kubernetes-service";

/**
 * Kubernetes with Argo Rollouts: a `KubernetesService` on the environment's cluster. Blue/green services take their two
 * target groups on the environment's load balancer; canary, linear and steps services an Ingress on a load balancer of
 * the AWS Load Balancer Controller, whose hosts get DNS records.
 * @internal
 */
export const kubernetesRuntime: ServiceRuntime<KubernetesServiceArgsToCheck & { readonly provider?: k8s.Provider }, KubernetesService> = {
  onCluster: true,
  outputs: { key: "kubernetes", whenNone: "absent" },
  loadBalancerShare: (strategy) => (strategy === "blue-green" ? 2 : 0),
  ownLoadBalancerProblems(strategies) {
    // The Ingresses of Kubernetes canaries share one IngressGroup, so one controller-made load balancer: the same quota.
    const ingressServices = strategies.filter((strategy) => strategy !== "blue-green").length;
    const limit = Math.min(LOAD_BALANCER_LIMITS.targetGroups, LOAD_BALANCER_LIMITS.rules);
    return 2 * ingressServices <= limit
      ? []
      : [
          {
            field: ["services"],
            message: `${ingressServices} Kubernetes canary, linear or steps services need ${2 * ingressServices} target groups (stable and canary) on their IngressGroup's one load balancer; AWS allows ${LOAD_BALANCER_LIMITS.targetGroups} per Application Load Balancer (not adjustable): at most ${limit / 2}; split the services over more stacks`,
            got: `${ingressServices} services`,
          },
        ];
  },
  environmentProblems: (own, all, args) => [...clusterProblems(args, own), ...canaryHostProblems(own, all)],
  settingsThatDoNotApply(service) {
    const problems: ArgumentProblem[] = [];
    const add = (field: (string | number)[], message: string, got: unknown) => problems.push({ field, message, got });
    const deployment = service.deployment ?? {};
    if (deployment.steps === undefined && deployment.stepPauseMinutes !== undefined) add(["deployment", "stepPauseMinutes"], "applies to steps only", deployment.stepPauseMinutes);
    // The Kubernetes runtime has no secret store of its own: a secret value would reach no pod.
    for (const variable of Object.keys(service.secretEnvironment ?? {}).sort()) {
      add(["secretEnvironment", variable], "secret values are ECS-only (Secrets Manager): on kubernetes, keep the secret in the cluster (Secrets Store CSI driver, External Secrets) and pass its name in environment", undefined);
    }
    if (Object.keys(service.secrets ?? {}).length > 0) {
      add(["secrets"], "Secrets Manager and SSM references are ECS-only: on kubernetes, mount them with the Secrets Store CSI driver or External Secrets and pass names in environment", Object.keys(service.secrets ?? {}));
    }
    return problems;
  },
  args(service, { settings, environment, sidecars, ownLoadBalancerSubnetIds, hostedZoneId, cluster }) {
    // The rules refuse a Kubernetes service without a cluster before any is created.
    if (!cluster) throw new Error(`service ${service.name}: runtime kubernetes needs a cluster`);
    const blueGreen = service.deployment.strategy === "blue-green";
    return {
      environment,
      namespace: cluster.namespace,
      ...workloadArgs(service),
      steps: service.steps,
      stepPauseMinutes: service.stepPauseMinutes,
      environmentVariables: { ...service.environment, ...cluster.environmentVariables },
      sidecars,
      alarms: serviceAlarms(service),
      // The override reaches the component, whose rule says Argo Rollouts has none.
      hooks: { smokeTest: service.smokeTest.enabled ? serviceSmokeTest(service) : false, alarmGate: service.alarmGate ? { override: service.alarmGateOverride } : false },
      podSecurityGroupId: blueGreen ? cluster.podSecurityGroupId() : undefined,
      ingressSubnetIds: blueGreen ? undefined : ownLoadBalancerSubnetIds,
      internal: settings.ingress.internal,
      certificateArn: settings.ingress.certificateArn,
      allowedCidrs: settings.ingress.allowedCidrs,
      podIdentity: sidecars.length > 0 ? { clusterName: cluster.clusterName() } : undefined,
      ...(blueGreen ? {} : { idleTimeoutSeconds: settings.ingress.idleTimeoutSeconds }),
      ...(!blueGreen && settings.ingress.hostedZone !== undefined ? { dnsZone: { id: hostedZoneId(), name: settings.ingress.hostedZone } } : {}),
      ...(cluster.provider ? { provider: cluster.provider } : {}),
    };
  },
  problems: kubernetesServiceArgsProblems,
  create(name, args, opts) {
    const { provider } = args;
    if (!provider) throw new Error(`service ${name}: runtime kubernetes needs the cluster's provider`);
    const service = new KubernetesService(name, { ...args, provider }, opts);
    return { component: service, dashboard: dashboardRow(service), outputs: serviceOutputs(service, args.namespace) };
  },
};

/** Blue/green services are shown on the environment's load balancer they are on; canaries on the controller's. */
function dashboardRow(service: KubernetesService) {
  if (service.alarms && service.ingressLoadBalancerArnSuffix && service.stableTargetGroupArnSuffix && service.canaryTargetGroupArnSuffix) {
    return {
      targetGroupArnSuffixes: [service.stableTargetGroupArnSuffix, service.canaryTargetGroupArnSuffix],
      alarmArns: service.alarms.alarmArns,
      loadBalancerArnSuffix: service.ingressLoadBalancerArnSuffix,
    };
  }
  if (!service.alarms || !service.activeTargetGroupArnSuffix || !service.previewTargetGroupArnSuffix) return undefined;
  return {
    targetGroupArnSuffixes: [service.activeTargetGroupArnSuffix, service.previewTargetGroupArnSuffix],
    alarmArns: service.alarms.alarmArns,
    // The load balancer it is on: another than the dashboard's when the service joined one with environment.loadBalancer(name).
    loadBalancerArnSuffix: service.loadBalancerArnSuffix,
  };
}

function serviceOutputs(service: KubernetesService, namespace: string) {
  return {
    strategy: service.strategySummary,
    afterAbort: service.afterAbort,
    ...(service.ingressName
      ? {
          url: service.url,
          ingress: `${namespace}/${service.ingressName} (the AWS Load Balancer Controller's load balancer, group ${service.ingressGroupName})`,
          loadBalancerArnSuffix: service.ingressLoadBalancerArnSuffix,
          targetGroupArnSuffixes: [service.stableTargetGroupArnSuffix, service.canaryTargetGroupArnSuffix],
        }
      : { activeTargetGroupArn: service.activeTargetGroupArn, previewTargetGroupArn: service.previewTargetGroupArn }),
    ...(service.alarms ? { alarmNames: service.alarms.alarmNames, detection: service.alarms.detectionSummary } : {}),
  };
}

/**
 * A Kubernetes canary's hosts get DNS records pointing at the controller's load balancer: a host has one such record,
 * so no other service may answer on it (on the environment's load balancer, the name would lead elsewhere).
 */
function canaryHostProblems(own: readonly RuntimeServiceEntry[], all: readonly RuntimeServiceEntry[]): ArgumentProblem[] {
  return own.flatMap(({ name: serviceName, service, strategy }) =>
    strategy !== "blue-green"
      ? (service.hostHeaders ?? []).flatMap((host, index) => {
          const holder = all.find((other) => other.name !== serviceName && (other.service.hostHeaders ?? []).some((its) => its.toLowerCase() === host.toLowerCase()));
          return holder
            ? [{ field: ["services", serviceName, "hostHeaders", index], message: `is also a host of service ${holder.name}: this service's DNS record sends the host to the AWS Load Balancer Controller's load balancer, so one host serves one such service only`, got: host }]
            : [];
        })
      : [],
  );
}

/** Kubernetes services need a cluster, and what the cluster's stack would tell when only a kubeconfig is given. */
function clusterProblems(args: RuntimeEnvironmentArgs, onKubernetes: readonly RuntimeServiceEntry[]): ArgumentProblem[] {
  const cluster = args.cluster;
  if (!cluster) {
    return onKubernetes.map(({ name: serviceName, service }) => ({
      field: ["services", serviceName, "runtime"],
      message: "kubernetes needs a cluster (cluster.stackReference to a stack exporting kubeconfig, or cluster.kubeconfig)",
      got: service.runtime,
    }));
  }
  const problems: ArgumentProblem[] = [];
  if ((cluster.stackReference === undefined) === (cluster.kubeconfig === undefined)) {
    problems.push({
      field: ["cluster"],
      message: "give exactly one of stackReference (a stack exporting kubeconfig) or kubeconfig",
      got: cluster.stackReference ?? (cluster.kubeconfig ? "[kubeconfig]" : undefined),
    });
  }
  if (onKubernetes.length > 0 && cluster.kubeconfig !== undefined && cluster.stackReference === undefined) {
    const blueGreen = onKubernetes.filter(({ strategy }) => strategy === "blue-green");
    if (blueGreen.length > 0 && cluster.securityGroupId === undefined) {
      problems.push({
        field: ["cluster", "securityGroupId"],
        message: `required for blue-green on kubernetes (${blueGreen.map(({ name }) => name).join(", ")}): the load balancer reaches the pods through it`,
        got: undefined,
      });
    }
    const agent = (args.flagStore?.backend ?? DEFAULT_FLAG_BACKEND) === "appconfig" && (args.flagStore?.agent ?? true);
    if (agent && cluster.name === undefined) {
      problems.push({
        field: ["cluster", "name"],
        message: "required: the AppConfig Agent in each pod reads flags with EKS Pod Identity, which associates a role on a named cluster",
        got: undefined,
      });
    }
  }
  return problems;
}
