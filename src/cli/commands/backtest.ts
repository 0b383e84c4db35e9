import { BROKEN_FILE_FLAGS, CONFIG_FLAGS, DATA_FLAGS, type Command } from '../command.js';
import { readAhead } from '../../market-data/read-ahead.js';
import { TIME_RANGE_FLAGS } from '../time-range-flags.js';
import { STRATEGY_FLAGS } from '../strategy-flag.js';
import { replayFromArgs } from './replay-args.js';

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'run the whole engine on recorded data and write summary.json, trades.csv, equity.csv, hourly.csv',
  examples: [
    'coinrx backtest --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --out out/bt',
    'coinrx backtest --data ../shared/data/trades/binance-2024-08-08-trades.csv.gz --set strategy.takeProfit=0.02 --out out/bt2',
    'coinrx backtest --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --timerange 20210301- --strategy ./strategies/my-momentum.ts',
    'REDIS_URL=redis://127.0.0.1:6379 coinrx backtest --data ../shared/data/candles/binance-spot-2021-5m --resume',
  ],
  flags: {
    ...DATA_FLAGS,
    ...BROKEN_FILE_FLAGS,
    ...TIME_RANGE_FLAGS,
    ...STRATEGY_FLAGS,
    'allow-overlap': { type: 'boolean', description: "with ranking.model or strategy.agent: also trade the span the model was trained on (default: refused; without --from the run starts where the model's clean test data does)" },
    quote: { type: 'string', valueName: 'currency', description: "quote currency to trade (default: the data's, e.g. USDT for BTC/USDT)" },
    out: { type: 'string', valueName: 'dir', description: 'output folder (default: out/backtest)' },
    'checkpoint-every': { type: 'string', valueName: 'events', description: 'save a checkpoint to the store this often (default 100000 with Redis, else off; 0 off)' },
    resume: { type: 'boolean', description: "continue from the bot's last checkpoint in the store (same data and configuration)" },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    // The read starts first: its thread opens, gunzips and parses the files while the engine's modules and
    // the configuration load (about a third of the way to the first event: docs/benchmarks.md, startup).
    const source = replayFromArgs(args, io);
    const batches = readAhead(source.batches());
    try {
      const { runBacktestCommand } = await import('./backtest-run.js');
      return await runBacktestCommand(args, io, source, batches);
    } finally {
      // A run stopped before reading (a bad configuration) stops the read too. Not awaited: the read's first
      // batch may still be on its way, and the error must not wait for it (the thread holds no process open).
      void batches.return().catch(() => undefined);
    }
  },
};
