import {
  AppConfigClient,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
} from "@aws-sdk/client-appconfig";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { mockClient } from "aws-sdk-client-mock";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type FlagDefinition, type Flags } from "../components/feature-flag-store/flags/model";
import { toAppConfigDocument } from "../components/feature-flag-store/backends/appconfig/document";
import { flagsFromRecord, parseRampRecord, type RampRecord, rampStepsForStore } from "../components/feature-flag-store/backends/appconfig/ramp";
import { HISTORY_EVENT_BUDGET, rampDefinition, type RampTargets, worstCaseHistoryEvents } from "../components/feature-flag-store/backends/appconfig/ramp-definition";
import { rampSteps } from "../components/feature-flag-store/flags/ramp-steps";
import { rampStepHasCatch } from "../policy/rules/ramp-step-has-catch";
import { synthesize } from "../src/synth/capture";
import { load } from "./helpers";
import { evaluateAppConfig } from "../src/flags/appconfig-rules";
import { flagdEngine } from "../src/flags/explain";
import { PROJECT_ROOT } from "../src/synth/run";
import { configError, resource, setPath, shippedConfig, synth } from "./helpers";

const base = { description: "d", owner: "team", expires: "2027-01-01" };
const flag = (extra: Partial<FlagDefinition>): FlagDefinition => ({ ...base, enabled: true, ...extra });
const USERS = Array.from({ length: 10_000 }, (_, i) => ({ userId: `user-${i}` }));

function servedBoth(flags: Flags, key: string) {
  const engine = flagdEngine(flags);
  const document = toAppConfigDocument(flags);
  return {
    flagd: USERS.map((context) => engine.resolveBooleanEvaluation(key, false, context).value === true),
    appconfig: USERS.map((context) => evaluateAppConfig(document, key, context).enabled),
  };
}

describe("ramps are sticky", () => {
  it("raising new-checkout from 10% to 25% keeps every user who had it, in both documents", () => {
    const before = servedBoth({ "new-checkout": flag({ rollout: { percent: 10 } }) }, "new-checkout");
    const after = servedBoth({ "new-checkout": flag({ rollout: { percent: 25 } }) }, "new-checkout");
    for (const engine of ["flagd", "appconfig"] as const) {
      const kept = before[engine].filter((on, i) => on && after[engine][i]).length;
      expect(kept).toBe(before[engine].filter(Boolean).length);
      expect(Math.abs(after[engine].filter(Boolean).length / 100 - 25)).toBeLessThanOrEqual(1.5);
    }
  });

  it("every step of a ramp keeps the users of the step before, and a dependent flag stays inside its dependency", () => {
    const flags: Flags = {
      "new-checkout": flag({ rollout: { stages: [1, 5, 25, 50, 100], every: "30m" } }),
      "express-pay": flag({ rollout: { stages: [1, 10, 25], every: ["1h", "2h"] }, dependsOn: ["new-checkout"] }),
    };
    const documents = [toAppConfigDocument(flags), ...rampStepsForStore(flags).map((step) => JSON.parse(step.document) as Record<string, unknown>)];
    let previous: boolean[] | undefined;
    for (const document of documents) {
      const parent = USERS.map((context) => evaluateAppConfig(document, "new-checkout", context).enabled);
      const child = USERS.map((context) => evaluateAppConfig(document, "express-pay", context).enabled);
      expect(child.filter((on, i) => on && !parent[i])).toEqual([]);
      if (previous) expect(previous.filter((on, i) => on && !parent[i])).toEqual([]);
      previous = parent;
    }
  });
});

