import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { FlagDefinition } from "../components/feature-flag-store/flags/model";
import type {
  ReleaseClusterArgs,
  ReleaseDeploymentArgs,
  ReleaseEnvironmentArgs,
  ReleaseFlagStoreArgs,
  ReleaseIngressArgs,
  ReleaseNotificationsArgs,
  ReleaseServiceArgs,
} from "../components/release-environment/args";
import { releaseEnvironmentArgsProblems } from "../components/release-environment/problems";
import { ReleaseEnvironment } from "../components/release-environment/release-environment";
import { deploymentSchema, flagSchema, releaseEnvironmentArgsSchema, serviceSchema } from "../components/release-environment/schema";
import { synthesizeProgram, type SynthDocument } from "../src/synth/capture";
import { load, resource, resourcesOf, shippedConfig } from "./helpers";

/** The value ranges and formats are the library's: a team building a ReleaseEnvironment directly gets them as a stack file does. */

const CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0b6a7c4e-1d2f-4a3b-9c8d-7e6f5a4b3c2d";
const API: ReleaseServiceArgs = { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0.0", port: 8080, pathPatterns: ["/*"], priority: 1 };

function productionArgs(more: Partial<ReleaseEnvironmentArgs> = {}): ReleaseEnvironmentArgs {
  return {
    tier: "production",
    region: "eu-west-1",
    network: {
      vpcId: "vpc-0123456789abcdef0",
      publicSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
      privateSubnetIds: ["subnet-0123456789abcdef3"],
    },
    ingress: { certificateArn: CERTIFICATE },
    notifications: { emails: ["oncall@example.com"] },
    services: { api: API },
    ...more,
  };
}

const withApi = (more: Record<string, unknown>) => productionArgs({ services: { api: { ...API, ...more } as ReleaseServiceArgs } });

/** Builds a ReleaseEnvironment under mocks: the refusal's message, or "" and what it registered. */
async function build(args: ReleaseEnvironmentArgs): Promise<{ message: string; document: SynthDocument }> {
  let message = "";
  const document = await synthesizeProgram({ stack: "shop", tier: args.tier, region: args.region }, async () => {
    try {
      return new ReleaseEnvironment("shop", args).outputs;
    } catch (error) {
      message = (error as Error).message;
      return {};
    }
  });
  return { message, document };
}

// The reviewer's values: each passed the component before and failed inside AWS halfway through `pulumi up`.
const REVIEWED: [string, ReleaseEnvironmentArgs, string][] = [
  ["smokeTest.timeoutMs 50", withApi({ smokeTest: { timeoutMs: 50 } }), "services.api.smokeTest.timeoutMs must be at least 100 (got 50)"],
  ["port 70000", withApi({ port: 70000 }), "services.api.port must be at most 65535 (got 70000)"],
  ["desiredCount -2", withApi({ desiredCount: -2 }), "services.api.desiredCount must be at least 0 (got -2)"],
  ["logRetentionDays 13", withApi({ logRetentionDays: 13 }), "services.api.logRetentionDays expected a CloudWatch Logs retention: 1, 3, 5, 7, 14"],
  ["alarms.p99LatencyMs 0", withApi({ alarms: { p99LatencyMs: 0 } }), "services.api.alarms.p99LatencyMs must be at least 1 (got 0)"],
  ["alarms.minRequests -3", withApi({ alarms: { minRequests: -3 } }), "services.api.alarms.minRequests must be at least 1 (got -3)"],
  ["ingress.allowedCidrs [nope]", productionArgs({ ingress: { certificateArn: CERTIFICATE, allowedCidrs: ["nope"] } }), 'ingress.allowedCidrs[0] expected a CIDR block like 10.0.0.0/16 or 0.0.0.0/0 (got "nope")'],
  ["ingress.idleTimeoutSeconds -5", productionArgs({ ingress: { certificateArn: CERTIFICATE, idleTimeoutSeconds: -5 } }), "ingress.idleTimeoutSeconds must be at least 1 (got -5)"],
  [
    "one public subnet",
    productionArgs({ network: { vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-0123456789abcdef1"], privateSubnetIds: ["subnet-0123456789abcdef3"] } }),
    "network.publicSubnetIds an ALB needs subnets in at least 2 availability zones",
  ],
  ["service name Check Out", productionArgs({ services: { "Check Out": API } }), 'services.Check Out invalid name: service names are lower-case letters, digits and single hyphens, starting with a letter (got "Check Out")'],
  [
    "flag key Bad Flag",
    productionArgs({ flags: { "Bad Flag": { description: "d", owner: "o", expires: "2027-03-01", enabled: true } } }),
    "flags.Bad Flag invalid name: flag keys match",
  ],
  [
    "rollout.percent 150",
    productionArgs({ flags: { "new-checkout": { description: "d", owner: "o", expires: "2027-03-01", enabled: true, rollout: { percent: 150 } } } }),
    "flags.new-checkout.rollout.percent must be at most 100 (got 150)",
  ],
];

describe("a ReleaseEnvironment built directly refuses the values AWS would refuse, before registering anything", () => {
  it.each(REVIEWED)("%s: nothing registered, the field named", async (_, args, named) => {
    const { message, document } = await build(args);
    expect(document.resources).toEqual([]);
    expect(message).toMatch(/^ReleaseEnvironment shop: /);
    expect(message).toContain(named);
  });

  it("the same args, corrected, build: the refusals are the bad values' alone", async () => {
    const { message, document } = await build(productionArgs());
    expect(message).toBe("");
    expect(document.resources.length).toBeGreaterThan(50);
  });

  it("every value problem and every rule of the sound parts at once: a bad setting of one service hides no rule of another", () => {
    const problems = releaseEnvironmentArgsProblems(
      "shop",
      productionArgs({
        notifications: {},
        services: { api: { ...API, desiredCount: -2, smokeTest: { timeoutMs: 50 } }, web: { ...API, pathPatterns: ["/web/*"] } },
      }),
    );
    expect(problems.map((problem) => problem.field.join("."))).toEqual(["services.api.desiredCount", "services.api.smokeTest.timeoutMs", "notifications", "services.web.priority"]);
  });

  it("a service whose required setting is bad is left out of the rules its bad value would confuse", () => {
    const problems = releaseEnvironmentArgsProblems(
      "shop",
      productionArgs({ services: { api: { ...API, image: undefined, port: 70000 } as unknown as ReleaseServiceArgs, web: { ...API, pathPatterns: ["/web/*"] } } }),
    );
    expect(problems).toEqual([
      { field: ["services", "api", "image"], message: "required", got: undefined },
      { field: ["services", "api", "port"], message: "must be at most 65535", got: 70000 },
    ]);
  });

  it("args of any shape get problems, never an exception", () => {
    const garbage = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
    const paths = fc.constantFrom("tier", "region", "network", "ingress", "notifications", "services", "services.api", "services.api.alarms", "services.api.deployment", "flags", "flagStore", "cluster", "network.publicSubnetIds");
    fc.assert(
      fc.property(paths, garbage, (path, value) => {
        const args = structuredClone(productionArgs()) as unknown as Record<string, unknown>;
        const keys = path.split(".");
        let parent = args;
        for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
        parent[keys[keys.length - 1]] = value;
        const problems = releaseEnvironmentArgsProblems("shop", args as unknown as ReleaseEnvironmentArgs);
        expect(Array.isArray(problems)).toBe(true);
      }),
      { numRuns: 300, seed: 12 },
    );
  });
});

describe("fields typed pulumi.Input take an Output as well as a valid value", () => {
  it("a secret certificate ARN and e-mail pass, and reach the listener and the subscription as secrets", async () => {
    const { message, document } = await build(
      productionArgs({ ingress: { certificateArn: pulumi.secret(CERTIFICATE) }, notifications: { emails: [pulumi.secret("oncall@example.com")] } }),
    );
    expect(message).toBe("");
    expect(resource(document, "aws:lb/listener:Listener", "shop-production").inputs.certificateArn).toBe("[secret]");
    expect(resourcesOf(document, "aws:sns/topicSubscription:TopicSubscription").map((subscription) => subscription.inputs.endpoint)).toContain("[secret]");
  });

  it("the network's ids as Outputs of another stack pass; a plain id beside them is still judged", () => {
    const network = { vpcId: pulumi.output("vpc-0123456789abcdef0"), publicSubnetIds: pulumi.output(["subnet-a"]), privateSubnetIds: [pulumi.output("subnet-0123456789abcdef3"), "subnet-x"] };
    expect(releaseEnvironmentArgsProblems("shop", productionArgs({ network }))).toEqual([
      { field: ["network", "privateSubnetIds", 1], message: "expected a subnet id like subnet-0abc12345def67890", got: "subnet-x" },
    ]);
  });

  it("an image built in the same program and environment values from other resources (Outputs) reach the task definition", async () => {
    const image = pulumi.output("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api").apply((repository) => `${repository}@sha256:${"0".repeat(64)}`);
    const { message, document } = await build(withApi({ image, environment: { QUEUE_URL: pulumi.output("https://sqs.eu-west-1.amazonaws.com/123456789012/q"), MODE: "live" } }));
    expect(message).toBe("");
    const [container] = JSON.parse(resource(document, "aws:ecs/taskDefinition:TaskDefinition", "api-task").inputs.containerDefinitions as string) as {
      image: string;
      environment: { name: string; value: string }[];
    }[];
    expect(container.image).toBe(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:${"0".repeat(64)}`);
    expect(container.environment).toEqual(
      expect.arrayContaining([
        { name: "QUEUE_URL", value: "https://sqs.eu-west-1.amazonaws.com/123456789012/q" },
        { name: "MODE", value: "live" },
      ]),
    );
  });

  it("fields typed plain take no Output, each said at its field: the settings decide what is created", () => {
    const refused = (...field: string[]) => ({ field, message: "must be known before deployment: give a plain value, not an Output", got: "[Output]" });
    expect(releaseEnvironmentArgsProblems("shop", withApi({ port: pulumi.output(8080) }))).toEqual([refused("services", "api", "port")]);
    // Said once at the Output's field, not once for each of Pulumi's internals it seems to hold.
    expect(releaseEnvironmentArgsProblems("shop", productionArgs({ ingress: pulumi.output({}) as never }))).toEqual([refused("ingress")]);
    expect(releaseEnvironmentArgsProblems("shop", withApi({ alarms: pulumi.output({ p99LatencyMs: 800 }) }))).toEqual([refused("services", "api", "alarms")]);
  });
});

describe("config and the library report a rule once", () => {
  it.each(["dev", "staging", "production"])("the args the %s stack file gives pass the library's schema and rules: nothing left for it to add", (stack) => {
    const config = load(shippedConfig(stack), stack);
    expect(releaseEnvironmentArgsProblems(stack, config.args)).toEqual([]);
  });
});

describe("the schema and the args' types name the same settings", () => {
  // Checked by the compiler (`npm test` typechecks test/): a setting typed in args.ts but not in the schema is refused as unknown.
  type Unschemed<Args, Schema extends z.ZodType> = Exclude<keyof Args, keyof NonNullable<z.input<Schema>>>;
  const shape = releaseEnvironmentArgsSchema.shape;
  it("every field of the args, the service, the ingress, the notifications, the flag store, the cluster and a flag", () => {
    expectTypeOf<Unschemed<ReleaseEnvironmentArgs, typeof releaseEnvironmentArgsSchema>>().toEqualTypeOf<never>();
    expectTypeOf<Unschemed<ReleaseServiceArgs, typeof serviceSchema>>().toEqualTypeOf<never>();
    expectTypeOf<Unschemed<ReleaseDeploymentArgs, typeof deploymentSchema>>().toEqualTypeOf<never>();
    expectTypeOf<Unschemed<ReleaseIngressArgs, typeof shape.ingress>>().toEqualTypeOf<never>();
    expectTypeOf<Unschemed<ReleaseNotificationsArgs, typeof shape.notifications>>().toEqualTypeOf<never>();
    expectTypeOf<Unschemed<ReleaseFlagStoreArgs, typeof shape.flagStore>>().toEqualTypeOf<never>();
    expectTypeOf<Unschemed<ReleaseClusterArgs, typeof shape.cluster>>().toEqualTypeOf<never>();
    expectTypeOf<Unschemed<FlagDefinition, typeof flagSchema>>().toEqualTypeOf<never>();
  });
});
