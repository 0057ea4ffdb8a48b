import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ENVIRONMENT_OUTPUT, LOAD_BALANCER_NAME, MAIN_LOAD_BALANCER, MAX_EXTRA_LOAD_BALANCERS, ROUTES_PER_LOAD_BALANCER } from "../components/environment/contract";
import { PROJECT_ROOT } from "../src/synth/run";

/*
 * The generated stack files of the split-stack benchmarks: an environment stack of `count` routes (the network,
 * listeners and alert subscribers of Pulumi.production.yaml, no service of its own) and a service stack of one ECS
 * canary service (Pulumi.production.yaml's checkout, its route in the environment's table) that joins it.
 */

/** The stack the service stack references; the --stack-outputs file is keyed by it. */
export const ENVIRONMENT_STACK = "acme/platform/production";
/** The service stack's own project (the Pulumi.yaml beside its stack file). */
const SERVICE_PROJECT = "checkout";

const BENCH_DIRECTORY = join(PROJECT_ROOT, ".bench");

function productionConfig(): Record<string, unknown> {
  return (parse(readFileSync(join(PROJECT_ROOT, "Pulumi.production.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
}

/** The name of the `index`th load balancer of an environment: main, then b, c, ... (never a: it reads as an article). */
export function loadBalancerName(index: number): string {
  if (index > MAX_EXTRA_LOAD_BALANCERS) throw new Error(`an environment has at most ${MAX_EXTRA_LOAD_BALANCERS + 1} load balancers; asked for number ${index + 1}`);
  const name = index === 0 ? MAIN_LOAD_BALANCER : String.fromCharCode("a".charCodeAt(0) + index);
  if (!LOAD_BALANCER_NAME.test(name)) throw new Error(`generated load balancer name ${name} does not match ${String(LOAD_BALANCER_NAME)}`);
  return name;
}

/**
 * An environment stack file with `count` routes: checkout's (as Pulumi.production.yaml routes it) and `route-001`...,
 * filling load balancers of `ROUTES_PER_LOAD_BALANCER` routes each, in order (main, b, c, ...).
 */
export function environmentStack(count: number): string {
  const config = productionConfig();
  const checkout = (config["release:services"] as Record<string, { pathPatterns: string[]; priority: number }>).checkout;
  const routes: Record<string, unknown> = { checkout: { pathPatterns: checkout.pathPatterns, priority: checkout.priority } };
  for (let i = 1; i < count; i++) {
    const name = `route-${String(i).padStart(3, "0")}`;
    const loadBalancer = loadBalancerName(Math.floor(i / ROUTES_PER_LOAD_BALANCER));
    routes[name] = { pathPatterns: [`/${name}/*`], priority: 100 + i, ...(loadBalancer === MAIN_LOAD_BALANCER ? {} : { loadBalancer }) };
  }
  const keys = ["aws:region", "release:tier", "release:network", "release:ingress", "release:notifications"];
  mkdirSync(BENCH_DIRECTORY, { recursive: true });
  const path = join(BENCH_DIRECTORY, `environment-${count}.yaml`);
  writeFileSync(path, stringify({ config: { ...Object.fromEntries(keys.map((key) => [key, config[key]])), "release:routes": routes } }, { aliasDuplicateObjects: false }));
  return path;
}

/**
 * The --stack-outputs file for the service stack: the environment stack's contract, as its synthesized document's
 * outputs hold it (`outputs` of the synth JSON), under the stack the service stack references.
 */
export function stackOutputsFile(count: number, environmentOutputs: Record<string, unknown>): string {
  const contract = environmentOutputs[ENVIRONMENT_OUTPUT];
  if (contract === undefined) throw new Error(`the environment stack of ${count} routes exported no ${ENVIRONMENT_OUTPUT} output`);
  const path = join(BENCH_DIRECTORY, `environment-${count}-outputs.json`);
  writeFileSync(path, `${JSON.stringify({ [ENVIRONMENT_STACK]: { [ENVIRONMENT_OUTPUT]: contract } }, null, 2)}\n`);
  return path;
}

/**
 * A service stack file of one ECS canary service: Pulumi.production.yaml's checkout without its route (pathPatterns,
 * priority: the environment's), with the production flags, as its own project (a Pulumi.yaml beside it).
 */
export function serviceStack(): string {
  const config = productionConfig();
  const { pathPatterns: _paths, priority: _priority, ...checkout } = (config["release:services"] as Record<string, Record<string, unknown>>).checkout;
  const directory = join(BENCH_DIRECTORY, "service");
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "Pulumi.yaml"), `name: ${SERVICE_PROJECT}\nruntime: nodejs\ndescription: npm run bench's service stack\n`);
  const path = join(directory, "Pulumi.production.yaml");
  const document = {
    config: {
      "aws:region": config["aws:region"],
      "release:environment": { stackReference: ENVIRONMENT_STACK },
      "release:services": { checkout },
      "release:flags": config["release:flags"],
      "release:flagStore": config["release:flagStore"],
    },
  };
  writeFileSync(path, stringify(document, { aliasDuplicateObjects: false }));
  return path;
}
