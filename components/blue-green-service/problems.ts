import type * as pulumi from "@pulumi/pulumi";
import type { ArgumentProblem } from "../arguments";

/* The checks only an ECS service runs: its container's environment in the task definition, and Fargate's sizes. */

/** The container environment of an ECS service's arguments, as its checks read it. */
export interface ContainerEnvironment {
  readonly environmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secretEnvironmentVariables?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly secretRecoveryWindowDays?: number;
}

/**
 * A container variable must come from one place: a name in two would leave which value the container sees to ECS.
 * Takes the places by field name; returns each later duplicate with the field that set it first.
 */
export function duplicateVariables(
  sources: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>,
): { readonly field: string; readonly variable: string; readonly other: string }[] {
  const duplicates: { field: string; variable: string; other: string }[] = [];
  const seen = new Map<string, string>();
  for (const [field, variables] of Object.entries(sources)) {
    for (const variable of Object.keys(variables ?? {}).sort()) {
      const other = seen.get(variable);
      if (other) duplicates.push({ field, variable, other });
      else seen.set(variable, field);
    }
  }
  return duplicates;
}

/** What each place of a container variable is, in words a stack file's reader and a component's caller both know. */
const VARIABLE_PLACES: Readonly<Record<string, string>> = {
  environmentVariables: "a plain environment variable",
  secretEnvironmentVariables: "a secret environment variable",
  secrets: "a secret reference",
};

/** A variable set in two places, at the later one; the value shown unless it is a secret one. */
export function duplicateVariableProblems(sources: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>): ArgumentProblem[] {
  return duplicateVariables(sources).map(({ field, variable, other }) => {
    const value = sources[field]?.[variable];
    return {
      field: [field, variable],
      message: `is also set as ${VARIABLE_PLACES[other] ?? other}: a variable comes from one place`,
      got: field !== "secretEnvironmentVariables" && typeof value === "string" ? value : undefined,
    };
  });
}

/** Amazon ECS service quotas: "Task definition size: 64 KiB", the JSON of the whole task definition. */
const TASK_DEFINITION_BYTES = 64 * 1024;
/** What the environment may take of it: the container definitions around it (image, ports, log and agent settings) stay under 8 KiB. */
const TASK_DEFINITION_ENVIRONMENT_BYTES = TASK_DEFINITION_BYTES - 8 * 1024;

/** The bytes the container's environment and secrets take in the task definition's JSON (`{"name":..,"value":..}` each). */
function environmentBytes(args: ContainerEnvironment): number {
  const entries = [
    ...Object.entries(args.environmentVariables ?? {}).map(([name, value]) => ({ name, value: typeof value === "string" ? value : "" })),
    ...Object.entries(args.secretEnvironmentVariables ?? {}).map(([name]) => ({ name, valueFrom: "x".repeat(100) })),
    ...Object.entries(args.secrets ?? {}).map(([name, valueFrom]) => ({ name, valueFrom: typeof valueFrom === "string" ? valueFrom : "" })),
  ];
  return Buffer.byteLength(JSON.stringify(entries), "utf8");
}

export function containerEnvironmentProblems(args: ContainerEnvironment): ArgumentProblem[] {
  const problems: ArgumentProblem[] = duplicateVariableProblems({
    environmentVariables: args.environmentVariables,
    secretEnvironmentVariables: args.secretEnvironmentVariables,
    secrets: args.secrets,
  });
  const bytes = environmentBytes(args);
  if (bytes > TASK_DEFINITION_ENVIRONMENT_BYTES) {
    problems.push({
      field: ["environmentVariables"],
      message: `take ${bytes} bytes of the task definition; ECS registers a task definition of at most 64 KiB ("Task definition size: 64 KiB", Amazon ECS service quotas, not adjustable), and the rest of it (image, ports, logs, sidecars) needs up to ${TASK_DEFINITION_BYTES - TASK_DEFINITION_ENVIRONMENT_BYTES} bytes: keep the values under ${TASK_DEFINITION_ENVIRONMENT_BYTES} bytes, e.g. move large ones to a secret or a file the service reads`,
      got: `${Object.keys(args.environmentVariables ?? {}).length} values, ${bytes} bytes`,
    });
  }
  const days = args.secretRecoveryWindowDays;
  if (days !== undefined && !(days === 0 || (Number.isInteger(days) && days >= 7 && days <= 30))) {
    problems.push({ field: ["secretRecoveryWindowDays"], message: "must be 0 or 7-30", got: days });
  }
  return problems;
}

/** @internal */
/** Fargate's valid memory (MiB) for each CPU size; the problem names `cpu` when no memory fits it. */
export function fargateMemoryProblem(cpu: number, memory: number): ArgumentProblem | undefined {
  const ranges: Record<number, [number, number, number]> = {
    256: [512, 2048, 512],
    512: [1024, 4096, 1024],
    1024: [2048, 8192, 1024],
    2048: [4096, 16384, 1024],
    4096: [8192, 30720, 1024],
    8192: [16384, 61440, 4096],
    16384: [32768, 122880, 8192],
  };
  const range = ranges[cpu];
  if (!range) return { field: ["cpu"], message: `must be one of ${Object.keys(ranges).join(", ")}`, got: cpu };
  const [min, max, step] = range;
  if (cpu === 256 && ![512, 1024, 2048].includes(memory)) return { field: ["memory"], message: "for cpu 256 must be 512, 1024 or 2048", got: memory };
  if (memory < min || memory > max || (memory - min) % step !== 0) {
    return { field: ["memory"], message: `for cpu ${cpu} must be ${min}-${max} in steps of ${step}`, got: memory };
  }
  return undefined;
}
