import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { dailyMeans, dailyReturns, pairedBlockBootstrap, spanDays } from '../../src/ml/bootstrap.js';
import type { Dataset } from '../../src/ml/dataset.js';
import { UNKNOWN } from '../../src/ml/dataset.js';
import { rowPayoff } from '../../src/ml/evaluation.js';
import { barriers } from '../../src/ml/labels.js';
import { parseRankerConfig } from '../../src/ml/ranker-config.js';

const DAY = 86_400_000;

describe('paired block bootstrap', () => {
  it('a constant advantage is a "beats" with a zero-width interval; identical series show no difference', () => {
    const a = [0.01, 0.02, -0.01, 0.03, 0.0, 0.01];
    const up = pairedBlockBootstrap(a.map((x) => x + 0.002), a, { seed: 1 });
    expect(up.mean).toBeCloseTo(0.002, 12);
    expect(up.low).toBeCloseTo(0.002, 12);
    expect(up.high).toBeCloseTo(0.002, 12);
    expect(up.verdict).toBe('beats');
    expect(up.pNotBetter).toBe(0);
    const same = pairedBlockBootstrap(a, a, { seed: 1 });
    expect(same.verdict).toBe('no difference shown');
    expect(same.pNotBetter).toBe(1);
    expect(pairedBlockBootstrap(a, a.map((x) => x + 0.01), { seed: 1 }).verdict).toBe('loses');
  });

  it('is seeded: the same seed gives the same interval, another seed a (slightly) different one', () => {
    const r = new Random(3);
    const a = Array.from({ length: 60 }, () => r.normal() * 0.01);
    const b = Array.from({ length: 60 }, () => r.normal() * 0.01);
    expect(pairedBlockBootstrap(a, b, { seed: 7 })).toEqual(pairedBlockBootstrap(a, b, { seed: 7 }));
    expect(pairedBlockBootstrap(a, b, { seed: 8 }).low).not.toBe(pairedBlockBootstrap(a, b, { seed: 7 }).low);
    expect(pairedBlockBootstrap(a, b, { seed: 7 }).blockLength).toBe(4);
  });

  it('with blocks of one day its spread matches the standard error of the mean (i.i.d. reference)', () => {
    const r = new Random(11);
    const n = 400;
    const d = Array.from({ length: n }, () => r.normal());
    const mean = d.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
    const ci = pairedBlockBootstrap(d, new Array<number>(n).fill(0), { seed: 5, blockLength: 1, resamples: 4000 });
    // Normal-theory 95 % half width: 1.96 · sd / √n.
    expect((ci.high - ci.low) / 2).toBeCloseTo((1.96 * sd) / Math.sqrt(n), 2);
    expect(ci.mean).toBeCloseTo(mean, 12);
  });

  it('blocks widen the interval of a serially correlated series (as they should)', () => {
    const r = new Random(2);
    const n = 300;
    const d: number[] = [];
    let x = 0;
    for (let i = 0; i < n; i++) d.push((x = 0.9 * x + r.normal()));
    const zero = new Array<number>(n).fill(0);
    const iid = pairedBlockBootstrap(d, zero, { seed: 1, blockLength: 1 });
    const blocks = pairedBlockBootstrap(d, zero, { seed: 1, blockLength: 20 });
    expect(blocks.high - blocks.low).toBeGreaterThan(2 * (iid.high - iid.low));
  });

  it('refuses unpaired series', () => {
    expect(() => pairedBlockBootstrap([1, 2], [1], { seed: 1 })).toThrow(/paired/);
  });
});

describe('daily series', () => {
  it('daily means keep the series paired and skip non-finite observations', () => {
    const ts = [0, 3_600_000, DAY + 1, DAY + 2, 3 * DAY];
    const { days, means } = dailyMeans(ts, [
      [1, 3, 5, Number.NaN, 2],
      [0, 2, 4, 6, 1],
    ]);
    expect(days).toEqual([0, 1, 3]);
    expect(means).toEqual([
      [2, 5, 2],
      [1, 4, 1],
    ]);
  });

  it('daily returns carry the last equity over days without a report', () => {
    const days = spanDays(0, 4 * DAY);
    expect(days).toEqual([0, 1, 2, 3]);
    const r = dailyReturns([{ ts: 10, equity: 100 }, { ts: DAY - 1, equity: 110 }, { ts: 3 * DAY + 5, equity: 99 }], 100, days);
    expect(r[0]).toBeCloseTo(0.1, 12);
    expect(r[1]).toBe(0);
    expect(r[2]).toBe(0);
    expect(r[3]).toBeCloseTo(-0.1, 12);
  });
});

describe('rowPayoff', () => {
  it('books +target, −stop, or the net return at the horizon, as a brute-force scan finds it', () => {
    const config = parseRankerConfig({ label: { target: 0.02, stop: 0.01, horizon: '1h', feeRate: 0.001, slippageTicks: 1 } });
    const step = 15 * 60_000;
    // One market, a snapshot every 15 minutes, labels given.
    const prices = [100, 101, 99, 102, 103, 98, 97, 100];
    const labels = [0, 1, -1, 0, 0, UNKNOWN, 0, 0];
    const n = prices.length;
    const d: Dataset = {
      markets: ['A/USDT'],
      rows: n,
      ts: Float64Array.from(prices, (_, i) => i * step),
      market: new Int32Array(n),
      price: Float64Array.from(prices),
      x: new Float32Array(0),
      prev: Int32Array.from(prices, (_, i) => i - 1),
      label: Int8Array.from(labels),
      timeMs: new Float32Array(n),
      heuristic: new Float32Array(n),
      momentum: new Float32Array(n),
      firstTs: 0,
      lastTs: (n - 1) * step,
      stats: {} as Dataset['stats'],
    };
    const got = rowPayoff(d, config);
    const spec = { target: 0.02, stop: 0.01, horizonMs: 3_600_000, feeRate: 0.001, slippageTicks: 1 };
    for (let i = 0; i < n; i++) {
      if (labels[i] === UNKNOWN) {
        expect(got[i]).toBeNaN();
        continue;
      }
      let want: number;
      if (labels[i] === 1) want = 0.02;
      else if (labels[i] === -1) want = -0.01;
      else {
        // The last snapshot at or before t + H (brute force over every row).
        let exit = prices[i] as number;
        for (let j = 0; j < n; j++) if (j * step <= i * step + spec.horizonMs) exit = prices[j] as number;
        want = (exit * 0.999) / (barriers(prices[i] as number, spec).entry * 1.001) - 1;
      }
      expect(got[i]).toBeCloseTo(want, 6);
    }
  });
});
