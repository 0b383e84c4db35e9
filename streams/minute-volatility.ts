/**
 * Volatility level: the standard deviation of 1-minute log returns over the last hour, scaled to one
 * hour (× √60). Minutes without a trade carry the previous close forward (a zero return), so a quiet
 * market reads as calm rather than as missing.
 *
 * Only minutes with a trade have a non-zero return (log of their close over the previous traded close),
 * so the window keeps the running sums of those returns and their squares, O(1) per event and per read;
 * the number of returns is every minute of the window after the first price. The sums are rebuilt from
 * the (at most 60) stored returns each time 60 have left, so subtraction never accumulates rounding.
 */
export class MinuteVolatility {
  static readonly MINUTES = 60;
  /** Ring size (a power of two, so a position is `& MASK`); the window holds at most 60 returns. */
  static readonly #MASK = 63;
  /** Closed traded minutes in the window, oldest first: a ring of ids and returns. */
  readonly #ids = new Int32Array(MinuteVolatility.#MASK + 1);
  readonly #returns = new Float64Array(MinuteVolatility.#MASK + 1);
  #head = 0;
  #tail = 0;
  #sum = 0;
  #sumSq = 0;
  #evicted = 0;
  /** Minute ids count from the first minute seen, so they stay small integers. */
  #origin = NaN;
  #first = -1;
  #current = -1;
  #currentEnd = -Infinity;
  /** Close of the open minute (NaN before its first trade) and of the last traded minute before it. */
  #close = NaN;
  #previousClose = NaN;
  /** The open minute's return as the last read computed it, and the close it is for (NaN: none this minute). */
  #return = 0;
  #returnClose = NaN;
  /** The last read, valid until the close or the minute changes (several snapshots per minute are common). */
  #cached = NaN;

  advanceTo(ts: number): void {
    if (ts <= this.#currentEnd) return;
    const absolute = Math.ceil(ts / 60_000) - 1;
    if (this.#origin !== this.#origin) this.#origin = absolute;
    const next = absolute - this.#origin;
    if (this.#close === this.#close) {
      // The minute's return is usually the one the last read computed (a candle: one print a minute).
      if (this.#previousClose > 0) this.#push(this.#current, this.#close === this.#returnClose ? this.#return : Math.log(this.#close / this.#previousClose));
      this.#previousClose = this.#close;
      this.#close = NaN;
    }
    this.#returnClose = NaN;
    this.#current = next;
    this.#currentEnd = (absolute + 1) * 60_000;
    this.#evict(next - MinuteVolatility.MINUTES);
    this.#cached = NaN;
  }

  /** Records the last traded price of the open minute (call advanceTo(ts) first). */
  add(price: number): void {
    // The read depends on the first minute and the close only: a print at the close's price keeps it.
    if (this.#first < 0) {
      this.#first = this.#current;
      this.#cached = NaN;
    }
    if (price !== this.#close) {
      this.#close = price;
      this.#cached = NaN;
    }
  }

  /** Hourly volatility as of the open minute; 0 with fewer than two returns. */
  read(): number {
    if (this.#cached === this.#cached) return this.#cached;
    this.#cached = this.#compute();
    return this.#cached;
  }

  #compute(): number {
    if (this.#first < 0) return 0;
    const end = this.#current;
    const n = end - Math.max(end - MinuteVolatility.MINUTES, this.#first);
    if (n < 2) return 0;
    let sum = this.#sum;
    let sumSq = this.#sumSq;
    if (this.#close === this.#close && this.#previousClose > 0 && this.#close !== this.#previousClose) {
      const r = Math.log(this.#close / this.#previousClose);
      this.#returnClose = this.#close;
      this.#return = r;
      sum += r;
      sumSq += r * r;
    }
    const mean = sum / n;
    const variance = Math.max(0, sumSq / n - mean * mean);
    return Math.sqrt(variance * MinuteVolatility.MINUTES);
  }

  #push(id: number, r: number): void {
    if (r === 0) return;
    const mask = MinuteVolatility.#MASK;
    this.#ids[this.#tail & mask] = id;
    this.#returns[this.#tail & mask] = r;
    this.#tail++;
    this.#sum += r;
    this.#sumSq += r * r;
  }

  /** Drops the returns of minutes at or before `start`. */
  #evict(start: number): void {
    const mask = MinuteVolatility.#MASK;
    while (this.#head < this.#tail && (this.#ids[this.#head & mask] as number) <= start) {
      const r = this.#returns[this.#head & mask] as number;
      this.#sum -= r;
      this.#sumSq -= r * r;
      this.#head++;
      this.#evicted++;
    }
    if (this.#head === this.#tail) {
      this.#sum = 0;
      this.#sumSq = 0;
      this.#evicted = 0;
    } else if (this.#evicted >= MinuteVolatility.MINUTES) {
      let sum = 0;
      let sumSq = 0;
      for (let i = this.#head; i < this.#tail; i++) {
        const r = this.#returns[i & mask] as number;
        sum += r;
        sumSq += r * r;
      }
      this.#sum = sum;
      this.#sumSq = sumSq;
      this.#evicted = 0;
    }
  }
}
