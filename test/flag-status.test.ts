import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  type DeploymentSummary,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListDeploymentsCommand,
  ListEnvironmentsCommand,
  StartDeploymentCommand,
} from "@aws-sdk/client-appconfig";
import { mockClient } from "aws-sdk-client-mock";
import { parse, stringify } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { toAppConfigDocument } from "../components/feature-flag-store/backends/appconfig/document";
import { killNow } from "../src/flags/kill";
import { flagStatus, storeExpectation } from "../src/flags/status";
import { PROJECT_ROOT } from "../src/synth/run";
import { load, setPath, shippedConfig, type StackConfig } from "./helpers";

const appconfig = mockClient(AppConfigClient);
afterEach(() => appconfig.reset());

const production = () => load(shippedConfig("production"), "production");
const stackDocument = () => JSON.stringify(toAppConfigDocument(production().flags));

/**
 * An account holding production's store (found by name, with other applications around it), its deployments newest
 * first as ListDeployments returns them, and the content of each version.
 */
function account(deployments: DeploymentSummary[], versions: Record<string, string>, options: { pages?: boolean } = {}) {
  const other = { Id: "other", Name: "release-platform-staging" };
  const ours = { Id: "app1", Name: "release-platform-production" };
  if (options.pages) {
    appconfig.on(ListApplicationsCommand, { NextToken: undefined }).resolves({ Items: [other], NextToken: "p2" });
    appconfig.on(ListApplicationsCommand, { NextToken: "p2" }).resolves({ Items: [ours] });
  } else {
    appconfig.on(ListApplicationsCommand).resolves({ Items: [other, ours] });
  }
  appconfig.on(ListEnvironmentsCommand, { ApplicationId: "app1" }).resolves({ Items: [{ Id: "env1", Name: "production" }] });
  appconfig.on(ListConfigurationProfilesCommand, { ApplicationId: "app1" }).resolves({ Items: [{ Id: "prof1", Name: "feature-flags" }] });
  appconfig.on(ListDeploymentsCommand, { ApplicationId: "app1", EnvironmentId: "env1" }).resolves({ Items: deployments });
  for (const [version, content] of Object.entries(versions)) {
    appconfig
      .on(GetHostedConfigurationVersionCommand, { ApplicationId: "app1", ConfigurationProfileId: "prof1", VersionNumber: Number(version) })
      .resolves({ Content: blob(content), Description: "Flags from the stack file", VersionNumber: Number(version) });
  }
}
/** The SDK answers with a Uint8Array that also has `transformToString` (its Uint8ArrayBlobAdapter). */
const blob = (content: string) => Object.assign(new TextEncoder().encode(content), { transformToString: () => content });
const deployment = (DeploymentNumber: number, ConfigurationVersion: string, State: DeploymentSummary["State"], extra: Partial<DeploymentSummary> = {}): DeploymentSummary => ({
  DeploymentNumber,
  ConfigurationVersion,
  State,
  ConfigurationProfileId: "prof1",
  ...extra,
});

