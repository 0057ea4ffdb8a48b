import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../src/synth/run";
import { loadStack } from "../src/synth/run";
import { synthesize } from "../src/synth/capture";

/** Numbers and lists the README and docs state that the code decides: checked here, so they cannot drift. */

const README = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string }).version;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

/** The README's `##` and `###` headings outside code blocks, as the table of contents lists them. */
export function tableOfContents(readme: string): string {
  let fenced = false;
  const lines: string[] = [];
  for (const line of readme.split("\n")) {
    if (/^```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^(##|###) (.+)$/.exec(line);
    if (heading) lines.push(`${heading[1] === "###" ? "  " : ""}- [${heading[2]}](#${anchor(heading[2])})`);
  }
  return lines.join("\n");
}

describe("the README's numbers and contents", () => {
  it("has a table of contents that lists every section", () => {
    const toc = /<!-- toc -->\n([\s\S]*?)\n?<!-- \/toc -->/.exec(README)?.[1] ?? "";
    expect(toc.trim(), "paste the expected list between <!-- toc --> and <!-- /toc -->").toBe(tableOfContents(README));
  });

  it("names the tarball npm pack makes, and docs quote npm's banner with this version", () => {
    expect(README).toContain(`npm install ./release-platform-${VERSION}.tgz`);
    const stale = [README, ...readdirSync(join(PROJECT_ROOT, "docs")).filter((file) => file.endsWith(".md")).map((file) => readFileSync(join(PROJECT_ROOT, "docs", file), "utf8"))]
      .flatMap((text) => [...text.matchAll(/release-platform(?:@|-)(\d+\.\d+\.\d+)/g)].map((match) => match[1]))
      .filter((version) => version !== VERSION);
    expect(stale).toEqual([]);
  });

  it("counts the Kubernetes example's resources as synth does", async () => {
    const claim = /Pulumi\.eks\.yaml +# (\d+) resources: (\d+) for the two Kubernetes services \((\d+) Kubernetes objects\)/.exec(README);
    expect(claim, "the README's count of the Kubernetes example").not.toBeNull();
    const document = await synthesize({ config: loadStack({ stack: "eks", configFile: join(PROJECT_ROOT, "examples/kubernetes/Pulumi.eks.yaml") }) });
    const byUrn = new Map(document.resources.map((resource) => [resource.urn, resource]));
    const inService = (urn: string | null): boolean => {
      const resource = urn === null ? undefined : byUrn.get(urn);
      return resource !== undefined && (resource.type === "release:kubernetes:KubernetesService" || inService(resource.parent));
    };
    expect([claim![1], claim![2], claim![3]].map(Number)).toEqual([
      document.resources.length,
      document.resources.filter((resource) => inService(resource.urn)).length,
      document.resources.filter((resource) => resource.type.startsWith("kubernetes:")).length,
    ]);
  });

  it("prints machine-readable output through npm only with -s or to a file: npm's banner would lead stdout", () => {
    const commands = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((match) => match[1].split("\n")).map((line) => line.replace(/\s+#.*$/, ""));
    const machine = commands.filter((line) => /^npm run /.test(line) && /--format (json|sarif)\b/.test(line));
    expect(machine.length).toBeGreaterThan(2);
    expect(machine.filter((line) => !/^npm run -s /.test(line) && !/ --out /.test(line))).toEqual([]);
  });

  it("states the supported Node versions as package.json's engines does", () => {
    const engines = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    expect(engines).toBe("^22.9.0 || ^24.0.0 || >=26.0.0");
    expect(README).toContain("Node: 22.9 or later, 24 or 26 (`engines`");
  });
});
