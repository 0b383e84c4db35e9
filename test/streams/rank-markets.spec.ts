import { lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Random, type FeatureSnapshot, type RankEntry } from '../../src/core/index.js';
import { rankMarkets } from '../../streams/index.js';

describe('rankMarkets', () => {
  it('lists what sorting every market and keeping the first `top` gives, ties and non-finite scores included', async () => {
    const random = new Random(3);
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(random.next() * 40);
      const top = 1 + Math.floor(random.next() * 12);
      // Few distinct scores and names, so ties (same score, and same score and name) are common.
      const scores = Array.from({ length: n }, () => (random.next() < 0.1 ? [NaN, Infinity, -Infinity][Math.floor(random.next() * 3)] : Math.floor(random.next() * 6) - 2) as number);
      const snapshots = scores.map((_, i) => ({ market: `C${Math.floor(random.next() * 8)}/KRW`, i }) as unknown as FeatureSnapshot);
      const minScore = random.next() < 0.3 ? 0 : -Infinity;
      const ranked = await lastValueFrom(of({ ts: 1, snapshots }).pipe(rankMarkets({ top, minScore, score: () => scores }), toArray()));
      const expected: RankEntry[] = snapshots
        .map((s, i) => ({ market: s.market, score: scores[i] as number, i }))
        .filter((e) => e.score > minScore && Number.isFinite(e.score))
        .sort((a, b) => b.score - a.score || (a.market < b.market ? -1 : a.market > b.market ? 1 : 0) || a.i - b.i)
        .slice(0, top)
        .map(({ market, score }) => ({ market, score }));
      expect(ranked[0]?.ranking ?? []).toEqual(expected);
    }
  });

  it('refuses a length that is not positive', () => {
    expect(() => rankMarkets({ top: 0 })).toThrow(/top must be > 0/);
  });
});
