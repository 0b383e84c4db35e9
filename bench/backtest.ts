/**
 * `npm run bench -- backtest`: the whole backtest (features, ranking, strategy, sizing, position actors,
 * simulated exchange, statistics) on the 30-coin 5m candles of ../shared/data and on the trade files
 * looped to at least 2 million events (default configuration: a feature batch a minute; and again with
 * one a second).
 *
 * The candles run in child processes (bench/_backtest-candles.mjs), each alone so its peak RSS is its own,
 * each on its tree's build (dist/) as `coinrx backtest` runs after `npm install` (this checkout is built
 * first when a source is newer than its build; a previous release without a current build runs its
 * TypeScript, and the line says which: `candles_code`):
 * `candles_events_per_s` with the events read into memory first (the engine's rate, median of RUNS runs),
 * `candles_with_reading_events_per_s` from the gzip files as `coinrx backtest` reads them (gunzip, parsing
 * and merging included), and `candles_rss_mb`, that run's peak RSS; `*_per_cpu_s`, the same per second of
 * the process's CPU time, is what to compare on a busy machine. Targets (issue 19): 1,000,000 events/s
 * in memory, 600,000 from the files, under 300 MB. BENCH_PREVIOUS=<dir>, a checkout of an earlier release
 * with its node_modules, runs the same children on that tree, alternating with this one, in `previous`.
 *
 * The trade figures are the median of RUNS runs in this process (all of them are printed in `*_runs`): on
 * a shared machine one run's rate varies by a quarter either way. Every run builds a new engine, so only
 * V8's compiled code carries over between runs.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseConfig, type Config } from '../src/config.js';
import type { MarketEvent } from '../src/core/index.js';
import { runBacktest } from '../src/engine/backtest.js';
import { batched } from '../src/market-data/index.js';
import { buildIsCurrent } from './_build.js';
import { eventAt, loadTape } from './features.js';

const here = dirname(fileURLToPath(import.meta.url));
const TRADE_EVENTS = 2_000_000;

const RUNS = 3;

interface Timed {
  readonly events: number;
  readonly seconds: number;
  readonly trades: number;
  /** Events per second of every run, in run order. */
  readonly rates: readonly number[];
}

/** Runs the backtest RUNS times on fresh batches; the median run's time (the figures of every run agree but for time). */
async function timed(batches: () => AsyncIterable<readonly MarketEvent[]> | Iterable<readonly MarketEvent[]>, config: Config, quote: string): Promise<Timed> {
  const runs: { events: number; seconds: number; trades: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = await runBacktest(batches(), config, { quote });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    runs.push({ events: result.events, seconds, trades: result.tracker.trades.length });
  }
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(RUNS / 2)] as (typeof runs)[number];
  return { ...median, rates: runs.map((r) => Math.round(r.events / r.seconds)) };
}

interface CandleFigures {
  readonly events: number;
  readonly events_per_s: number;
  readonly cpu_events_per_s: number;
  readonly runs: readonly number[];
  readonly trades: number;
  readonly peak_rss_mb: number;
  /** Whether the child ran the tree's build or its TypeScript. */
  readonly code: 'build' | 'source';
  /** Profile fields the tree refused and ran without (an earlier release). */
  readonly dropped_fields?: readonly string[];
}

