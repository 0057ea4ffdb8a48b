import * as pulumi from "@pulumi/pulumi";
import { issueProblems } from "../../components/arguments";
import { AWS_PROVIDER_SETTINGS, AWS_SETTING_SHAPES, type AwsProviderSettings, RETIRED_AWS_SETTINGS } from "../../components/environment/provider-settings";
import { closest } from "../../components/edit-distance";

/** A problem with one `aws:` setting, at its stack-file path (`aws:assumeRoles[0].roleArn`). */
export interface AwsSettingProblem {
  readonly path: string;
  readonly message: string;
  readonly got: unknown;
  readonly secret: boolean;
}

/** `aws:` + a field of the environment's `aws` settings, as the stack file writes it. */
export function awsSettingPath(field: readonly (string | number)[]): string {
  return `aws:${field.map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? part : `.${part}`)).join("")}`;
}

/**
 * The stack's `aws:` settings (all but `aws:region`) as the environment provider's arguments. Pulumi configures only
 * the default provider from them; the program's resources use the environment's explicit provider, so each is read
 * here and passed on. A key that is no setting of @pulumi/aws 7.48's provider is a problem, never dropped. Values set
 * with `--secret` stay secret.
 */
export function awsSettingsFromConfig(
  values: Readonly<Record<string, string>>,
  secretKeys: ReadonlySet<string>,
): { readonly settings: AwsProviderSettings; readonly problems: AwsSettingProblem[] } {
  const settings: Record<string, unknown> = {};
  const problems: AwsSettingProblem[] = [];
  for (const [fullKey, text] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
    if (!fullKey.startsWith("aws:") || fullKey === "aws:region") continue;
    const key = fullKey.slice("aws:".length);
    const secret = secretKeys.has(fullKey);
    const shape = (AWS_SETTING_SHAPES as Record<string, (typeof AWS_SETTING_SHAPES)[keyof typeof AWS_SETTING_SHAPES]>)[key];
    if (!shape) {
      const retired = RETIRED_AWS_SETTINGS[key];
      const meant = closest(key, AWS_PROVIDER_SETTINGS);
      problems.push({
        path: fullKey,
        message:
          retired ??
          `not a setting of the AWS provider (@pulumi/aws 7.48)${meant ? ` (did you mean "aws:${meant}"?)` : ""}; the program passes every aws: setting to the provider all its resources use, and cannot pass this one`,
        got: parseText(text),
        secret,
      });
      continue;
    }
    // Pulumi hands objects, lists, numbers and booleans as text: a value is the text where a string is wanted.
    const asText = shape.safeParse(text);
    const value = asText.success ? text : parseText(text);
    const parsed = asText.success ? asText : shape.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        for (const problem of issueProblems(issue, value)) problems.push({ path: awsSettingPath([key, ...problem.field]), message: problem.message, got: problem.got, secret });
      }
      continue;
    }
    settings[key] = secret ? pulumi.secret(parsed.data) : parsed.data;
  }
  return { settings: settings as AwsProviderSettings, problems };
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

