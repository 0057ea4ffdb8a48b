import { describe, expect, it } from "vitest";
import { RUNTIME_NAMES, RUNTIMES, runtimeOf } from "../components/runtimes";
import { serviceSchema } from "../components/release-environment/schema";

describe("the runtimes table", () => {
  it("names every runtime a service may run on, in order (the golden list)", () => {
    expect(RUNTIME_NAMES).toEqual(["ecs", "kubernetes"]);
  });

  it("is the stack file's enum: a runtime outside it is refused with the table's names", () => {
    const runtime = serviceSchema.shape.runtime;
    for (const name of RUNTIME_NAMES) expect(runtime.safeParse(name).success).toBe(true);
    expect(runtime.safeParse("lambda").error?.issues[0]?.message).toBe(`expected one of ${RUNTIME_NAMES.join(", ")}`);
  });

  it("takes a service naming none, or a name the schema has yet to refuse, as ECS", () => {
    expect(runtimeOf({})).toBe(RUNTIMES.ecs);
    expect(runtimeOf(null)).toBe(RUNTIMES.ecs);
    expect(runtimeOf({ runtime: "constructor" })).toBe(RUNTIMES.ecs);
    expect(runtimeOf({ runtime: "kubernetes" })).toBe(RUNTIMES.kubernetes);
  });
});
