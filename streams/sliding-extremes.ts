/**
 * High line and low line: the highest and the lowest traded price over the last `windowBuckets`
 * buckets (the 1d window at 1-minute resolution by default), kept with two monotonic deques over the
 * closed buckets' extremes so each update is amortized O(1).
 */
export class SlidingExtremes {
  readonly resolutionMs: number;
  readonly windowBuckets: number;
  readonly #cap: number;
  readonly #maxIds: Uint32Array;
  readonly #maxValues: Float64Array;
  readonly #minIds: Uint32Array;
  readonly #minValues: Float64Array;
  #maxHead = 0;
  #maxTail = 0;
  #minHead = 0;
  #minTail = 0;
  #current = -Infinity;
  #currentEnd = -Infinity;
  #currentMax = -Infinity;
  #currentMin = Infinity;

  constructor(resolutionMs: number, windowBuckets: number) {
    this.resolutionMs = resolutionMs;
    this.windowBuckets = windowBuckets;
    this.#cap = windowBuckets + 1;
    this.#maxIds = new Uint32Array(this.#cap);
    this.#maxValues = new Float64Array(this.#cap);
    this.#minIds = new Uint32Array(this.#cap);
    this.#minValues = new Float64Array(this.#cap);
  }

  advanceTo(ts: number): void {
    if (ts <= this.#currentEnd) return;
    const next = Math.ceil(ts / this.resolutionMs) - 1;
    const cap = this.#cap;
    if (this.#currentMax !== -Infinity) {
      while (this.#maxTail > this.#maxHead && (this.#maxValues[(this.#maxTail - 1) % cap] as number) <= this.#currentMax) this.#maxTail--;
      this.#maxIds[this.#maxTail % cap] = this.#current;
      this.#maxValues[this.#maxTail % cap] = this.#currentMax;
      this.#maxTail++;
      while (this.#minTail > this.#minHead && (this.#minValues[(this.#minTail - 1) % cap] as number) >= this.#currentMin) this.#minTail--;
      this.#minIds[this.#minTail % cap] = this.#current;
      this.#minValues[this.#minTail % cap] = this.#currentMin;
      this.#minTail++;
    }
    const oldest = next - this.windowBuckets;
    while (this.#maxHead < this.#maxTail && (this.#maxIds[this.#maxHead % cap] as number) <= oldest) this.#maxHead++;
    while (this.#minHead < this.#minTail && (this.#minIds[this.#minHead % cap] as number) <= oldest) this.#minHead++;
    this.#current = next;
    this.#currentEnd = (next + 1) * this.resolutionMs;
    this.#currentMax = -Infinity;
    this.#currentMin = Infinity;
  }

  /** Records a print's range in the open bucket (call advanceTo(ts) first). */
  add(high: number, low: number): void {
    if (high > this.#currentMax) this.#currentMax = high;
    if (low < this.#currentMin) this.#currentMin = low;
  }

  /** Highest price in the window, or NaN when the window is empty. */
  high(): number {
    const closed = this.#maxHead < this.#maxTail ? (this.#maxValues[this.#maxHead % this.#cap] as number) : -Infinity;
    const high = Math.max(closed, this.#currentMax);
    return high === -Infinity ? NaN : high;
  }

  low(): number {
    const closed = this.#minHead < this.#minTail ? (this.#minValues[this.#minHead % this.#cap] as number) : Infinity;
    const low = Math.min(closed, this.#currentMin);
    return low === Infinity ? NaN : low;
  }
}
