import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { Flags } from "../components/feature-flag-store/flags/model";
import { flagsProblems } from "../components/feature-flag-store/flags/problems";
import { bundleHook } from "../components/lifecycle-hooks/bundle";
import { PROJECT_ROOT } from "../src/synth/run";
import { environmentStack, serviceStack, stackOutputsFile } from "./split-stacks";

/**
 * `npm run bench [-- --json]`: how much the program itself costs, and how that grows with the organisation.
 * Whole-process wall times (median and spread over several runs) against a floor that only loads the SDKs.
 */

interface Run {
  readonly seconds: number;
  /** User + system CPU seconds of the whole process tree (npm, node), NaN where /proc is not there. */
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  readonly stdout: string;
}

/**
 * CPU seconds of this process's waited-for children so far (and theirs): fields 16 and 17 of /proc/self/stat, cutime
 * and cstime, in clock ticks (USER_HZ, 100 on Linux). The machine is shared: wall times wait for other work's turns,
 * CPU seconds do not. NaN elsewhere than Linux.
 */
function childrenCpuSeconds(): number {
  if (!existsSync("/proc/self/stat")) return Number.NaN;
  const stat = readFileSync("/proc/self/stat", "utf8");
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(command: string, args: string[]): Run {
  const cpuBefore = childrenCpuSeconds();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, RELEASE_REPORT_MAXRSS: "1" },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuSeconds = childrenCpuSeconds() - cpuBefore;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  const rss = /maxrss-kb (\d+)/.exec(result.stderr);
  return { seconds, cpuSeconds, maxRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, stdout: result.stdout };
}

interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Median CPU seconds (user + system) of the runs. */
  readonly cpuMedian: number;
  readonly maxRssMb: number;
  readonly resources?: number;
}

/** The synth JSON document (docs/json-contract.md), as far as the benchmark reads it. */
interface SynthDocument {
  readonly resources: unknown[];
  readonly outputs: Record<string, unknown>;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function summarize(runs: readonly Run[]): Timing {
  const seconds = runs.map((r) => r.seconds).sort((a, b) => a - b);
  return { median: median(seconds), min: seconds[0], max: seconds[seconds.length - 1], cpuMedian: median(runs.map((r) => r.cpuSeconds)), maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)) };
}

function repeatWithDocument(times: number, command: string, args: string[]): Timing & { readonly document: SynthDocument } {
  const runs = Array.from({ length: times }, () => run(command, args));
  const document = JSON.parse(runs[0].stdout) as SynthDocument;
  return { ...summarize(runs), resources: document.resources.length, document };
}

function repeat(times: number, command: string, args: string[], countResources = false): Timing {
  if (countResources) {
    const { document: _document, ...timing } = repeatWithDocument(times, command, args);
    return timing;
  }
  return summarize(Array.from({ length: times }, () => run(command, args)));
}

/** A production stack file with `count` services and as many flags, built from the shipped production file. */
function generatedStack(count: number): string {
  const document = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8")) as { config: Record<string, unknown> };
  const template = (document.config["release:services"] as Record<string, Record<string, unknown>>).checkout;
  const services: Record<string, unknown> = {};
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const name = `svc-${String(i).padStart(3, "0")}`;
    services[name] = { ...template, priority: 100 + i, pathPatterns: [`/${name}/*`], smokeTest: { ...(template.smokeTest as object), paths: [`/${name}/ping`] } };
    flags[`flag-${String(i).padStart(3, "0")}`] = {
      description: `Flag ${i}`,
      owner: name,
      expires: "2099-12-31",
      enabled: true,
      rollout: { percent: (i * 7) % 100, by: "userId" },
      ...(i % 5 === 0 ? { rules: [{ attribute: "country", in: ["DE", "FR"], serve: "on" }] } : {}),
    };
  }
  const directory = join(PROJECT_ROOT, ".bench");
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `production-${count}.yaml`);
  writeFileSync(path, stringify({ config: { ...document.config, "release:services": services, "release:flags": flags } }, { aliasDuplicateObjects: false }));
  return path;
}

/** Milliseconds `flagsProblems` takes over a chain of `count` flags, each depending on the one before, at `percent`. */
function dependencyChainMs(count: number, percent: number): number {
  const flags: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    flags[`flag-${i}`] = { description: "d", owner: "o", expires: "2099-12-31", enabled: true, rollout: { percent }, ...(i > 0 ? { dependsOn: [`flag-${i - 1}`] } : {}) };
  }
  const start = process.hrtime.bigint();
  flagsProblems(flags as Flags);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const synth = (args: string[]) => [npm, ["run", "-s", "synth", "--", ...args, "--format", "json"]] as const;

