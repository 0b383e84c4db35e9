import { Subject } from 'rxjs';
import type { MarketEvent } from '../../core/index.js';
import { marketPipeline } from '../../engine/market-pipeline.js';
import { UsageError } from '../args.js';
import { BROKEN_FILE_FLAGS, CONFIG_FLAGS, DATA_FLAGS, type Command } from '../command.js';
import { LineWriter, prepareOutputFile } from '../output.js';
import { commandConfig, durationFlag, pumpRange, reportStats, requireEvents } from './replay-input.js';
import { replayFromArgs } from './replay-args.js';
import { TIME_RANGE_FLAGS, timeRangeArgs } from '../time-range-flags.js';
import { writeRankingsInRange } from '../rankings-in-range.js';

export const rankCommand: Command = {
  name: 'rank',
  summary: 'replay recorded data and write the coin ranking each time it changes',
  examples: ['coinrx rank --data ../shared/data/candles/binance-spot-2021-5m --top 10 --every 5m', 'coinrx rank --data ../shared/data/ws/binance-2024-08 --top 3 --every 1s --out ranking.jsonl'],
  flags: {
    ...DATA_FLAGS,
    ...BROKEN_FILE_FLAGS,
    top: { type: 'string', valueName: 'n', description: 'length of the ranking (default: ranking.top, 10)' },
    every: { type: 'string', valueName: 'duration', description: 'ranking cadence in event time (default: features.every, 1m)' },
    out: { type: 'string', valueName: 'file.jsonl', description: 'output file (default: stdout)' },
    ...TIME_RANGE_FLAGS,
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    // Events before the range warm the windows up; the ranking in force at its start is written, then the changes.
    const range = timeRangeArgs(args);
    const config = commandConfig(args, io);
    const topText = args.strings.get('top');
    const top = topText === undefined ? undefined : Number(topText);
    if (top !== undefined && !(Number.isInteger(top) && top > 0)) throw new UsageError(`--top must be a positive integer, got "${topText}"`);
    const everyMs = durationFlag(args, 'every');
    const source = replayFromArgs(args, io);
    const events$ = new Subject<MarketEvent>();
    const pipeline = marketPipeline(events$, config, { ...(everyMs !== undefined ? { everyMs } : {}), ...(top !== undefined ? { top } : {}) });
    prepareOutputFile(args.strings.get('out'));
    const out = new LineWriter(args.strings.get('out'), io.stdout);
    writeRankingsInRange(pipeline.ranking$, range, (ranking) => out.write(ranking));
    await pumpRange(range, source, events$, io, () => out.drain());
    await out.close();
    reportStats(source, io, `${out.lines} rankings written`);
    requireEvents(source);
    return 0;
  },
};
