import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import Ajv, { type ErrorObject } from "ajv";
import targetGroupBindingSchema from "../../components/kubernetes-service/target-group-binding.schema.json";
import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

const validateTargetGroupBinding = new Ajv({ allErrors: true, strict: false }).compile(targetGroupBindingSchema);

/** The CRDs' own models (Argo Rollouts) and the Load Balancer Controller's documented fields (TargetGroupBinding). */
const VALIDATORS: Record<string, (manifest: Record<string, unknown>) => ErrorObject[]> = {
  "kubernetes:argoproj.io/v1alpha1:Rollout": (manifest) => modelErrors(() => new Rollout(manifest as never).validate()),
  "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate": (manifest) => modelErrors(() => new AnalysisTemplate(manifest as never).validate()),
  "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding": (manifest) => (validateTargetGroupBinding(manifest) ? [] : [...(validateTargetGroupBinding.errors ?? [])]),
};

function modelErrors(validate: () => void): ErrorObject[] {
  try {
    validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: ErrorObject[] }).errors;
    if (!errors) throw error;
    return errors;
  }
}

/** A preview sends unknown values (ids not yet created) as undefined: a key that is there but unknown is not missing. */
function unknownNotMissing(manifest: Record<string, unknown>, error: ErrorObject): boolean {
  if (error.keyword !== "required") return false;
  const parent = error.instancePath
    .split("/")
    .filter(Boolean)
    .reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), manifest);
  return parent !== null && typeof parent === "object" && String(error.params.missingProperty) in parent;
}

const withoutUndefined = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null)) as unknown;

export const kubernetesManifestValid: Rule = defineRule({
  id: "kubernetes-manifest-valid",
  description: "Rollouts, AnalysisTemplates and TargetGroupBindings match their CRDs' schemas, so the API server accepts them",
  enforcement: "mandatory",
  judge(resource) {
    const validate = VALIDATORS[resource.type];
    if (!validate) return NOT_APPLICABLE;
    const manifest = withoutUndefined(resource.props) as Record<string, unknown>;
    return judged(
      validate(manifest)
        .filter((error) => !unknownNotMissing(resource.props as Record<string, unknown>, error))
        .map((error) => `${error.instancePath || "/"} ${error.message ?? error.keyword}${error.keyword === "required" ? "" : ` (got ${JSON.stringify(error.data)})`}`),
    );
  },
});
