/**
 * release-platform components: the public API platform teams import. Each takes its dependencies as args and never
 * reads stack config, so it composes into programs with their own config. Helpers the components use (naming, alarm
 * math, policy documents, hook bundling) stay in their files for this repository's own tools, outside this index.
 */
export { ReleaseEnvironment, type ReleaseEnvironmentSettings } from "./release-environment/release-environment";
export { type ReleaseServiceOutputs } from "./blue-green-service/runtime";
export { releaseEnvironmentArgsProblems } from "./release-environment/problems";
export { type JoinedPlace } from "./release-environment/joined";
export {
  type ReleaseClusterArgs,
  type ReleaseDeploymentArgs,
  type ReleaseEnvironmentArgs,
  type ReleaseFlagStoreArgs,
  type ReleaseIngressArgs,
  type ReleaseNetworkArgs,
  type ReleaseNotificationsArgs,
  type ReleaseRouteArgs,
  type ReleaseServiceArgs,
} from "./release-environment/args";
export {
  Environment,
  environmentArgsProblems,
  JoinedEnvironment,
  type EnvironmentArgs,
  type EnvironmentRoute,
  type JoinedEnvironmentArgs,
  type ServiceEnvironment,
  type SubnetDefaultRoute,
} from "./environment/environment";
export {
  ENVIRONMENT_CONTRACT_VERSION,
  ENVIRONMENT_OUTPUT,
  MAIN_LOAD_BALANCER,
  type ClusterContract,
  type EnvironmentContract,
  type LoadBalancerContract,
  type RouteContract,
} from "./environment/contract";
export { readEnvironmentContract } from "./environment/contract-read";
export { type DashboardService } from "./environment/dashboard";
export { type EnvironmentAlarm } from "./environment/load-balancer-alarms";
export { type SlackChannel } from "./environment/notifications";
export { type AwsProviderSettings } from "./environment/provider-settings";
export {
  BlueGreenService,
  blueGreenServiceArgsProblems,
  type BlueGreenServiceArgs,
  type BlueGreenServiceArgsToCheck,
  type EnvironmentFacts,
  type LifecycleHook,
} from "./blue-green-service/blue-green-service";
export { type Autoscaling, type HealthCheck, type ServiceArgsBase, type Sidecar } from "./service/args";
export { type ServiceAlarmsArgs, type ServiceHooksArgs, type ServiceSmokeTest } from "./service/settings";
export { describeStrategy, type DeploymentStrategy } from "./blue-green-service/strategy";
export { DeploymentAlarms, deploymentAlarmsArgsProblems, type AlarmSettings, type DeploymentAlarmsArgs } from "./deployment-alarms/deployment-alarms";
export { type AlarmTiming, type CustomAlarm } from "./deployment-alarms/alarm-math";
export { ALARM_SETTINGS, type AlarmSetting, type Thresholds } from "./deployment-alarms/kinds";
export {
  LifecycleHooks,
  lifecycleHooksArgsProblems,
  type AlarmGateHookArgs,
  type LifecycleHooksArgs,
  type SmokeTestHookArgs,
} from "./lifecycle-hooks/lifecycle-hooks";
export { agentContainer } from "./feature-flag-store/backends/appconfig/agent";
export {
  type AlarmedService,
  type FeatureFlagStoreArgs,
  type FlagDeploymentStrategy,
  type FlagReader,
  type FlagReadingService,
  type MonitoredAlarm,
} from "./feature-flag-store/backends/appconfig/args";
export { toAppConfigDocument } from "./feature-flag-store/backends/appconfig/document";
export { featureFlagStoreArgsProblems } from "./feature-flag-store/backends/appconfig/problems";
export { rampStepsForStore, type FlagRampStep } from "./feature-flag-store/backends/appconfig/ramp";
export { FeatureFlagStore } from "./feature-flag-store/backends/appconfig/store";
export { toFlagdDocument } from "./feature-flag-store/backends/flagd/document";
export {
  expiredFlagWarnings,
  type FlagDefinition,
  type FlagRollout,
  type FlagRule,
  type Flags,
  type FlagValue,
  type VariantSpec,
} from "./feature-flag-store/flags/model";
export { flagsProblems, type FlagStoreKind } from "./feature-flag-store/flags/problems";
export {
  KubernetesService,
  kubernetesServiceArgsProblems,
  type KubernetesServiceArgs,
  type KubernetesServiceArgsToCheck,
} from "./kubernetes-service/kubernetes-service";
export { type CanaryDnsZone } from "./kubernetes-service/dns";
export { FlagdServer, type FlagdServerArgs } from "./feature-flag-store/backends/flagd/server";
export { describeRolloutSteps, type RolloutStep, type StepInput } from "./kubernetes-service/steps";
export { type ArgumentProblem } from "./arguments";
export { TIER_DEFAULTS, type Tier, type TierDefaults } from "./tiers";
