import { Subject } from 'rxjs';
import type { MarketEvent } from '../../core/index.js';
import { loadConfig, type Config } from '../../config.js';
import { openReplay, type ReplaySource } from '../../market-data/index.js';
import { parseDuration } from '../../core/index.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { CommandIo } from '../command.js';
import type { ReplayFormat } from '../../market-data/index.js';

/** The configuration of a command: profile, --set overrides and environment. */
export function commandConfig(args: ParsedArgs, io: CommandIo, extra: readonly string[] = []): Config {
  const file = args.strings.get('config');
  return loadConfig({ ...(file ? { file } : {}), set: [...(args.lists.get('set') ?? []), ...extra], env: io.env });
}

export function durationFlag(args: ParsedArgs, name: string): number | undefined {
  const text = args.strings.get(name);
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

export function replayFromArgs(args: ParsedArgs, io: CommandIo): ReplaySource {
  const data = args.lists.get('data');
  if (!data || data.length === 0) throw new UsageError('--data is required (a file or a directory of recorded market data)');
  const market = args.strings.get('market');
  const format = args.strings.get('format');
  return openReplay(data, {
    ...(market ? { market } : {}),
    ...(format ? { format: format as ReplayFormat } : {}),
    onMalformed: (info) => io.stderr.write(`warning: ${info.file}:${info.line}: ${info.reason} (such records are skipped and counted)\n`),
  });
}

/**
 * Pushes the replay through `events$` synchronously, batch by batch, awaiting `afterBatch` (output
 * backpressure) between batches and stopping early when the command is interrupted.
 */
export async function pump(source: ReplaySource, events$: Subject<MarketEvent>, io: CommandIo, afterBatch: () => Promise<void>): Promise<void> {
  for await (const batch of source.batches()) {
    for (let i = 0; i < batch.length; i++) events$.next(batch[i] as MarketEvent);
    await afterBatch();
    if (io.signal.aborted) break;
  }
  events$.complete();
  await afterBatch();
}

export function reportStats(source: ReplaySource, io: CommandIo, extra: string): void {
  const s = source.stats();
  io.stderr.write(`read ${s.events} events from ${s.files.length} file(s); ${s.malformed} malformed and ${s.ignored} ignored records skipped; ${extra}\n`);
}
