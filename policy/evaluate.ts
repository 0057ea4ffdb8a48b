import { RULES } from "./rules";
import { stackTier } from "./rules/props";
import { messagesOf, skipReasonOf } from "./rules/result";
import type { Compliance, Enforcement, PolicyResource, Rule, StackContext } from "./rules/types";
import { type Suppression, suppresses } from "./suppressions";

export interface Violation {
  readonly rule: string;
  readonly enforcement: Enforcement;
  readonly resource: string;
  readonly type: string;
  readonly urn: string;
  readonly message: string;
  /** Set when a suppression covers this violation. */
  readonly suppressedBecause?: string;
}

/** A (rule, resource) pair the rule did not judge because what it reaches is in another stack, and why. */
export interface Skip {
  readonly rule: string;
  readonly resource: string;
  readonly type: string;
  readonly urn: string;
  readonly reason: string;
}

/** How many (rule, resource) pairs the rules found compliant, non-compliant and not applicable. */
export type ComplianceCounts = Readonly<Record<Compliance, number>>;

/** Runs every rule over every resource of a stack: the violations, and how many pairs each result had. */
export function judgeStack(
  resources: readonly PolicyResource[],
  stack: string,
  suppressions: readonly Suppression[] = [],
  rules: readonly Rule[] = RULES,
  deleted: readonly PolicyResource[] = [],
  environment?: StackContext["environment"],
): { violations: Violation[]; counts: ComplianceCounts; skipped: Skip[] } {
  const context: StackContext = { tier: stackTier(resources), resources, deleted, ...(environment ? { environment } : {}) };
  const violations: Violation[] = [];
  const skipped: Skip[] = [];
  const counts: Record<Compliance, number> = { compliant: 0, "non-compliant": 0, "not-applicable": 0 };
  for (const rule of rules) {
    for (const resource of rule.onDeleted ? deleted : resources) {
      const result = rule.judge(resource, context);
      counts[result.compliance] += 1;
      const reason = skipReasonOf(result);
      if (reason !== undefined) skipped.push({ rule: rule.id, resource: resource.name, type: resource.type, urn: resource.urn, reason });
      for (const message of messagesOf(result)) {
        const suppression = suppressions.find((candidate) => suppresses(candidate, rule.id, resource.name, stack));
        violations.push({
          rule: rule.id,
          enforcement: rule.enforcement,
          resource: resource.name,
          type: resource.type,
          urn: resource.urn,
          message,
          ...(suppression ? { suppressedBecause: suppression.reason } : {}),
        });
      }
    }
  }
  return { violations, counts, skipped };
}

/** Runs every rule over every resource of a stack. */
export function evaluate(
  resources: readonly PolicyResource[],
  stack: string,
  suppressions: readonly Suppression[] = [],
  rules: readonly Rule[] = RULES,
  deleted: readonly PolicyResource[] = [],
): Violation[] {
  return judgeStack(resources, stack, suppressions, rules, deleted).violations;
}

/**
 * The text report; with `counts`, its summary also says how many (rule, resource) pairs complied and how many the rules
 * did not apply to; each skipped pair (judged by another stack's check) is listed with its reason.
 */
export function report(violations: readonly Violation[], counts?: ComplianceCounts, skipped: readonly Skip[] = []): string {
  const lines = violations.map((violation) => {
    const level = violation.suppressedBecause ? "SUPPRESSED" : violation.enforcement.toUpperCase();
    const because = violation.suppressedBecause ? ` (suppressed: ${violation.suppressedBecause})` : "";
    return `${level} ${violation.rule} ${violation.resource} (${violation.type}): ${violation.message}${because}`;
  });
  lines.push(...skipped.map((skip) => `SKIPPED ${skip.rule} ${skip.resource} (${skip.type}): ${skip.reason}`));
  const blocking = violations.filter((violation) => violation.enforcement === "mandatory" && !violation.suppressedBecause).length;
  lines.push(`${blocking} mandatory violation(s), ${violations.filter((v) => v.enforcement === "advisory").length} advisory, ${violations.filter((v) => v.suppressedBecause).length} suppressed${counts ? `; ${counts.compliant} compliant, ${counts["not-applicable"]} not applicable (rule x resource)` : ""}`);
  return `${lines.join("\n")}\n`;
}

export interface ReportSource {
  readonly stack: string;
  /** The stack file, relative to the repository root, that results point at. */
  readonly stackFile: string;
  /** The stack file's text, to point each result at the line of the service it belongs to. */
  readonly stackFileText: string;
  readonly version: string;
  /** Resource name -> the service (stack-file key) it belongs to, when it belongs to one. */
  readonly serviceOf: ReadonlyMap<string, string>;
}

function lineOf(text: string, service: string | undefined): number {
  if (service === undefined) return 1;
  const lines = text.split("\n");
  const services = lines.findIndex((line) => /^\s*release:services:\s*$/.test(line));
  const escaped = service.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  const found = lines.findIndex((line, index) => index > services && new RegExp(`^\\s+["']?${escaped}["']?:\\s*$`).test(line));
  return services >= 0 && found >= 0 ? found + 1 : 1;
}

/** The report as JSON for tools: every finding, and the count that decides the exit code. */
export function reportJson(violations: readonly Violation[], source: Pick<ReportSource, "stack">, rules: readonly Rule[] = RULES, skipped: readonly Skip[] = []): string {
  const blocking = violations.filter((violation) => violation.enforcement === "mandatory" && !violation.suppressedBecause).length;
  return `${JSON.stringify({ stack: source.stack, rules: rules.length, blocking, violations, ...(skipped.length > 0 ? { skipped } : {}) }, null, 2)}\n`;
}

/**
 * SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`): one result per finding, located at the
 * stack file line of the service it belongs to; suppressed findings carry their reason as an external suppression.
 */
export function reportSarif(violations: readonly Violation[], source: ReportSource, rules: readonly Rule[] = RULES, skipped: readonly Skip[] = []): string {
  const location = (resource: string, urn: string) => [
    {
      physicalLocation: { artifactLocation: { uri: source.stackFile }, region: { startLine: lineOf(source.stackFileText, source.serviceOf.get(resource)) } },
      logicalLocations: [{ name: resource, fullyQualifiedName: urn, kind: "resource" }],
    },
  ];
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "release-platform check",
            version: source.version,
            rules: rules.map((rule) => ({
              id: rule.id,
              shortDescription: { text: rule.description },
              defaultConfiguration: { level: rule.enforcement === "mandatory" ? "error" : "warning" },
            })),
          },
        },
        automationDetails: { id: `release-platform-check/${source.stack}/` },
        results: [
          ...violations.map((violation) => ({
            ruleId: violation.rule,
            ruleIndex: rules.findIndex((rule) => rule.id === violation.rule),
            level: violation.enforcement === "mandatory" ? "error" : "warning",
            message: { text: `${violation.resource} (${violation.type}) in stack ${source.stack}: ${violation.message}` },
            locations: location(violation.resource, violation.urn),
            ...(violation.suppressedBecause ? { suppressions: [{ kind: "external", justification: violation.suppressedBecause }] } : {}),
          })),
          // What the other stack's check judges: a note, so a split stack's scan never reads as all judged.
          ...skipped.map((skip) => ({
            ruleId: skip.rule,
            ruleIndex: rules.findIndex((rule) => rule.id === skip.rule),
            level: "note",
            message: { text: `${skip.resource} (${skip.type}) in stack ${source.stack}: skipped: ${skip.reason}` },
            locations: location(skip.resource, skip.urn),
          })),
        ],
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
