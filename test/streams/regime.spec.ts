import { describe, expect, it } from 'vitest';
import { Random, type FeatureSnapshot, type Regime } from '../../src/core/index.js';
import { classifyRegime, horizonBreadth, marketBreadth } from '../../streams/index.js';

const REGIMES: readonly Regime[] = ['bull', 'bear', 'flat'];

describe('market breadth', () => {
  it('is bull/bear by the share of coins in each, past ±threshold', () => {
    const snap = (r: Regime): FeatureSnapshot => ({ regime: { '1h': r, '6h': 'flat' } }) as unknown as FeatureSnapshot;
    const b = marketBreadth([snap('bull'), snap('bull'), snap('bear'), snap('flat')]);
    expect(b['1h']).toEqual({ breadth: 0.25, regime: 'bull' });
    expect(b['6h']).toEqual({ breadth: 0, regime: 'flat' });
    expect(marketBreadth([])).toEqual({});
  });

  it('of one horizon equals that horizon of the whole breadth, on random markets', () => {
    const random = new Random(11);
    for (let round = 0; round < 200; round++) {
      const snapshots = Array.from({ length: 1 + Math.floor(random.next() * 40) }, () => {
        const pick = (): Regime => REGIMES[Math.floor(random.next() * 3)] as Regime;
        return { regime: { '1h': pick(), '6h': pick(), '12h': pick(), '24h': pick() } } as unknown as FeatureSnapshot;
      });
      const all = marketBreadth(snapshots, 0.1);
      for (const label of ['1h', '6h', '12h', '24h']) expect(horizonBreadth(snapshots, label, 0.1)).toEqual(all[label]);
    }
  });
});

describe('classifyRegime', () => {
  it('gives what the logarithm gives, near the thresholds too', () => {
    const reference = (price: number, vwap: number, vol: number, hours: number, threshold: number, minMove: number): Regime => {
      if (!(price > 0) || !(vwap > 0)) return 'flat';
      const z = Math.log(price / vwap) / Math.max(minMove, vol * Math.sqrt(hours));
      return z > threshold ? 'bull' : z < -threshold ? 'bear' : 'flat';
    };
    const random = new Random(5);
    let flats = 0;
    for (let i = 0; i < 200_000; i++) {
      const vol = random.next() < 0.2 ? 0 : random.next() * 0.05;
      const hours = [1, 6, 12, 24][i % 4] as number;
      const threshold = [0.5, 0.1, 1e-9, 0][i % 7 === 0 ? 3 : i % 5 === 0 ? 2 : i % 3 === 0 ? 1 : 0] as number;
      const minMove = 0.002;
      const vwap = 100 * (1 + random.next());
      const expected = Math.max(minMove, vol * Math.sqrt(hours));
      // Prices at the thresholds' edges (within a few ulps either side) as well as anywhere.
      const edge = vwap * Math.exp((random.next() < 0.5 ? 1 : -1) * threshold * expected);
      const price = random.next() < 0.5 ? edge * (1 + (random.next() - 0.5) * 1e-15) : vwap * Math.exp((random.next() - 0.5) * 0.1);
      const got = classifyRegime(price, vwap, vol, hours, { threshold, minMove });
      expect(got).toBe(reference(price, vwap, vol, hours, threshold, minMove));
      if (got === 'flat') flats++;
    }
    expect(flats).toBeGreaterThan(10_000);
  });
});
