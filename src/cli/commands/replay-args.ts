import type { MarketSymbol } from '../../core/index.js';
import { REPLAY_FORMATS, type ReplayFormat } from '../../market-data/formats.js';
import { openReplay, type ReplaySource } from '../../market-data/replay.js';
import { parseMarketName } from '../../market-data/symbols.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { CommandIo } from '../command.js';

// Apart from replay-input.ts, which loads the configuration (zod): a command can start reading its data
// before it loads the rest of itself (backtest.ts).

/** The replay of `--data` (with `--market`, `--format`, `--skip-broken-files`), checked; nothing is read until it is iterated. */
export function replayFromArgs(args: ParsedArgs, io: CommandIo): ReplaySource {
  const data = args.lists.get('data');
  if (!data || data.length === 0) throw new UsageError('--data is required (a file or a directory of recorded market data)');
  const market = marketFlag(args);
  const format = args.strings.get('format');
  if (format !== undefined && !(REPLAY_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format ${format}: unknown format; one of ${REPLAY_FORMATS.join(', ')}`);
  }
  return openReplay(data, {
    ...(market ? { market } : {}),
    ...(format ? { format: format as ReplayFormat } : {}),
    // Counted in the file's stats (reportStats names it, a backtest's summary.json too), never silent.
    ...(args.booleans.has('skip-broken-files') ? { onFileError: 'count' as const } : {}),
    onMalformed: (info) => io.stderr.write(`warning: ${info.file}:${info.line}: ${info.reason}${info.kept === true ? '' : ' (such records are skipped and counted)'}\n`),
  });
}

/** `--market`, checked: BASE/QUOTE (`BTCUSDT` is refused with the likely meaning). */
export function marketFlag(args: ParsedArgs): MarketSymbol | undefined {
  const text = args.strings.get('market');
  if (text === undefined) return undefined;
  const market = parseMarketName(text);
  if (typeof market !== 'string') throw new UsageError(`--market: ${market.reason}`);
  return market;
}