function candleChild(tree: string, mode: 'memory' | 'files', candlesDir: string): CandleFigures {
  const code = buildIsCurrent(tree) ? 'build' : 'source';
  const args = [...(code === 'source' ? ['--import', 'tsx'] : []), join(here, '_backtest-candles.mjs'), tree, mode, candlesDir, join(here, '../config/backtest-candles.json'), String(mode === 'memory' ? RUNS : 1), code];
  const out = execFileSync(process.execPath, args, { cwd: tree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as CandleFigures;
}

/** The candle figures of each tree, the trees alternating so that both see the same neighbours. */
function candleFigures(trees: readonly string[], candlesDir: string): Record<string, unknown>[] {
  const memory = trees.map((tree) => candleChild(tree, 'memory', candlesDir));
  const files = trees.map((tree) => candleChild(tree, 'files', candlesDir));
  return trees.map((_, i) => {
    const m = memory[i] as CandleFigures;
    const f = files[i] as CandleFigures;
    if (m.events !== f.events || m.trades !== f.trades) throw new Error(`bench backtest: the candles in memory and from the files disagree (${m.events}/${m.trades} against ${f.events}/${f.trades})`);
    return { candles_events: m.events, candles_events_per_s: m.events_per_s, candles_runs: m.runs, candles_events_per_cpu_s: m.cpu_events_per_s, candles_with_reading_events_per_s: f.events_per_s, candles_with_reading_events_per_cpu_s: f.cpu_events_per_s, candles_rss_mb: f.peak_rss_mb, candles_in_memory_rss_mb: m.peak_rss_mb, candles_trades: m.trades, candles_code: m.code, ...(m.dropped_fields ? { dropped_fields: m.dropped_fields } : {}) };
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const candlesDir = join(here, '../../shared/data/candles/binance-spot-2021-5m');
  // What a user runs after `npm install`: build first when the tree has changed since the last build.
  if (!buildIsCurrent(join(here, '..'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: join(here, '..'), stdio: 'inherit' });
  const previousTree = process.env['BENCH_PREVIOUS'];
  if (previousTree !== undefined && !existsSync(join(previousTree, 'src/engine/backtest.ts'))) throw new Error(`BENCH_PREVIOUS=${previousTree}: no src/engine/backtest.ts there`);
  const [current, previous] = candleFigures(previousTree === undefined ? [join(here, '..')] : [join(here, '..'), previousTree], candlesDir) as [Record<string, unknown>, Record<string, unknown> | undefined];
  const candleSeconds = (current['candles_events'] as number) / (current['candles_events_per_s'] as number);

  const tape = await loadTape();
  const trades: MarketEvent[] = [];
  for (let loop = 0; trades.length < TRADE_EVENTS; loop++) for (let i = 0; i < tape.ts.length; i++) trades.push(eventAt(tape, loop, i));
  const tradeConfig = parseConfig({ exchange: { quote: 'USDT' }, simulator: { initialBalance: 100_000 }, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 } });
  const tradeConfig1s = parseConfig({ ...tradeConfig, features: { ...tradeConfig.features, every: '1s' } });
  const tradeRun = await timed(() => batched(trades, 8192), tradeConfig, 'USDT');
  const tradeRun1s = await timed(() => batched(trades, 8192), tradeConfig1s, 'USDT');

  const events = (current['candles_events'] as number) + tradeRun.events;
  return {
    ...current,
    trades_events: tradeRun.events,
    trades_events_per_s: Math.round(tradeRun.events / tradeRun.seconds),
    trades_runs: tradeRun.rates,
    trades_trades: tradeRun.trades,
    trades_1s_snapshots_events_per_s: Math.round(tradeRun1s.events / tradeRun1s.seconds),
    events,
    events_per_s: Math.round(events / (candleSeconds + tradeRun.seconds)),
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
    ...(previous
      ? {
          previous,
          candles_speedup: Number(((current['candles_events_per_s'] as number) / (previous['candles_events_per_s'] as number)).toFixed(2)),
          candles_with_reading_speedup: Number(((current['candles_with_reading_events_per_s'] as number) / (previous['candles_with_reading_events_per_s'] as number)).toFixed(2)),
          candles_cpu_speedup: Number(((current['candles_events_per_cpu_s'] as number) / (previous['candles_events_per_cpu_s'] as number)).toFixed(2)),
          candles_with_reading_cpu_speedup: Number(((current['candles_with_reading_events_per_cpu_s'] as number) / (previous['candles_with_reading_events_per_cpu_s'] as number)).toFixed(2)),
        }
      : {}),
  };
}
