import { describe, expect, it } from 'vitest';
import { Random, type FeatureSnapshot, type Regime, type WindowName } from '../../src/core/index.js';
import { classifyRegime, horizonBreadth, MarketState, marketBreadth } from '../../streams/index.js';

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

describe('snapshot regimes', () => {
  it("are classifyRegime of the snapshot's price, 1h/6h/12h/1d VWAP and volatility, every horizon in every combination seen", () => {
    const random = new Random(5);
    const state = new MarketState('BTC/USDT');
    const seen = new Set<string>();
    let price = 100;
    let ts = 1_700_000_000_000;
    for (let i = 0; i < 20_000; i++) {
      // A random walk with trending stretches, so each horizon is bull, bear and flat at times.
      price *= Math.exp(0.004 * random.normal() + 0.002 * Math.sin(i / 700));
      ts += 30_000;
      state.apply({ kind: 'trade', market: 'BTC/USDT', ts, price, amount: 0.1 + random.next() });
      if (i % 10 !== 0) continue;
      const s = state.snapshot(ts);
      const horizons: [string, WindowName, number][] = [['1h', '1h', 1], ['6h', '6h', 6], ['12h', '12h', 12], ['24h', '1d', 24]];
      for (const [label, window, hours] of horizons) expect(s.regime[label]).toBe(classifyRegime(s.price, s.windows[window].vwap, s.volatility, hours));
      seen.add(horizons.map(([label]) => s.regime[label]).join(' '));
    }
    expect(seen.size).toBeGreaterThan(20);
  });
});
