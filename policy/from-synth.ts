import { ENVIRONMENT_OUTPUT } from "../components/environment/contract";
import { readEnvironmentContract } from "../components/environment/contract-read";
import type { SynthDocument } from "../src/synth/capture";
import { SERVICE_COMPONENT_TYPES } from "./rules/environment";
import type { PolicyResource, StackContext } from "./rules/types";

const PLACEHOLDERS = new Set(["[unknown]"]);

function known(value: unknown): unknown {
  if (typeof value === "string") return PLACEHOLDERS.has(value) ? undefined : value;
  if (Array.isArray(value)) return value.map(known);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, known(inner)]));
  }
  return value;
}

/** The synthesized graph as the policy rules see it: inputs with the mocked outputs (ids, ARNs) merged in. */
export function policyResources(document: SynthDocument): PolicyResource[] {
  return document.resources.map((resource) => ({
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: known({ ...resource.outputs, ...resource.inputs, ...(resource.outputs.arn ? { arn: resource.outputs.arn } : {}) }) as Record<string, unknown>,
    options: { protect: resource.options.protect, ignoreChanges: resource.options.ignoreChanges },
    parent: resource.parent ?? undefined,
    provider: resource.provider || undefined,
  }));
}


/** Resource name -> the service it belongs to (the name of the BlueGreenService or KubernetesService above it). */
export function servicesByResource(document: SynthDocument): Map<string, string> {
  const byUrn = new Map(document.resources.map((resource) => [resource.urn, resource]));
  const out = new Map<string, string>();
  for (const resource of document.resources) {
    let ancestor: typeof resource | undefined = resource;
    while (ancestor && !SERVICE_COMPONENT_TYPES.has(ancestor.type)) ancestor = ancestor.parent ? byUrn.get(ancestor.parent) : undefined;
    if (ancestor) out.set(resource.name, ancestor.name);
  }
  return out;
}

/**
 * The environment contract a synthesized stack exports (an environment stack: its own `environment` output) or joins
 * (a service stack: the `environment` output of the stack it references, from `--stack-outputs`), validated; none for
 * a single stack, or when the referenced stack's outputs were not given (its rules then say what they skip).
 */
export function environmentOfStack(
  document: Pick<SynthDocument, "outputs">,
  environmentReference: string | undefined,
  stackOutputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): StackContext["environment"] {
  const read = (value: unknown) => {
    const result = value === undefined ? undefined : readEnvironmentContract(value);
    return result && "contract" in result ? result.contract : undefined;
  };
  const own = read(document.outputs[ENVIRONMENT_OUTPUT]);
  if (own) return { role: "environment", contract: own };
  const joined = environmentReference === undefined ? undefined : read(stackOutputs[environmentReference]?.[ENVIRONMENT_OUTPUT]);
  return joined ? { role: "service", contract: joined } : undefined;
}
