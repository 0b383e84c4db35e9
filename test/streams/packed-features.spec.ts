import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { EventFeed } from '../../src/engine/event-feed.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { FeatureBatchPacker, featureSnapshots, packedFeatureSnapshots } from '../../streams/index.js';

/** The packed blocks of `events`, one taken every `block` events and at the end: from the batches' snapshots, or written from the market states (`direct`). */
function packed(events: readonly MarketEvent[], block: number, direct: boolean): { heads: number[]; rows: number[]; newMarkets: string[] }[] {
  const fed = { events: 0 };
  const packer = new FeatureBatchPacker(fed);
  const feed = new EventFeed<MarketEvent>();
  const options = { everyMs: 1000, staleAfterMs: 120_000 };
  if (direct) feed.observable.pipe(packedFeatureSnapshots(options, packer)).subscribe({ error: (e: unknown) => expect.fail(String(e)) });
  else feed.observable.pipe(featureSnapshots(options)).subscribe((batch) => packer.add(fed.events, batch));
  const out: { heads: number[]; rows: number[]; newMarkets: string[] }[] = [];
  const take = (): void => {
    const p = packer.take();
    out.push({ heads: [...p.heads], rows: [...p.rows], newMarkets: p.newMarkets });
  };
  for (const event of events) {
    feed.next(event);
    if (++fed.events % block === 0) take();
  }
  feed.complete();
  take();
  return out;
}

describe('FeatureBatchPacker', () => {
  it("packs what packedFeatureSnapshots writes from the market states as it packs featureSnapshots' batches", () => {
    const all = [...generateMarket({ seed: 11, markets: 4, durationMs: 1_800_000 })];
    // One market silent for ten minutes: it leaves the batches (stale after two) and comes back.
    const t0 = (all[0] as MarketEvent).ts;
    const quiet = (all[0] as MarketEvent).market;
    const events = all.filter((e) => e.market !== quiet || e.ts < t0 + 600_000 || e.ts > t0 + 1_200_000);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['trade', 'book']));
    for (const block of [97, 4096]) {
      const want = packed(events, block, false);
      const got = packed(events, block, true);
      expect(got).toEqual(want);
      // Batches of three markets and of four (among others), and touches (a row is 54 numbers, the touch's flag its eighth).
      const counts = new Set(want.flatMap((p) => p.heads.filter((_, i) => i % 3 === 2)));
      expect(counts.has(3) && counts.has(4)).toBe(true);
      expect(want.some((p) => p.rows.some((x, i) => i % 54 === 7 && x === 1))).toBe(true);
    }
  });
});