function main(): void {
  const json = process.argv.includes("--json");
  const log = (line: string) => (json ? undefined : process.stdout.write(`${line}\n`));

  log("measuring the floor...");
  const floor = repeat(7, process.execPath, [join(PROJECT_ROOT, "bench", "floor.cjs")]);
  const stacks = Object.fromEntries(
    ["dev", "staging", "production"].map((stack) => {
      log(`synthesizing ${stack}...`);
      const [command, args] = synth([stack]);
      return [stack, repeat(5, command, [...args], true)];
    }),
  );
  log("synthesizing production without npm's own start-up...");
  const direct = repeat(5, process.execPath, [join(PROJECT_ROOT, "bin", "release.cjs"), "synth", "production", "--format", "json"], true);
  // 50 traffic-shifting services is the most one load balancer takes (100 target groups); the config refuses more.
  const measured = [1, 10, 25, 50].map((count) => {
    log(`synthesizing ${count} services...`);
    const [command, args] = synth(["production", "--config-file", generatedStack(count)]);
    return { services: count, ...repeat(count >= 100 ? 2 : 3, command, [...args], true) };
  });
  // Every run pays the same start-up (loading the SDKs, ~0.8 s); the marginal cost over the one-service stack shows
  // how the work itself grows.
  const [one] = measured;
  const growth = measured.map((g) => ({
    ...g,
    msPerResource: (g.median * 1000) / (g.resources ?? 1),
    marginalMsPerResource: g === one ? Number.NaN : ((g.median - one.median) * 1000) / ((g.resources ?? 0) - (one.resources ?? 0)),
  }));
  // Split stacks: an environment stack of routes only (load balancers of ROUTES_PER_LOAD_BALANCER routes each), and one
  // service stack joined to its contract as the environment grows: the service's work should not grow with the routes.
  const routeCounts = [50, 250, 500];
  const outputs = new Map<number, string>();
  const environments = routeCounts.map((routes) => {
    log(`synthesizing an environment stack of ${routes} routes...`);
    const [command, args] = synth(["production", "--config-file", environmentStack(routes)]);
    const { document, ...timing } = repeatWithDocument(3, command, [...args]);
    outputs.set(routes, stackOutputsFile(routes, document.outputs));
    return { routes, loadBalancers: (document.outputs.environment as { loadBalancers: unknown[] }).loadBalancers.length, ...timing };
  });
  // Interleaved (50, 250, 500, 50, ...): load from other work on the machine falls on every size alike.
  const serviceFile = serviceStack();
  const serviceRuns = new Map<number, Run[]>(routeCounts.map((routes) => [routes, []]));
  let serviceResources = Number.NaN;
  for (let round = 0; round < 5; round++) {
    log(`synthesizing the service stack against 50, 250 and 500 routes (round ${round + 1} of 5)...`);
    for (const routes of routeCounts) {
      const [command, args] = synth(["production", "--config-file", serviceFile, "--stack-outputs", outputs.get(routes)!]);
      const result = run(command, [...args]);
      serviceResources = (JSON.parse(result.stdout) as SynthDocument).resources.length;
      serviceRuns.get(routes)!.push(result);
    }
  }
  const services = routeCounts.map((routes) => ({ routes, resources: serviceResources, ...summarize(serviceRuns.get(routes)!) }));
  log("checking flag dependency chains...");
  // A chain is the worst case of the dependency rules (each flag's rule repeats every dependency's condition).
  const chains = [500, 1000, 2000].map((count) => ({ flags: count, fullMs: dependencyChainMs(count, 100), partialMs: dependencyChainMs(count, 50) }));
  const bundles = { "smoke-test": bundleHook("smoke-test").bytes, "alarm-gate": bundleHook("alarm-gate").bytes };

  // CPU seconds where measured (Linux): on a shared machine wall times wait for other work, CPU seconds do not.
  const cost = (t: Timing) => (Number.isNaN(t.cpuMedian) ? t.median : t.cpuMedian);
  const [smallEnvironment, midEnvironment, bigEnvironment] = environments;
  const [smallService, , bigService] = services;
  const perResource = growth.filter((g) => g.services >= 10).map((g) => g.marginalMsPerResource);
  const biggest = growth[growth.length - 1];
  const targets = {
    "production synth within 1.5x the floor": stacks.production.median / floor.median <= 1.5,
    "marginal time per resource flat within 2x from 10 to 50 services": Math.max(...perResource) / Math.min(...perResource) <= 2,
    "50 services in under 20 s": biggest.median < 20,
    "50 services in under 1 GiB": biggest.maxRssMb < 1024,
    "an environment stack of 250 routes in under 10 s": midEnvironment.median < 10,
    "an environment stack of 500 routes in under 512 MB": bigEnvironment.maxRssMb < 512,
    "an environment stack of 500 routes within 1.5x the time of 50 routes (CPU s)": cost(bigEnvironment) / cost(smallEnvironment) <= 1.5,
    "service stack synth flat within 1.25x from 50 to 500 routes (CPU s)": cost(bigService) / cost(smallService) <= 1.25,
    "service stack peak RSS flat within 1.25x from 50 to 500 routes": bigService.maxRssMb / smallService.maxRssMb <= 1.25,
    "smoke-test bundle under 50 KB": bundles["smoke-test"] < 50_000,
    "alarm-gate bundle under 500 KB": bundles["alarm-gate"] < 500_000,
    "a 2,000-flag dependency chain checked in under 2 s": Math.max(chains[2].fullMs, chains[2].partialMs) < 2000,
    "dependency checks grow at most 3x per doubling of the chain": chains.slice(1).every((chain, index) => Math.max(chain.fullMs, chain.partialMs) <= 3 * Math.max(10, chains[index].fullMs, chains[index].partialMs)),
  };
  const result = {
    node: process.version,
    floor,
    stacks: Object.fromEntries(Object.entries(stacks).map(([stack, t]) => [stack, { ...t, ratioToFloor: t.median / floor.median }])),
    productionWithoutNpm: { ...direct, ratioToFloor: direct.median / floor.median },
    growth,
    environments,
    services,
    chains,
    bundles,
    targets,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const s = (seconds: number) => `${seconds.toFixed(2)} s`;
  const spread = (t: Timing) => `${s(t.min)}-${s(t.max)}`;
  const cpu = (t: Timing) => (Number.isNaN(t.cpuMedian) ? "-" : s(t.cpuMedian));
  log("");
  log(`floor (node loading @pulumi/pulumi and the @pulumi/aws modules used): median ${s(floor.median)} (${spread(floor)}), peak RSS ${floor.maxRssMb.toFixed(0)} MB`);
  log("");
  log("stack        resources   median    spread            x floor   CPU       peak RSS");
  for (const [stack, t] of Object.entries(result.stacks)) {
    log(`${stack.padEnd(12)} ${String(t.resources).padStart(9)}   ${s(t.median).padStart(7)}   ${spread(t).padEnd(16)}  ${t.ratioToFloor.toFixed(2).padStart(6)}   ${cpu(t).padStart(7)}   ${t.maxRssMb.toFixed(0).padStart(5)} MB`);
  }
  log(`production via node bin/release.cjs (no npm): median ${s(direct.median)} (${spread(direct)}), ${(direct.median / floor.median).toFixed(2)} x floor`);
  log("");
  log("services  resources   median    ms/resource   marginal ms/resource   CPU       peak RSS");
  for (const g of growth) {
    const marginal = Number.isNaN(g.marginalMsPerResource) ? "-" : g.marginalMsPerResource.toFixed(2);
    log(`${String(g.services).padStart(8)}  ${String(g.resources).padStart(9)}   ${s(g.median).padStart(7)}   ${g.msPerResource.toFixed(2).padStart(11)}   ${marginal.padStart(20)}   ${cpu(g).padStart(7)}   ${g.maxRssMb.toFixed(0).padStart(5)} MB`);
  }
  log("");
  log("environment stack (routes only)   load balancers   resources   median    spread            CPU       peak RSS");
  for (const e of environments) {
    log(`${String(e.routes).padStart(10)} routes${" ".repeat(17)}${String(e.loadBalancers).padStart(14)}   ${String(e.resources).padStart(9)}   ${s(e.median).padStart(7)}   ${spread(e).padEnd(16)}  ${cpu(e).padStart(7)}   ${e.maxRssMb.toFixed(0).padStart(5)} MB`);
  }
  log("");
  log("service stack (one ECS canary service) joined to   resources   median    spread            CPU       peak RSS");
  for (const v of services) {
    log(`${String(v.routes).padStart(10)} routes${" ".repeat(33)}${String(v.resources).padStart(9)}   ${s(v.median).padStart(7)}   ${spread(v).padEnd(16)}  ${cpu(v).padStart(7)}   ${v.maxRssMb.toFixed(0).padStart(5)} MB`);
  }
  log("");
  log("flag dependency chain   all at 100%   all at 50% (refused: rules past 1024 characters)");
  for (const chain of chains) log(`${String(chain.flags).padStart(10)} flags   ${chain.fullMs.toFixed(0).padStart(8)} ms   ${chain.partialMs.toFixed(0).padStart(8)} ms`);
  log("");
  log(`hook bundles (minified): smoke-test ${bundles["smoke-test"]} bytes, alarm-gate ${bundles["alarm-gate"]} bytes`);
  log("");
  for (const [target, met] of Object.entries(targets)) log(`${met ? "holds " : "MISSED"}  ${target}`);
}

main();