describe("ramp timeline", () => {
  it("merges every ramping flag into one sequence of documents", () => {
    const flags: Flags = {
      "new-checkout": flag({ rollout: { stages: [1, 5, 25, 50, 100], every: "30m" } }),
      "express-pay": flag({ rollout: { stages: [1, 10], every: "45m" }, dependsOn: ["new-checkout"] }),
    };
    expect(rampSteps(flags).map((step) => [step.atMinutes, step.percents, step.changed])).toEqual([
      [0, { "express-pay": 1, "new-checkout": 1 }, ["express-pay", "new-checkout"]],
      [30, { "express-pay": 1, "new-checkout": 5 }, ["new-checkout"]],
      [45, { "express-pay": 10, "new-checkout": 5 }, ["express-pay"]],
      [60, { "express-pay": 10, "new-checkout": 25 }, ["new-checkout"]],
      [90, { "express-pay": 10, "new-checkout": 50 }, ["new-checkout"]],
      [120, { "express-pay": 10, "new-checkout": 100 }, ["new-checkout"]],
    ]);
    expect(rampStepsForStore(flags).map((step) => [step.holdMinutes, step.description])).toEqual([
      [30, "new-checkout 5%"],
      [15, "express-pay 10%"],
      [15, "new-checkout 25%"],
      [30, "new-checkout 50%"],
      [30, "new-checkout 100%"],
    ]);
  });

  it.each([
    [{ stages: [1, 5, 5], every: "30m" }, "release:flags.new-checkout.rollout.stages[2]: must be above the stage before (5): a ramp only rises (got 5)"],
    [{ stages: [1, 5] }, "release:flags.new-checkout.rollout.every: a ramp needs every: how long each stage holds (e.g. 30m)"],
    [{ stages: [1, 5, 25], every: ["30m"] }, "release:flags.new-checkout.rollout.every: give one hold per stage after the first (2)"],
    [{ percent: 5, stages: [1, 5], every: "30m" }, "release:flags.new-checkout.rollout.percent: use either percent or stages, not both"],
    [{ stages: [1, 5], every: "30 minutes" }, "release:flags.new-checkout.rollout.every: expected a duration like 30m or 2h"],
    [{ stages: [1, 5], every: "200h" }, "release:flags.new-checkout.rollout.every: at most 7 days (10080m) (got \"200h\")"],
  ])("a bad ramp is a config error: %j", (rollout, message) => {
    expect(configError(setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", rollout), "production")).toContain(message);
  });

  it("a ramp needs the AppConfig store that Pulumi owns", () => {
    const config = setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [1, 5], every: "30m" });
    expect(configError(setPath(config, "release:flagStore.backend", "flagd"), "production")).toContain(
      "release:flags.new-checkout.rollout.stages: a ramp is deployed by the AppConfig store's state machine, and flagStore.backend is flagd; use percent",
    );
  });

  it("a ramp with one hold per stage loads", () => {
    const rollout = { stages: [1, 5, 25], every: ["30m", "1h"] };
    expect(configError(setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", rollout), "production")).toBeUndefined();
  });
});

const targets: RampTargets = {
  applicationId: "app1",
  environmentId: "env1",
  profileId: "prof1",
  strategyId: "strat1",
  alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:production-alerts",
  label: "release-platform-production/production",
  recordName: "/flag-ramps/release-platform-production/production/reached",
};
const rampFlags: Flags = { "new-checkout": flag({ rollout: { stages: [1, 5, 25, 50, 100], every: "30m" } }) };
const steps = rampStepsForStore(rampFlags);
const definition = rampDefinition(targets, steps) as { StartAt: string; States: Record<string, Record<string, unknown>> };

describe("ramp state machine definition", () => {
  it("each step creates the step's whole document as a version and deploys it with the store's strategy, after its hold", () => {
    expect(definition.States["Hold 2"]).toEqual({ Type: "Wait", Seconds: 1800, Next: "Check 2" });
    const create = definition.States["Create 2"];
    expect(create.Resource).toBe("arn:aws:states:::aws-sdk:appconfig:createHostedConfigurationVersion");
    const parameters = create.Parameters as Record<string, string>;
    expect(parameters).toMatchObject({ ApplicationId: "app1", ConfigurationProfileId: "prof1", ContentType: "application/json" });
    expect(JSON.parse(parameters.Content)).toEqual(toAppConfigDocument({ "new-checkout": flag({ rollout: { percent: 25 } }) }));
    expect(definition.States["Deploy 2"]).toMatchObject({
      Resource: "arn:aws:states:::aws-sdk:appconfig:startDeployment",
      Parameters: { ApplicationId: "app1", EnvironmentId: "env1", ConfigurationProfileId: "prof1", DeploymentStrategyId: "strat1" },
      Catch: [{ ErrorEquals: ["States.ALL"], Next: "Verify 2" }],
    });
    expect(Object.keys(definition.States).filter((name) => name.startsWith("Create "))).toHaveLength(4);
    // Only SDK integrations: no Lambda anywhere.
    const resources = Object.values(definition.States).flatMap((state) => (state.Resource ? [String(state.Resource)] : []));
    expect(new Set(resources.map((arn) => arn.replace(/:[a-zA-Z]+$/, "")))).toEqual(new Set(["arn:aws:states:::aws-sdk:appconfig", "arn:aws:states:::aws-sdk:sns", "arn:aws:states:::aws-sdk:ssm"]));
  });
});

/**
 * A small interpreter of the ASL subset the ramp uses (Task, Wait, Choice, Pass, Succeed, Fail; Retry, Catch,
 * ResultSelector, ResultPath, Parameters with `.$` paths and States.Format), mapping each aws-sdk integration to the
 * SDK v3 command of the same name, so the ramp's logic runs against aws-sdk-client-mock clients.
 */
type Json = Record<string, unknown>;
const COMMANDS: Record<string, new (input: never) => unknown> = {
  "appconfig:listDeployments": ListDeploymentsCommand,
  "appconfig:getDeployment": GetDeploymentCommand,
  "appconfig:startDeployment": StartDeploymentCommand,
  "appconfig:createHostedConfigurationVersion": CreateHostedConfigurationVersionCommand,
  "sns:publish": PublishCommand,
};
const SERVICE_PREFIX: Record<string, string> = { appconfig: "AppConfig", sns: "Sns", ssm: "Ssm" };
/** A stand-in for SSM's PutParameter (the project has no SSM SDK client): the fake client below keeps what is written. */
class PutParameterCommand {
  constructor(readonly input: { Name: string; Value: string; Overwrite?: boolean }) {}
}
COMMANDS["ssm:putParameter"] = PutParameterCommand as unknown as new (input: never) => unknown;
function fakeSsm() {
  const written: { Name: string; Value: string }[] = [];
  return { written, failures: [] as Error[], send(command: PutParameterCommand) {
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    written.push({ Name: command.input.Name, Value: command.input.Value });
    return Promise.resolve({ Version: written.length });
  } };
}

/** Step Functions' error matching: `States.ALL` matches any error; `States.TaskFailed` any but States.Timeout; else by name. */
function matches(errorEquals: readonly string[], errorName: string): boolean {
  return errorEquals.some((name) => name === errorName || name === "States.ALL" || (name === "States.TaskFailed" && errorName !== "States.Timeout"));
}
/** History events per state, as a standard execution records them: a Task 5 and 3 per failed attempt, others 2. */
const EVENTS = { task: 5, failedAttempt: 3, other: 2, execution: 2 };

function read(path: string, data: unknown): unknown {
  if (path === "$") return data;
  return path
    .slice(2)
    .split(/\.|(?=\[)/)
    .reduce<unknown>((value, part) => {
      const index = /^\[(\d+)\]$/.exec(part);
      if (value === undefined || value === null) return undefined;
      return index ? (value as unknown[])[Number(index[1])] : (value as Json)[part];
    }, data);
}

function intrinsic(expression: string, data: unknown): unknown {
  const add = /^States\.MathAdd\((\$[\w.[\]]+),\s*(-?\d+)\)$/.exec(expression);
  if (add) return Number(read(add[1], data)) + Number(add[2]);
  const match = /^States\.Format\('((?:[^'\\]|\\.)*)'((?:,\s*\$[\w.[\]]+)*)\)$/.exec(expression);
  if (!match) return read(expression, data);
  const args = match[2].split(",").slice(1).map((arg) => read(arg.trim(), data));
  let i = 0;
  return match[1].replace(/\{\}/g, () => String(args[i++])).replace(/\\'/g, "'");
}

function resolve(template: Json, data: unknown): Json {
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith(".$") ? [key.slice(0, -2), intrinsic(String(value), data)] : [key, value !== null && typeof value === "object" && !Array.isArray(value) ? resolve(value as Json, data) : value],
    ),
  );
}

