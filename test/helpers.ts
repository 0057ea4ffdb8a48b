import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import * as k8s from "@pulumi/kubernetes";
import { Environment, type EnvironmentArgs } from "../components/environment/environment";
import type { KubernetesServiceArgs } from "../components/kubernetes-service/kubernetes-service";
import type { Tier } from "../components/tiers";
import { loadReleaseConfig, type ReleaseConfig } from "../src/config/load";
import { synthesize, type SynthDocument, type SynthResource } from "../src/synth/capture";
import { PROJECT_ROOT } from "../src/synth/run";
import { toConfigValues } from "../src/synth/stack-file";

export type StackConfig = Record<string, unknown>;

/** The `config:` map of a shipped stack file, as a plain object a test can change. */
export function shippedConfig(stack: string): StackConfig {
  const document = parse(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: StackConfig };
  return structuredClone(document.config);
}

export function load(config: StackConfig, stack = "staging"): ReleaseConfig {
  const { values, secretKeys } = toConfigValues(config, "release-platform");
  return loadReleaseConfig({ stack, stackFile: `Pulumi.${stack}.yaml`, values, secretKeys });
}

export function synth(config: StackConfig, stack = "staging"): Promise<SynthDocument> {
  return synthesize({ config: load(config, stack) });
}

/** The error message a config gets, or undefined when it loads. */
export function configError(config: StackConfig, stack = "staging"): string | undefined {
  try {
    load(config, stack);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function resource(document: SynthDocument, type: string, name: string): SynthResource {
  const found = document.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have ${document.resources.filter((r) => r.type === type).map((r) => r.name).join(", ")}`);
  return found;
}

export function resourcesOf(document: SynthDocument, type: string): SynthResource[] {
  return document.resources.filter((r) => r.type === type);
}

/** Sets a value at a dotted path (creating maps on the way), like `pulumi config set --path`. */
export function setPath(config: StackConfig, path: string, value: unknown): StackConfig {
  const parts = path.split(".");
  let current = config as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    current[part] ??= {};
    current = current[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete current[last];
  else current[last] = value;
  return config;
}

/** A made-up network in eu-west-1, for components built directly. */
export const TEST_NETWORK = {
  vpcId: "vpc-0123456789abcdef0",
  publicSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
  privateSubnetIds: ["subnet-0123456789abcdef3"],
};
export const TEST_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0b6a7c4e-1d2f-4a3b-9c8d-7e6f5a4b3c2d";

/** An Environment named `env` of `tier` on the test network, with a certificate outside dev (required there). */
export function testEnvironment(tier: Tier, extra: Partial<EnvironmentArgs> = {}): Environment {
  return new Environment("env", { tier, region: "eu-west-1", ...TEST_NETWORK, ...(tier === "dev" ? {} : { certificateArn: TEST_CERTIFICATE }), ...extra });
}

/** A blue/green KubernetesService's arguments in namespace `shop` of a made-up cluster (one provider per call). */
export function testKubernetesServiceArgs(environment: Environment, extra: Partial<KubernetesServiceArgs> = {}): KubernetesServiceArgs {
  return {
    environment,
    provider: new k8s.Provider("cluster", { kubeconfig: "apiVersion: v1", namespace: "shop" }),
    namespace: "shop",
    image: "nginx:1.27",
    port: 80,
    pathPatterns: ["/*"],
    priority: 7,
    podSecurityGroupId: "sg-0123456789abcdef0",
    ...extra,
  };
}

/** The config moved to another Region, its certificate with it (ACM certificates are regional). */
export function inRegion(config: StackConfig, region: string): StackConfig {
  const ingress = config["release:ingress"] as { certificateArn?: string } | undefined;
  if (ingress?.certificateArn) ingress.certificateArn = ingress.certificateArn.replace(/:acm:[^:]+:/, `:acm:${region}:`);
  return setPath(config, "aws:region", region);
}
