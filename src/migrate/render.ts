import { stringify } from "yaml";
import { type MigrationPlan, stackNameText } from "./plan";
import { serviceStackSettings, type ServiceSettings } from "./stack-files";
import { parseUrn } from "./state";

const TASK_DEFINITION_TYPE = "aws:ecs/taskDefinition:TaskDefinition";

/** The Pulumi CLI the steps need: `state move` re-parents with correct URNs since 3.224.0 (#21953); the project's floor. */
export const MINIMUM_PULUMI_CLI = "3.230.0";

const quote = (urn: string) => `'${urn}'`;
const indent = (text: string, by = "    ") => text.replace(/\n$/, "").split("\n").map((line) => `${by}${line}`).join("\n");
const yaml = (value: unknown) => stringify(value, { lineWidth: 0, flowCollectionPadding: false });

/**
 * The migration as the commands to run, in order, each with what to check before the next. `files` is the service's
 * settings from the environment stack file (undefined: that step names the block to move without printing it).
 */
export function renderPlan(plan: MigrationPlan, files: { readonly settings?: ServiceSettings; readonly stackFile: string }): string {
  const source = stackNameText(plan.source);
  const dest = stackNameText(plan.dest);
  const serviceFile = `Pulumi.${plan.dest.stack}.yaml`;
  const protectedOnes = plan.moved.filter((resource) => resource.protect);
  const lines: string[] = [];
  const step = (title: string, ...body: string[]) => lines.push(title, ...body, "");

  step(
    `Migrating ${plan.service} (${plan.componentType}, ${plan.moved.length} resources) from ${source} to ${dest}`,
    ...(plan.sourceOrgAssumed ? [`(the source's organisation ${plan.source.org} is --dest's: the export names none; pass --source if it differs)`] : []),
    `Needs the Pulumi CLI ${MINIMUM_PULUMI_CLI} or newer (pulumi version). Pause the environment stack's deploys until step (d)`,
    `is clean: between (b) and (c) its stack file still lists ${plan.service} while its state no longer does, so a`,
    `pulumi up there would create the service a second time.`,
  );

  const route = plan.route;
  step(
    `(a) Give ${plan.service} its route in ${files.stackFile}, under config: (beside its service entry: a route may name a service of`,
    `    the stack while the two match exactly), reserved for ${dest} (stack): no other service stack may release ${plan.service}`,
    `    (and ${dest} may not either while ${files.stackFile} still has it: the contract marks it releasedByEnvironment):`,
    route
      ? indent(yaml({ "release:routes": { [plan.service]: { ...route, stack: dest } } }))
      : `    ${plan.service} has no listener rule matching paths or hosts in the state: give it the route it has in ${files.stackFile}`,
    `  then, from the environment project's directory:`,
    `    pulumi preview --stack ${source} --diff      # expect: only the routes dashboard created (<prefix>-routes-main); the output "environment" appears`,
    `    pulumi up --stack ${source}`,
  );

  step(
    `(b) Create the service stack and move the service's state into it, from the service project's directory (the move`,
    `    creates the destination's secrets manager only there):`,
    `    pulumi stack init ${dest}`,
    `    pulumi state move --source ${source} --dest ${dest} \\`,
    plan.moved.map((resource) => `      ${quote(resource.urn)}`).join(" \\\n"),
    `  Every URN is named, not only the component's: state move adds direct children while walking a Go map, which`,
    `  may skip grandchildren. No --include-parents: it would add the ReleaseEnvironment and with it every other service.`,
    `  It copies ${plan.providers.length === 1 ? "this provider (it stays" : "these providers (they stay"} in the environment stack too):`,
    ...plan.providers.map((provider) => `    ${provider.urn}\n      -> ${provider.afterMove}`),
    `  It re-parents ${plan.service} to the root stack: ${plan.moved[0].afterMove}`,
    `  (the service stack's ReleaseEnvironment finds it there by its alias {parent: root stack}).`,
    ...cutList(`  It warns that these moved resources depend on resources of ${source} (expected: the service stack reads them from the contract):`, plan.dependsOnEnvironment),
    ...cutList(`  and that these resources of ${source} depend on moved ones (expected: the environment's next up drops the service from them):`, plan.environmentDependsOn),
    protectedOnes.length > 0
      ? `  Protected, and still protected after the move (state move keeps the flag; unprotect with pulumi state unprotect):\n${protectedOnes.map((resource) => `    ${resource.urn}`).join("\n")}`
      : `  Nothing of ${plan.service} is protected (the move keeps the flag of what is).`,
  );

  step(
    `(c) Move ${plan.service}'s settings from ${files.stackFile} to the service stack's ${serviceFile} (in the service project's directory).`,
    `  Remove from ${files.stackFile}, under release:services:`,
    files.settings ? indent(yaml({ [plan.service]: files.settings.settings })) : `    the whole ${plan.service}: block`,
    `  Write ${serviceFile} (its services take no pathPatterns, hostHeaders or priority: the route is the environment's):`,
    indent(
      yaml({
        config: {
          ...(files.settings?.region ? { "aws:region": files.settings.region } : {}),
          "release:environment": { stackReference: source },
          "release:services": { [plan.service]: files.settings ? serviceStackSettings(files.settings.settings) : "<the block removed above, without pathPatterns/hostHeaders/priority>" },
        },
      }),
    ),
    ...flagLines(plan, files.settings),
    ...clusterLines(plan, files.settings),
    ...(files.settings && files.settings.secrets.length > 0
      ? [
          `  Secret values are encrypted with ${source}'s key: set each again in the service stack:`,
          ...files.settings.secrets.map((path) => `    pulumi config set --stack ${dest} --secret --path 'release:services.${plan.service}.${path}' <value>`),
        ]
      : []),
  );

  step(
    `(d) The environment stack first: its contract then stops marking ${plan.service} as released by it (until then the service`,
    `    stack refuses it: "is still released by the environment stack ${source}"), and its state no longer holds`,
    `    ${plan.service}, so its up deletes nothing of it. Nothing of ${plan.service} may be replaced or deleted (a new task definition`,
    `    revision aside):`,
    `    pulumi preview --stack ${source} --diff        # environment project`,
    `      expect: changes to these only, the resources that named ${plan.service} (the list the move warned about):`,
    ...[...new Set(plan.environmentDependsOn.map((cut) => cut.from))].map((urn) => `        ${urn}`),
    `        (a dashboard or monitor list is updated; a grant to ${plan.service}'s role is deleted: its own stack grants its own;`,
    `        until the service stack's up releases the revision that reads its own store, ${plan.service}'s running tasks`,
    `        serve the flags their AppConfig agent cached, and a task started meanwhile gets none (the app's defaults): run`,
    `        that up right after), and the output "environment" (its routes.${plan.service} without releasedByEnvironment).`,
    `      stop on: any - delete of a ${plan.service}-* resource (the move missed it).`,
    `    pulumi up --stack ${source}`,
    `  Then the service stack:`,
    `    pulumi preview --stack ${dest} --diff        # service project`,
    `      expect: + creates of the service stack's own resources (its ReleaseEnvironment, the joined environment and its`,
    `        provider, its flag store, dashboard); the resources of ${plan.service} unchanged (their provider moves from the copied`,
    `        one to the joined environment's without a replacement while the region matches) but ${releaseChange(plan)},`,
    `        whose AppConfig path now names the service stack's own store: this up is a release of ${plan.service} through its`,
    `        usual strategy, alarms and hooks; - delete of the copied provider (state only).`,
    `      stop on: any other +- (replace) or - (delete) of a resource named ${plan.service}-* (a wrong region, or a changed`,
    `        input), or a + create of one (the alias did not match: the move is incomplete).`,
    `    pulumi up --stack ${dest}`,
    `  Then resume the environment stack's deploys.`,
    `  To go back before either up: move them back (pulumi state move --source ${dest} --dest ${source} with their URNs there,`,
    `  pulumi stack --stack ${dest} --show-urns) and revert the files: the environment's alias finds them at its root.`,
  );
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}

