import { readFileSync } from "node:fs";
import { userPath } from "../command";
import type { SynthDocument } from "./capture";
import { UsageError } from "../errors";

/** A synth JSON document the user names (diff's base and head, check's --base); `option` names the flag in messages. */
export function readSynthDocument(path: string, option = ""): SynthDocument {
  let document: SynthDocument;
  let content = "";
  try {
    content = readFileSync(userPath(path), "utf8");
    document = JSON.parse(content) as SynthDocument;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : /^\s*> /.test(content)
          ? "it starts with the banner npm prints on stdout"
          : (error as Error).message.replace(/\s+/g, " ");
    throw new UsageError(`${option}${path}: not a synth JSON document (${reason}); make one with \`npm run synth -- <stack> --format json --out ${path}\``);
  }
  if (document?.version !== 1 || !Array.isArray(document.resources)) throw new UsageError(`${option}${path}: not a synth JSON document (expected "version": 1 and "resources")`);
  return document;
}

