import { dirname } from "node:path";

/** The first answer `look` gives for `from` or a directory above it, nearest first. */
export function findUp<T>(from: string, look: (directory: string) => T | undefined): T | undefined {
  for (let directory = from; ; directory = dirname(directory)) {
    const found = look(directory);
    if (found !== undefined) return found;
    if (dirname(directory) === directory) return undefined;
  }
}
