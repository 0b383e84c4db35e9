import { describe, expect, it } from 'vitest';
import type { FeatureSnapshot, WindowName, WindowStats } from '../../src/core/index.js';
import { WINDOWS } from '../../src/core/index.js';
import { Random } from '../../src/core/random.js';
import { FEATURE_COUNT, FEATURE_NAMES, featureRows } from '../../src/ml/feature-vector.js';

function snap(market: string, random: Random, book: boolean): FeatureSnapshot {
  const price = 10 + random.next() * 90;
  const windows = Object.fromEntries(WINDOWS.map((w) => [w, { vwap: price * (1 + (random.next() - 0.5) * 0.1), volume: 10, value: 1000 * (1 + random.next() * 100), trades: 5 } satisfies WindowStats])) as Record<WindowName, WindowStats>;
  return {
    market,
    ts: 0,
    price,
    windows,
    volatility: 0.002 + random.next() * 0.02,
    position: random.next(),
    high: price * 1.1,
    low: price * 0.9,
    regime: { '1h': 'flat', '6h': 'flat', '12h': 'flat', '24h': 'flat' },
    ...(book ? { touch: { bidPrice: price * 0.999, bidSize: 3, askPrice: price * 1.001, askSize: 1 } } : {}),
  };
}

const col = (out: Float32Array, n: number, name: string): number[] => Array.from({ length: n }, (_, i) => out[i * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)] as number);

describe('cross-sectional model inputs', () => {
  const random = new Random(9);
  const batch = Array.from({ length: 7 }, (_, i) => snap(`C${i}/USDT`, random, i % 2 === 0));
  const out = new Float32Array(batch.length * FEATURE_COUNT);
  featureRows(batch, out);

  it('z-scores and rank percentiles across the coins of one instant, against brute force', () => {
    const mom = batch.map((s) => Math.log(s.price / s.windows['1h'].vwap));
    const mean = mom.reduce((a, b) => a + b, 0) / mom.length;
    const sd = Math.sqrt(mom.reduce((a, b) => a + (b - mean) ** 2, 0) / mom.length);
    col(out, batch.length, 'xs_z_mom_1h').forEach((z, i) => expect(z).toBeCloseTo(((mom[i] as number) - mean) / sd, 5));
    const vol = batch.map((s) => s.volatility);
    col(out, batch.length, 'xs_rank_volatility').forEach((r, i) => expect(r).toBeCloseTo(vol.filter((v) => v < (vol[i] as number)).length / (batch.length - 1), 6));
  });

  it('do not depend on the order of the batch', () => {
    const order = [3, 0, 6, 1, 5, 2, 4];
    const shuffled = new Float32Array(batch.length * FEATURE_COUNT);
    featureRows(order.map((i) => batch[i] as FeatureSnapshot), shuffled);
    order.forEach((from, to) => expect(Array.from(shuffled.subarray(to * FEATURE_COUNT, (to + 1) * FEATURE_COUNT))).toEqual(Array.from(out.subarray(from * FEATURE_COUNT, (from + 1) * FEATURE_COUNT))));
  });

  it('use the touch where the data has it: spread in basis points and size imbalance, zero with the flag off elsewhere', () => {
    expect(col(out, batch.length, 'has_book')).toEqual([1, 0, 1, 0, 1, 0, 1]);
    col(out, batch.length, 'spread_bps').forEach((s, i) => expect(s).toBeCloseTo(i % 2 === 0 ? 20 : 0, 3));
    col(out, batch.length, 'book_imbalance').forEach((b, i) => expect(b).toBeCloseTo(i % 2 === 0 ? 0.5 : 0, 6));
  });
});