function cutList(title: string, cuts: MigrationPlan["dependsOnEnvironment"]): string[] {
  if (cuts.length === 0) return [];
  return [title, ...cuts.map((cut) => `    ${cut.from}\n      ${cut.kind === "dependency" ? "depends on" : cut.kind === "deleted with" ? "is deleted with" : "has a property dependency on"} ${cut.on}`)];
}

/** The one change a moved service shows: the new revision that reads the service stack's flag store. */
function releaseChange(plan: MigrationPlan): string {
  const names = plan.moved.filter((resource) => resource.type === TASK_DEFINITION_TYPE).map((resource) => resource.urn.slice(resource.urn.lastIndexOf("::") + 2));
  return names.length > 0
    ? `one: +- replace of its task definition (${names.join(", ")})`
    : "its workload: ~ update of its Rollout's pod template (with the new release waiter Job every release gets)";
}

/**
 * After the move the service reads the service stack's own flag store: the flags it reads must be in that stack file
 * when its first release there starts, with every flag they depend on (a flag depends only on flags of its store).
 */
function flagLines(plan: MigrationPlan, settings: ServiceSettings | undefined): string[] {
  if (!settings || settings.flags.length === 0) return [];
  return [
    `  Flags: from (d) on ${plan.service} reads the service stack's own flag store. Move the flags it reads from release:flags of`,
    `  the environment stack file to the service stack file in the same change (with the flags they depend on); leave`,
    `  the environment-wide ones. The environment stack file's flags:`,
    ...settings.flags.map((flag) => `    ${flag.name}${flag.owner ? ` (owner ${flag.owner})` : ""}${flag.dependsOn.length > 0 ? `, depends on ${flag.dependsOn.join(", ")}` : ""}`),
    ...(plan.remainingServices.length === 0
      ? [
          `  ${plan.service} is the environment stack's last service: from its next pulumi up the flags left in its store are`,
          `  watched by the load balancers' own error-rate alarms, which judge each load balancer's whole traffic (one`,
          `  service's errors diluted by every other's): move each flag that guards one team's service to that team's stack.`,
        ]
      : []),
  ];
}

/**
 * A Kubernetes service's objects stay only on the same cluster: the Kubernetes provider's DiffConfig replaces them when
 * the active cluster's server changes (pulumi/pulumi-kubernetes#2771). A service stack reads the cluster's stack when
 * the environment names one; else it needs the same cluster's kubeconfig, its only cluster setting.
 */
function clusterLines(plan: MigrationPlan, settings: ServiceSettings | undefined): string[] {
  if (settings?.cluster !== "kubeconfig" || !plan.providers.some((provider) => parseUrn(provider.urn)?.type === "pulumi:providers:kubernetes")) return [];
  return [
    `  The environment stack file gives its cluster a kubeconfig: give the service stack the same cluster's (another cluster's`,
    `  would replace every Kubernetes object of ${plan.service}):`,
    `    pulumi config set --stack ${stackNameText(plan.dest)} --secret --path 'release:cluster.kubeconfig' "$(cat kubeconfig)"`,
  ];
}
