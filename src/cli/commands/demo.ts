import { runBacktest } from '../../engine/backtest.js';
import { writeBacktestOutput } from '../../engine/backtest-output.js';
import type { MarketEvent } from '../../core/index.js';
import { generateMarket } from '../../market-data/generator.js';
import { UsageError } from '../args.js';
import { CONFIG_FLAGS, DATA_FLAGS, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';
import { progressDetail, summaryLines } from './backtest-summary.js';
import { commandConfig, replayFromArgs, reportStats } from './replay-input.js';

const HOUR_MS = 3_600_000;

function* chunks(events: Iterable<MarketEvent>, size: number): Generator<MarketEvent[]> {
  let chunk: MarketEvent[] = [];
  for (const e of events) {
    chunk.push(e);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function positiveNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`--${name} must be a positive number, got "${text}"`);
  return n;
}

/**
 * The offline twin of `coinrx paper`: the same engine, strategy and simulated exchange, on a seeded
 * generated KRW market (or on `--data`), so it runs on any machine without a network.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'offline demo: the whole engine paper-trading a generated KRW market (or --data)',
  examples: ['coinrx demo', 'coinrx demo --hours 48 --markets 20 --set seed=7', 'coinrx demo --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json'],
  flags: {
    hours: { type: 'string', valueName: 'n', description: 'length of the generated market in hours of event time (default 24)' },
    markets: { type: 'string', valueName: 'n', description: 'number of generated coins (default 12)' },
    ...DATA_FLAGS,
    out: { type: 'string', valueName: 'dir', description: 'output folder (default: out/demo)' },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    const out = args.strings.get('out') ?? 'out/demo';
    const bar = new ProgressBar(io.stderr, io.interactive, 'demo');
    const data = args.lists.get('data');
    if (data && data.length > 0) {
      const source = replayFromArgs(args, io);
      const result = await runBacktest(source.batches(), config, { signal: io.signal, onProgress: (n, ts) => bar.status(progressDetail(n, ts)) });
      bar.done();
      await writeBacktestOutput(out, result, config, source.stats());
      io.stdout.write(`${summaryLines(result, out).join('\n')}\n`);
      reportStats(source, io, 'demo done');
      return 0;
    }
    const hours = positiveNumber(args.strings.get('hours'), 'hours', 24);
    const markets = Math.round(positiveNumber(args.strings.get('markets'), 'markets', 12));
    const durationMs = hours * HOUR_MS;
    const start = Date.UTC(2024, 0, 1);
    io.stderr.write(`demo: ${markets} generated KRW coins, ${hours} h of event time (seed ${config.seed}); no network used\n`);
    const generated = { generator: 'coinrx generateMarket', seed: config.seed, markets, hours };
    const result = await runBacktest(chunks(generateMarket({ seed: config.seed, markets, start, durationMs }), 8192), config, {
      quote: 'KRW',
      signal: io.signal,
      onProgress: (n, ts) => bar.update((ts - start) / durationMs, progressDetail(n, ts)),
    });
    bar.done();
    await writeBacktestOutput(out, result, config, undefined, generated);
    io.stdout.write(`${summaryLines(result, out).join('\n')}\n`);
    return io.signal.aborted ? 130 : 0;
  },
};
