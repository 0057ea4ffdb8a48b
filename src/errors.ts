/**
 * A command line the CLI cannot act on (unknown stack, flag or value); the CLI prints its message and exits 1. Its own
 * module so that the command helpers (command.ts) and the synth runner (synth/run.ts) both import it without importing
 * each other.
 */
export class UsageError extends Error {}