function withResult(data: unknown, path: unknown, result: unknown): unknown {
  if (path === null) return data;
  if (path === undefined || path === "$") return result;
  return { ...(data as Json), [String(path).slice(2)]: result };
}

function choose(rule: Json, data: unknown): boolean {
  if (rule.And) return (rule.And as Json[]).every((r) => choose(r, data));
  if (rule.Or) return (rule.Or as Json[]).some((r) => choose(r, data));
  const value = read(String(rule.Variable), data);
  if ("StringEquals" in rule) return value === rule.StringEquals;
  if ("StringEqualsPath" in rule) return value === read(String(rule.StringEqualsPath), data);
  if ("NumericGreaterThanEquals" in rule) return Number(value) >= Number(rule.NumericGreaterThanEquals);
  throw new Error(`unsupported choice ${JSON.stringify(rule)}`);
}

type Clients = { appconfig: AppConfigClient; sns: SNSClient; ssm?: ReturnType<typeof fakeSsm> };
async function run(machine: typeof definition, clients: Clients) {
  const trail: string[] = [];
  let waited = 0;
  let events = EVENTS.execution;
  let data: unknown = {};
  let name = machine.StartAt;
  for (let transitions = 0; transitions < 5000; transitions++) {
    const state = machine.States[name];
    trail.push(name);
    events += state.Type === "Task" ? EVENTS.task : EVENTS.other;
    if (state.Type === "Succeed") return { status: "SUCCEEDED", trail, waited, events };
    if (state.Type === "Fail") {
      const error = state.ErrorPath ? read(String(state.ErrorPath), data) : state.Error;
      const cause = state.CausePath ? read(String(state.CausePath), data) : state.Cause;
      return { status: "FAILED", error, cause, trail, waited, events };
    }
    let next = state.Next as string | undefined;
    if (state.Type === "Wait") waited += Number(state.Seconds);
    if (state.Type === "Pass") data = withResult(data, state.ResultPath, resolve(state.Parameters as Json, data));
    if (state.Type === "Choice") next = ((state.Choices as Json[]).find((rule) => choose(rule, data))?.Next as string) ?? (state.Default as string);
    if (state.Type === "Task") {
      const [service, action] = String(state.Resource).replace("arn:aws:states:::aws-sdk:", "").split(":");
      const Command = COMMANDS[`${service}:${action}`];
      const input = resolve(state.Parameters as Json, data);
      const client = service === "sns" ? clients.sns : service === "ssm" ? clients.ssm : clients.appconfig;
      if (!client) throw new Error(`no client for ${service}`);
      let result: unknown;
      // Each retrier counts its own attempts (ASL: the first retrier whose ErrorEquals matches applies).
      const attempts = new Map<Json, number>();
      for (;;) {
        try {
          result = await (client as unknown as { send: (command: unknown) => Promise<unknown> }).send(new Command(input as never));
          break;
        } catch (error) {
          events += EVENTS.failedAttempt;
          const errorName = `${SERVICE_PREFIX[service]}.${(error as Error).name}`;
          const retry = ((state.Retry as Json[] | undefined) ?? []).find((r) => matches(r.ErrorEquals as string[], errorName));
          if (retry && (attempts.get(retry) ?? 0) < Number(retry.MaxAttempts)) {
            attempts.set(retry, (attempts.get(retry) ?? 0) + 1);
            continue;
          }
          const catcher = ((state.Catch as Json[] | undefined) ?? []).find((c) => matches(c.ErrorEquals as string[], errorName));
          if (!catcher) return { status: "FAILED", error: errorName, trail, waited, events };
          data = withResult(data, catcher.ResultPath, { Error: errorName, Cause: (error as Error).message });
          next = String(catcher.Next);
          result = undefined;
          break;
        }
      }
      if (result !== undefined) data = withResult(data, state.ResultPath, state.ResultSelector ? resolve(state.ResultSelector as Json, result) : result);
      if (state.End && result !== undefined) return { status: "SUCCEEDED", trail, waited, events };
    }
    if (next === undefined) throw new Error(`state ${name} has no next`);
    name = next;
  }
  throw new Error("the ramp did not end");
}

