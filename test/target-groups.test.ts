import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SynthDocument } from "../src/synth/capture";
import { diffDocuments } from "../src/synth/diff";
import { resource, resourcesOf, setPath, shippedConfig, synth } from "./helpers";

const TG = "aws:lb/targetGroup:TargetGroup";
const RULE = "aws:lb/listenerRule:ListenerRule";
const SERVICE = "aws:ecs/service:Service";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
/** What the provider replaces a target group for (ModifyTargetGroup cannot change them). */
const TG_REPLACED_ON = ["name", "port", "protocol", "targetType", "vpcId"];

/** Options the synth document leaves out (replaceOnChanges, aliases), read from the registration requests. */
const registered = new Map<string, { replaceOnChanges: string[]; aliases: string[]; deleteBeforeReplace: boolean }>();
type Register = MockMonitor["registerResource"];
const original: Register = MockMonitor.prototype.registerResource;
beforeAll(() => {
  MockMonitor.prototype.registerResource = function (this: MockMonitor, req: Parameters<Register>[0], callback: Parameters<Register>[1]) {
    const request = req as unknown as {
      getType(): string;
      getName(): string;
      getReplaceonchangesList(): string[];
      getDeletebeforereplace(): boolean;
      getAliasesList(): { getSpec(): { getName(): string } | undefined }[];
    };
    registered.set(`${request.getType()}::${request.getName()}`, {
      replaceOnChanges: request.getReplaceonchangesList(),
      aliases: request.getAliasesList().map((alias) => alias.getSpec()?.getName() ?? ""),
      deleteBeforeReplace: request.getDeletebeforereplace(),
    });
    return original.call(this, req, callback);
  } as Register;
});
afterAll(() => {
  MockMonitor.prototype.registerResource = original;
});

const arnOf = (d: SynthDocument, type: string, name: string) => resource(d, type, name).outputs.arn;

describe("a service's port changes (checkout 8080 -> 3001 in staging)", () => {
  let before: SynthDocument;
  let after: SynthDocument;
  beforeAll(async () => {
    before = await synth(shippedConfig("staging"));
    after = await synth(setPath(shippedConfig("staging"), "release:services.checkout.port", 3001));
  });

  it("keeps both target groups: same URN, same name, and every replace-triggering input unchanged or ignored", () => {
    for (const colour of ["blue", "green"]) {
      const old = resource(before, TG, `checkout-${colour}`);
      const now = resource(after, TG, `checkout-${colour}`);
      expect(now.urn).toBe(old.urn);
      expect(now.inputs.name).toBe(`staging-checkout-${colour[0]}`);
      expect(now.inputs.name).toBe(old.inputs.name);
      for (const field of TG_REPLACED_ON) {
        if (JSON.stringify(now.inputs[field]) !== JSON.stringify(old.inputs[field])) expect(now.options.ignoreChanges).toContain(field);
      }
      expect(registered.get(`${TG}::checkout-${colour}`)?.replaceOnChanges).toEqual([]);
    }
  });

  it("the port is not part of a target group's name, so the name cannot follow it", () => {
    expect(resourcesOf(after, TG).map((group) => String(group.inputs.name)).filter((name) => name.includes("8080") || name.includes("3001"))).toEqual([]);
  });

  it("the listener rules and the ECS service still point at the same target groups", () => {
    const blue = arnOf(after, TG, "checkout-blue");
    const green = arnOf(after, TG, "checkout-green");
    expect(blue).toBe(arnOf(before, TG, "checkout-blue"));
    for (const rule of ["checkout-production", "checkout-test"]) {
      const groups = (resource(after, RULE, rule).inputs.actions as { forward: { targetGroups: { arn: string }[] } }[])[0].forward.targetGroups;
      expect(groups.map((group) => group.arn)).toEqual([blue, green]);
    }
    const [binding] = resource(after, SERVICE, "checkout-service").inputs.loadBalancers as Record<string, unknown>[];
    expect(binding.targetGroupArn).toBe(blue);
    expect((binding.advancedConfiguration as Record<string, unknown>).alternateTargetGroupArn).toBe(green);
  });

  it("replaces nothing but the task definition; the new container port is ignored on the service (loadBalancers is a set), and the diff says so", () => {
    const service = resource(after, SERVICE, "checkout-service");
    expect(service.urn).toBe(resource(before, SERVICE, "checkout-service").urn);
    expect((service.inputs.loadBalancers as Record<string, unknown>[])[0].containerPort).toBe(3001);
    expect(service.options.ignoreChanges).toEqual(["desiredCount", "loadBalancers"]);
    expect(registered.get(`${SERVICE}::checkout-service`)?.replaceOnChanges).toEqual([]);
    const diff = diffDocuments(before, after);
    expect(diff.resources.find((change) => change.name === "checkout-service")?.ignored.map((property) => property.path)).toEqual(["inputs.loadBalancers[0].containerPort"]);
    expect(diff.callouts).toContain(
      "checkout-service: the container port 8080 -> 3001 does not reach the ECS service, whose loadBalancers are ignored (README: changing a service's port)",
    );
    // Only the task definition is replaced: its revisions are immutable, and a new one is what ECS deploys.
    expect(diff.resources.filter((change) => change.kind === "replaced").map((change) => change.name)).toEqual(["checkout-task"]);
    expect(diff.callouts.filter((line) => line.includes("replaces"))).toEqual([]);
  });

  it("admits the new port before dropping the old: the rules are named by port, the first ones by their old names", () => {
    const names = (d: SynthDocument, type: string) => resourcesOf(d, type).map((rule) => rule.name).filter((name) => name.startsWith("checkout-"));
    expect(names(before, INGRESS)).toEqual(["checkout-tasks-from-lb-8080"]);
    expect(names(after, INGRESS)).toEqual(["checkout-tasks-from-lb-3001"]);
    expect(names(after, EGRESS).sort()).toEqual(["checkout-lb-to-tasks-3001", "checkout-tasks-https"]);
    expect(resource(after, INGRESS, "checkout-tasks-from-lb-3001").inputs).toMatchObject({ fromPort: 3001, toPort: 3001 });
    // Stacks deployed before the rename keep their rules: the old logical names are aliases.
    expect(registered.get(`${INGRESS}::checkout-tasks-from-lb-3001`)?.aliases).toEqual(["checkout-tasks-from-lb"]);
    expect(registered.get(`${EGRESS}::checkout-lb-to-tasks-3001`)?.aliases).toEqual(["checkout-lb-to-tasks"]);
  });

  it("health checks follow the registered port (traffic-port), so they probe the new port", () => {
    expect((resource(after, TG, "checkout-blue").inputs.healthCheck as Record<string, unknown>).port).toBe("traffic-port");
  });
});
