import type { Writable } from 'node:stream';
import type { FlagSpecs, ParsedArgs } from './args.js';

export interface CommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** True when stderr is a terminal: progress bars only then. */
  readonly interactive: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long commands stop cleanly. */
  readonly signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly examples: readonly string[];
  readonly flags: FlagSpecs;
  /** Resolves with the process exit code. */
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

export const CONFIG_FLAGS: FlagSpecs = {
  config: { type: 'string', valueName: 'file.json', description: 'configuration profile (see config/; without it, the schema\'s defaults)' },
  set: { type: 'list', valueName: 'path=value', description: 'override one configuration field, e.g. ranking.top=5' },
};

/** `paper` and `live`: without --config they trade config/default.json (see default-profile.ts). */
export const TRADING_CONFIG_FLAGS: FlagSpecs = {
  ...CONFIG_FLAGS,
  config: { type: 'string', valueName: 'file.json', description: 'configuration profile (default: config/default.json, the paper/live profile)' },
};

export const DATA_FLAGS: FlagSpecs = {
  data: { type: 'list', valueName: 'file|dir', description: 'recorded market data: candles, trades or websocket captures (gzip or plain)' },
  market: { type: 'string', valueName: 'BASE/QUOTE', description: 'market name when the file name does not say it' },
  format: { type: 'string', valueName: 'name', description: 'force a reader format instead of detecting it' },
};

/**
 * The commands whose every read goes through `replayFromArgs` (replay-args.ts), which honours it; a command
 * that reads its data another way does not declare it, so the flag is refused there rather than ignored.
 */
export const BROKEN_FILE_FLAGS: FlagSpecs = {
  'skip-broken-files': {
    type: 'boolean',
    description: 'a file that cannot be read to its end (truncated or corrupt gzip, unreadable) is used up to its fault and the run goes on; each such file is named at the end and in the output (default: the run stops, naming the file)',
  },
};
