import { alarmHasActions } from "./alarm-has-actions";
import { alarmSensitivityRule } from "./alarm-sensitivity";
import { blueGreenRuleIgnoresActions } from "./blue-green-rule-ignores-actions";
import { hookInvokeRoleIsEcsOnly } from "./hook-invoke-role-is-ecs-only";
import { runtimePathsAllowed } from "./runtime-paths-allowed";
import { hookLambdaHasTimeout } from "./hook-lambda-has-timeout";
import { kubernetesManifestValid } from "./kubernetes-manifest-valid";
import { kubernetesServiceHasAnalysis } from "./kubernetes-service-has-analysis";
import { listenerUsesTls13 } from "./listener-uses-tls13";
import { logGroupHasRetention } from "./log-group-has-retention";
import { onlyLoadBalancerOpenToInternet } from "./only-load-balancer-open-to-internet";
import { productionFlagEnvironmentHasMonitors } from "./production-flag-environment-has-monitors";
import { productionImagePinned } from "./production-image-pinned";
import { productionKeepsProtectedResources } from "./production-keeps-protected-resources";
import { productionLoadBalancerHardened } from "./production-load-balancer-hardened";
import { productionServiceRollsBackOnAlarm } from "./production-service-rolls-back-on-alarm";
import { productionStatefulResourcesProtected } from "./production-stateful-resources-protected";
import { secretsNotInPlaintext } from "./secrets-not-in-plaintext";
import { runtimePathsReachable } from "./runtime-paths-reachable";
import { targetGroupHasHealthCheck } from "./target-group-has-health-check";
import { loadBalancerHasRollbackAlarms } from "./load-balancer-has-rollback-alarms";
import { rampStepHasCatch } from "./ramp-step-has-catch";
import { ignoreChangesWholeSets } from "./ignore-changes-whole-sets";
import { physicalNamesWithinLimits } from "./physical-names-within-limits";
import { servicesAvailableInRegion } from "./services-available-in-region";
import { withinAwsQuotas } from "./within-aws-quotas";
import type { Rule } from "./types";
import { analysisArgumentsWritten } from "./analysis-arguments-written";
import { rolloutAwaited } from "./rollout-awaited";

export const RULES: readonly Rule[] = [
  productionServiceRollsBackOnAlarm,
  alarmHasActions,
  blueGreenRuleIgnoresActions,
  targetGroupHasHealthCheck,
  productionLoadBalancerHardened,
  listenerUsesTls13,
  onlyLoadBalancerOpenToInternet,
  logGroupHasRetention,
  productionFlagEnvironmentHasMonitors,
  hookLambdaHasTimeout,
  hookInvokeRoleIsEcsOnly,
  runtimePathsAllowed,
  productionStatefulResourcesProtected,
  runtimePathsReachable,
  productionImagePinned,
  kubernetesServiceHasAnalysis,
  kubernetesManifestValid,
  secretsNotInPlaintext,
  alarmSensitivityRule,
  loadBalancerHasRollbackAlarms,
  analysisArgumentsWritten,
  rolloutAwaited,
  rampStepHasCatch,
  productionKeepsProtectedResources,
  withinAwsQuotas,
  physicalNamesWithinLimits,
  servicesAvailableInRegion,
  ignoreChangesWholeSets,
];

export type { PolicyResource, Rule, StackContext, Tier } from "./types";
