import type { SynthDocument } from "../capture";
import { releaseMermaid } from "../release-plan";
import { mermaidDiagram } from "./mermaid";
import type { PlanDiff } from "./model";
import { show } from "./properties";
import { counts, grouped, kindMark, releaseLines } from "./render-text";

// The plan diff as markdown for a pull request comment.

const cell = (value: unknown) => show(value).replace(/\|/g, "\\|").slice(0, 120);

export function renderDiffMarkdown(diff: PlanDiff, head: SynthDocument): string {
  const lines = [`### \`${diff.stack}\`: ${counts(diff)}`, ""];
  if (diff.callouts.length > 0) lines.push("**Review first**", "", ...diff.callouts.map((callout) => `- ${callout}`), "");
  for (const [component, changes] of grouped(diff)) {
    lines.push(`<details><summary>${component} (${changes.length})</summary>`, "", "| | resource | change |", "|---|---|---|");
    for (const change of changes) {
      const details = [
        ...(change.moved ? [change.moved.how] : []),
        ...change.changes.map((p) => `\`${p.path}\`: ${cell(p.old)} -> ${cell(p.new)}`),
        ...change.ignored.map((p) => `\`${p.path}\`: ${cell(p.old)} -> ${cell(p.new)} *(ignored: ${p.reason})*`),
      ];
      const detail = details.length > 0 ? details.join("<br>") : change.kind;
      lines.push(`| \`${kindMark[change.kind]}\` | ${change.type.split(":").pop()} \`${change.name}\` | ${detail} |`);
    }
    lines.push("", "</details>", "");
  }
  if (diff.resources.length === 0) lines.push("No changes.", "");
  for (const release of diff.releases) {
    lines.push(`**How a release of \`${release.service}\` goes${!release.after ? " (removed)" : !release.before ? " (new)" : JSON.stringify(release.before) === JSON.stringify(release.after) ? " (deployed by this change)" : " (changed)"}**`, "");
    lines.push("```text", ...releaseLines(release).map((line) => line.slice(2)), "```", "");
    if (release.after) lines.push("```mermaid", releaseMermaid(release.after), "```", "");
  }
  lines.push("```mermaid", mermaidDiagram(head), "```", "");
  return lines.join("\n");
}
