import { inProduction, list } from "./props";
import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

export const productionImagePinned: Rule = defineRule({
  id: "production-image-pinned",
  description: "Production task definitions run images pinned to a version tag or digest, not latest",
  enforcement: "advisory",
  judge(resource, stack) {
    if (resource.type !== "aws:ecs/taskDefinition:TaskDefinition" || !inProduction(stack)) return NOT_APPLICABLE;
    return judged(
      list(resource.props.containerDefinitions)
        .map((container) => String((container as Record<string, unknown>).image ?? ""))
        .filter((image) => image.endsWith(":latest") || (!image.includes("@") && !/:[^/]+$/.test(image)))
        .map((image) => `image ${image} is not pinned to a version`),
    );
  },
});
