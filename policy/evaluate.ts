import { RULES } from "./rules";
import { stackTier } from "./rules/props";
import type { Enforcement, PolicyResource, Rule } from "./rules/types";
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

/** Runs every rule over every resource of a stack. */
export function evaluate(
  resources: readonly PolicyResource[],
  stack: string,
  suppressions: readonly Suppression[] = [],
  rules: readonly Rule[] = RULES,
): Violation[] {
  const context = { tier: stackTier(resources), resources };
  const violations: Violation[] = [];
  for (const rule of rules) {
    for (const resource of resources) {
      for (const message of rule.check(resource, context)) {
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
  return violations;
}

export function report(violations: readonly Violation[]): string {
  const lines = violations.map((violation) => {
    const level = violation.suppressedBecause ? "SUPPRESSED" : violation.enforcement.toUpperCase();
    const because = violation.suppressedBecause ? ` (suppressed: ${violation.suppressedBecause})` : "";
    return `${level} ${violation.rule} ${violation.resource} (${violation.type}): ${violation.message}${because}`;
  });
  const blocking = violations.filter((violation) => violation.enforcement === "mandatory" && !violation.suppressedBecause).length;
  lines.push(`${blocking} mandatory violation(s), ${violations.filter((v) => v.enforcement === "advisory").length} advisory, ${violations.filter((v) => v.suppressedBecause).length} suppressed`);
  return `${lines.join("\n")}\n`;
}
