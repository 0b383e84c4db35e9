import { readFileSync } from 'node:fs';
import type { Command } from './command.js';

/** What help shows of a command: everything but its code. */
export type CommandInfo = Pick<Command, 'name' | 'summary' | 'examples' | 'flags'>;

/** Written by the build (scripts/build.js) beside the compiled main.js. */
export const MANIFEST_FILE = 'commands.json';

export function describeCommands(commands: readonly Command[]): CommandInfo[] {
  return commands.map(({ name, summary, examples, flags }) => ({ name, summary, examples, flags }));
}

/**
 * Every command's help as the build saw it, so `coinrx --help` imports no command (ccxt alone takes
 * 0.4 s to load). Undefined when running the TypeScript, which has no build: help then loads the commands.
 */
export function readManifest(): readonly CommandInfo[] | undefined {
  try {
    return JSON.parse(readFileSync(new URL(`./${MANIFEST_FILE}`, import.meta.url), 'utf8')) as CommandInfo[];
  } catch {
    return undefined;
  }
}
