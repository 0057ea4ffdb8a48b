/** The AnalysisTemplates that judge a Kubernetes service's release, and the precondition job of a canary's analysis. */

/** The Argo Rollouts controller flag without which `status.alb` is never written (and the canary is not judged). */
export const VERIFY_TARGET_GROUP_FLAG = "--aws-verify-target-group";

/**
 * The precondition of a canary's analysis as a shell script for a `job` analysis: it reads the Rollout through the
 * Kubernetes API (the job's service account may get it) and fails, saying why, unless `status.alb` names a load
 * balancer and the canary's target group. Argo writes that status only with `--aws-verify-target-group`: "if
 * !r.getShouldVerifyWeightCfg() { r.cfg.Status.ALB = nil" (argo-rollouts rollout/trafficrouting/alb/alb.go). Without
 * it, a `fieldRef` to `status.alb...` cannot be resolved ("invalid path ... in rollout", utils/analysis/factory.go)
 * and the background analysis is never created: the Rollout would sit at its first weight, unjudged. This step runs
 * no fieldRef, so it fails (and aborts the release) instead.
 */
export function analysisPreconditionScript(namespace: string, rollout: string): string {
  const account = "/var/run/secrets/kubernetes.io/serviceaccount";
  const url = `https://kubernetes.default.svc/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts/${rollout}`;
  const fail = (why: string) => `{ echo '${why}'; exit 1; }`;
  return [
    // The API server pretty-prints for curl: whitespace is removed before matching.
    `status=$(curl -sS --fail --max-time 10 --cacert ${account}/ca.crt -H "Authorization: Bearer $(cat ${account}/token)" '${url}' | tr -d ' \\n\\t') || ${fail(`cannot read Rollout ${namespace}/${rollout}`)}`,
    `echo "$status" | grep -q '"alb":{' || ${fail(`Rollout ${namespace}/${rollout} has no status.alb: run the Argo Rollouts controller with ${VERIFY_TARGET_GROUP_FLAG}`)}`,
    `echo "$status" | grep -q '"loadBalancer":{[^}]*"fullName":"app/' || ${fail("status.alb.loadBalancer.fullName is empty: the controller has not found the Ingress load balancer")}`,
    `echo "$status" | grep -q '"canaryTargetGroup":{[^}]*"fullName":"targetgroup/' || ${fail("status.alb.canaryTargetGroup.fullName is empty: the canary target group was not verified")}`,
    `echo "status.alb names the load balancer and the canary target group"`,
  ].join("\n");
}
