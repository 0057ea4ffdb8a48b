import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../arguments";
import { serviceAlarms, serviceSmokeTest, workloadArgs } from "../release-environment/children";
import type { ServiceRuntime } from "../service/runtime";
import { BlueGreenService, type BlueGreenServiceArgsToCheck, blueGreenServiceArgsProblems } from "./blue-green-service";

/** What a team reads of one ECS service after `pulumi up`. */
export interface ReleaseServiceOutputs {
  readonly strategy: string;
  readonly detection?: string;
  readonly alarmNames: pulumi.Output<string[]>;
  readonly serviceArn: pulumi.Output<string>;
  readonly testUrl: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  readonly blueTargetGroupArn: pulumi.Output<string>;
  readonly greenTargetGroupArn?: pulumi.Output<string>;
}

/**
 * ECS, the default: a `BlueGreenService` released by ECS's native engine, on the environment's load balancer.
 * @internal
 */
export const ecsRuntime: ServiceRuntime<BlueGreenServiceArgsToCheck, BlueGreenService> = {
  onCluster: false,
  outputs: { key: "services", whenNone: "empty" },
  // Two target groups to shift traffic, one for rolling.
  loadBalancerShare: (strategy) => (strategy === "rolling" ? 1 : 2),
  ownLoadBalancerProblems: () => [],
  environmentProblems: () => [],
  settingsThatDoNotApply(service) {
    const deployment = service.deployment ?? {};
    const problems: ArgumentProblem[] = [];
    if (deployment.steps !== undefined) {
      problems.push({
        field: ["deployment", "steps"],
        message: "arbitrary steps need runtime: kubernetes (Argo Rollouts); ECS's native engine shifts by one canary step or equal linear steps: use strategy canary or linear",
        got: deployment.steps,
      });
    }
    if (deployment.stepPauseMinutes !== undefined) {
      problems.push({ field: ["deployment", "stepPauseMinutes"], message: "applies to steps, which need runtime: kubernetes", got: deployment.stepPauseMinutes });
    }
    return problems;
  },
  args: (service, { settings, environment, privateSubnetSidecars }) => ({
    environment,
    ...workloadArgs(service),
    environmentVariables: service.environment,
    secretEnvironmentVariables: service.secretEnvironment,
    secretRecoveryWindowDays: service.secretRecoveryWindowDays,
    secrets: service.secrets,
    logRetentionDays: service.logRetentionDays,
    waitForSteadyState: settings.defaults.waitForSteadyState,
    alarms: serviceAlarms(service),
    hooks: {
      smokeTest: service.smokeTest.enabled && service.deployment.strategy !== "rolling" ? serviceSmokeTest(service) : false,
      alarmGate: service.alarmGate ? { override: service.alarmGateOverride } : false,
    },
    sidecars: privateSubnetSidecars,
  }),
  problems: blueGreenServiceArgsProblems,
  create(name, args, opts) {
    const service = new BlueGreenService(name, args, opts);
    return {
      component: service,
      dashboard: {
        targetGroupArnSuffixes: [service.blueTargetGroupArnSuffix, service.greenTargetGroupArnSuffix],
        alarmArns: service.alarms?.alarmArns ?? [],
        // The load balancer it is on: another than the dashboard's when the service joined one with environment.loadBalancer(name).
        loadBalancerArnSuffix: service.loadBalancerArnSuffix,
      },
      outputs: serviceOutputs(service),
    };
  },
};

function serviceOutputs(service: BlueGreenService): ReleaseServiceOutputs {
  return {
    strategy: service.strategySummary,
    detection: service.alarms?.detectionSummary,
    alarmNames: service.alarmNames,
    serviceArn: service.serviceArn,
    testUrl: service.testUrl,
    url: service.productionUrl,
    blueTargetGroupArn: service.blueTargetGroupArn,
    greenTargetGroupArn: service.greenTargetGroupArn,
  };
}
