import { describe, expect, it } from 'vitest';
import { Random, type FeatureSnapshot, type Regime } from '../../src/core/index.js';
import { horizonBreadth, marketBreadth } from '../../streams/index.js';

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
