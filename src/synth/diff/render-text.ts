import { renderReleasePlan } from "../release-plan";
import type { ChangeKind, PlanDiff, ResourceChange } from "./model";
import { show } from "./properties";

// The plan diff as text for a terminal.

export const kindMark: Record<ChangeKind, string> = { added: "+", removed: "-", changed: "~", replaced: "+-", ignored: "=", moved: ">" };

export function grouped(diff: PlanDiff): Map<string, ResourceChange[]> {
  const groups = new Map<string, ResourceChange[]>();
  for (const change of diff.resources) {
    const list = groups.get(change.component) ?? [];
    list.push(change);
    groups.set(change.component, list);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function counts(diff: PlanDiff): string {
  const count = (kind: ChangeKind) => diff.resources.filter((change) => change.kind === kind).length;
  const ignored = count("ignored");
  const moved = count("moved");
  return `${count("added")} to add, ${count("changed")} to change, ${count("replaced")} to replace, ${count("removed")} to remove${ignored ? `, ${ignored} with ignored changes only` : ""}${moved ? `, ${moved} moved by alias` : ""}`;
}

export function renderDiffText(diff: PlanDiff): string {
  const lines = [`${diff.stack}: ${counts(diff)}`];
  if (diff.callouts.length > 0) lines.push("", "Review first:", ...diff.callouts.map((callout) => `  ! ${callout.replace(/\*\*/g, "")}`));
  if (diff.releases.length > 0) {
    lines.push("", "Releases this change starts or changes:");
    for (const release of diff.releases) lines.push(...releaseLines(release));
  }
  for (const [component, changes] of grouped(diff)) {
    lines.push("", component);
    for (const change of changes) {
      lines.push(`  ${kindMark[change.kind]} ${change.type.split(":").pop()} ${change.name}`);
      if (change.moved) lines.push(`      ${change.moved.how}`);
      for (const property of change.changes) lines.push(`      ${property.path}: ${show(property.old)} -> ${show(property.new)}`);
      for (const property of change.ignored) lines.push(`      ${property.path}: ${show(property.old)} -> ${show(property.new)}  (ignored: ${property.reason})`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function releaseLines(release: PlanDiff["releases"][number]): string[] {
  if (release.before && release.after && JSON.stringify(release.before) === JSON.stringify(release.after)) {
    return ["  deployed by this change, steps unchanged:", ...renderReleasePlan(release.after, "    ")];
  }
  return [
    ...(release.before ? ["  before:", ...renderReleasePlan(release.before, "    ")] : [`  ${release.service} is new`]),
    ...(release.after ? ["  after:", ...renderReleasePlan(release.after, "    ")] : [`  ${release.service} is removed`]),
  ];
}
