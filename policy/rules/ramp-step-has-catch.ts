import { parsed } from "./props";
import type { Rule } from "./types";
import { defineRule, judged, NOT_APPLICABLE } from "./result";

type States = Record<string, { Type?: string; Resource?: string; Retry?: { ErrorEquals?: string[] }[]; Catch?: { ErrorEquals?: string[] }[]; Branches?: { States?: States }[] }>;

/** Task states that call AWS (SDK or optimized integrations), with their names, including those in Parallel branches. */
function awsTasks(states: States): [string, States[string]][] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === "Task" && String(state.Resource ?? "").startsWith("arn:aws:states:::") ? [[name, state] as [string, States[string]]] : []),
    ...(state.Branches ?? []).flatMap((branch) => awsTasks(branch.States ?? {})),
  ]);
}

/**
 * Step Functions fails the whole execution on an error a state does not handle. A flag ramp that does so stops at some
 * percentage with no notice of its own, so each AWS call retries (`Retry`) and has a `Catch` that takes every error
 * (`States.ALL`) to a state that says what happened.
 */
export const rampStepHasCatch: Rule = defineRule({
  id: "ramp-step-has-catch",
  description: "Every Task state of a Step Functions state machine that calls AWS has a Retry and a Catch for every error (States.ALL)",
  enforcement: "mandatory",
  judge(resource) {
    if (resource.type !== "aws:sfn/stateMachine:StateMachine") return NOT_APPLICABLE;
    const definition = parsed(resource.props.definition) as { States?: States } | undefined;
    // An unknown definition (a preview of a new stack) or one whose steps call no AWS API: nothing to judge.
    const tasks = definition?.States ? awsTasks(definition.States) : [];
    if (tasks.length === 0) return NOT_APPLICABLE;
    return judged(tasks.flatMap(([name, state]) => {
      const problems: string[] = [];
      if (!state.Retry || state.Retry.length === 0) problems.push(`step "${name}" (${state.Resource}) has no Retry: a throttle or a 500 stops the ramp`);
      if (!(state.Catch ?? []).some((catcher) => (catcher.ErrorEquals ?? []).includes("States.ALL"))) {
        problems.push(`step "${name}" (${state.Resource}) has no Catch for States.ALL: any other error ends the execution unhandled`);
      }
      return problems;
    }));
  },
});
