import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Random, type MarketEvent, type TradeEvent } from '../../src/core/index.js';
import { openReplay, readAll, toObservable } from '../../src/market-data/index.js';
import { mergeByTime } from '../../src/market-data/merge.js';

const ev = (ts: number, market: string, id: number): TradeEvent => ({ kind: 'trade', market, ts, price: 1, amount: 1, id });

/** Sources as async iterables of batches of random sizes. */
function asSource(events: MarketEvent[], rng: Random): AsyncIterable<MarketEvent[]> {
  return {
    async *[Symbol.asyncIterator]() {
      let i = 0;
      while (i < events.length) {
        const n = 1 + rng.int(7);
        yield events.slice(i, i + n);
        i += n;
      }
    },
  };
}

/** The brute-force reference: repeatedly take the smallest head (ties: lowest source index). */
function naiveMerge(sources: MarketEvent[][]): MarketEvent[] {
  const pos = sources.map(() => 0);
  const out: MarketEvent[] = [];
  for (;;) {
    let best = -1;
    for (let s = 0; s < sources.length; s++) {
      const head = sources[s]?.[pos[s] as number];
      if (head !== undefined && (best === -1 || head.ts < (sources[best]?.[pos[best] as number] as MarketEvent).ts)) best = s;
    }
    if (best === -1) return out;
    out.push(sources[best]?.[pos[best]++ as number] as MarketEvent);
  }
}

async function collect(it: AsyncIterable<MarketEvent[]>): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

function randomSources(rng: Random, k: number, disorder: number): MarketEvent[][] {
  return Array.from({ length: k }, (_, s) => {
    let t = 1000 + rng.int(50);
    return Array.from({ length: rng.int(200) }, (_, i) => {
      t += rng.int(4); // many equal times, across and within sources
      return ev(disorder > 0 && rng.next() < 0.1 ? t - rng.int(disorder) : t, `S${s}/KRW`, i);
    });
  });
}

describe('k-way merge', () => {
  it('equals a stable sort by time of sorted inputs, ties in input order', async () => {
    const rng = new Random(7);
    for (let round = 0; round < 30; round++) {
      const sources = randomSources(rng, 1 + rng.int(12), 0);
      const merged = await collect(mergeByTime(sources.map((s) => asSource(s, rng))));
      const reference = sources.flat().sort((a, b) => a.ts - b.ts); // Array sort is stable; flat() is in source order
      expect(merged).toEqual(reference);
    }
  });

  it('passes a source that goes back in time through in its own order, comparing heads only', async () => {
    const rng = new Random(11);
    for (let round = 0; round < 30; round++) {
      const sources = randomSources(rng, 1 + rng.int(8), 20);
      const merged = await collect(mergeByTime(sources.map((s) => asSource(s, rng))));
      expect(merged).toEqual(naiveMerge(sources));
    }
  });
});

/** Upbit trade frames with jittered times, as a capture file would have them. */
function writeJittered(dir: string, name: string, rng: Random, jitterMs: number): TradeEvent[] {
  const events: TradeEvent[] = [];
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const tms = 1_700_000_000_000 + i * 10 + rng.int(jitterMs);
    lines.push(JSON.stringify({ ty: 'trade', cd: 'KRW-BTC', tms, tp: 100 + i, tv: 1, ab: 'ASK', sid: i }));
    events.push({ kind: 'trade', market: 'BTC/KRW', ts: tms, price: 100 + i, amount: 1, side: 'sell', id: i });
  }
  writeFileSync(join(dir, name), lines.join('\n'));
  return events;
}

describe('reorder window', () => {
  it('sorts a file whose disorder is within the window, keeps every event, and counts what it could not fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-reorder-'));
    const rng = new Random(3);
    const written = writeJittered(dir, 'capture.jsonl', rng, 50);
    const sorted = [...written].sort((a, b) => a.ts - b.ts);
    const raw = await readAll([join(dir, 'capture.jsonl')]);
    expect(raw.events).toEqual(written); // file order by default
    expect(raw.stats.outOfOrder).toBeGreaterThan(0);
    const fixed = await readAll([join(dir, 'capture.jsonl')], { reorderWindowMs: 50 });
    expect(fixed.events).toEqual(sorted);
    expect(fixed.stats.outOfOrder).toBe(0);
    const partial = await readAll([join(dir, 'capture.jsonl')], { reorderWindowMs: 5 });
    expect([...partial.events].sort((a, b) => a.ts - b.ts || (a as TradeEvent).id! - (b as TradeEvent).id!)).toEqual(
      [...written].sort((a, b) => a.ts - b.ts || a.id! - b.id!),
    );
    expect(partial.stats.outOfOrder).toBeGreaterThan(0);
    expect(partial.stats.outOfOrder).toBeLessThan(raw.stats.outOfOrder);
  });
});

describe('toObservable', () => {
  it('emits the merged stream and stops reading on unsubscribe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coinrx-obs-'));
    const rng = new Random(5);
    writeJittered(dir, 'a.jsonl', rng, 1);
    const all = await firstValueFrom(toObservable(openReplay([join(dir, 'a.jsonl')])).pipe(toArray()));
    expect(all).toHaveLength(400);
    const source = openReplay([join(dir, 'a.jsonl')]);
    const firstThree = await firstValueFrom(toObservable(source).pipe(take(3), toArray()));
    expect(firstThree).toEqual(all.slice(0, 3));
  });

  it('errors with the file name when a file cannot be read', async () => {
    await expect(firstValueFrom(toObservable(openReplay(['/nonexistent/x.csv'])))).rejects.toThrow(/x\.csv/);
  });
});