describe("ramp state machine, run against mocked AppConfig and SNS", () => {
  const appconfig = mockClient(AppConfigClient);
  const sns = mockClient(SNSClient);
  let clients: Clients;
  let versions: number;
  let deployments: { DeploymentNumber: number; ConfigurationVersion: string; State: string }[];

  beforeEach(() => {
    appconfig.reset();
    sns.reset();
    clients = { appconfig: new AppConfigClient({ region: "eu-west-1" }), sns: new SNSClient({ region: "eu-west-1" }), ssm: fakeSsm() };
    versions = 1;
    deployments = [{ DeploymentNumber: 1, ConfigurationVersion: "1", State: "COMPLETE" }];
    appconfig.on(ListDeploymentsCommand).callsFake(() => ({ Items: [...deployments].reverse().slice(0, 1) }));
    appconfig.on(CreateHostedConfigurationVersionCommand).callsFake(() => ({ VersionNumber: ++versions }));
    appconfig.on(StartDeploymentCommand).callsFake((input) => {
      const deployment = { DeploymentNumber: deployments.length + 1, ConfigurationVersion: String(input.ConfigurationVersion), State: "DEPLOYING" };
      deployments.push(deployment);
      return { DeploymentNumber: deployment.DeploymentNumber };
    });
    appconfig.on(GetDeploymentCommand).callsFake((input) => {
      const deployment = deployments[Number(input.DeploymentNumber) - 1];
      deployment.State = deployment.State === "DEPLOYING" ? "BAKING" : deployment.State === "BAKING" ? "COMPLETE" : deployment.State;
      return { State: deployment.State };
    });
    sns.on(PublishCommand).resolves({ MessageId: "m" });
  });

  const deployedContents = () =>
    appconfig.commandCalls(CreateHostedConfigurationVersionCommand).map((call) => {
      const document = JSON.parse(String(call.args[0].input.Content)) as { values: Record<string, { _variants: { rule?: string }[] }> };
      return document.values["new-checkout"]._variants[0].rule ?? "on";
    });

  it("succeeds: deploys 5, 25, 50 and 100% in turn, each version once, and says it is done", async () => {
    const result = await run(definition, clients);
    expect(result.status).toBe("SUCCEEDED");
    expect(deployedContents()).toEqual([
      '(split pct::5 by::$userId seed::"new-checkout")',
      '(split pct::25 by::$userId seed::"new-checkout")',
      '(split pct::50 by::$userId seed::"new-checkout")',
      "on",
    ]);
    expect(appconfig.commandCalls(StartDeploymentCommand).map((call) => [call.args[0].input.ConfigurationVersion, call.args[0].input.DeploymentStrategyId])).toEqual([
      ["2", "strat1"],
      ["3", "strat1"],
      ["4", "strat1"],
      ["5", "strat1"],
    ]);
    expect(result.waited).toBeGreaterThanOrEqual(4 * 1800);
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject)).toEqual(["Flag ramp complete: release-platform-production/production"]);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain("deployed all 4 steps (new-checkout 100%)");
    // Each completed step recorded the stage reached, for the next pulumi up.
    expect(clients.ssm?.written.map((write) => [write.Name, JSON.parse(write.Value).reached])).toEqual(
      [5, 25, 50, 100].map((percent) => [targets.recordName, { "new-checkout": percent }]),
    );
    // A simulated execution records no more history events than the budget check assumes (two polls per deployment here).
    expect(result.events).toBeLessThanOrEqual(worstCaseHistoryEvents(steps.length, 1));
  });

  it("a rollback at stage 3 stops the ramp, deploys nothing more and notifies the alert topic", async () => {
    appconfig.on(GetDeploymentCommand).callsFake((input) => {
      const deployment = deployments[Number(input.DeploymentNumber) - 1];
      // The third stage (25%, the ramp's second step) trips a monitor: AppConfig rolls it back.
      deployment.State = deployment.ConfigurationVersion === "3" ? "ROLLED_BACK" : "COMPLETE";
      return { State: deployment.State };
    });
    const result = await run(definition, clients);
    expect(result).toMatchObject({ status: "FAILED", error: "RampStopped" });
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(2);
    const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ TopicArn: targets.alertTopicArn, Subject: "Flag ramp rolled back: release-platform-production/production" });
    expect(published[0].Message).toBe(
      "The flag ramp of release-platform-production/production stopped at step 2 of 4 (new-checkout 25%): AppConfig rolled deployment 3 back (a monitored alarm fired). Users are back on the previous step.",
    );
  });

  it("a throttled API is retried and the ramp carries on", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    appconfig.on(ListDeploymentsCommand).rejectsOnce(throttled).rejectsOnce(throttled).callsFake(() => ({ Items: [...deployments].reverse().slice(0, 1) }));
    const result = await run(definition, clients);
    expect(result.status).toBe("SUCCEEDED");
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(4);
  });

  it("a deployment already in progress is waited out; when it deploys another version the ramp yields and notifies", async () => {
    appconfig.on(StartDeploymentCommand).callsFake(() => {
      // Someone (pulumi up, the console) started a deployment of their own version between the ramp's check and its start.
      deployments.push({ DeploymentNumber: deployments.length + 1, ConfigurationVersion: "7", State: "DEPLOYING" });
      throw new ConflictException({ message: "Deployment in progress", $metadata: {} });
    });
    appconfig.on(ListDeploymentsCommand).callsFake(() => {
      const last = deployments[deployments.length - 1];
      const items = [{ ...last }];
      if (last.State === "DEPLOYING") last.State = "COMPLETE";
      return { Items: items };
    });
    const result = await run(definition, clients);
    expect(result).toMatchObject({ status: "FAILED", error: "RampStopped" });
    expect(result.trail).toContain("Wait to deploy 1");
    expect(result.trail.slice(-3)).toEqual(["Started 1?", "Superseded 1", "Stopped"]);
    expect(String(sns.commandCalls(PublishCommand)[0].args[0].input.Message)).toContain("deployment 2 of version 7 (COMPLETE) is not one the ramp deployed");
  });
});

