import { VALUES, type EventColumns } from './event-columns.js';

/** One slot of a ColumnRing: the arrays of one batch of columns, in memory both threads see. */
export interface ColumnSlot {
  readonly codes: SharedArrayBuffer;
  readonly markets: SharedArrayBuffer;
  readonly values: SharedArrayBuffer;
}

/**
 * The arrays a reader thread merges its batches into, one slot a batch in turn, shared with the main
 * thread instead of new arrays copied out and transferred every batch (about 650 a read of the 30-coin
 * candles: a copy of every event's columns, and their buffers' memory churned outside both heaps).
 * A slot is written again only once the main thread has read the batch in it: as many slots as batches
 * may be in flight (the reader thread's flow control, reader-thread.ts).
 */
export function columnRing(slots: number, capacity: number): ColumnSlot[] {
  return Array.from({ length: slots }, () => ({
    codes: new SharedArrayBuffer(capacity),
    markets: new SharedArrayBuffer(capacity * Uint32Array.BYTES_PER_ELEMENT),
    values: new SharedArrayBuffer(capacity * VALUES * Float64Array.BYTES_PER_ELEMENT),
  }));
}

/** The ring's slots in turn, as empty columns for EventColumnBuilder.start to write into. */
export function nextSlot(ring: readonly ColumnSlot[]): () => EventColumns {
  let next = 0;
  return () => {
    const slot = ring[next] as ColumnSlot;
    next = (next + 1) % ring.length;
    return { count: 0, codes: new Uint8Array(slot.codes), markets: new Uint32Array(slot.markets), values: new Float64Array(slot.values), others: [], newMarkets: [] };
  };
}
