import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StackValidationArgs } from "@pulumi/policy";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { evaluate, judgeStack, report } from "../policy/evaluate";
import { policyResources } from "../policy/from-synth";
import { RULES } from "../policy/rules";
import type { Case, RuleFixtures } from "../policy/rules/fixture-kit";
import type { Compliance, PolicyResource, Rule } from "../policy/rules/types";
import { stackValidation } from "../policy/stack-validation";
import { readSuppressions } from "../policy/suppressions";
import { PROJECT_ROOT } from "../src/synth/run";
import { production, res } from "../policy/rules/fixture-kit";
import { setPath, shippedConfig, synth } from "./helpers";

const rule = (id: string): Rule => {
  const found = RULES.find((candidate) => candidate.id === id);
  if (!found) throw new Error(id);
  return found;
};

/** The fixtures beside a rule (policy/rules/<rule>.fixtures.ts); undefined when the rule has none. */
async function fixturesOf(id: string): Promise<RuleFixtures | undefined> {
  const file = join(PROJECT_ROOT, "policy", "rules", `${id}.fixtures.ts`);
  return existsSync(file) ? ((await import(file)) as { fixtures: RuleFixtures }).fixtures : undefined;
}

const compliance = (id: string, [resource, stack]: Case): Compliance => rule(id).judge(resource, stack).compliance;

