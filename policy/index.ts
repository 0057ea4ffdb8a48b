// The policy pack for `pulumi preview --policy-pack policy`: the same rules `npm run check` runs offline.
import { join } from "node:path";
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules";
import { stackValidation } from "./stack-validation";
import { readSuppressions } from "./suppressions";

const suppressions = readSuppressions(join(__dirname, "suppressions.yaml"), RULES.map((rule) => rule.id));

new PolicyPack("release-platform", {
  // Rules on deleted resources need the deployed stack, which a stack policy does not see (the engine itself refuses
  // to delete a protected resource under pulumi up).
  policies: RULES.filter((rule) => !rule.onDeleted).map((rule) => ({
    name: rule.id,
    description: rule.description,
    enforcementLevel: rule.enforcement,
    validateStack: stackValidation(rule, suppressions),
  })),
});