describe("ramp failures, run against mocked AppConfig and SNS", () => {
  const appconfig = mockClient(AppConfigClient);
  const sns = mockClient(SNSClient);
  let clients: Clients;
  let deployments: { DeploymentNumber: number; ConfigurationVersion: string; State: string }[];
  let versions: number;
  const fail = (name: string, message = name) => Object.assign(new Error(message), { name });

  beforeEach(() => {
    appconfig.reset();
    sns.reset();
    clients = { appconfig: new AppConfigClient({ region: "eu-west-1" }), sns: new SNSClient({ region: "eu-west-1" }), ssm: fakeSsm() };
    versions = 1;
    deployments = [{ DeploymentNumber: 1, ConfigurationVersion: "1", State: "COMPLETE" }];
    appconfig.on(ListDeploymentsCommand).callsFake(() => ({ Items: [...deployments].reverse().slice(0, 1) }));
    appconfig.on(CreateHostedConfigurationVersionCommand).callsFake(() => ({ VersionNumber: ++versions }));
    appconfig.on(StartDeploymentCommand).callsFake((input) => {
      deployments.push({ DeploymentNumber: deployments.length + 1, ConfigurationVersion: String(input.ConfigurationVersion), State: "DEPLOYING" });
      return { DeploymentNumber: deployments.length };
    });
    appconfig.on(GetDeploymentCommand).callsFake((input) => {
      const deployment = deployments[Number(input.DeploymentNumber) - 1];
      deployment.State = "COMPLETE";
      return { State: deployment.State };
    });
    sns.on(PublishCommand).resolves({ MessageId: "m" });
  });

  it("a deployment AppConfig started but answered 500 for is the ramp's own: it is adopted, not retried into a conflict", async () => {
    let first = true;
    appconfig.on(StartDeploymentCommand).callsFake((input) => {
      const running = deployments.find((deployment) => deployment.State === "DEPLOYING");
      if (running) throw new ConflictException({ message: "Deployment in progress", $metadata: {} });
      deployments.push({ DeploymentNumber: deployments.length + 1, ConfigurationVersion: String(input.ConfigurationVersion), State: "DEPLOYING" });
      if (first) {
        first = false;
        throw fail("InternalServerException", "Internal error");
      }
      return { DeploymentNumber: deployments.length };
    });
    const result = await run(definition, clients);
    expect(result.status).toBe("SUCCEEDED");
    expect(result.trail).toContain("Adopt 1");
    expect(deployments.map((deployment) => deployment.ConfigurationVersion)).toEqual(["1", "2", "3", "4", "5"]);
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject)).toEqual(["Flag ramp complete: release-platform-production/production"]);
  });

  it("a start AppConfig refused (500, nothing started) is tried again after a minute, at most RAMP_DEPLOY_TRIES times", async () => {
    let failures = 2;
    appconfig.on(StartDeploymentCommand).callsFake((input) => {
      if (failures-- > 0) throw fail("InternalServerException");
      deployments.push({ DeploymentNumber: deployments.length + 1, ConfigurationVersion: String(input.ConfigurationVersion), State: "DEPLOYING" });
      return { DeploymentNumber: deployments.length };
    });
    expect((await run(definition, clients)).status).toBe("SUCCEEDED");
    appconfig.on(StartDeploymentCommand).rejects(fail("BadRequestException", "bad"));
    const stuck = await run(definition, clients);
    expect(stuck).toMatchObject({ status: "FAILED", error: "AppConfig.BadRequestException", cause: "bad" });
    expect(stuck.trail.filter((state) => state === "Deploy 1")).toHaveLength(5);
  });

  it.each(["ThrottlingException", "AppConfigException", "InternalServerException"])("an idempotent call failing with AppConfig.%s is retried and the ramp carries on", async (name) => {
    appconfig.on(GetDeploymentCommand).rejectsOnce(fail(name)).rejectsOnce(fail(name)).callsFake((input) => {
      const deployment = deployments[Number(input.DeploymentNumber) - 1];
      deployment.State = "COMPLETE";
      return { State: "COMPLETE" };
    });
    expect((await run(definition, clients)).status).toBe("SUCCEEDED");
  });

  it.each(["ThrottledException", "KmsThrottlingException", "InternalErrorException"])("a rollback notice throttled by SNS or KMS (Sns.%s) is retried and still published", async (name) => {
    appconfig.on(GetDeploymentCommand).callsFake((input) => ({ State: (deployments[Number(input.DeploymentNumber) - 1].State = "ROLLED_BACK") }));
    sns.on(PublishCommand).rejectsOnce(fail(name)).rejectsOnce(fail(name)).rejectsOnce(fail(name)).resolves({ MessageId: "m" });
    const result = await run(definition, clients);
    expect(result).toMatchObject({ status: "FAILED", error: "RampStopped" });
    expect(sns.commandCalls(PublishCommand).at(-1)?.args[0].input.Subject).toBe("Flag ramp rolled back: release-platform-production/production");
    expect(sns.commandCalls(PublishCommand)).toHaveLength(4);
  });

  it("the history budget's model bounds what an execution records: 30-minute deployments, throttles and a failed start included", async () => {
    const polls = new Map<number, number>();
    appconfig.on(GetDeploymentCommand).callsFake((input) => {
      const number = Number(input.DeploymentNumber);
      polls.set(number, (polls.get(number) ?? 0) + 1);
      // Production's strategy: 20 minutes of rollout and a 10-minute bake, polled once a minute.
      const state = (polls.get(number) ?? 0) >= 30 ? "COMPLETE" : "DEPLOYING";
      deployments[number - 1].State = state;
      return { State: state };
    });
    appconfig.on(ListDeploymentsCommand).rejectsOnce(fail("ThrottlingException")).callsFake(() => ({ Items: [...deployments].reverse().slice(0, 1) }));
    let refused = 1;
    appconfig.on(StartDeploymentCommand).callsFake((input) => {
      if (refused-- > 0) throw fail("InternalServerException");
      deployments.push({ DeploymentNumber: deployments.length + 1, ConfigurationVersion: String(input.ConfigurationVersion), State: "DEPLOYING" });
      return { DeploymentNumber: deployments.length };
    });
    const result = await run(definition, clients);
    expect(result.status).toBe("SUCCEEDED");
    const bound = worstCaseHistoryEvents(steps.length, 30);
    expect(result.events).toBeLessThanOrEqual(bound);
    // Not a loose bound: the polling the model counts is most of what a real execution records.
    expect(result.events).toBeGreaterThan(bound * 0.5);
  });

  it("an error no retry cures (AccessDenied) is caught: the execution fails with that error, which EventBridge reports", async () => {
    appconfig.on(CreateHostedConfigurationVersionCommand).rejects(fail("AccessDeniedException", "not authorized"));
    const result = await run(definition, clients);
    expect(result).toMatchObject({ status: "FAILED", error: "AppConfig.AccessDeniedException", cause: "not authorized" });
    expect(result.trail.at(-1)).toBe("Failed");
  });

  it("every AWS call of the ramp has a retry and a catch (the policy rule passes the definition)", () => {
    const machine = { type: "aws:sfn/stateMachine:StateMachine", name: "ramp", urn: "urn", props: { definition: JSON.stringify(definition) }, options: { protect: false, ignoreChanges: [] } };
    expect(rampStepHasCatch.check(machine, { tier: "production", resources: [machine] })).toEqual([]);
    for (const [state, body] of Object.entries(definition.States)) {
      if (body.Type !== "Task") continue;
      expect([state, (body.Retry as unknown[]).length > 0, (body.Catch as { ErrorEquals: string[] }[]).some((c) => c.ErrorEquals.includes("States.ALL"))]).toEqual([state, true, true]);
    }
  });
});

