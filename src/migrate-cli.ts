import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { emit, runCommand, text, usage, userPath } from "./command";
import { migrationPlan, parseStackName } from "./migrate/plan";
import { renderPlan } from "./migrate/render";
import { readStackState } from "./migrate/state";
import { readServiceSettings, routeDifferences, routeOfSettings, type ServiceSettings } from "./migrate/stack-files";
import { stacksDirectory } from "./synth/run";

const USAGE = `usage: npm run migrate -- <service> --state <export.json> --dest <org/project/stack>
                           [--source <org/project/stack>] [--config-file <environment stack file>] [--out <file>]

  prints the steps that move a service from the environment stack that holds it to its own service stack without
  replacing anything: (a) its route in the environment stack file, (b) pulumi state move with every URN it takes,
  (c) its settings from one stack file to the other, (d) the previews to run and what they must (not) show
  --state        the environment stack's state: pulumi stack export --stack <org/project/stack> --file <export.json>
  --dest         the service stack (its own Pulumi project), e.g. acme/checkout/production
  --source       the environment stack (default: the export's project and stack, in --dest's organisation)
  --config-file  the environment stack's file (default Pulumi.<stack>.yaml of the Pulumi project here)
  --out          write the steps to this file instead of stdout
Nothing is run or changed: the commands are printed for a person to run, in order.
exit codes: 0 printed, 2 bad usage (a service not in the state, a file that is not an export, ...)`;

runCommand({
  name: "migrate",
  usage: USAGE,
  options: { state: { type: "string" }, dest: { type: "string" }, source: { type: "string" }, "config-file": { type: "string" }, out: { type: "string" } },
  run(values, positionals) {
    if (positionals.length !== 1) throw usage(positionals.length === 0 ? "name the service to migrate" : `one service at a time (got ${positionals.join(" ")})`, USAGE);
    const [service] = positionals;
    const stateFile = text(values.state);
    const destName = text(values.dest);
    if (!stateFile || !destName) throw usage(`${!stateFile ? "--state" : "--dest"} is required`, USAGE);
    const statePath = userPath(stateFile);
    if (!existsSync(statePath)) throw usage(`--state ${stateFile}: no such file; export it with: pulumi stack export --stack <org/project/stack> --file ${stateFile}`);
    const state = readStackState(readFileSync(statePath, "utf8"), stateFile);
    const plan = migrationPlan(state, {
      service,
      dest: parseStackName("dest", destName),
      source: text(values.source) !== undefined ? parseStackName("source", text(values.source)!) : undefined,
    });
    const stackFile = environmentStackFile(text(values["config-file"]), state.stack);
    const settings = readServiceSettings(readFileSync(stackFile.path, "utf8"), stackFile.display, service);
    refuseUndeployedRoute(settings, plan.route, stackFile.display, service);
    emit(text(values.out), renderPlan(plan, { settings, stackFile: stackFile.display }));
    return 0;
  },
});

function environmentStackFile(option: string | undefined, stack: string): { path: string; display: string } {
  if (option !== undefined) {
    if (!existsSync(userPath(option))) throw usage(`--config-file ${option}: no such file`);
    return { path: userPath(option), display: option };
  }
  const path = join(stacksDirectory(), `Pulumi.${stack}.yaml`);
  if (!existsSync(path)) throw usage(`no Pulumi.${stack}.yaml in ${stacksDirectory()}: pass the environment stack's file with --config-file`);
  return { path, display: `Pulumi.${stack}.yaml` };
}

/** A route changed in the file but not deployed would move with the wrong route: deploy (or revert) it first. */
function refuseUndeployedRoute(settings: ServiceSettings, deployed: ReturnType<typeof migrationPlan>["route"], display: string, service: string): void {
  if (!deployed) return;
  const differences = routeDifferences(routeOfSettings(settings.settings), deployed);
  if (differences.length > 0) {
    throw usage(`${display}: release:services.${service} has a route that is not deployed (${differences.join("; ")}): deploy the environment stack (or revert the file) before migrating`);
  }
}
