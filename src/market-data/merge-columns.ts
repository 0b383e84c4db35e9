import type { MarketEvent } from '../core/index.js';
import { CandleColumns } from './candle-columns.js';
import { EventColumnBuilder, VALUES as IMPORTED_VALUES, type EventColumns } from './event-columns.js';
import { HAND_OVER as IMPORTED_HAND_OVER, headBefore as importedHeadBefore, insertByHead as importedInsertByHead, OUT_BATCH as IMPORTED_OUT_BATCH } from './merge.js';

// Local bindings: under the TypeScript a reader thread loads this module as CommonJS (reader-thread.ts),
// where every use of an import is a getter call, and the merge's loop runs mostly unoptimised in a
// thread that lives for one read: per event they were a sixth of the thread's time.
const VALUES = IMPORTED_VALUES;
const HAND_OVER = IMPORTED_HAND_OVER;
const OUT_BATCH = IMPORTED_OUT_BATCH;
const headBefore = importedHeadBefore;
const insertByHead = importedInsertByHead;

interface Cursor {
  readonly order: number;
  readonly source: AsyncIterator<MarketEvent[] | CandleColumns>;
  /** The current group: event objects, or a candle file's columns (then `columns` is set). */
  batch: MarketEvent[];
  columns: CandleColumns | undefined;
  length: number;
  pos: number;
  ts: number;
  /** The columns' market number in the builder, -1 until its first candle is merged. */
  market: number;
}

/**
 * mergeByTime (merge.ts) for a reader thread: the same events in the same order, handed over in the
 * same batches, but built straight into columns, candle files' columns copied without an event object.
 * Keep the two in step: a batch boundary here must be one there. Each batch is merged into the next
 * of `arrays` (a ColumnRing's slots) and handed over in them, not copied.
 */
export async function* mergeColumns(sources: readonly AsyncIterable<MarketEvent[] | CandleColumns>[], arrays: () => EventColumns): AsyncGenerator<EventColumns> {
  const cursors: Cursor[] = sources.map((s, order) => ({ order, source: s[Symbol.asyncIterator](), batch: [], columns: undefined, length: 0, pos: 0, ts: 0, market: -1 }));
  const sorted: Cursor[] = [];
  const insert = (c: Cursor): void => insertByHead(sorted, c);
  const refill = async (c: Cursor): Promise<boolean> => {
    for (;;) {
      const r = await c.source.next();
      if (r.done === true) return false;
      const group = r.value;
      if (group instanceof CandleColumns) {
        if (group.count > 0) {
          c.columns = group;
          c.length = group.count;
          c.pos = 0;
          c.ts = group.values[0] as number;
          return true;
        }
      } else if (group.length > 0) {
        c.columns = undefined;
        c.batch = group;
        c.length = group.length;
        c.pos = 0;
        c.ts = (group[0] as MarketEvent).ts;
        return true;
      }
    }
  };
  const out = new EventColumnBuilder();
  const open = new Set(cursors);
  try {
    const ready = await Promise.all(cursors.map(refill));
    cursors.forEach((c, i) => {
      if (ready[i] === true) insert(c);
      else open.delete(c);
    });
    out.start(OUT_BATCH, arrays());
    while (sorted.length > 0) {
      const top = sorted[0] as Cursor;
      const columns = top.columns;
      const pos = top.pos++;
      if (columns !== undefined) {
        if (top.market < 0) top.market = out.market(columns.market);
        out.pushCandle(top.market, columns.values, pos * VALUES);
        if (top.pos < top.length) top.ts = columns.values[top.pos * VALUES] as number;
      } else {
        out.push(top.batch[pos] as MarketEvent);
        if (top.pos < top.length) top.ts = (top.batch[top.pos] as MarketEvent).ts;
      }
      if (top.pos >= top.length) {
        if (out.length >= HAND_OVER) {
          yield out.handOver();
          out.start(OUT_BATCH, arrays());
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
        yield out.handOver();
        out.start(OUT_BATCH, arrays());
      }
    }
    if (out.length > 0) yield out.handOver();
  } finally {
    await Promise.all([...open].map((c) => c.source.return?.(undefined)));
  }
}
