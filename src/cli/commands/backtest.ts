import { runBacktest } from '../../engine/backtest.js';
import { writeBacktestOutput } from '../../engine/backtest-output.js';
import { CONFIG_FLAGS, DATA_FLAGS, type Command } from '../command.js';
import { ProgressBar } from '../progress.js';
import { progressDetail, summaryLines } from './backtest-summary.js';
import { commandConfig, replayFromArgs, reportStats } from './replay-input.js';

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'run the whole engine on recorded data and write summary.json, trades.csv, equity.csv, hourly.csv',
  examples: [
    'coinrx backtest --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json --out out/bt',
    'coinrx backtest --data trades/ --set strategy.takeProfit=0.02 --out out/bt2',
  ],
  flags: {
    ...DATA_FLAGS,
    quote: { type: 'string', valueName: 'currency', description: "quote currency to trade (default: the data's, e.g. USDT for BTC/USDT)" },
    out: { type: 'string', valueName: 'dir', description: 'output folder (default: out/backtest)' },
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    const source = replayFromArgs(args, io);
    const out = args.strings.get('out') ?? 'out/backtest';
    const quote = args.strings.get('quote');
    const bar = new ProgressBar(io.stderr, io.interactive, 'backtest');
    const result = await runBacktest(source.batches(), config, {
      ...(quote ? { quote } : {}),
      signal: io.signal,
      onProgress: (events, ts) => bar.status(progressDetail(events, ts)),
    });
    bar.done();
    await writeBacktestOutput(out, result, config, source.stats());
    io.stdout.write(`${summaryLines(result, out).join('\n')}\n`);
    reportStats(source, io, io.signal.aborted ? 'interrupted: the results cover the data read so far' : 'done');
    return io.signal.aborted ? 130 : 0;
  },
};
