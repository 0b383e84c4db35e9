import { backtestNode, storeLocation, type BacktestRun } from '../../engine/nodes/backtest-node.js';
import { writeBacktestOutput } from '../../engine/backtest-output.js';
import { generateMarket } from '../../market-data/generator.js';
import { batched } from '../../market-data/batched.js';
import { UsageError } from '../args.js';
import { BROKEN_FILE_FLAGS, CONFIG_FLAGS, DATA_FLAGS, type Command, type CommandIo } from '../command.js';
import type { RunningDashboard } from '../../report/start-dashboard.js';
import { DASHBOARD_FLAG, portFlag } from './live-flags.js';
import { prepareOutputFolder } from '../output.js';
import { ProgressBar } from '../progress.js';
import { progressDetail, summaryLines } from './backtest-summary.js';
import { balanceLine, commandConfig, reportStats } from './replay-input.js';
import { replayFromArgs } from './replay-args.js';
import { reportStoreLoss } from './store-loss.js';
import { STRATEGY_FLAGS } from '../strategy-flag.js';
import { openReplayRun } from './replay-run.js';

const HOUR_MS = 3_600_000;


function positiveNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`--${name} must be a positive number, got "${text}"`);
  return n;
}

async function openDashboard(port: string | undefined, io: CommandIo): Promise<RunningDashboard> {
  const number = portFlag(port);
  const { startDashboard } = await import('../../report/start-dashboard.js');
  return startDashboard(undefined, { port: number, log: (l) => io.stderr.write(l) });
}

/**
 * The offline twin of `coinrx paper`: the same engine, strategy and simulated exchange, on a seeded
 * generated KRW market (or on `--data`), so it runs on any machine without a network.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'offline demo: the whole engine paper-trading a generated KRW market (or --data)',
  examples: ['coinrx demo', 'coinrx demo --dashboard 8080', 'coinrx demo --hours 48 --markets 20 --set seed=7', 'coinrx demo --data ../shared/data/candles/binance-spot-2021-5m --config config/backtest-candles.json'],
  flags: {
    hours: { type: 'string', valueName: 'n', description: 'length of the generated market in hours of event time (default 24)' },
    markets: { type: 'string', valueName: 'n', description: 'number of generated coins (default 12)' },
    ...DATA_FLAGS,
    ...BROKEN_FILE_FLAGS,
    out: { type: 'string', valueName: 'dir', description: 'output folder (default: out/demo)' },
    dashboard: DASHBOARD_FLAG,
    ...STRATEGY_FLAGS,
    ...CONFIG_FLAGS,
  },
  async run(args, io) {
    const config = commandConfig(args, io);
    const out = args.strings.get('out') ?? 'out/demo';
    prepareOutputFolder(out);
    const bar = new ProgressBar(io.stderr, io.interactive, 'demo');
    // With REDIS_URL the demo writes what it does to Redis like any run (monitor, status, snapshots).
    const run = await openReplayRun('demo', args, config, io, 'run in memory');
    if (run === undefined) return 1;
    const { scorer, strategy, store } = run;
    // The dashboard paces the replay so a person can watch it, then serves the final state until Ctrl-C.
    const dashboard = args.strings.has('dashboard') ? await openDashboard(args.strings.get('dashboard'), io) : undefined;
    const common = {
      config,
      store,
      signal: io.signal,
      ...(scorer ? { scorer } : {}),
      ...(strategy ? { strategy } : {}),
      onRun: (run: BacktestRun) => {
        io.stderr.write(balanceLine('demo', run.config));
        dashboard?.attachRun(run);
      },
    };
    const data = args.lists.get('data');
    let source: ReturnType<typeof replayFromArgs> | undefined;
    let result;
    if (data && data.length > 0) {
      source = replayFromArgs(args, io);
      const batches = source.batches();
      result = await backtestNode({ ...common, batches: dashboard ? dashboard.pace(batches, 20) : batches, onProgress: (n, ts) => bar.status(progressDetail(n, ts)) });
    } else {
      const hours = positiveNumber(args.strings.get('hours'), 'hours', 24);
      const markets = Math.round(positiveNumber(args.strings.get('markets'), 'markets', 12));
      const durationMs = hours * HOUR_MS;
      const start = Date.UTC(2024, 0, 1);
      io.stderr.write(`demo: ${markets} generated KRW coins, ${hours} h of event time (seed ${config.seed}); no network used\n`);
      const batches = batched(generateMarket({ seed: config.seed, markets, start, durationMs }), 8192);
      result = await backtestNode({ ...common, batches: dashboard ? dashboard.pace(batches, 20) : batches, quote: 'KRW', onProgress: (n, ts) => bar.update((ts - start) / durationMs, progressDetail(n, ts)) });
      source = undefined;
      await writeBacktestOutput(out, result, config, undefined, { generator: 'coinrx generateMarket', seed: config.seed, markets, hours });
    }
    bar.done();
    await store.close();
    reportStoreLoss(store, 'demo', io);
    if (store.backend === 'redis') io.stderr.write(`demo: written to ${storeLocation(config)} as bot "${config.botId}" (coinrx status --bot ${config.botId})\n`);
    if (source) await writeBacktestOutput(out, result, config, source.stats());
    io.stdout.write(`${summaryLines(result, out).join('\n')}\n`);
    if (source) reportStats(source, io, 'demo done');
    if (dashboard) {
      io.stderr.write(`demo: the dashboard keeps showing the final state at ${dashboard.url} — Ctrl-C to quit\n`);
      await dashboard.hold(io.signal);
    }
    return io.signal.aborted && !dashboard ? 130 : 0;
  },
};
