/** Two synth JSON documents compared: what a pull request changes in one stack (`release synth diff`). */
export { diffDocuments } from "./diff-documents";
export { mermaidDiagram } from "./mermaid";
export type { ChangeKind, IgnoredChange, PlanDiff, PropertyChange, ResourceChange } from "./model";
export { flatten } from "./properties";
export { renderDiffMarkdown } from "./render-markdown";
export { renderDiffText } from "./render-text";
