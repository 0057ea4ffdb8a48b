import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { type SynthDocument, type SynthResource, synthesizeProgram } from "../src/synth/capture";
import { diffDocuments, renderDiffMarkdown, renderDiffText } from "../src/synth/diff";
import { renderTree } from "../src/synth/render";

/** A component as the program builds them: children named from its name, one nested component. */
class Service extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions, type = "test:index:Service") {
    super(type, name, {}, opts);
    const inner = new pulumi.ComponentResource("test:index:Inner", `${name}-inner`, {}, { parent: this });
    new aws.sns.Topic(`${name}-alerts`, { name: `${name}-alerts` }, { parent: inner });
    new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/ecs/${name}`, retentionInDays: 30 }, { parent: this });
    this.registerOutputs({});
  }
}

const ENVIRONMENT = "release:aws:ReleaseEnvironment";
const target = { stack: "dev", tier: "dev", region: "eu-west-1" };
const synth = (program: () => void) =>
  synthesizeProgram(target, async () => {
    program();
    return {};
  });
/** The program before: the service at the stack root. */
const atRoot = () => synth(() => new Service("checkout"));
/** The program after: the service moved under the environment component, with or without the alias that keeps it. */
const wrapped = (aliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[]) =>
  synth(() => {
    const environment = new pulumi.ComponentResource(ENVIRONMENT, "dev", {});
    new Service("checkout", { parent: environment, aliases });
  });
const find = (document: SynthDocument, name: string) => document.resources.find((resource) => resource.name === name);

describe("the synth JSON records aliases", () => {
  it("a program without aliases gets no aliases key: its JSON is what it was", async () => {
    const document = await atRoot();
    for (const resource of document.resources) expect(Object.keys(resource.options)).toEqual(["protect", "ignoreChanges", "retainOnDelete"]);
  });

  it("a moved component carries { noParent: true }; its children register none and keep their mock URNs", async () => {
    const base = await atRoot();
    const head = await wrapped([{ parent: pulumi.rootStackResource }]);
    expect(find(head, "checkout")?.options.aliases).toEqual([{ noParent: true }]);
    expect(find(head, "checkout")?.urn).toBe("urn:pulumi:dev::release-platform::release:aws:ReleaseEnvironment$test:index:Service::checkout");
    for (const child of ["checkout-inner", "checkout-alerts", "checkout-logs"]) {
      expect(find(head, child)?.options.aliases, child).toBeUndefined();
      // Mock URNs carry only the immediate parent's type: a grandchild of the new component looks unmoved.
      expect(find(head, child)?.urn, child).toBe(find(base, child)?.urn);
    }
  });

  it("records names, types and parents as the program gave them; the stack as a parent reads as noParent", async () => {
    const document = await synth(() => {
      const other = new pulumi.ComponentResource("test:index:Other", "other", {});
      new Service("renamed", { aliases: [{ name: "old" }, { type: "test:index:Old", parent: other }, "urn:pulumi:dev::release-platform::test:index:Service::older"] });
    });
    expect(find(document, "renamed")?.options.aliases).toEqual([
      { name: "old", noParent: true },
      { type: "test:index:Old", parentUrn: find(document, "other")?.urn },
      { urn: "urn:pulumi:dev::release-platform::test:index:Service::older" },
    ]);
  });
});

describe("synth diff follows aliases", () => {
  it("wrapping a component with its alias shows only the new parent, and the move", async () => {
    const base = await atRoot();
    const head = await wrapped([{ parent: pulumi.rootStackResource }]);
    const diff = diffDocuments(base, head);
    expect(diff.resources.map(({ kind, type, name, component }) => ({ kind, type, name, component }))).toEqual([
      { kind: "added", type: ENVIRONMENT, name: "dev", component: "ReleaseEnvironment dev" },
      // Grouped under the service, not under the environment that now wraps the whole stack.
      { kind: "moved", type: "test:index:Service", name: "checkout", component: "Service checkout" },
    ]);
    expect(diff.resources[1].moved).toEqual({
      from: "urn:pulumi:dev::release-platform::pulumi:pulumi:Stack$test:index:Service::checkout",
      how: "moved under ReleaseEnvironment dev (was at the stack root) (aliased: pulumi up keeps it)",
    });
    expect(diff.callouts).toEqual(["keeps 1 resource(s) through their aliases, not replaced: Service checkout"]);
    const text = renderDiffText(diff);
    expect(text).toContain("dev: 1 to add, 0 to change, 0 to replace, 0 to remove, 1 moved by alias\n");
    expect(text).toContain("Service checkout\n  > Service checkout\n      moved under ReleaseEnvironment dev (was at the stack root) (aliased: pulumi up keeps it)\n");
    const markdown = renderDiffMarkdown(diff, head);
    expect(markdown).toContain("### `dev`: 1 to add, 0 to change, 0 to replace, 0 to remove, 1 moved by alias");
    expect(markdown).toContain("| `>` | Service `checkout` | moved under ReleaseEnvironment dev (was at the stack root) (aliased: pulumi up keeps it) |");
    expect(markdown).not.toMatch(/removes|`-`/);
  });

  it("without the alias the same move is a teardown: the component and every descendant removed and added", async () => {
    const diff = diffDocuments(await atRoot(), await wrapped());
    const kinds = (kind: string) => diff.resources.filter((change) => change.kind === kind).map((change) => change.name).sort();
    // The engine's URNs carry every ancestor's type: the grandchildren move too, though their mock URNs do not change.
    expect(kinds("removed")).toEqual(["checkout", "checkout-alerts", "checkout-inner", "checkout-logs"]);
    expect(kinds("added")).toEqual(["checkout", "checkout-alerts", "checkout-inner", "checkout-logs", "dev"]);
    expect(diff.callouts).toEqual(["**removes alert topic checkout-alerts**", "**removes log group (its logs go with it) checkout-logs**"]);
    expect(renderDiffText(diff)).toContain("dev: 5 to add, 0 to change, 0 to replace, 4 to remove\n");
  });

  it("an alias given as the resource's real URN pairs it too", async () => {
    const diff = diffDocuments(await atRoot(), await wrapped(["urn:pulumi:dev::release-platform::test:index:Service::checkout"]));
    expect(diff.resources.map((change) => `${change.kind} ${change.name}`)).toEqual(["added dev", "moved checkout"]);
  });

  it("a moved resource is still compared: a new name that replaces it is called out, a protect flag shows", async () => {
    const base = await synth(() => new aws.sns.Topic("alerts", { name: "dev-alerts", displayName: "Alerts" }));
    const moved = (args: aws.sns.TopicArgs, protect = false) =>
      synth(() => {
        const environment = new pulumi.ComponentResource(ENVIRONMENT, "dev", {});
        new aws.sns.Topic("alerts", args, { parent: environment, aliases: [{ parent: pulumi.rootStackResource }], protect });
      });
    const renamed = diffDocuments(base, await moved({ name: "dev-alerts-2", displayName: "Alerts" }));
    const topic = renamed.resources.find((change) => change.name === "alerts");
    expect(topic?.kind).toBe("replaced");
    expect(topic?.changes).toEqual([{ path: "inputs.name", old: "dev-alerts", new: "dev-alerts-2" }]);
    expect(topic?.moved?.how).toBe("moved under ReleaseEnvironment dev (was at the stack root) (aliased: pulumi up keeps it)");
    expect(renamed.callouts).toContain("**replaces alert topic alerts**");
    const protectedNow = diffDocuments(base, await moved({ name: "dev-alerts", displayName: "Alerts" }, true)).resources.find((change) => change.name === "alerts");
    expect(protectedNow?.kind).toBe("changed");
    expect(protectedNow?.changes).toEqual([{ path: "options.protect", old: false, new: true }]);
  });

  it("a renamed component's children follow its alias where their names start with their parent's, as the engine renames them", async () => {
    const base = await atRoot();
    const renamed = diffDocuments(base, await synth(() => new Service("shop", { aliases: [{ name: "checkout" }] })));
    expect(renamed.resources.map((change) => `${change.kind} ${change.name}: ${change.moved?.how ?? change.changes.map((c) => c.path).join()}`)).toEqual([
      "moved shop: renamed from checkout (aliased: pulumi up keeps it)",
      // Named from its grandparent, not from its parent shop-inner: inheritedChildAlias keeps its name, which matches nothing.
      "removed checkout-alerts: ",
      "added shop-alerts: ",
      "replaced shop-logs: renamed from checkout-logs (aliased: pulumi up keeps it)",
      "moved shop-inner: renamed from checkout-inner (aliased: pulumi up keeps it)",
    ]);
    // Kept, but its physical name follows the component's: a new log group.
    expect(renamed.resources.find((change) => change.name === "shop-logs")?.changes).toEqual([{ path: "inputs.name", old: "/ecs/checkout", new: "/ecs/shop" }]);
    // A new type token changes its children's mock URNs; with the alias they stay.
    const retyped = diffDocuments(base, await synth(() => new Service("checkout", { aliases: [{ type: "test:index:Service" }] }, "test:index:Shop")));
    expect(retyped.resources.map((change) => `${change.kind} ${change.name}: ${change.moved?.how}`)).toEqual([
      "moved checkout: type was test:index:Service (aliased: pulumi up keeps it)",
    ]);
    expect(diffDocuments(base, await synth(() => new Service("checkout", {}, "test:index:Shop"))).resources.filter((change) => change.kind === "removed")).toHaveLength(4);
  });

  it("resources using an explicit provider that moved with its alias are unchanged, not replaced", async () => {
    const topics = (provider: aws.Provider) => new aws.sns.Topic("alerts", { name: "dev-alerts" }, { provider });
    const base = await synth(() => topics(new aws.Provider("cluster", { region: "eu-west-1" })));
    const head = await synth(() => {
      const environment = new pulumi.ComponentResource(ENVIRONMENT, "dev", {});
      topics(new aws.Provider("cluster", { region: "eu-west-1" }, { parent: environment, aliases: [{ parent: pulumi.rootStackResource }] }));
    });
    expect(find(head, "alerts")?.provider).not.toBe(find(base, "alerts")?.provider);
    const diff = diffDocuments(base, head);
    expect(diff.resources.map((change) => `${change.kind} ${change.type} ${change.name}`)).toEqual([`added ${ENVIRONMENT} dev`, "moved pulumi:providers:aws cluster"]);
    // Offline there is no engine to ask: the reviewer is told which CLI keeps them.
    expect(diff.callouts).toContain(
      "**moves provider(s) aws cluster by alias**: the resources using them are kept, not replaced, only by a Pulumi CLI with the fix for pulumi/pulumi#18395 (3.151.0, February 2025, or later); run pulumi preview on one stack first",
    );
  });

  it("a provider under a moved component is called out too, though it follows its parent unlisted", async () => {
    const service = (wrapped: boolean) =>
      synth(() => {
        const parent = wrapped ? new pulumi.ComponentResource(ENVIRONMENT, "dev", {}) : undefined;
        const component = new pulumi.ComponentResource("test:index:Environment", "dev", {}, parent ? { parent, aliases: [{ parent: pulumi.rootStackResource }] } : {});
        new aws.sns.Topic("alerts", { name: "dev-alerts" }, { parent: component, provider: new aws.Provider("dev-aws", { region: "eu-west-1" }, { parent: component }) });
      });
    const diff = diffDocuments(await service(false), await service(true));
    expect(diff.resources.map((change) => `${change.kind} ${change.name}`)).toEqual(["added dev", "moved dev"]);
    expect(diff.callouts.filter((callout) => callout.startsWith("**moves provider(s) aws dev-aws by alias**"))).toHaveLength(1);
  });

  it("a provider's renamed type token (pulumi-aws v7: BucketV2 -> Bucket) is no replacement", async () => {
    const head = await synth(() => new aws.s3.Bucket("artifacts", { bucket: "dev-artifacts" }));
    // pulumi-aws registers its own alias to the old token.
    expect(find(head, "artifacts")?.options.aliases).toContainEqual({ type: "aws:s3/bucketV2:BucketV2", noParent: true });
    // The same program synthesized with pulumi-aws v6, as the base of the pull request that upgrades it.
    const v6 = (resource: SynthResource): SynthResource => ({
      ...resource,
      type: "aws:s3/bucketV2:BucketV2",
      urn: resource.urn.replace("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"),
      options: { protect: false, ignoreChanges: [], retainOnDelete: false },
    });
    const base: SynthDocument = { ...head, resources: head.resources.map((resource) => (resource.name === "artifacts" ? v6(resource) : resource)) };
    const diff = diffDocuments(base, head);
    expect(diff.resources.map((change) => `${change.kind} ${change.name}: ${change.moved?.how}`)).toEqual([
      "moved artifacts: type was aws:s3/bucketV2:BucketV2 (aliased: pulumi up keeps it)",
    ]);
  });
});

describe("the tree with the environment at its root", () => {
  it("nests every component one level under the environment", async () => {
    const tree = renderTree(await wrapped([{ parent: pulumi.rootStackResource }]));
    expect(tree.split("\n").slice(0, 6)).toEqual([
      "release-platform / dev (tier dev): 5 resources",
      "  + ReleaseEnvironment dev",
      "    + test:index:Service checkout",
      "      + test:index:Inner checkout-inner",
      "        aws:sns:Topic checkout-alerts  checkout-alerts",
      "      aws:cloudwatch:LogGroup checkout-logs  /ecs/checkout retention 30 days",
    ]);
  });
});
