/**
 * High line and low line: the highest and the lowest traded price over the last `windowBuckets`
 * buckets (the 1d window at 1-minute resolution by default), kept with two monotonic deques over the
 * closed buckets' extremes so each update is amortized O(1). A deque holds only the buckets that can
 * still be the extreme (a falling run of highs, a rising run of lows), usually a handful, so its arrays
 * start small and double when full, up to one entry per bucket of the window. Capacities are powers of
 * two, so a position in the ring is a mask, not a division (integer `%` costs tens of cycles).
 */
export class SlidingExtremes {
  readonly resolutionMs: number;
  readonly windowBuckets: number;
  readonly #limit: number;
  #maxCap: number;
  #maxIds: Uint32Array;
  #maxValues: Float64Array;
  #minCap: number;
  #minIds: Uint32Array;
  #minValues: Float64Array;
  #maxHead = 0;
  #maxTail = 0;
  #minHead = 0;
  #minTail = 0;
  #current = -Infinity;
  #currentEnd = -Infinity;
  #currentMax = -Infinity;
  #currentMin = Infinity;
  /**
   * NaN, what high and low read of an empty window, from a field: with the NaN literal the compiler made their answer a
   * tagged value, a heap number allocated a snapshot for the caller to unbox again; a NaN computed (−∞ × 0) would
   * keep it a double but is another NaN to the bit (sign set), which a Float64Array or an Arrow column keeps.
   */
  readonly #nan = NaN;

  constructor(resolutionMs: number, windowBuckets: number) {
    this.resolutionMs = resolutionMs;
    this.windowBuckets = windowBuckets;
    this.#limit = 2 ** Math.ceil(Math.log2(windowBuckets + 1));
    this.#maxCap = this.#minCap = Math.min(16, this.#limit);
    this.#maxIds = new Uint32Array(this.#maxCap);
    this.#maxValues = new Float64Array(this.#maxCap);
    this.#minIds = new Uint32Array(this.#minCap);
    this.#minValues = new Float64Array(this.#minCap);
  }

  advanceTo(ts: number): void {
    if (ts <= this.#currentEnd) return;
    const next = Math.ceil(ts / this.resolutionMs) - 1;
    if (this.#currentMax !== -Infinity) {
      let cap = this.#maxCap;
      while (this.#maxTail > this.#maxHead && (this.#maxValues[(this.#maxTail - 1) & (cap - 1)] as number) <= this.#currentMax) this.#maxTail--;
      if (this.#maxTail - this.#maxHead === cap) cap = this.#growMax();
      this.#maxIds[this.#maxTail & (cap - 1)] = this.#current;
      this.#maxValues[this.#maxTail & (cap - 1)] = this.#currentMax;
      this.#maxTail++;
      cap = this.#minCap;
      while (this.#minTail > this.#minHead && (this.#minValues[(this.#minTail - 1) & (cap - 1)] as number) >= this.#currentMin) this.#minTail--;
      if (this.#minTail - this.#minHead === cap) cap = this.#growMin();
      this.#minIds[this.#minTail & (cap - 1)] = this.#current;
      this.#minValues[this.#minTail & (cap - 1)] = this.#currentMin;
      this.#minTail++;
    }
    const oldest = next - this.windowBuckets;
    while (this.#maxHead < this.#maxTail && (this.#maxIds[this.#maxHead & (this.#maxCap - 1)] as number) <= oldest) this.#maxHead++;
    while (this.#minHead < this.#minTail && (this.#minIds[this.#minHead & (this.#minCap - 1)] as number) <= oldest) this.#minHead++;
    this.#current = next;
    this.#currentEnd = (next + 1) * this.resolutionMs;
    this.#currentMax = -Infinity;
    this.#currentMin = Infinity;
  }

  #growMax(): number {
    const cap = Math.min(this.#limit, this.#maxCap * 2);
    const ids = new Uint32Array(cap);
    const values = new Float64Array(cap);
    for (let k = this.#maxHead; k < this.#maxTail; k++) {
      ids[k & (cap - 1)] = this.#maxIds[k & (this.#maxCap - 1)] as number;
      values[k & (cap - 1)] = this.#maxValues[k & (this.#maxCap - 1)] as number;
    }
    this.#maxIds = ids;
    this.#maxValues = values;
    this.#maxCap = cap;
    return cap;
  }

  #growMin(): number {
    const cap = Math.min(this.#limit, this.#minCap * 2);
    const ids = new Uint32Array(cap);
    const values = new Float64Array(cap);
    for (let k = this.#minHead; k < this.#minTail; k++) {
      ids[k & (cap - 1)] = this.#minIds[k & (this.#minCap - 1)] as number;
      values[k & (cap - 1)] = this.#minValues[k & (this.#minCap - 1)] as number;
    }
    this.#minIds = ids;
    this.#minValues = values;
    this.#minCap = cap;
    return cap;
  }

  /** Records a print's range in the open bucket (call advanceTo(ts) first). */
  add(high: number, low: number): void {
    if (high > this.#currentMax) this.#currentMax = high;
    if (low < this.#currentMin) this.#currentMin = low;
  }

  /** Highest price in the window, or NaN when the window is empty. */
  high(): number {
    const closed = this.#maxHead < this.#maxTail ? (this.#maxValues[this.#maxHead & (this.#maxCap - 1)] as number) : -Infinity;
    const high = Math.max(closed, this.#currentMax);
    return high === -Infinity ? this.#nan : high;
  }

  low(): number {
    const closed = this.#minHead < this.#minTail ? (this.#minValues[this.#minHead & (this.#minCap - 1)] as number) : Infinity;
    const low = Math.min(closed, this.#currentMin);
    return low === Infinity ? this.#nan : low;
  }
}
