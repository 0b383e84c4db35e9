import { describe, expect, it } from 'vitest';
import type { CandleEvent } from '../../src/core/index.js';
import { readAll } from '../../src/market-data/index.js';
import { buildDataset, UNKNOWN } from '../../src/ml/dataset.js';
import { fiveDigitTick } from '../../src/exchange/index.js';
import { barriers, firstPassage, type PriceSeries } from '../../src/ml/labels.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const DIR = 'candles/binance-spot-2021-5m';
const files = ['BTC', 'DOGE'].map((c) => sharedData(DIR, `${c}_USDT-5m.csv.gz`));
const to = Date.UTC(2021, 0, 8);

describe.skipIf(skipWithoutSharedData())('first-passage labels on real candles', () => {
  it('match a brute-force reference for every row of the dataset', async () => {
    const config = parseRankerConfig({ label: { target: 0.015, stop: 0.01, horizon: '6h' } });
    const d = await buildDataset(files, config, { to });
    const { events } = await readAll(files);
    // Only the first week and a day are needed: keeps the brute force quadratic but small.
    const candles = events.filter((e): e is CandleEvent => e.kind === 'candle' && e.ts <= to + 86_400_000);
    const byMarket = new Map<string, CandleEvent[]>();
    for (const c of candles) byMarket.set(c.market, [...(byMarket.get(c.market) ?? []), c]);
    const lastOf = new Map([...byMarket].map(([m, cs]) => [m, Math.max(...cs.map((c) => c.ts))]));
    const fee = config.label.feeRate;
    let checked = 0;
    const counts = { up: 0, down: 0, none: 0 };
    for (let r = 0; r < d.rows; r++) {
      const t = d.ts[r] as number;
      const market = d.markets[d.market[r] as number] as string;
      const price = d.price[r] as number;
      // The reference: the strategy's net-return rule applied candle by candle, no precomputed levels.
      const entry = price + fiveDigitTick(price);
      const net = (p: number): number => (p * (1 - fee)) / (entry * (1 + fee)) - 1;
      const future = (byMarket.get(market) ?? []).filter((c) => c.ts > t && c.ts <= t + config.label.horizon);
      let expected: { label: number; timeMs: number } | undefined;
      for (const c of future) {
        if (net(c.low) <= -config.label.stop) {
          expected = { label: -1, timeMs: c.ts - t };
          break;
        }
        if (net(c.high) >= config.label.target) {
          expected = { label: 1, timeMs: c.ts - t };
          break;
        }
      }
      const lastTs = lastOf.get(market) as number;
      if (!expected && lastTs >= t + config.label.horizon) expected = { label: 0, timeMs: config.label.horizon };
      if (!expected) {
        expect(d.label[r]).toBe(UNKNOWN);
        continue;
      }
      // Skip the rare rows where float rounding of the two formulations could disagree on a touch.
      const near = future.some((c) => Math.abs(net(c.low) + config.label.stop) < 1e-9 || Math.abs(net(c.high) - config.label.target) < 1e-9);
      if (near) continue;
      expect({ label: d.label[r], timeMs: d.timeMs[r] }, `${market} ${new Date(t).toISOString()}`).toEqual(expected);
      checked++;
      if (expected.label === 1) counts.up++;
      else if (expected.label === -1) counts.down++;
      else counts.none++;
    }
    expect(checked).toBeGreaterThan(3000);
    // The sample covers all three outcomes, so the check is not vacuous.
    expect(counts.up).toBeGreaterThan(100);
    expect(counts.down).toBeGreaterThan(100);
    expect(counts.none).toBeGreaterThan(10);
  });

  it('counts a candle crossing both barriers as the stop, and leaves an unreachable horizon unknown', () => {
    const spec = { target: 0.01, stop: 0.01, horizonMs: 3_600_000, feeRate: 0.001, slippageTicks: 1 };
    const { up, down } = barriers(100, spec);
    expect(up).toBeGreaterThan(101);
    expect(down).toBeLessThan(100);
    const series: PriceSeries = { ts: Float64Array.from([300_000, 600_000]), high: Float64Array.from([up + 1, 100]), low: Float64Array.from([down - 1, 100]) };
    expect(firstPassage(series, 0, 100, spec)).toEqual({ label: -1, timeMs: 300_000 });
    const quiet: PriceSeries = { ts: Float64Array.from([300_000]), high: Float64Array.from([100]), low: Float64Array.from([100]) };
    expect(firstPassage(quiet, 0, 100, spec)).toBeUndefined();
  });
});
