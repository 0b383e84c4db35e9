/**
 * Volatility level: the standard deviation of 1-minute log returns over the last hour, scaled to one
 * hour (× √60). Minutes without a trade carry the previous close forward (a zero return), so a quiet
 * market reads as calm rather than as missing. Closes are kept in a ring of 61 minute slots; a read
 * walks those slots (O(60), done only at snapshot time, never per event).
 */
export class MinuteVolatility {
  static readonly MINUTES = 60;
  readonly #cap = MinuteVolatility.MINUTES + 1;
  readonly #ids = new Float64Array(this.#cap).fill(-1);
  readonly #closes = new Float64Array(this.#cap);
  /** Last close before the ring's span: the price the first minute's return starts from. */
  #carry = NaN;
  #carryId = -Infinity;
  #current = -Infinity;
  #currentEnd = -Infinity;
  /** The last read, valid until the next add or minute change (several snapshots per minute are common). */
  #cached = NaN;

  advanceTo(ts: number): void {
    if (ts <= this.#currentEnd) return;
    this.#current = Math.ceil(ts / 60_000) - 1;
    this.#cached = NaN;
    this.#currentEnd = (this.#current + 1) * 60_000;
  }

  /** Records the last traded price of the open minute (call advanceTo(ts) first). */
  add(price: number): void {
    const id = this.#current;
    const slot = id % this.#cap;
    const previous = this.#ids[slot] as number;
    if (previous !== id) {
      // The slot's previous minute leaves the ring; it is older than any window start from now on.
      if (previous >= 0 && previous > this.#carryId) {
        this.#carryId = previous;
        this.#carry = this.#closes[slot] as number;
      }
      this.#ids[slot] = id;
    }
    this.#closes[slot] = price;
    this.#cached = NaN;
  }

  /** Hourly volatility as of the open minute; 0 with fewer than two prices. */
  read(): number {
    if (this.#cached === this.#cached) return this.#cached;
    this.#cached = this.#compute();
    return this.#cached;
  }

  #compute(): number {
    const end = this.#current;
    const start = end - MinuteVolatility.MINUTES;
    // The price as of `start`: the newest close at or before it, still in the ring or carried out of it.
    let previousId = this.#carryId;
    let previous = this.#carry;
    for (let slot = 0; slot < this.#cap; slot++) {
      const id = this.#ids[slot] as number;
      if (id <= start && id > previousId) {
        previousId = id;
        previous = this.#closes[slot] as number;
      }
    }
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    for (let id = start + 1; id <= end; id++) {
      const slot = id % this.#cap;
      const close = this.#ids[slot] === id ? (this.#closes[slot] as number) : previous;
      if (previous > 0 && close > 0) {
        // A minute without a trade repeats the close: a zero return needs no logarithm.
        const r = close === previous ? 0 : Math.log(close / previous);
        n++;
        sum += r;
        sumSq += r * r;
      }
      previous = close;
    }
    if (n < 2) return 0;
    const mean = sum / n;
    const variance = Math.max(0, sumSq / n - mean * mean);
    return Math.sqrt(variance * MinuteVolatility.MINUTES);
  }
}
