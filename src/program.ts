import * as pulumi from "@pulumi/pulumi";
import { expiredFlagWarnings } from "../components/feature-flag-store/flags/model";
import { ReleaseEnvironment } from "../components/release-environment/release-environment";
import { RUNTIMES } from "../components/runtimes";
import { KUBERNETES_CONTROLLERS } from "./config/schema";
import { loadReleaseConfig, type ReleaseConfig } from "./config/load";
import { type ConfigSource, DEFAULT_ORGANIZATION, environmentStackReference, PROJECT_NAMESPACE } from "./config/source";
import { ENVIRONMENT_OUTPUT } from "../components/environment/contract";
import { stackFileBeside } from "./synth/stack-file";
import { OVERRIDE_CONSEQUENCE } from "../components/lifecycle-hooks/lifecycle-hooks";
import { NO_ALARM_ROLLBACK } from "../components/lifecycle-hooks/handlers/hook-event";

/** Pulumi's own test of `--secret` keys; the SDK exports it without declaring it. */
function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  if (runtime.isConfigSecret) return runtime.isConfigSecret(key);
  const listed: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
  return Array.isArray(listed) && listed.includes(key);
}

/**
 * Reads the stack's config from Pulumi: every `release:` and `aws:` key, with which keys are secret; a service stack's
 * with its environment's contract.
 */
export function readStackConfig(): Promise<ReleaseConfig> {
  const values = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(values).filter(isConfigSecret));
  const stack = pulumi.getStack();
  const project = pulumi.getProject();
  const file = stackFileBeside(stack, PROJECT_NAMESPACE);
  return readConfig({
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    values,
    secretKeys,
    secretPaths: file?.secretPaths,
    fileProblems: file?.problems,
    project,
    stackName: `${organization()}/${project}/${stack}`,
  });
}

/**
 * The stack's organization; Pulumi's own name for it where the engine gives none (tests' mocks without one). A
 * DIY backend's stacks are in "organization" too ("organization/<project>/<stack>").
 */
function organization(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return DEFAULT_ORGANIZATION;
  }
}

/**
 * The stack's validated config. A service stack's environment is read first: a StackReference to the stack its
 * release:environment names (a read of that stack's outputs, the only registration before the config is judged), then
 * its `environment` output, which the loader checks with the rest. Offline, the mocks answer from --stack-outputs.
 */
export async function readConfig(source: ConfigSource): Promise<ReleaseConfig> {
  const stackReference = environmentStackReference(source.values);
  if (stackReference === undefined) return loadReleaseConfig(source);
  // getOutputValue throws on a secret output ("Cannot call 'getOutputValue' if the referenced stack output is a secret"),
  // and the engine marks a whole output secret when any value in it is: the details carry either kind.
  const details = await new pulumi.StackReference(stackReference).getOutputDetails(ENVIRONMENT_OUTPUT);
  const environmentOutput: unknown = details.value ?? details.secretValue;
  return loadReleaseConfig({ ...source, environmentOutput });
}

/** Warnings about a valid config, e.g. expired flags. `today` is yyyy-mm-dd. */
export function configWarnings(config: ReleaseConfig, today: string): string[] {
  return [...expiredFlagWarnings(config.flags, today), ...kubernetesWarnings(config), ...overrideWarnings(config)];
}

/**
 * An alarm-gate override switches off more than the gate: every synth says so, as long as it stays in the stack file.
 * Only a runtime whose component takes an override (ECS's) lets one through the rules.
 */
export function overrideWarnings(config: ReleaseConfig): string[] {
  return config.services
    .filter((service) => service.alarmGate && service.alarmGateOverride !== undefined)
    .map(
      (service) =>
        `release:services.${service.name}.alarmGate.override: ${JSON.stringify(service.alarmGateOverride)}: ${OVERRIDE_CONSEQUENCE}. The gate lets such a deployment through, logs "${NO_ALARM_ROLLBACK}" and tells the alert topic; watch it by hand, and remove the override once the fix is out`,
    );
}

/** What the stack file cannot prove about the cluster: the controllers Kubernetes services rely on. */
export function kubernetesWarnings(config: ReleaseConfig): string[] {
  if (!config.cluster || !config.services.some((service) => RUNTIMES[service.runtime].onCluster)) return [];
  const listed = new Set(config.cluster.controllers);
  const needs: Record<(typeof KUBERNETES_CONTROLLERS)[number], string> = {
    "aws-load-balancer-controller": "TargetGroupBinding (blue/green) and the canary Ingress need the AWS Load Balancer Controller",
    "argo-rollouts": "Rollouts and AnalysisTemplates need the Argo Rollouts controller, with cloudwatch:GetMetricData, AWS_REGION and --aws-verify-target-group",
  };
  return KUBERNETES_CONTROLLERS.filter((controller) => !listed.has(controller)).map(
    (controller) =>
      `release:cluster: cannot tell whether ${controller} runs in the cluster: ${needs[controller]}. Install it (README, "Kubernetes runtime"), then list it in release:cluster.controllers`,
  );
}

export interface ProgramOptions {
  /** Where warnings go: Pulumi's log by default, the synth document's diagnostics offline. */
  readonly warn?: (message: string) => void;
  readonly today?: string;
}

/**
 * The program: stack config -> one ReleaseEnvironment (named after the stack; a service stack's after its project) -> its
 * outputs. Config errors throw before any resource is registered. A service stack's config given here (loaded offline)
 * is read again as `pulumi up` reads it, its environment through the StackReference.
 */
export async function releasePlatform(config?: ReleaseConfig, options: ProgramOptions = {}): Promise<Record<string, unknown>> {
  const loaded = config === undefined ? await readStackConfig() : config.joins ? await readConfig(config.joins.source) : config;
  const warn = options.warn ?? ((message: string) => void pulumi.log.warn(message));
  for (const warning of configWarnings(loaded, options.today ?? new Date().toISOString().slice(0, 10))) warn(warning);
  return new ReleaseEnvironment(loaded.name, loaded.args).outputs;
}
