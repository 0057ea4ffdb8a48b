import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/synth/run";

const workflow = (name: string) => readFileSync(join(PROJECT_ROOT, ".github", "workflows", name), "utf8");

describe("GitHub workflows", () => {
  it.each(["preview.yml", "plan.yml"])("%s is a valid workflow", (name) => {
    expect(validateWorkflow(workflow(name)).errors).toEqual([]);
  });

  it("the validator does reject a broken workflow", () => {
    expect(validateWorkflow("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: 3\n").errors.length).toBeGreaterThan(0);
  });

  it("preview runs per stack with the policy pack and OIDC, only for pull requests from this repository", () => {
    const preview = parse(workflow("preview.yml"));
    expect(preview.permissions["id-token"]).toBe("write");
    expect(preview.jobs.preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(preview.jobs.preview.strategy.matrix.stack).toEqual(["dev", "staging", "production"]);
    const pulumi = preview.jobs.preview.steps.find((step: { uses?: string }) => step.uses?.startsWith("pulumi/actions@"));
    expect(pulumi.with).toMatchObject({ command: "preview", policyPacks: "policy", "comment-on-pr": true });
  });

  it("plan runs on every pull request without secrets and writes the diff to the job summary", () => {
    const plan = parse(workflow("plan.yml"));
    expect(plan.permissions).toEqual({ contents: "read" });
    const text = workflow("plan.yml");
    expect(text).not.toMatch(/secrets\./);
    expect(text).toContain("npm test");
    expect(text).toContain('synth -- diff "plan/base/$stack.json" "$file" --format markdown >> "$GITHUB_STEP_SUMMARY"');
  });
});
