/**
 * `npm run bench -- backtest`: the whole backtest (features, ranking, strategy, sizing, position actors,
 * simulated exchange, statistics) on the 30-coin 5m candles of ../shared/data and on the trade files
 * looped to at least 2 million events (default configuration: a feature batch a minute; and again with
 * one a second). The events are read into memory first, so the figures are the engine's;
 * `candles_with_reading_events_per_s` adds gunzip and parsing of the files.
 *
 * Each figure is the median of RUNS runs in this process (all of them are printed in `*_runs`): on a
 * shared machine one run's rate varies by a quarter either way, and a single run would mostly measure
 * the neighbours. Every run builds a new engine, so only V8's compiled code carries over between runs.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parseConfig, type Config } from '../src/config.js';
import type { MarketEvent } from '../src/core/index.js';
import { runBacktest } from '../src/engine/backtest.js';
import { batched, openReplay, readAll } from '../src/market-data/index.js';
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

export async function run(): Promise<Record<string, unknown>> {
  const candlesDir = join(here, '../../shared/data/candles/binance-spot-2021-5m');
  const profile = JSON.parse(readFileSync(join(here, '../config/backtest-candles.json'), 'utf8')) as Record<string, unknown>;
  const config = parseConfig({ ...profile, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9, onStop: 'keep' } });

  const { events: candles } = await readAll([candlesDir]);
  const candleRun = await timed(() => batched(candles, 8192), config, 'USDT');
  const withReading = await timed(() => openReplay([candlesDir]).batches(), config, 'USDT');

  const tape = await loadTape();
  const trades: MarketEvent[] = [];
  for (let loop = 0; trades.length < TRADE_EVENTS; loop++) for (let i = 0; i < tape.ts.length; i++) trades.push(eventAt(tape, loop, i));
  const tradeConfig = parseConfig({ exchange: { quote: 'USDT' }, simulator: { initialBalance: 100_000 }, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 } });
  const tradeConfig1s = parseConfig({ ...tradeConfig, features: { ...tradeConfig.features, every: '1s' } });
  const tradeRun = await timed(() => batched(trades, 8192), tradeConfig, 'USDT');
  const tradeRun1s = await timed(() => batched(trades, 8192), tradeConfig1s, 'USDT');

  const events = candleRun.events + tradeRun.events;
  return {
    candles_events: candleRun.events,
    candles_events_per_s: Math.round(candleRun.events / candleRun.seconds),
    candles_with_reading_events_per_s: Math.round(withReading.events / withReading.seconds),
    candles_runs: candleRun.rates,
    candles_trades: candleRun.trades,
    trades_events: tradeRun.events,
    trades_events_per_s: Math.round(tradeRun.events / tradeRun.seconds),
    trades_runs: tradeRun.rates,
    trades_trades: tradeRun.trades,
    trades_1s_snapshots_events_per_s: Math.round(tradeRun1s.events / tradeRun1s.seconds),
    events,
    events_per_s: Math.round(events / (candleRun.seconds + tradeRun.seconds)),
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
  };
}
