import type { MarketEvent } from '../core/index.js';

interface Cursor {
  readonly order: number;
  readonly source: AsyncIterator<MarketEvent[]>;
  batch: MarketEvent[];
  pos: number;
  /** ts of batch[pos], cached: the merge compares it for every event. */
  ts: number;
}

/** A merge's source: the time of its next event, and its place in the input order (which breaks ties). */
export interface MergeHead {
  readonly order: number;
  ts: number;
}

/** Whether source a comes before b: its next event is earlier, or as early and a comes first in the input order. */
export function headBefore(a: MergeHead, b: MergeHead): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.order < b.order);
}

/** Puts `c` (not in `sorted`) at its place in `sorted`, kept by (ts, order); usually the end, on one time grid. */
export function insertByHead<C extends MergeHead>(sorted: C[], c: C): void {
  const n = sorted.length;
  if (n === 0 || headBefore(sorted[n - 1] as C, c)) {
    sorted.push(c);
    return;
  }
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (headBefore(sorted[mid] as C, c)) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, c);
}

/** Merged batches of at most this many events: big enough to amortise the async hop, small enough to stream. */
export const OUT_BATCH = 4096;
/**
 * When a source's batch runs out, what is merged so far is handed over first if it is at least this
 * much: a consumer then waits on I/O with little left to do, while the small groups files are parsed in
 * (file-reader.ts) do not turn into batches of a few events.
 */
export const HAND_OVER = 1024;

/**
 * K-way merge of per-file event streams by `ts`. Ties keep input order (lower source index first), and
 * each source's own order is kept, so a source that goes back in time is passed through as it is: only
 * heads are compared. The sources are kept sorted by their head (ts, then index) in an array: the
 * first gives the next event, and a source whose head moved is put back by a binary search from the
 * end — for files on one time grid (candles of many coins) it goes straight to the end, one comparison
 * an event; a source still ahead of the second stays first with none.
 */
export async function* mergeByTime(sources: readonly AsyncIterable<MarketEvent[]>[]): AsyncGenerator<MarketEvent[]> {
  const cursors: Cursor[] = sources.map((s, order) => ({ order, source: s[Symbol.asyncIterator](), batch: [], pos: 0, ts: 0 }));
  /** The open sources, sorted by (head ts, order). */
  const sorted: Cursor[] = [];
  const insert = (c: Cursor): void => insertByHead(sorted, c);
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
      if (ready[i] === true) insert(c);
      else open.delete(c);
    });
    let out: MarketEvent[] = [];
    while (sorted.length > 0) {
      const top = sorted[0] as Cursor;
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
          sorted.shift();
          continue;
        }
      }
      const second = sorted[1];
      if (second !== undefined && headBefore(second, top)) {
        sorted.shift();
        insert(top);
      }
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
