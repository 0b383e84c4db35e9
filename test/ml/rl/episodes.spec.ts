import { describe, expect, it } from 'vitest';
import { MIN_WARMUP_BATCHES, tiledEpisodes } from '../../../src/ml/rl/episode.js';
import type { MarketTape } from '../../../src/ml/rl/market-tape.js';

const M = 6;
const batches = 2000;
const tape = { markets: Array.from({ length: M }, (_, i) => `C${i}/USDT`), batches, present: new Uint8Array(batches * M).fill(1) } as unknown as MarketTape;

describe('validation episodes', () => {
  it('never overlap, stay inside the span, and are drawn afresh for every seed (generation)', () => {
    const from = 1000;
    const length = 96;
    const a = tiledEpisodes(tape, from, batches, length, 3, 40, 1);
    // (2000 − 1000) / 96 = 10 slots: all of them, since 40 are asked for.
    expect(a).toHaveLength(10);
    for (let i = 0; i < a.length; i++) {
      const e = a[i]!;
      expect(e.start).toBeGreaterThanOrEqual(from);
      expect(e.end).toBeLessThan(batches);
      expect(e.end - e.start + 1).toBe(length);
      expect(e.markets).toHaveLength(3);
      if (i > 0) expect(e.start).toBeGreaterThan(a[i - 1]!.end);
    }
    const b = tiledEpisodes(tape, from, batches, length, 3, 40, 2);
    expect(b.map((e) => [e.start, ...e.markets])).not.toEqual(a.map((e) => [e.start, ...e.markets]));
    expect(tiledEpisodes(tape, from, batches, length, 3, 40, 1)).toEqual(a);
    // Fewer asked than fit: a seeded choice of slots, still in time order and apart.
    const few = tiledEpisodes(tape, from, batches, length, 3, 4, 5);
    expect(few).toHaveLength(4);
    for (let i = 1; i < few.length; i++) expect(few[i]!.start).toBeGreaterThan(few[i - 1]!.end);
  });

  it('refuses a span shorter than one episode, and keeps the warm-up out', () => {
    expect(() => tiledEpisodes(tape, 1950, batches, 96, 3, 5, 1)).toThrow(/do not fit/);
    for (const e of tiledEpisodes(tape, 0, 700, 96, 3, 40, 1)) expect(e.start).toBeGreaterThanOrEqual(MIN_WARMUP_BATCHES);
  });
});
