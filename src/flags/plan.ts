import { type Flags, rolloutPercent } from "../../components/feature-flag-store/flags/model";
import { rampSteps } from "../../components/feature-flag-store/flags/ramp-steps";

export interface PlanContext {
  /** Minutes one AppConfig deployment takes with the store's strategy (rollout plus bake). */
  readonly deploymentMinutes: number;
  /** What rolls a step back: the environment's monitors. */
  readonly monitors: readonly string[];
  readonly alertTopic: string;
}

const clock = (minutes: number) => `+${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;

/**
 * Each flag's timeline: a fixed flag in one line; a ramping flag stage by stage with its percentage and its earliest
 * time after the ramp starts (holds, plus one deployment per step before it), and what stops the ramp.
 */
export function planText(flags: Flags, context: PlanContext): string {
  const steps = rampSteps(flags);
  const lines: string[] = [];
  for (const key of Object.keys(flags).sort()) {
    const flag = flags[key];
    const needs = flag.dependsOn?.length ? ` (only for users who get ${flag.dependsOn.join(" and ")}: at most their share at every step)` : "";
    if (!flag.enabled) {
      lines.push(`${key}  off (kill switch)`);
      continue;
    }
    if (!flag.rollout?.stages) {
      const what = flag.variants ? `A/B ${Object.keys(flag.variants).join("/")}` : `${rolloutPercent(flag)}%`;
      lines.push(`${key}  ${what}, fixed${needs}`);
      continue;
    }
    lines.push(`${key}  ramp${needs}`);
    steps.forEach((step, index) => {
      if (!step.changed.includes(key)) return;
      const when = index === 0 ? "at the first pulumi up (then: the stage reached)" : `${clock(step.atMinutes + index * context.deploymentMinutes)} after the ramp starts`;
      const stage = (flag.rollout?.stages ?? []).indexOf(step.percents[key]) + 1;
      lines.push(`  stage ${stage}  ${String(step.percents[key]).padStart(3)}%  ${when}`);
    });
  }
  if (steps.length > 1) {
    const monitors = context.monitors.length > 0 ? context.monitors.join(", ") : "none (no service alarms: nothing rolls a step back)";
    lines.push(
      "",
      `ramp: ${steps.length - 1} step(s) after pulumi up; each AppConfig deployment takes ~${context.deploymentMinutes}m (strategy rollout + bake)`,
      `  stops when: a monitor goes to ALARM during a step's deployment (AppConfig rolls it back): ${monitors};`,
      `  or someone deploys other flags (pulumi up, console): the ramp yields. Either way it notifies ${context.alertTopic};`,
      "  so does any other end (an error after retries, a timeout, a pause or abort), through EventBridge.",
      "  keeps its place: each completed step is recorded in SSM; pulumi up deploys every ramping flag at the stage it reached, never back at stage 1.",
      "  start: aws stepfunctions start-execution --state-machine-arn <outputs.flags.ramp.stateMachineArn> --name <outputs.flags.ramp.name>",
      "  pause: aws stepfunctions stop-execution --execution-arn <arn>; resume: aws stepfunctions redrive-execution --execution-arn <arn>",
      "  after a failure: fix the cause, pulumi up, start again (it continues from the stage reached); abort: stop it and set rollout { percent }.",
    );
  }
  return `${lines.join("\n")}\n`;
}
