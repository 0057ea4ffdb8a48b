/**
 * release-platform components: the public API platform teams import. Each takes its dependencies as args and never
 * reads stack config, so it composes into programs with their own config.
 */
export { Environment, TLS13_POLICY, type EnvironmentArgs, type Tier } from "./environment/environment";
export { dashboardBody, type DashboardInput, type DashboardService } from "./environment/dashboard";
export { alertKeyPolicy, alertTopicPolicy, ecsDeploymentEventPattern, flagDeploymentEventPattern, type SlackChannel } from "./environment/notifications";
export {
  BlueGreenService,
  ecrRepositoryArn,
  executionPolicy,
  fargateMemoryProblem,
  TEST_ROUTE_HEADER,
  type Autoscaling,
  type BlueGreenServiceArgs,
  type HealthCheck,
  type LifecycleHook,
  type Sidecar,
} from "./blue-green-service/blue-green-service";
export { type ServiceAlarmsArgs, type ServiceHooksArgs, type ServiceSmokeTest } from "./blue-green-service/guards";
export {
  describeStrategy,
  minutesToComplete,
  strategyProblems,
  toDeploymentConfiguration,
  type DeploymentStrategy,
} from "./blue-green-service/strategy";
export { DeploymentAlarms, type DeploymentAlarmsArgs } from "./deployment-alarms/deployment-alarms";
export {
  detectionSeconds,
  errorRateAlarm,
  latencyAlarm,
  unhealthyHostsAlarm,
  type AlarmTiming,
  type CustomAlarm,
} from "./deployment-alarms/alarm-math";
export { alarmSensitivity, describeSensitivity, type ScenarioResult, type SensitivityInputs } from "./deployment-alarms/alarm-sensitivity";
export { LifecycleHooks, smokeTestTimeoutSeconds, type AlarmGateHookArgs, type LifecycleHooksArgs, type SmokeTestHookArgs } from "./lifecycle-hooks/lifecycle-hooks";
export { bundleHook, HOOK_RUNTIME, type HookBundle, type HookName } from "./lifecycle-hooks/bundle";
export {
  agentContainer,
  agentPrefetchPath,
  AGENT_PORT,
  FeatureFlagStore,
  FLAG_PROFILE_NAME,
  type FeatureFlagStoreArgs,
  type FlagDeploymentStrategy,
  type MonitoredAlarm,
} from "./feature-flag-store/feature-flag-store";
export {
  expiredFlagWarnings,
  toAppConfigDocument,
  toFlagdDocument,
  type FlagDefinition,
  type FlagRule,
  type Flags,
  type FlagValue,
  type FlagRollout,
  type VariantSpec,
} from "./feature-flag-store/documents";
export {
  KubernetesService,
  kubernetesServiceArgsProblems,
  type KubernetesServiceArgs,
} from "./kubernetes-service/kubernetes-service";
export { FlagdServer, FLAGD_IMAGE, FLAGD_PORT, type FlagdServerArgs } from "./kubernetes-service/flagd-server";
export { describeRolloutSteps, rolloutSteps, stepsProblems, type RolloutStep, type SmokeTest, type StepInput } from "./kubernetes-service/plan";
export { rampStepsForStore, type FlagRampStep } from "./feature-flag-store/ramp";
export { physicalName, shortHash } from "./naming";
