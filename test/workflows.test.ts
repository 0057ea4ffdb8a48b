import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/synth/run";

const workflow = (name: string) => readFileSync(join(PROJECT_ROOT, ".github", "workflows", name), "utf8");
const WORKFLOWS = readdirSync(join(PROJECT_ROOT, ".github", "workflows")).filter((name) => name.endsWith(".yml")).sort();

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
type Job = { steps: Step[]; strategy?: { matrix: unknown; "max-parallel"?: number; "fail-fast"?: boolean }; environment?: { name: string }; needs?: string; if?: string; permissions?: Record<string, string>; concurrency?: Record<string, unknown> };
const jobs = (name: string) => (parse(workflow(name)) as { jobs: Record<string, Job> }).jobs;

/** The oldest major of each action that runs on Node 24 (GitHub removes Node 20 from runners in September 2026). */
const CURRENT: Readonly<Record<string, number>> = {
  "actions/checkout": 6,
  "actions/setup-node": 6,
  "actions/upload-artifact": 6,
  "aws-actions/configure-aws-credentials": 6,
  "github/codeql-action/upload-sarif": 4,
  "pulumi/actions": 6,
  "pulumi/auth-actions": 1,
};

describe("GitHub workflows", () => {
  it("are the expected set", () => {
    expect(WORKFLOWS).toEqual(["deploy.yml", "drift.yml", "flag-expiry.yml", "plan.yml", "preview.yml", "service-stack-deploy.yml", "service-stack-preview.yml"]);
  });

  it.each(WORKFLOWS)("%s is a valid workflow with current action versions and Node LTS", (name) => {
    expect(validateWorkflow(workflow(name)).errors).toEqual([]);
    for (const job of Object.values(jobs(name))) {
      for (const step of job.steps) {
        if (!step.uses) continue;
        const [action, version] = step.uses.split("@");
        expect(CURRENT[action], `${name}: ${step.uses} is not a known action`).toBeDefined();
        expect(Number(version.replace(/^v/, "")), `${name}: ${step.uses}`).toBeGreaterThanOrEqual(CURRENT[action]);
        if (action === "actions/setup-node") expect(step.with?.["node-version"], name).toBe(24);
      }
    }
  });

  it("the validator does reject a broken workflow", () => {
    expect(validateWorkflow("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: 3\n").errors.length).toBeGreaterThan(0);
  });

  it("stacks come from the stack files, with the region from their config, in promotion order", () => {
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "stacks", "--format", "json"], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      include: [
        { stack: "dev", tier: "dev", region: "eu-west-1" },
        { stack: "staging", tier: "staging", region: "eu-west-1" },
        { stack: "production", tier: "production", region: "eu-west-1" },
      ],
    });
    for (const name of ["preview.yml", "deploy.yml", "drift.yml"]) {
      const all = jobs(name);
      expect(all.stacks.steps.at(-1)?.run, name).toBe('echo "matrix=$(npx release-platform stacks --format json)" >> "$GITHUB_OUTPUT"');
      const main = Object.values(all).find((job) => job.needs === "stacks") as Job;
      expect(main.strategy?.matrix, name).toBe("${{ fromJSON(needs.stacks.outputs.matrix) }}");
      const aws = main.steps.find((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      expect(aws?.with?.["aws-region"], name).toBe("${{ matrix.region }}");
    }
  });

  it("preview runs per stack with the policy pack and OIDC, only for pull requests from this repository", () => {
    const preview = parse(workflow("preview.yml"));
    expect(preview.permissions["id-token"]).toBe("write");
    expect(preview.jobs.preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    const pulumi = preview.jobs.preview.steps.find((step: Step) => step.uses?.startsWith("pulumi/actions@"));
    expect(pulumi.with).toMatchObject({ command: "preview", policyPacks: "policy", "comment-on-pr": true });
  });

  it("deploy runs pulumi up on merge, one stack at a time, each through its GitHub environment", () => {
    const deploy = parse(workflow("deploy.yml"));
    expect(deploy.on.push.branches).toEqual(["main"]);
    const job = deploy.jobs.deploy as Job;
    expect(job.environment).toEqual({ name: "${{ matrix.stack }}" });
    expect(job.strategy).toMatchObject({ "max-parallel": 1, "fail-fast": true });
    expect(job.permissions?.["id-token"]).toBe("write");
    expect(job.concurrency).toEqual({ group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
    expect(job.steps.map((step) => step.run).filter(Boolean)).toContain('npx release-platform check "${{ matrix.stack }}"');
    const pulumi = job.steps.find((step) => step.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({ command: "up", policyPacks: "policy", "stack-name": "${{ vars.PULUMI_ORG }}/release-platform/${{ matrix.stack }}" });
  });

  it("drift detection runs on a schedule: a refreshed preview that must show no changes", () => {
    const drift = parse(workflow("drift.yml"));
    expect(drift.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    const pulumi = (drift.jobs.drift as Job).steps.find((step) => step.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({ command: "preview", refresh: true, "expect-no-changes": true });
    expect((drift.jobs.drift as Job).concurrency).toEqual({ group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
  });

  it("drift detection also asks AppConfig, with the stack's AWS role, whether each flag environment serves the stack's flags", () => {
    const steps = (parse(workflow("drift.yml")).jobs.drift as Job).steps;
    const status = steps.findIndex((step) => step.run === 'npx release-platform flags "${{ matrix.stack }}" --status');
    const aws = steps.findIndex((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(status).toBeGreaterThan(aws);
    expect(aws).toBeGreaterThanOrEqual(0);
    // It runs even when the refreshed preview failed: a rollback and a console edit are two different findings.
    expect(steps[status].if).toBe("${{ !cancelled() }}");
  });

  it("the expired-flag check runs on a schedule, offline, and fails on an expired flag", () => {
    const expiry = parse(workflow("flag-expiry.yml"));
    expect(expiry.on.schedule[0].cron).toBeDefined();
    expect(workflow("flag-expiry.yml")).not.toMatch(/secrets\.|id-token/);
    expect(workflow("flag-expiry.yml")).toContain('npx release-platform flags "$stack" --expired --out "expired-$stack.txt"');
    const run = (today: string) =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), "flags", "production", "--expired", "--today", today], { encoding: "utf8" });
    expect(run("2027-01-01").status).toBe(0);
    const late = run("2027-03-02");
    expect(late.status).toBe(1);
    expect(late.stdout).toContain("flag new-checkout expired on 2027-03-01 (owner payments)");
  });

  it("plan runs on every pull request without secrets and writes the diff to the job summary", () => {
    const plan = parse(workflow("plan.yml"));
    expect(plan.permissions).toEqual({ contents: "read" });
    const text = workflow("plan.yml");
    expect(text).not.toMatch(/secrets\./);
    expect(text).toContain("npm test");
    expect(text).toContain('npx release-platform synth diff "plan/base/$stack.json" "$file" --format markdown --out "plan/$stack.md"');
    expect(text).toContain('cat "plan/$stack.md" >> "$GITHUB_STEP_SUMMARY"');
    // Deleting a protected resource in production fails the check only when it sees the deployed side.
    expect(text).toContain('npx release-platform check "$stack" --base "plan/base/$stack.json" || status=1');
    const upload = (plan.jobs.plan as Job).steps.find((step) => step.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
  });

  describe("service stacks", () => {
    type Entry = { directory: string; project: string; stack: string; region: string };
    /** A repository with two teams' service stacks, the program's files and a folder without a Pulumi project. */
    function repository(): string {
      const root = mkdtempSync(join(tmpdir(), "service-stacks-"));
      const write = (path: string, content: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), content);
      };
      write("stacks/checkout/Pulumi.yaml", "name: checkout\nruntime: nodejs\n");
      write("stacks/checkout/Pulumi.staging.yaml", "config:\n  release:environment: { stackReference: acme/release-platform/staging }\n");
      write("stacks/checkout/Pulumi.production.yaml", "config:\n  aws:region: eu-west-1\n  release:environment: { stackReference: acme/release-platform/production }\n");
      write("stacks/search/Pulumi.yaml", "name: search\nruntime: nodejs\n");
      write("stacks/search/Pulumi.production.yaml", "config:\n  aws:region: eu-west-1\n");
      write("stacks/drafts/notes.md", "not a project\n");
      write("src/index.ts", "\n");
      cpSync(join(PROJECT_ROOT, ".github", "scripts"), join(root, ".github", "scripts"), { recursive: true });
      return root;
    }
    const matrixOf = (root: string, input: string, ...args: string[]) => {
      const result = spawnSync(process.execPath, [join(root, ".github/scripts/service-stacks.cjs"), ...args], {
        cwd: root,
        input,
        encoding: "utf8",
        env: { ...process.env, NODE_PATH: join(PROJECT_ROOT, "node_modules") },
      });
      expect(result.stderr).toBe("");
      return (JSON.parse(result.stdout) as { include: Entry[] }).include;
    };
    const name = (entry: Entry) => `${entry.directory}:${entry.stack}`;

    it("a changed stack file is that stack, another file of a service stack's folder every stack of it; nothing else counts", () => {
      const root = repository();
      const changed = (...paths: string[]) => matrixOf(root, paths.join("\n")).map(name);
      expect(changed("stacks/checkout/Pulumi.production.yaml")).toEqual(["stacks/checkout:production"]);
      expect(changed("stacks/checkout/Pulumi.yaml", "stacks/search/Pulumi.production.yaml")).toEqual(["stacks/checkout:staging", "stacks/checkout:production", "stacks/search:production"]);
      // A deleted stack file (retiring is a person's pulumi destroy), the program, a folder with no Pulumi.yaml: none.
      expect(changed("stacks/checkout/Pulumi.dev.yaml", "src/index.ts", "stacks/drafts/notes.md", "Pulumi.production.yaml")).toEqual([]);
      expect(matrixOf(root, "", "--all").map(name)).toEqual(["stacks/checkout:staging", "stacks/checkout:production", "stacks/search:production"]);
      expect(matrixOf(root, "stacks/checkout/Pulumi.production.yaml")[0]).toEqual({ directory: "stacks/checkout", project: "checkout", stack: "production", region: "eu-west-1" });
    });

    it("finds the shipped examples' stacks (examples/service-stacks) when they sit in stacks/, each with its project and region", () => {
      const root = mkdtempSync(join(tmpdir(), "service-stacks-"));
      cpSync(join(PROJECT_ROOT, "examples", "service-stacks"), join(root, "stacks"), { recursive: true });
      cpSync(join(PROJECT_ROOT, ".github", "scripts"), join(root, ".github", "scripts"), { recursive: true });
      expect(matrixOf(root, "", "--all")).toEqual([
        { directory: "stacks/catalog", project: "catalog", stack: "production", region: "eu-west-1" },
        { directory: "stacks/checkout", project: "checkout", stack: "production", region: "eu-west-1" },
        { directory: "stacks/platform", project: "shop-platform", stack: "production", region: "eu-west-1" },
      ]);
      rmSync(root, { recursive: true, force: true });
    });

    it("the preview's own shell step finds the stacks a pull request changed, from git", () => {
      const root = repository();
      const git = (...args: string[]) => spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: root, encoding: "utf8" });
      git("init", "-q");
      git("add", "-A");
      git("commit", "-qm", "base");
      const base = git("rev-parse", "HEAD").stdout.trim();
      writeFileSync(join(root, "stacks/search/Pulumi.production.yaml"), "config:\n  aws:region: eu-west-1\n  release:tier: production\n");
      git("commit", "-qam", "search: production");
      const head = git("rev-parse", "HEAD").stdout.trim();
      const step = (parse(workflow("service-stack-preview.yml")).jobs.stacks as Job).steps.at(-1) as Step;
      const output = join(root, "github-output");
      const result = spawnSync("bash", ["-e", "-c", step.run as string], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, BASE: base, HEAD: head, GITHUB_OUTPUT: output, NODE_PATH: join(PROJECT_ROOT, "node_modules") },
      });
      expect(result.stderr).toBe("");
      const outputs = Object.fromEntries(readFileSync(output, "utf8").trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
      expect(outputs.any).toBe("true");
      expect(JSON.parse(outputs.matrix).include.map(name)).toEqual(["stacks/search:production"]);
      rmSync(root, { recursive: true, force: true });
    });

    it("preview runs on pull requests touching stacks/, per changed stack, in its folder, with the policy pack", () => {
      const preview = parse(workflow("service-stack-preview.yml"));
      expect(preview.on.pull_request.paths).toEqual(["stacks/**"]);
      expect(preview.jobs.stacks.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
      const job = preview.jobs.preview as Job;
      expect(job.if).toBe("needs.stacks.outputs.any == 'true'");
      expect(job.strategy?.matrix).toBe("${{ fromJSON(needs.stacks.outputs.matrix) }}");
      const pulumi = job.steps.find((step) => step.uses?.startsWith("pulumi/actions@"));
      expect(pulumi?.with).toMatchObject({
        command: "preview",
        "work-dir": "${{ matrix.directory }}",
        "stack-name": "${{ vars.PULUMI_ORG }}/${{ matrix.project }}/${{ matrix.stack }}",
        policyPacks: "${{ github.workspace }}/policy",
        "comment-on-pr": true,
      });
    });

    it("deploy runs every changed service stack at once, each in a concurrency group of its own that is never cancelled", () => {
      const deploy = parse(workflow("service-stack-deploy.yml"));
      expect(deploy.on.push).toEqual({ branches: ["main"], paths: ["stacks/**"] });
      const job = deploy.jobs.deploy as Job;
      expect(job.strategy?.["max-parallel"]).toBeUndefined();
      expect(job.strategy?.["fail-fast"]).toBe(false);
      expect(job.environment).toEqual({ name: "${{ matrix.project }}-${{ matrix.stack }}" });
      expect(job.concurrency).toEqual({ group: "deploy-${{ matrix.directory }}/${{ matrix.stack }}", "cancel-in-progress": false });
      const pulumi = job.steps.find((step) => step.uses?.startsWith("pulumi/actions@"));
      expect(pulumi?.with).toMatchObject({ command: "up", "work-dir": "${{ matrix.directory }}", "stack-name": "${{ vars.PULUMI_ORG }}/${{ matrix.project }}/${{ matrix.stack }}" });
      // The groups of two teams' stacks differ from each other and from the environment stacks' (deploy.yml); GitHub
      // compares group names without case.
      const group = (entry: Entry) => (job.concurrency?.group as string).replace("${{ matrix.directory }}", entry.directory).replace("${{ matrix.stack }}", entry.stack).toLowerCase();
      const groups = matrixOf(repository(), "", "--all").map(group);
      expect(new Set(groups).size).toBe(groups.length);
      expect(groups).toContain("deploy-stacks/checkout/production");
      for (const stack of ["dev", "staging", "production"]) expect(groups).not.toContain(`deploy-${stack}`);
    });
  });
});

