import type { MarketEvent } from '../core/index.js';

interface Cursor {
  readonly order: number;
  readonly source: AsyncIterator<MarketEvent[]>;
  batch: MarketEvent[];
  pos: number;
  /** ts of batch[pos], cached: the heap compares it a few times per event. */
  ts: number;
}

/** Merged batches of at most this many events: big enough to amortise the async hop, small enough to stream. */
const OUT_BATCH = 4096;
/**
 * When a source's batch runs out, what is merged so far is handed over first if it is at least this
 * much: a consumer then waits on I/O with little left to do, while the small groups files are parsed in
 * (file-reader.ts) do not turn into batches of a few events.
 */
const HAND_OVER = 1024;

/**
 * K-way merge of per-file event streams by `ts`, with a binary heap of the sources' head events.
 * Ties keep input order (lower source index first), and each source's own order is kept, so a
 * source that goes back in time is passed through as it is: only heads are compared.
 */
export async function* mergeByTime(sources: readonly AsyncIterable<MarketEvent[]>[]): AsyncGenerator<MarketEvent[]> {
  const cursors: Cursor[] = sources.map((s, order) => ({ order, source: s[Symbol.asyncIterator](), batch: [], pos: 0, ts: 0 }));
  const heap: Cursor[] = [];
  const less = (a: Cursor, b: Cursor): boolean => a.ts < b.ts || (a.ts === b.ts && a.order < b.order);
  const siftDown = (i: number): void => {
    const n = heap.length;
    const c = heap[i] as Cursor;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && less(heap[r] as Cursor, heap[l] as Cursor) ? r : l;
      if (!less(heap[m] as Cursor, c)) break;
      heap[i] = heap[m] as Cursor;
      i = m;
    }
    heap[i] = c;
  };
  /** Loads the cursor's next non-empty batch; false when its source has ended. */
  const refill = async (c: Cursor): Promise<boolean> => {
    for (;;) {
      const r = await c.source.next();
      if (r.done === true) return false;
      if (r.value.length > 0) {
        c.batch = r.value;
        c.pos = 0;
        c.ts = (r.value[0] as MarketEvent).ts;
        return true;
      }
    }
  };
  const open = new Set(cursors);
  try {
    const ready = await Promise.all(cursors.map(refill));
    cursors.forEach((c, i) => {
      if (ready[i] === true) heap.push(c);
      else open.delete(c);
    });
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
    let out: MarketEvent[] = [];
    while (heap.length > 0) {
      const top = heap[0] as Cursor;
      out.push(top.batch[top.pos++] as MarketEvent);
      if (top.pos < top.batch.length) top.ts = (top.batch[top.pos] as MarketEvent).ts;
      else {
        if (out.length >= HAND_OVER) {
          // Hand over what is merged before awaiting I/O, so a consumer does not wait on a full batch.
          yield out;
          out = [];
        }
        if (!(await refill(top))) {
          open.delete(top);
          const last = heap.pop() as Cursor;
          if (heap.length === 0) break;
          heap[0] = last; // top was heap[0] and is not `last`: the heap had two or more cursors
        }
      }
      siftDown(0);
      if (out.length >= OUT_BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    // Closing early (a consumer's break, an error) closes every file still open.
    await Promise.all([...open].map((c) => c.source.return?.(undefined)));
  }
}
