import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import type { Ranking } from '../../src/core/index.js';
import { parseTimeRange, TimeRangeError, type TimeRange } from '../../src/core/time-range.js';
import { runBacktest, type BacktestResult, type BacktestRun } from '../../src/engine/backtest.js';
import { openReplay } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const skip = skipWithoutSharedData();
const COINS = ['BTC', 'ETH', 'SOL', 'ADA', 'XRP', 'DOGE'];
const files = (): string[] => COINS.map((c) => sharedData('candles/binance-spot-2021-5m', `${c}_USDT-5m.csv.gz`));

function config(): Config {
  const profile = JSON.parse(readFileSync(new URL('../../config/backtest-candles.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  return parseConfig({ ...profile, ranking: { top: 3 }, allocation: { mode: 'equal', maxPositions: 2, maxPerCoin: 0.4, cashReserve: 0.05 } });
}

async function run(range?: TimeRange): Promise<{ result: BacktestResult; rankings: Ranking[]; engine: BacktestRun['engine'] }> {
  const rankings: Ranking[] = [];
  let engine: BacktestRun['engine'] | undefined;
  const result = await runBacktest(openReplay(files()).batches(), config(), {
    ...(range ? { range } : {}),
    onRun: (r) => {
      engine = r.engine;
      r.engine.listen({ onRanking: (x) => rankings.push(x) });
    },
  });
  return { result, rankings, engine: engine as BacktestRun['engine'] };
}

describe.skipIf(skip)('backtest --timerange on real candles', () => {
  const range = parseTimeRange('20210201-20210214');

  it('trades only inside the range; the events before it warm the features up, so its rankings equal the full run\'s', async () => {
    const full = await run();
    const cut = await run(range);
    const from = range.from as number;
    const to = range.to as number;
    expect(cut.result.range).toEqual({ from, to, warmupEvents: expect.any(Number) });
    // 31 days of 5-minute candles of 6 coins before Feb 1 (the first one opens at 00:05).
    expect(cut.result.range?.warmupEvents).toBeGreaterThan(6 * 31 * 287);
    // A candle is in the range when it opens there: the first opens at the start, the last closes at the end.
    expect(cut.result.span?.from).toBe(from);
    expect(cut.result.span?.to).toBe(to);
    const trades = cut.result.tracker.trades;
    expect(trades.length).toBeGreaterThan(0);
    for (const t of trades) {
      expect(t.openedTs).toBeGreaterThanOrEqual(from);
      expect(t.closedTs).toBeLessThanOrEqual(to);
    }
    for (const p of cut.result.tracker.equityCurve) expect(p.ts >= from && p.ts <= to).toBe(true);
    expect(cut.result.tracker.equityCurve[0]?.equity).toBe(10_000);
    // Rankings depend on the market only: with the warm-up they are the full run's, from the first one.
    const inRange = (r: Ranking): boolean => r.ts >= from && r.ts <= to;
    expect(cut.rankings.length).toBeGreaterThan(100);
    expect(cut.rankings.every(inRange)).toBe(true);
    expect(cut.rankings).toEqual(full.rankings.filter(inRange));
    // Without the warm-up (the data cut at the range) the first day's rankings differ: the 1-day windows are empty.
    const coldRankings: Ranking[] = [];
    await runBacktest(
      (async function* () {
        for await (const batch of openReplay(files()).batches()) yield batch.filter((e) => e.ts >= from && e.ts < to);
      })(),
      config(),
      { onRun: (r) => r.engine.listen({ onRanking: (x) => coldRankings.push(x) }) },
    );
    expect(coldRankings.slice(0, 50)).not.toEqual(full.rankings.filter(inRange).slice(0, 50));
    // The market change is the coins' own buy-and-hold over the traded span: first and last close of the
    // candles opening inside the range (the warm-up's prices left out), in the order the coins first traded there.
    const span = new Map<string, { first: number; last: number }>();
    for await (const batch of openReplay(files()).batches()) {
      for (const e of batch) {
        if (e.kind !== 'candle' || e.openTime < from || e.openTime >= to) continue;
        const p = span.get(e.market);
        if (p) p.last = e.close;
        else span.set(e.market, { first: e.close, last: e.close });
      }
    }
    let sum = 0;
    for (const p of span.values()) sum += p.last / p.first - 1;
    expect(cut.result.results?.market.markets).toBe(COINS.length);
    expect(cut.result.results?.market.change).toBe(sum / span.size);
  });

  it('every decision has one outcome; the BUYs acted on are the positions opened', async () => {
    const { result, engine } = await run(range);
    const decisions = result.summary['decisions'] as Record<string, number>;
    const rows = result.results?.decisions ?? [];
    expect(Object.fromEntries(rows.map((r) => [r.kind, r.total]))).toEqual(decisions);
    const buys = rows.find((r) => r.kind === 'BUY');
    expect(buys?.acted).toBe(engine.settled.length + result.open.length);
    expect(buys?.suppressed).toBeGreaterThan(0);
    expect(Object.keys(buys?.why ?? {}).every((k) => ['already-holding', 'no-slot', 'halted', 'below-minimum'].includes(k))).toBe(true);
  });

  it('a range that holds no event is refused with the span of the data', async () => {
    await expect(run(parseTimeRange('20220101-'))).rejects.toThrow(TimeRangeError);
    await expect(run(parseTimeRange('20220101-'))).rejects.toThrow(/no event of the data falls in the time range \(2022-01-01T00:00:00.000Z to end\); the data starts 2021-01-01/);
  });
});
