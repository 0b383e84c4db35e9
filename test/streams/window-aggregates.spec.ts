import { lastValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FeatureSnapshot, MarketEvent, WindowName } from '../../src/core/index.js';
import { WINDOW_MS, WINDOWS } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';
import { featureSnapshots, type FeatureBatch, WINDOW_RESOLUTION_MS } from '../../streams/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

interface Print {
  ts: number;
  price: number;
  volume: number;
  high: number;
  low: number;
}

function prints(events: readonly MarketEvent[], market: string): Print[] {
  const out: Print[] = [];
  for (const e of events) {
    if (e.market !== market) continue;
    if (e.kind === 'trade') out.push({ ts: e.ts, price: e.price, volume: e.amount, high: e.price, low: e.price });
    else if (e.kind === 'candle') out.push({ ts: e.ts, price: e.close, volume: e.volume, high: e.high, low: e.low });
  }
  return out;
}

/** Index of the first print with ts > t (prints sorted by ts). */
function upper(p: readonly Print[], t: number): number {
  let lo = 0;
  let hi = p.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((p[mid] as Print).ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Direct sums over the prints with time in (t − W, t]. */
function bruteWindow(p: readonly Print[], t: number, w: number): { volume: number; value: number; trades: number; high: number; low: number } {
  let volume = 0;
  let value = 0;
  let trades = 0;
  let high = -Infinity;
  let low = Infinity;
  for (let i = upper(p, t - w); i < p.length && (p[i] as Print).ts <= t; i++) {
    const x = p[i] as Print;
    volume += x.volume;
    value += x.price * x.volume;
    trades++;
    high = Math.max(high, x.high);
    low = Math.min(low, x.low);
  }
  return { volume, value, trades, high, low };
}

function expectRelative(actual: number, expected: number, what: string): void {
  const scale = Math.max(Math.abs(expected), 1e-12);
  if (Math.abs(actual - expected) / scale > 1e-9) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

async function batches(events: MarketEvent[], everyMs: number): Promise<FeatureBatch[]> {
  return lastValueFrom(from(events).pipe(featureSnapshots({ everyMs }), toArray()));
}

function checkSnapshot(s: FeatureSnapshot, p: readonly Print[], windows: readonly WindowName[]): number {
  let checks = 0;
  for (const w of windows) {
    const ref = bruteWindow(p, s.ts, WINDOW_MS[w]);
    const got = s.windows[w];
    expectRelative(got.volume, ref.volume, `${s.market} ${w} volume at ${s.ts}`);
    expectRelative(got.value, ref.value, `${s.market} ${w} value at ${s.ts}`);
    expect(got.trades).toBe(ref.trades);
    if (ref.volume > 0) expectRelative(got.vwap, ref.value / ref.volume, `${s.market} ${w} vwap at ${s.ts}`);
    checks++;
  }
  const day = bruteWindow(p, s.ts, WINDOW_MS['1d']);
  expectRelative(s.high, day.high, `${s.market} high line at ${s.ts}`);
  expectRelative(s.low, day.low, `${s.market} low line at ${s.ts}`);
  return checks;
}

describe.skipIf(skipWithoutSharedData())('window aggregates against a brute-force reference on real data', () => {
  it('matches every window on 3 months of 5m candles of 30 coins at every candle close', async () => {
    const { events } = await readAll([sharedData('candles/binance-spot-2021-5m')]);
    const out = await batches(events, 300_000);
    const markets = ['BTC/USDT', 'DOGE/USDT', 'LUNA/USDT', 'HOT/USDT'];
    const refs = new Map(markets.map((m) => [m, prints(events, m)]));
    let checks = 0;
    // Every 37th batch: spread over the whole span, including the maintenance gaps and the first month.
    for (let i = 0; i < out.length; i += 37) {
      for (const s of (out[i] as FeatureBatch).snapshots) {
        const p = refs.get(s.market);
        if (p) checks += checkSnapshot(s, p, WINDOWS);
      }
    }
    // The last batch has every window full, 1M included.
    for (const s of (out[out.length - 1] as FeatureBatch).snapshots) {
      const p = refs.get(s.market);
      if (p) checks += checkSnapshot(s, p, WINDOWS);
    }
    expect(out.length).toBeGreaterThan(25_000);
    expect(checks).toBeGreaterThan(25_000);
  });

  it('matches every window on real trades: ≤ 1h windows at each second, all windows at each minute', async () => {
    const { events } = await readAll([sharedData('trades/binance-2024-08-08-trades.csv.gz')]);
    const out = await batches(events, 1000);
    const markets = ['BTC/USDT', 'ETH/USDT', 'BTC/USDT:USDT'];
    const refs = new Map(markets.map((m) => [m, prints(events, m)]));
    const secondWindows = WINDOWS.filter((w) => WINDOW_RESOLUTION_MS[w] === 1000);
    let checks = 0;
    let minuteChecks = 0;
    for (const batch of out) {
      const aligned = batch.ts % 60_000 === 0;
      for (const s of batch.snapshots) {
        const p = refs.get(s.market) as Print[];
        checks += checkSnapshot(s, p, aligned ? WINDOWS : secondWindows);
        if (aligned) minuteChecks++;
      }
    }
    expect(out.length).toBeGreaterThan(600);
    expect(minuteChecks).toBeGreaterThan(20);
    expect(checks).toBeGreaterThan(10_000);
  });

  it('reads hourly volatility like a brute-force minute-close computation', async () => {
    const { events } = await readAll([sharedData('trades/binance-2024-08-08-trades.csv.gz')]);
    const out = await batches(events, 15_000);
    const p = prints(events, 'BTC/USDT');
    let checked = 0;
    for (const batch of out) {
      const s = batch.snapshots.find((x) => x.market === 'BTC/USDT');
      if (!s) continue;
      // Close of minute bucket m = the last price with ts ≤ (m + 1)·60 s; 61 closes give 60 returns.
      const end = Math.ceil(s.ts / 60_000) - 1;
      const closes: number[] = [];
      for (let m = end - 60; m <= end; m++) {
        const i = upper(p, Math.min((m + 1) * 60_000, s.ts)) - 1;
        closes.push(i >= 0 ? (p[i] as Print).price : NaN);
      }
      const returns: number[] = [];
      for (let i = 1; i < closes.length; i++) {
        const a = closes[i - 1] as number;
        const b = closes[i] as number;
        if (a > 0 && b > 0) returns.push(Math.log(b / a));
      }
      const mean = returns.reduce((x, y) => x + y, 0) / returns.length;
      const variance = returns.reduce((x, r) => x + r * r, 0) / returns.length - mean * mean;
      const expected = returns.length < 2 ? 0 : Math.sqrt(Math.max(0, variance) * 60);
      expect(s.volatility).toBeCloseTo(expected, 12);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });
});