describe("every rule's fixtures: compliant, non-compliant, not applicable", () => {
  it.each(RULES.map((r) => [r.id]))("%s has at least one compliant and one non-compliant fixture beside it", async (id) => {
    const fixtures = await fixturesOf(id);
    expect(fixtures, `policy/rules/${id}.fixtures.ts`).toBeDefined();
    expect(fixtures!.compliant.length).toBeGreaterThan(0);
    expect(fixtures!.nonCompliant.length).toBeGreaterThan(0);
  });

  it.each(RULES.map((r) => [r.id]))("%s judges each fixture as its fixture says", async (id) => {
    const fixtures = (await fixturesOf(id))!;
    expect(fixtures.compliant.map((c) => compliance(id, c))).toEqual(fixtures.compliant.map(() => "compliant"));
    expect(fixtures.nonCompliant.map((c) => compliance(id, c))).toEqual(fixtures.nonCompliant.map(() => "non-compliant"));
    expect((fixtures.notApplicable ?? []).map((c) => compliance(id, c))).toEqual((fixtures.notApplicable ?? []).map(() => "not-applicable"));
    // check is the non-compliant result's messages, and nothing else.
    for (const c of fixtures.nonCompliant) expect(rule(id).check(...c).length).toBeGreaterThan(0);
    for (const c of [...fixtures.compliant, ...(fixtures.notApplicable ?? [])]) expect(rule(id).check(...c)).toEqual([]);
  });

  it("the text report's summary counts compliant and not-applicable pairs besides the violations", () => {
    const logGroups = RULES.filter((r) => r.id === "log-group-has-retention");
    const resources = [res("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }, {}, "kept"), res("aws:cloudwatch/logGroup:LogGroup", {}, {}, "forever"), res("aws:sqs/queue:Queue", {}, {}, "queue")];
    const { violations, counts } = judgeStack(resources, "production", [], logGroups);
    expect(counts).toEqual({ compliant: 1, "non-compliant": 1, "not-applicable": 1 });
    expect(violations.map((v) => v.resource)).toEqual(["forever"]);
    expect(report(violations, counts)).toContain("1 mandatory violation(s), 0 advisory, 0 suppressed; 1 compliant, 1 not applicable (rule x resource)\n");
  });

  it("every fixtures file beside the rules belongs to a registered rule", () => {
    const files = readdirSync(join(PROJECT_ROOT, "policy", "rules")).filter((file) => file.endsWith(".fixtures.ts"));
    expect(files.map((file) => file.replace(/\.fixtures\.ts$/, "")).sort()).toEqual(RULES.map((r) => r.id).sort());
  });
});

describe("the CrossGuard pack's stack validation", () => {
  // What @pulumi/policy passes a stack policy, for the resources the rule fixtures use.
  const args = (...resources: PolicyResource[]) =>
    ({
      resources: resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, opts: { protect: r.options.protect, ignoreChanges: [...r.options.ignoreChanges] } })),
      notApplicable: (reason?: string): never => {
        throw new Error(`not applicable: ${reason}`);
      },
    }) as unknown as StackValidationArgs;
  const run = (resources: PolicyResource[]) => {
    const reported: [string, string | undefined][] = [];
    const validate = stackValidation(rule("log-group-has-retention"), []);
    let outcome = "judged";
    try {
      void validate(args(...resources), (message, urn) => reported.push([message, urn]));
    } catch (error) {
      outcome = (error as Error).message;
    }
    return { reported, outcome };
  };

  it("reports a non-compliant resource's messages with its URN, as before", () => {
    const forever = res("aws:cloudwatch/logGroup:LogGroup", {}, {}, "forever");
    expect(run([forever, res("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 7 }, {}, "kept")])).toEqual({
      reported: [["forever: retentionInDays is not set", forever.urn]],
      outcome: "judged",
    });
  });

  it("a stack with only compliant resources passes; one the rule speaks to nowhere is marked not applicable", () => {
    expect(run([res("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 7 }, {}, "kept")])).toEqual({ reported: [], outcome: "judged" });
    expect(run([res("aws:sqs/queue:Queue", {}, {}, "queue")])).toEqual({ reported: [], outcome: "not applicable: no resource of this stack is one log-group-has-retention judges" });
  });
});

describe("the shipped stacks", () => {
  it.each(["dev", "staging", "production"])("%s passes every rule", async (stack) => {
    const document = await synth(shippedConfig(stack), stack);
    expect(evaluate(policyResources(document), stack)).toEqual([]);
  });

  it("the rules really look at the synthesized production stack: removing protection is caught", async () => {
    const document = await synth(shippedConfig("production"), "production");
    const resources = policyResources(document).map((resource) =>
      resource.type === "aws:appconfig/application:Application" ? { ...resource, options: { ...resource.options, protect: false } } : resource,
    );
    expect(evaluate(resources, "production").map((violation) => [violation.rule, violation.resource])).toEqual([
      ["production-stateful-resources-protected", "production-flags-app"],
    ]);
  });
});

describe("check --base: what a change deletes", () => {
  it("turning off production's access logs deletes the protected bucket: a mandatory violation; the same stack, none", async () => {
    const base = await synth(shippedConfig("production"), "production");
    const head = await synth(setPath(shippedConfig("production"), "release:ingress.accessLogs", { enabled: false }), "production");
    const dir = mkdtempSync(join(tmpdir(), "check-base-"));
    writeFileSync(join(dir, "base.json"), JSON.stringify(base));
    const check = (...args: string[]) =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "check", "production", "--base", join(dir, "base.json"), ...args], { encoding: "utf8" });
    writeFileSync(join(dir, "head.yaml"), stringify({ config: setPath(shippedConfig("production"), "release:ingress.accessLogs", { enabled: false }) }));
    const refused = check("--config-file", join(dir, "head.yaml"));
    expect(refused.stdout).toContain(
      "MANDATORY production-keeps-protected-resources production-access-logs (aws:s3/bucket:Bucket): is protected, and this change deletes it",
    );
    expect(refused.status).toBe(1);
    expect(check().status).toBe(0);
    expect(head.resources.some((resource) => resource.name === "production-access-logs")).toBe(false);
  });
});

describe("suppressions", () => {
  it("need a reason, and are listed in the report", () => {
    const dir = mkdtempSync(join(tmpdir(), "suppress-"));
    writeFileSync(join(dir, "bad.yaml"), "suppressions:\n  - { rule: log-group-has-retention, resource: '*' }\n");
    expect(() => readSuppressions(join(dir, "bad.yaml"), RULES.map((r) => r.id))).toThrow("reason");
    writeFileSync(join(dir, "unknown.yaml"), "suppressions:\n  - { rule: no-such-rule, resource: x, reason: because we said so }\n");
    expect(() => readSuppressions(join(dir, "unknown.yaml"), RULES.map((r) => r.id))).toThrow("no rule no-such-rule");

    writeFileSync(
      join(dir, "ok.yaml"),
      "suppressions:\n  - { rule: log-group-has-retention, resource: 'legacy-*', stacks: [production], reason: archived by the legacy team's own export }\n",
    );
    const suppressions = readSuppressions(join(dir, "ok.yaml"), RULES.map((r) => r.id));
    const violations = evaluate([res("aws:cloudwatch/logGroup:LogGroup", {}, {}, "legacy-logs"), res("aws:cloudwatch/logGroup:LogGroup", {}, {}, "new-logs")], "production", suppressions);
    expect(violations.map((v) => [v.resource, v.suppressedBecause])).toEqual([
      ["legacy-logs", "archived by the legacy team's own export"],
      ["new-logs", undefined],
    ]);
    expect(report(violations)).toContain(
      "SUPPRESSED log-group-has-retention legacy-logs (aws:cloudwatch/logGroup:LogGroup): retentionInDays is not set (suppressed: archived by the legacy team's own export)",
    );
    expect(report(violations)).toContain("1 mandatory violation(s), 0 advisory, 1 suppressed");
  });

  it("the shipped suppressions file is valid", () => {
    expect(readSuppressions(join(PROJECT_ROOT, "policy", "suppressions.yaml"), RULES.map((r) => r.id))).toEqual([]);
  });
});

describe("npm run check", () => {
  it("passes the production stack with exit 0 and names the rule count", () => {
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), join(PROJECT_ROOT, "src/check-cli.ts"), "production"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`production: ${RULES.length} rules over`);
    expect(result.stdout).toMatch(/0 mandatory violation\(s\), 0 advisory, 0 suppressed; [1-9]\d* compliant, [1-9]\d* not applicable \(rule x resource\)\n$/);
  });
});

describe("the Kubernetes release rules' edges", () => {
  it("analysis-arguments-written: starting after the first weight is not enough without a precondition step before the run", async () => {
    const [passing] = (await fixturesOf("analysis-arguments-written"))!.compliant[0];
    const canary = (passing.props.spec as { strategy: { canary: { steps: unknown[]; analysis: { startingStep: number } } } }).strategy.canary;
    const noPrecondition = res(passing.type, { ...passing.props, spec: { strategy: { canary: { ...canary, steps: [{ setWeight: 5 }, { pause: { duration: "10m" } }], analysis: { ...canary.analysis, startingStep: 1 } } } } });
    expect(rule("analysis-arguments-written").check(noPrecondition, production())).toEqual([expect.stringContaining("no precondition step")]);
  });

  it("rollout-awaited: a waiter shorter than the pauses plus 30 minutes fails; dev is not awaited", async () => {
    const [rollout, stack] = (await fixturesOf("rollout-awaited"))!.compliant[0];
    const waiter = stack.resources.find((candidate) => candidate.type === "kubernetes:batch/v1:Job")!;
    const short = res(waiter.type, { ...waiter.props, metadata: { ...(waiter.props.metadata as object), annotations: { "pulumi.com/timeoutSeconds": "1800" } } });
    expect(rule("rollout-awaited").check(rollout, production(rollout, short))).toEqual([expect.stringContaining("(1800) is shorter than the release's pauses plus 30 minutes (2400)")]);
    expect(rule("rollout-awaited").check(rollout, { tier: "dev", resources: [rollout] })).toEqual([]);
  });
});
