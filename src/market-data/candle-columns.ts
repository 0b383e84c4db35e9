import type { CandleEvent } from '../core/index.js';
import { VALUES as IMPORTED_VALUES, writeCandle } from './event-columns.js';

/** A local binding: loaded as CommonJS (a reader thread under tsx) every use of an import is a getter call. */
const VALUES = IMPORTED_VALUES;

/**
 * One candle file's parsed rows as columns (ts, openTime, open, high, low, close, volume an event, as
 * in EventColumns), what a reader thread's file reader yields instead of CandleEvent objects. The same
 * object is refilled for the file's next group once the merge has taken every row of it.
 */
export class CandleColumns {
  count = 0;
  values: Float64Array;

  constructor(
    readonly market: string,
    capacity: number,
  ) {
    this.values = new Float64Array(capacity * VALUES);
  }

  /** Makes room for `more` events after the `count` held. */
  reserve(more: number): void {
    const need = (this.count + more) * VALUES;
    if (need <= this.values.length) return;
    const grown = new Float64Array(Math.max(need, this.values.length * 2));
    grown.set(this.values.subarray(0, this.count * VALUES));
    this.values = grown;
  }

  /** A candle the text parser made (a row the byte path did not take). */
  push(e: CandleEvent): void {
    this.reserve(1);
    writeCandle(this.values, this.count++ * VALUES, e);
  }
}
