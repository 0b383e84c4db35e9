import { describe, expect, it } from 'vitest';
import { WINDOWS, type FeatureSnapshot, type MarketEvent } from '../../src/core/index.js';
import { EventFeed } from '../../src/engine/event-feed.js';
import { generateMarket } from '../../src/market-data/generator.js';
import { FeatureBatchPacker, FeatureBatchUnpacker, featureSnapshots, HEAD, packedFeatureSnapshots, SnapshotWindows, type FeatureBatch } from '../../streams/index.js';

const OPTIONS = { everyMs: 1000, staleAfterMs: 120_000 };

/** Every field of a snapshot, its windows as every window's four figures read from its sums (vwapAt …). */
function plain(batches: readonly FeatureBatch[]): unknown[] {
  const figures = (w: FeatureSnapshot['windows']): number[] => {
    if (!(w instanceof SnapshotWindows)) throw new Error('not the operator\'s windows');
    return WINDOWS.flatMap((_, i) => [w.vwapAt(i), w.volumeAt(i), w.valueAt(i), w.tradesAt(i)]);
  };
  return batches.map((b) => ({ ts: b.ts, snapshots: b.snapshots.map((s) => ({ ...s, windows: figures(s.windows) })) }));
}

/** featureSnapshots' batches of `events`, each with the number of events fed before it. */
function emitted(events: readonly MarketEvent[]): { at: number[]; batches: FeatureBatch[] } {
  const feed = new EventFeed<MarketEvent>();
  const out = { at: [] as number[], batches: [] as FeatureBatch[] };
  let fed = 0;
  feed.observable.pipe(featureSnapshots(OPTIONS)).subscribe((b) => (out.at.push(fed), out.batches.push(b)));
  for (const e of events) (feed.next(e), fed++);
  feed.complete();
  return out;
}

/** packedFeatureSnapshots' batches of `events` packed, a block taken every `block` events, unpacked. */
function packed(events: readonly MarketEvent[], block: number): { at: number[]; batches: FeatureBatch[] } {
  const fed = { events: 0 };
  const packer = new FeatureBatchPacker(fed);
  const unpacker = new FeatureBatchUnpacker();
  const feed = new EventFeed<MarketEvent>();
  feed.observable.pipe(packedFeatureSnapshots(OPTIONS, packer)).subscribe({ error: (e: unknown) => expect.fail(String(e)) });
  const out = { at: [] as number[], batches: [] as FeatureBatch[] };
  const take = (): void => {
    const p = packer.take();
    unpacker.learn(p);
    for (let h = 0, first = 0; h < p.heads.length; h += HEAD) {
      const count = p.heads[h + 2] as number;
      out.at.push(p.heads[h] as number);
      out.batches.push(unpacker.batch(p.rows, first, count, p.heads[h + 1] as number));
      first += count;
    }
  };
  for (const event of events) {
    feed.next(event);
    if (++fed.events % block === 0) take();
  }
  feed.complete();
  take();
  return out;
}

describe('packed feature batches', () => {
  it('packedFeatureSnapshots writes the batches featureSnapshots emits, at the same events, read back equal', () => {
    const all = [...generateMarket({ seed: 11, markets: 4, durationMs: 1_800_000 })];
    // One market silent for ten minutes: it leaves the batches (stale after two) and comes back.
    const t0 = (all[0] as MarketEvent).ts;
    const quiet = (all[0] as MarketEvent).market;
    const events = all.filter((e) => e.market !== quiet || e.ts < t0 + 600_000 || e.ts > t0 + 1_200_000);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['trade', 'book']));
    const want = emitted(events);
    expect(want.batches.length).toBeGreaterThan(1000);
    const counts = new Set(want.batches.map((b) => b.snapshots.length));
    expect(counts.has(3) && counts.has(4)).toBe(true);
    expect(want.batches.some((b) => b.snapshots.some((s) => s.touch !== undefined))).toBe(true);
    for (const block of [97, 4096]) {
      const got = packed(events, block);
      expect(got.at).toEqual(want.at);
      expect(plain(got.batches)).toEqual(plain(want.batches));
      // The regime records are the shared ones (strategies may compare them by identity).
      got.batches.forEach((b, i) => b.snapshots.forEach((s, j) => expect(s.regime).toBe(want.batches[i]?.snapshots[j]?.regime)));
    }
  });
});
