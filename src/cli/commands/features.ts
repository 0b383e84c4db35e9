import { Subject } from 'rxjs';
import type { MarketEvent } from '../../core/index.js';
import { marketPipeline } from '../../engine/market-pipeline.js';
import { CONFIG_FLAGS, DATA_FLAGS, type Command } from '../command.js';
import { LineWriter } from '../output.js';
import { commandConfig, durationFlag, pump, replayFromArgs, reportStats } from './replay-input.js';

export const featuresCommand: Command = {
  name: 'features',
  summary: 'replay recorded data and write every market\'s features as JSON lines',
  examples: [
    'coinrx features --data ../shared/data/candles/binance-spot-2021-5m --every 5m --out features.jsonl',
    'coinrx features --data trades.csv.gz --market BTC/USDT --every 1s',
  ],
  flags: {
    ...DATA_FLAGS,
    every: { type: 'string', valueName: 'duration', description: 'snapshot cadence in event time (default: features.every, 1m)' },
    out: { type: 'string', valueName: 'file.jsonl', description: 'output file (default: stdout)' },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    const source = replayFromArgs(args, io);
    const everyMs = durationFlag(args, 'every');
    const events$ = new Subject<MarketEvent>();
    const pipeline = marketPipeline(events$, config, everyMs !== undefined ? { everyMs } : {});
    const out = new LineWriter(args.strings.get('out'), io.stdout);
    pipeline.batches$.subscribe((batch) => {
      for (const snapshot of batch.snapshots) out.write(snapshot);
    });
    await pump(source, events$, io, () => out.drain());
    await out.close();
    reportStats(source, io, `${out.lines} snapshots written; ${pipeline.counters.dedupe.duplicates} duplicate and ${pipeline.counters.features.outOfOrder} out-of-order events dropped`);
    return 0;
  },
};