describe("ramps keep their place", () => {
  const production = (edit: (config: ReturnType<typeof shippedConfig>) => ReturnType<typeof shippedConfig> = (c) => c) =>
    edit(
      setPath(setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [1, 5, 25, 50, 100], every: "30m" }), "release:flags.dark-mode", {
        ...base,
        enabled: true,
      }),
    );
  const recordName = "/flag-ramps/release-platform-production/production/reached";
  const deployed = async (config: ReturnType<typeof shippedConfig>, parameters?: Record<string, string>) => {
    const d = await synthesize({ config: load(config, "production"), parameters });
    const store = resource(d, "release:aws:FeatureFlagStore", "production-flags");
    const document = JSON.parse(String(store.outputs.document)) as { values: Record<string, { _variants: { rule?: string }[] }> };
    const machine = JSON.parse(String(resource(d, "aws:sfn/stateMachine:StateMachine", "production-flags-ramp").inputs.definition)) as { Comment: string };
    const record = resource(d, "aws:ssm/parameter:Parameter", "production-flags-ramp-reached").inputs;
    return { rule: document.values["new-checkout"]._variants[0].rule ?? "on", comment: machine.Comment, record, store };
  };

  /** The record the first deploy wrote, once the ramp has reached `percent` (the state machine rewrites `reached` only). */
  const rampedTo = async (percent: number) => {
    const written = JSON.parse(String((await deployed(production())).record.insecureValue)) as RampRecord;
    return { [recordName]: JSON.stringify({ ...written, reached: { "new-checkout": percent } }) };
  };

  it("first deploy (no record yet): the stack file's first stage, and the record says so", async () => {
    const first = await deployed(production());
    expect(first.rule).toBe('(split pct::1 by::$userId seed::"new-checkout")');
    expect(first.record).toMatchObject({ name: recordName, type: "String" });
    expect(JSON.parse(String(first.record.insecureValue))).toEqual({ reached: { "new-checkout": 1 }, deployed: { source: expect.stringMatching(/^[0-9a-f]{16}$/), percents: { "new-checkout": 1 } } });
    expect(first.comment).toContain("new-checkout 5% -> new-checkout 25% -> new-checkout 50% -> new-checkout 100%");
  });

  it("a kill switch on another flag, or a description edit, while new-checkout is at 50%: still 50%, and the ramp goes on from there", async () => {
    const edits = [
      (c: ReturnType<typeof shippedConfig>) => setPath(c, "release:flags.dark-mode.enabled", false),
      (c: ReturnType<typeof shippedConfig>) => setPath(c, "release:flags.new-checkout.description", "Checkout, second try"),
    ];
    const record = await rampedTo(50);
    for (const edit of edits) {
      const after = await deployed(production(edit), record);
      expect(after.rule).toBe('(split pct::50 by::$userId seed::"new-checkout")');
      expect(after.comment).toBe("Guarded flag ramp of release-platform-production/production: new-checkout 100%");
      expect(JSON.parse(String(after.record.insecureValue))).toMatchObject({ reached: { "new-checkout": 50 }, deployed: { percents: { "new-checkout": 50 } } });
    }
  });

  it("a pulumi up that changes no flag while the ramp is at 50% deploys nothing new (the same document: no version, the ramp is not superseded)", async () => {
    const first = await deployed(production());
    const later = await deployed(production(), await rampedTo(50));
    expect(later.store.outputs.document).toBe(first.store.outputs.document);
    // The state machine it writes ramps on from 50% for the next start.
    expect(later.comment).toBe("Guarded flag ramp of release-platform-production/production: new-checkout 100%");
  });

  it("a finished ramp stays finished; changed stages continue above the reached percentage; a lowered last stage is the way down", async () => {
    expect((await deployed(production((c) => setPath(c, "release:flags.new-checkout.owner", "checkout")), await rampedTo(100))).rule).toBe("on");
    const changed = await deployed(
      production((c) => setPath(c, "release:flags.new-checkout.rollout", { stages: [1, 10, 40, 100], every: ["30m", "1h", "2h"] })),
      await rampedTo(25),
    );
    expect(changed.rule).toBe('(split pct::25 by::$userId seed::"new-checkout")');
    expect(changed.comment).toContain(": new-checkout 40% -> new-checkout 100%");
    const lowered = await deployed(production((c) => setPath(c, "release:flags.new-checkout.rollout", { stages: [1, 5, 20], every: "30m" })), await rampedTo(50));
    expect(lowered.rule).toBe('(split pct::20 by::$userId seed::"new-checkout")');
  });

  it("the remaining holds are the stages' own", () => {
    const flags: Flags = { a: flag({ rollout: { stages: [1, 10, 40, 100], every: ["30m", "1h", "2h"] } }) };
    expect(flagsFromRecord(flags, { a: 25 }).a.rollout).toEqual({ stages: [25, 40, 100], every: ["1h", "2h"] });
    expect(flagsFromRecord(flags, { a: 0.5 }).a.rollout).toEqual(flags.a.rollout);
  });

  it("a record that is not one stops the preview with its name", () => {
    expect(() => parseRampRecord("fifty", recordName)).toThrow(`SSM parameter ${recordName} holds "fifty", not a ramp record`);
    expect(() => parseRampRecord('{"reached": {"a": 150}, "deployed": {"source": "x", "percents": {}}}', recordName)).toThrow("not a ramp record");
    expect(parseRampRecord('{"reached": {"a": 50}, "deployed": {"source": "x", "percents": {}}}', recordName)).toEqual({ reached: { a: 50 }, deployed: { source: "x", percents: {} } });
    expect(parseRampRecord(undefined, recordName)).toBeUndefined();
  });

  it("the ramp's unsuccessful endings reach the alert topic through EventBridge", async () => {
    const d = await synth(production(), "production");
    const rule = resource(d, "aws:cloudwatch/eventRule:EventRule", "production-flags-ramp-endings");
    const machine = resource(d, "aws:sfn/stateMachine:StateMachine", "production-flags-ramp");
    expect(JSON.parse(String(rule.inputs.eventPattern))).toEqual({
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [machine.outputs.arn] },
    });
    const target = resource(d, "aws:cloudwatch/eventTarget:EventTarget", "production-flags-ramp-endings");
    expect(target.inputs.arn).toBe(resource(d, "aws:sns/topic:Topic", "production-alerts").outputs.arn);
    expect(target.inputs.rule).toBe(rule.inputs.name);
    // The topic's policy lets this account's EventBridge rules publish (the key policy too: alertKeyPolicy).
    const policy = JSON.parse(String(resource(d, "aws:sns/topicPolicy:TopicPolicy", "production-alerts").inputs.policy)) as { Statement: { Sid: string; Principal: unknown }[] };
    expect(policy.Statement.find((s) => s.Sid === "EventBridgeRulesPublish")?.Principal).toEqual({ Service: "events.amazonaws.com" });
    // The role may write the record and nothing else in SSM.
    const role = resource(d, "aws:iam/role:Role", "production-flags-ramp");
    const statements = JSON.parse(String((role.inputs.inlinePolicies as { policy: string }[])[0].policy)).Statement as { Action: string; Resource: unknown }[];
    expect(statements.filter((s) => String(s.Action).startsWith("ssm:"))).toEqual([
      expect.objectContaining({ Action: "ssm:PutParameter", Resource: resource(d, "aws:ssm/parameter:Parameter", "production-flags-ramp-reached").outputs.arn }),
    ]);
  });
});

