import type { Command } from '../command.js';
import { COMMAND_ENTRIES } from './registry.js';

/** Every command loaded (tests, the build's help manifest); the CLI itself loads only the one it runs. */
export const COMMANDS: readonly Command[] = await Promise.all(COMMAND_ENTRIES.map((entry) => entry.load()));