describe("flags --status: what AppConfig serves against what the stack deploys", () => {
  it("in sync when the latest deployment completed the stack file's document (found by name across pages)", async () => {
    const older = JSON.stringify(toAppConfigDocument(load(setPath(shippedConfig("production"), "release:flags.new-checkout.rollout.percent", 5), "production").flags));
    account([deployment(7, "7", "COMPLETE"), deployment(6, "6", "COMPLETE")], { "7": stackDocument(), "6": older }, { pages: true });
    const status = await flagStatus(appconfig as unknown as AppConfigClient, storeExpectation(production()));
    expect(status).toEqual({
      drift: false,
      text: "release-platform-production/production in eu-west-1: in sync: deployment 7 of version 7 (COMPLETE) is the document of Pulumi.production.yaml\n",
    });
  });

  it("drift when an alarm rolled the stack's version back: names the version served instead, and the only recovery", async () => {
    account([deployment(8, "8", "ROLLED_BACK"), deployment(7, "7", "COMPLETE")], { "8": stackDocument(), "7": "{}" });
    const status = await flagStatus(appconfig as unknown as AppConfigClient, storeExpectation(production()));
    expect(status.drift).toBe(true);
    expect(status.text).toContain("drift: the latest deployment 8 of version 8 (ROLLED_BACK) was taken back");
    expect(status.text).toContain("it serves version 7 (deployment 7), not what Pulumi.production.yaml deploys");
    expect(status.text).toContain("revert the flag change in the stack file");
  });

  it("drift when a completed deployment was reverted by StopDeployment (REVERTED), even where the stack is console-owned", async () => {
    account([deployment(9, "9", "REVERTED"), deployment(8, "8", "COMPLETE")], {});
    const config = load(setPath(shippedConfig("production"), "release:flagStore.ownership", "console"), "production");
    const status = await flagStatus(appconfig as unknown as AppConfigClient, storeExpectation(config));
    expect(status.drift).toBe(true);
    expect(status.text).toContain("deployment 9 of version 9 (REVERTED) was taken back");
  });

  it("drift when the latest version is not the stack's (deployed from the console): names the flags that differ", async () => {
    const edited = JSON.parse(stackDocument()) as { values: Record<string, unknown> };
    edited.values["express-shipping"] = { enabled: true };
    account([deployment(10, "10", "COMPLETE")], { "10": JSON.stringify(edited) });
    const status = await flagStatus(appconfig as unknown as AppConfigClient, storeExpectation(production()));
    expect(status.drift).toBe(true);
    expect(status.text).toContain("drift: the latest deployment 10 of version 10 (COMPLETE)");
    expect(status.text).toContain("flags that differ from the stack file's: express-shipping)");
  });

  it("the console's _createdAt/_updatedAt stamps are not drift", async () => {
    const stamped = JSON.parse(stackDocument()) as { flags: Record<string, Record<string, unknown>> };
    for (const definition of Object.values(stamped.flags)) Object.assign(definition, { _createdAt: "2026-12-01T00:00:00Z", _updatedAt: "2026-12-02T00:00:00Z" });
    account([deployment(11, "11", "COMPLETE")], { "11": JSON.stringify(stamped) });
    expect((await flagStatus(appconfig as unknown as AppConfigClient, storeExpectation(production()))).drift).toBe(false);
  });

  it("a ramp's own versions are the stack's: in sync at a ramp step, and while it rolls out", async () => {
    const ramping = load(setPath(shippedConfig("production"), "release:flags.new-checkout.rollout", { stages: [1, 5, 25], every: "30m" }), "production");
    const expectation = storeExpectation(ramping);
    expect(expectation.documents.map((document) => document.label)).toEqual([
      "the document of Pulumi.production.yaml",
      "ramp step 1 of 2 (new-checkout 5%)",
      "ramp step 2 of 2 (new-checkout 25%)",
    ]);
    account([deployment(12, "12", "BAKING", { PercentageComplete: 100 }), deployment(11, "11", "COMPLETE")], { "12": expectation.documents[2].document });
    expect(await flagStatus(appconfig as unknown as AppConfigClient, expectation)).toEqual({
      drift: false,
      text: "release-platform-production/production in eu-west-1: in sync: deployment 12 of version 12 (BAKING), 100% rolled out is ramp step 2 of 2 (new-checkout 25%)\n",
    });
  });

  it("drift when the store is missing or was never deployed", async () => {
    appconfig.on(ListApplicationsCommand).resolves({ Items: [] });
    expect(await flagStatus(appconfig as unknown as AppConfigClient, storeExpectation(production()))).toEqual({
      drift: true,
      text: "release-platform-production/production in eu-west-1: no AppConfig application release-platform-production: the stack Pulumi.production.yaml deploys flags there (is it deployed, to this account and region?)\n",
    });
  });
});

