// Fixtures for the rule of the same name: test/policy.test.ts asserts each result.
import { type RuleFixtures, res, production } from "./fixture-kit";

const cases: Pick<RuleFixtures, "compliant" | "nonCompliant"> = (() => {
  // Today's wiring: the Slack channel configuration with the environment's provider, in a stack in eu-central-1.
  const provider = res("pulumi:providers:aws", { region: "eu-central-1" }, {}, "production-aws");
  const channel = (props: Record<string, unknown>) => ({ ...res("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration", props, {}, "production-slack"), provider: `${provider.urn}::production-aws-provider` });
  return { compliant: [[channel({ region: "us-east-2" }), production(provider)]], nonCompliant: [[channel({}), production(provider)]] };
})();

export const fixtures: RuleFixtures = {
  ...cases,
  notApplicable: [
    [res("kubernetes:apps/v1:Deployment", {}), production()],
  ],
};