describe("ramp limits", () => {
  it("a dependent flag may not outpace its dependency at any step, not only at the end", () => {
    const config = setPath(
      setPath(setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [1, 5, 25, 50, 100], every: "30m" }), "release:flags.express-shipping.enabled", true),
      "release:flags.express-shipping.rollout",
      { stages: [1, 10], every: "45m" },
    );
    expect(configError(config, "production")).toContain(
      "release:flags.express-shipping.rollout: would be at 10% while flags.new-checkout, which it depends on, is at 5% (45 min into the ramp)",
    );
    expect(configError(setPath(config, "release:flags.express-shipping.rollout", { stages: [1, 5], every: "45m" }), "production")).toBeUndefined();
  });

  it("ramps whose execution could outgrow Step Functions' history are refused, naming the flags", () => {
    let config = shippedConfig("production");
    const stages = Array.from({ length: 20 }, (_, i) => (i + 1) * 5);
    for (let i = 0; i < 6; i++) {
      config = setPath(config, `release:flags.ramp-${i}`, { description: "d", owner: "o", expires: "2027-01-01", enabled: true, rollout: { stages, every: `${31 + i}m` } });
    }
    const error = configError(config, "production");
    expect(error).toMatch(/release:flags: the ramp of ramp-0, ramp-1, ramp-2, ramp-3, ramp-4, ramp-5 takes \d+ steps of ~30 min deployments: up to \d+ history events/);
    expect(error).toContain(`above the budget of ${HISTORY_EVENT_BUDGET}`);
    const one = setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages, every: "30m" });
    expect(configError(one, "production")).toBeUndefined();
  });
});