describe("flags --kill-now: the flags the stack file disables, off at once, nothing else changed", () => {
  const banner = { description: "Holiday banner", owner: "web", expires: "2027-01-31", enabled: true };
  /** Production with a third flag, new-checkout at `percent` and the banner on or off. */
  const withBanner = (percent: number, bannerOn: boolean): StackConfig =>
    setPath(setPath(shippedConfig("production"), "release:flags.banner", { ...banner, enabled: bannerOn }), "release:flags.new-checkout.rollout.percent", percent);
  const documentOf = (config: StackConfig) => JSON.stringify(toAppConfigDocument(load(config, "production").flags));

  it("deploys the served version with only the disabled flags off, with AppConfig.AllAtOnce", async () => {
    // The environment serves new-checkout at 50% (a ramp got there); the stack file still says 25% and turns the banner off.
    account([deployment(20, "20", "COMPLETE")], { "20": documentOf(withBanner(50, true)) });
    appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 21 });
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 22 });
    const text = await killNow(appconfig as unknown as AppConfigClient, storeExpectation(load(withBanner(25, false), "production")));

    const [created] = appconfig.commandCalls(CreateHostedConfigurationVersionCommand).map((call) => call.args[0].input);
    const deployed = JSON.parse(new TextDecoder().decode(created.Content as Uint8Array)) as { values: Record<string, unknown> };
    const served = JSON.parse(documentOf(withBanner(50, true))) as { values: Record<string, unknown> };
    expect(deployed.values).toEqual({ ...served.values, banner: { enabled: false } });
    expect(created).toMatchObject({ ApplicationId: "app1", ConfigurationProfileId: "prof1", ContentType: "application/json" });
    expect(appconfig.commandCalls(StartDeploymentCommand).map((call) => call.args[0].input)).toEqual([
      {
        ApplicationId: "app1",
        EnvironmentId: "env1",
        ConfigurationProfileId: "prof1",
        ConfigurationVersion: "21",
        DeploymentStrategyId: "AppConfig.AllAtOnce",
        Description: "Kill switch (flags --kill-now from Pulumi.production.yaml): banner off",
      },
    ]);
    expect(text).toContain("banner off for everyone now: version 21 (version 20 with only those flags off), deployment 22 with AppConfig.AllAtOnce");
    expect(text).toContain("left as served (not an off switch, deploy them with pulumi up): new-checkout");
  });

  it("refuses while a deployment runs, naming the command that stops it; deploys nothing", async () => {
    account([deployment(30, "30", "DEPLOYING"), deployment(29, "29", "COMPLETE")], { "29": documentOf(withBanner(25, true)) });
    await expect(killNow(appconfig as unknown as AppConfigClient, storeExpectation(load(withBanner(25, false), "production")))).rejects.toThrow(
      "deployment 30 of version 30 (DEPLOYING) is still running, and AppConfig takes one deployment at a time. `aws appconfig stop-deployment --application-id app1 --environment-id env1 --deployment-number 30`",
    );
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toEqual([]);
  });

  it("nothing to turn off when the served version has every disabled flag off already; deploys nothing", async () => {
    account([deployment(40, "40", "COMPLETE")], { "40": documentOf(withBanner(25, false)) });
    const text = await killNow(appconfig as unknown as AppConfigClient, storeExpectation(load(withBanner(25, false), "production")));
    expect(text).toContain("nothing to turn off: every flag Pulumi.production.yaml disables is already off in version 40");
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toEqual([]);
  });
});

describe("flags --status from the command line", () => {
  /** The CLI with no AWS credentials anywhere: no variables, no files, no instance metadata. */
  function withoutCredentials(args: string[]) {
    const home = mkdtempSync(join(tmpdir(), "no-aws-"));
    const result = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/release.cjs"), ...args], {
      encoding: "utf8",
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: home, AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: join(home, "none"), AWS_SHARED_CREDENTIALS_FILE: join(home, "none") },
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("without credentials: exit 2 and what to set, no stack trace", () => {
    const result = withoutCredentials(["flags", "production", "--status"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("flags: this asks AppConfig about production's flag environment, and found no AWS credentials");
    expect(result.stderr).toContain("set AWS_PROFILE");
    expect(result.stderr).not.toContain("    at ");
  });

  it("a flagd stack has no AppConfig environment to drift: says so and exits 0", () => {
    const example = parse(readFileSync(join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml"), "utf8")) as { config: Record<string, unknown> };
    const file = join(mkdtempSync(join(tmpdir(), "flagd-")), "Pulumi.eks.yaml");
    writeFileSync(file, stringify({ ...example, config: { ...example.config, "release:flagStore": { backend: "flagd" } } }));
    const result = withoutCredentials(["flags", "eks", "--config-file", file, "--status"]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({
      code: 0,
      stdout: expect.stringContaining("flags are served by flagd from a ConfigMap, not AppConfig"),
    });
  });
});
