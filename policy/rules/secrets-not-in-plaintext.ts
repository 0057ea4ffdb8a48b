import { at, list, parsed } from "./props";
import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE, nonCompliant } from "./result";

/** The offline synth's stand-in for a value Pulumi holds as a secret: in these places it means a secret went in as text. */
const SECRET_PLACEHOLDER = "[secret]";

/** A name that says its value is a credential: it ends in one of these words (`DB_PASSWORD`, `STRIPE_API_KEY`, `GITHUB_TOKEN`). */
const SECRET_NAME = /(^|[_.-])(secret|password|passwd|passphrase|token|api_?key|private_?key|access_?key|secret_?key|credentials?|client_?secret)$/i;

/** Values shaped like well-known credentials, whatever their name. */
const CREDENTIAL_VALUES: readonly [RegExp, string][] = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}/, "a GitHub token"],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  [/\b[rs]k_live_[0-9A-Za-z]{16,}/, "a Stripe live key"],
  [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with a password"],
];

/** A reference to where a secret is kept (an ARN, a name), which is not the secret. */
const REFERENCE = /^arn:aws[a-z-]*:(secretsmanager|ssm|kms):/;

/** Why `value` under `name` looks like a secret written as text, or undefined. */
export function plaintextSecret(name: string, value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0 || REFERENCE.test(value)) return undefined;
  if (value === SECRET_PLACEHOLDER) return `${name} holds a value set with --secret`;
  const credential = CREDENTIAL_VALUES.find(([pattern]) => pattern.test(value));
  if (credential) return `${name} holds ${credential[1]}`;
  if (SECRET_NAME.test(name)) return `${name} is named like a secret and holds a value`;
  return undefined;
}

/** Every string leaf of a JSON value with the key it sits under. */
function leaves(value: unknown, key: string): [string, unknown][] {
  const inner = parsed(value);
  if (Array.isArray(inner)) return inner.flatMap((item, index) => leaves(item, `${key}[${index}]`));
  if (inner !== null && typeof inner === "object") return Object.entries(inner).flatMap(([k, v]) => leaves(v, k));
  return [[key, inner]];
}

const advice = "keep it in Secrets Manager or SSM (set it with pulumi config set --secret, or reference an ARN through secrets)";

export const secretsNotInPlaintext: Rule = defineRule({
  id: "secrets-not-in-plaintext",
  description:
    "No secret is written as text where anyone who may describe the resource reads it: task definition environments, Lambda environments, lifecycle hookDetails. A secret is a value set with --secret, a value shaped like a known credential (AWS key id, private key, GitHub/Slack/Stripe token, URL with a password), or any value of a variable named like one (…_PASSWORD, …_TOKEN, …_API_KEY, …_SECRET); ARNs of Secrets Manager, SSM or KMS are references, not secrets",
  enforcement: "mandatory",
  judge(resource) {
    const found: string[] = [];
    if (resource.type === "aws:ecs/taskDefinition:TaskDefinition") {
      if (resource.props.containerDefinitions === SECRET_PLACEHOLDER) {
        return nonCompliant(`containerDefinitions holds a value set with --secret, so a secret is in a container's environment: ${advice}`);
      }
      for (const container of list(resource.props.containerDefinitions)) {
        for (const variable of list(at(container, "environment"))) {
          const why = plaintextSecret(String(at(variable, "name")), at(variable, "value"));
          if (why) found.push(`container ${String(at(container, "name"))}: environment ${why}`);
        }
      }
    } else if (resource.type === "aws:lambda/function:Function") {
      const variables = at(resource.props.environment, "variables");
      if (variables === SECRET_PLACEHOLDER) return nonCompliant(`environment.variables holds a value set with --secret: ${advice}`);
      for (const [name, value] of Object.entries((parsed(variables) as Record<string, unknown> | undefined) ?? {})) {
        const why = plaintextSecret(name, value);
        if (why) found.push(`environment ${why}`);
      }
    } else if (resource.type === "aws:ecs/service:Service") {
      list(at(resource.props.deploymentConfiguration, "lifecycleHooks")).forEach((hook, index) => {
        for (const [name, value] of leaves(at(hook, "hookDetails"), "hookDetails")) {
          const why = plaintextSecret(name, value);
          if (why) found.push(`lifecycleHooks[${index}].hookDetails: ${why}`);
        }
      });
    } else {
      return NOT_APPLICABLE;
    }
    return judged(found.map((message) => `${message}: ${advice}`));
  },
});