describe("ramp in the program", () => {
  it("production with a ramp: a state machine whose role may deploy only this store's profile and publish to the alert topic", async () => {
    const config = setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [25, 50, 100], every: "1h" });
    const d = await synth(config, "production");
    const machine = resource(d, "aws:sfn/stateMachine:StateMachine", "production-flags-ramp");
    const states = JSON.parse(String(machine.inputs.definition)).States as Record<string, Record<string, Record<string, unknown>>>;
    const env = resource(d, "aws:appconfig/environment:Environment", "production-flags-env");
    const profile = resource(d, "aws:appconfig/configurationProfile:ConfigurationProfile", "production-flags-profile");
    const strategy = resource(d, "aws:appconfig/deploymentStrategy:DeploymentStrategy", "production-flags-strategy");
    expect(states["Deploy 1"].Parameters).toMatchObject({
      EnvironmentId: env.outputs.environmentId,
      ConfigurationProfileId: profile.outputs.configurationProfileId,
      DeploymentStrategyId: strategy.outputs.id,
    });
    const role = resource(d, "aws:iam/role:Role", "production-flags-ramp");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal).toEqual({ Service: "states.amazonaws.com" });
    const statements = JSON.parse(String((role.inputs.inlinePolicies as { policy: string }[])[0].policy)).Statement as { Action: string; Resource: unknown }[];
    const topic = resource(d, "aws:sns/topic:Topic", "production-alerts").outputs.arn;
    expect(statements.find((s) => s.Action === "sns:Publish")?.Resource).toBe(topic);
    expect(statements.flatMap((s) => [s.Resource].flat()).filter((r) => r === "*")).toHaveLength(1);
    // What AWS decides for each call the state machine makes, on every resource type AppConfig authorizes it on.
    const app = String(resource(d, "aws:appconfig/application:Application", "production-flags-app").outputs.arn);
    const policy = JSON.parse(String((role.inputs.inlinePolicies as { policy: string }[])[0].policy));
    const decide = async (action: string, arn: string) => {
      const response = await runSimulation(
        {
          identityPolicies: [{ name: "ramp", policy }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          request: { action, principal: String(role.outputs.arn), resource: { resource: arn, accountId: "123456789012" }, contextVariables: {} },
        },
        {},
      );
      if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
      return response.overallResult;
    };
    const environmentArn = String(env.outputs.arn);
    const calls: [string, string][] = [
      ["appconfig:ListDeployments", app],
      ["appconfig:ListDeployments", environmentArn],
      ["appconfig:GetDeployment", app],
      ["appconfig:GetDeployment", environmentArn],
      ["appconfig:GetDeployment", `${environmentArn}/deployment/7`],
      ["appconfig:CreateHostedConfigurationVersion", app],
      ["appconfig:CreateHostedConfigurationVersion", String(profile.outputs.arn)],
      ["appconfig:StartDeployment", app],
      ["appconfig:StartDeployment", environmentArn],
      ["appconfig:StartDeployment", String(profile.outputs.arn)],
      ["appconfig:StartDeployment", String(strategy.outputs.arn)],
      ["sns:Publish", String(topic)],
      ["ssm:PutParameter", String(resource(d, "aws:ssm/parameter:Parameter", "production-flags-ramp-reached").outputs.arn)],
    ];
    for (const [action, arn] of calls) expect(`${action} ${arn}: ${await decide(action, arn)}`).toBe(`${action} ${arn}: Allowed`);
    const otherEnvironment = environmentArn.replace(/environment\/[^/]+$/, "environment/other1");
    expect(await decide("appconfig:StartDeployment", otherEnvironment)).toBe("ImplicitlyDenied");
    expect(await decide("sns:Publish", String(topic).replace(/:[^:]+$/, ":other-topic"))).toBe("ImplicitlyDenied");
    expect(await decide("ssm:PutParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/other")).toBe("ImplicitlyDenied");
    // Pulumi's own version serves the ramp's first stage.
    expect(JSON.parse(String(resource(d, "release:aws:FeatureFlagStore", "production-flags").outputs.document)).values["new-checkout"]._variants[0].rule).toBe(
      '(split pct::25 by::$userId seed::"new-checkout")',
    );
  });
});

describe("ramp synthesis", () => {
  it("the same stack file synthesizes the same state machine, byte for byte", async () => {
    const config = () => setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [25, 50, 100], every: "1h" });
    expect(JSON.stringify(await synth(config(), "production"))).toBe(JSON.stringify(await synth(config(), "production")));
  });

  it("a stack without ramps has no state machine", async () => {
    const d = await synth(shippedConfig("production"), "production");
    expect(d.resources.filter((r) => r.type === "aws:sfn/stateMachine:StateMachine")).toEqual([]);
  });
});

describe("see a ramp before it happens", () => {
  it("the plan prints each flag's stages, percentages, times and what stops them; the synth tree shows the ramp", async () => {
    const { planText } = await import("../src/flags/plan");
    const text = planText(rampFlags, { deploymentMinutes: 30, monitors: ["production-checkout-any"], alertTopic: "production-alerts" });
    expect(text).toContain("new-checkout  ramp\n  stage 1    1%  at the first pulumi up (then: the stage reached)\n  stage 2    5%  +1h00m after the ramp starts\n");
    expect(text).toContain("  stage 5  100%  +4h00m after the ramp starts\n");
    expect(text).toContain("a monitor goes to ALARM during a step's deployment (AppConfig rolls it back): production-checkout-any");
    expect(text).toContain("pause: aws stepfunctions stop-execution --execution-arn <arn>; resume: aws stepfunctions redrive-execution --execution-arn <arn>");
    const dir = mkdtempSync(join(tmpdir(), "ramp-"));
    const file = join(dir, "Pulumi.production.yaml");
    writeFileSync(file, stringify({ config: setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [1, 5, 25, 50, 100], every: "30m" }) }));
    const cli = spawnSync(process.execPath, [join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), join(PROJECT_ROOT, "src/flags-cli.ts"), "production", "--config-file", file, "--plan"], {
      encoding: "utf8",
    });
    expect(cli.status).toBe(0);
    // Production's strategy: 20 minutes of steps and a 10-minute bake per deployment.
    expect(cli.stdout).toContain("new-checkout  ramp\n  stage 1    1%  at the first pulumi up (then: the stage reached)\n  stage 2    5%  +1h00m after the ramp starts\n");
    expect(cli.stdout).toContain("production-checkout-any");
    const { renderTree } = await import("../src/synth/render");
    const config = setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [25, 50, 100], every: "1h" });
    expect(renderTree(await synth(config, "production"))).toContain("flags: express-shipping off, new-checkout 25%; ramp: +60m new-checkout 50% -> +60m new-checkout 100%");
  });
});
