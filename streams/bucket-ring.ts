import type { WindowStats } from '../src/core/index.js';

/**
 * Windowed sums over event time at one bucket resolution: the engine room of every 1m…1M aggregate.
 *
 * Bucket k covers (k·r, (k+1)·r]. A window of n buckets read at time t covers the buckets
 * (b − n, b] with b = ceil(t / r) − 1, i.e. the interval (ceil_r(t) − n·r, t]: exactly (t − W, t] when t
 * is a multiple of r, otherwise its left edge is rounded up to the next bucket boundary.
 *
 * Each window keeps the running sum of its closed buckets; a bucket is added when it closes and
 * subtracted when it leaves the window. Only non-empty buckets are queued for eviction, so a gap in the
 * data costs nothing per empty bucket. Subtraction drifts in floating point, so a window's sum is
 * recomputed from its buckets once as many buckets have left it as remain in it (amortized O(1)), and
 * reset to exactly zero when it empties.
 */
export class BucketRing {
  readonly resolutionMs: number;
  /** Window lengths in buckets. */
  readonly windowBuckets: readonly number[];
  readonly #len: number;
  readonly #volume: Float64Array;
  readonly #value: Float64Array;
  readonly #trades: Uint32Array;
  /** Ids of closed non-empty buckets, oldest first (a ring of capacity #len). */
  readonly #queue: Uint32Array;
  #queueTail = 0;
  /** Per window: index into #queue of its oldest bucket, and its closed sums. */
  readonly #heads: Int32Array;
  readonly #closedVolume: Float64Array;
  readonly #closedValue: Float64Array;
  readonly #closedTrades: Float64Array;
  readonly #evictions: Float64Array;
  /**
   * Current (open) bucket id, counted from the first bucket seen (#origin), and the end time of that
   * bucket for a cheap same-bucket test. Relative ids stay small integers: absolute ones (1.7e9 seconds
   * since 1970) are not V8 small integers, and `%` on them would be a floating-point remainder.
   */
  #current = -1;
  #currentEnd = -Infinity;
  #origin = NaN;
  /** Array index of the open bucket (#current % #len). */
  #slot = 0;

  constructor(resolutionMs: number, windowBuckets: readonly number[]) {
    this.resolutionMs = resolutionMs;
    this.windowBuckets = windowBuckets;
    this.#len = Math.max(...windowBuckets) + 1;
    this.#volume = new Float64Array(this.#len);
    this.#value = new Float64Array(this.#len);
    this.#trades = new Uint32Array(this.#len);
    this.#queue = new Uint32Array(this.#len);
    const w = windowBuckets.length;
    this.#heads = new Int32Array(w);
    this.#closedVolume = new Float64Array(w);
    this.#closedValue = new Float64Array(w);
    this.#closedTrades = new Float64Array(w);
    this.#evictions = new Float64Array(w);
  }

  /** Moves the open bucket to the one holding `ts`; never backwards. */
  advanceTo(ts: number): void {
    if (ts <= this.#currentEnd) return;
    const absolute = Math.ceil(ts / this.resolutionMs) - 1;
    if (this.#origin !== this.#origin) this.#origin = absolute;
    const next = absolute - this.#origin;
    const len = this.#len;
    const cur = this.#current;
    if (cur >= 0) {
      const slot = cur % len;
      const trades = this.#trades[slot] as number;
      if (trades > 0) {
        const volume = this.#volume[slot] as number;
        const value = this.#value[slot] as number;
        this.#queue[this.#queueTail % len] = cur;
        this.#queueTail++;
        for (let w = 0; w < this.windowBuckets.length; w++) {
          this.#closedVolume[w] += volume;
          this.#closedValue[w] += value;
          this.#closedTrades[w] += trades;
        }
      }
    }
    for (let w = 0; w < this.windowBuckets.length; w++) this.#evict(w, next);
    const slot = next % len;
    this.#volume[slot] = 0;
    this.#value[slot] = 0;
    this.#trades[slot] = 0;
    this.#current = next;
    this.#slot = slot;
    this.#currentEnd = (absolute + 1) * this.resolutionMs;
  }

  /** Adds one print to the open bucket (call advanceTo(ts) first). */
  add(volume: number, value: number): void {
    const slot = this.#slot;
    this.#volume[slot] += volume;
    this.#value[slot] += value;
    this.#trades[slot] += 1;
  }

  /** Window `w` as of the open bucket: its sums, and the VWAP (`emptyVwap` when nothing traded in it). */
  stats(w: number, emptyVwap: number): WindowStats {
    if (this.#current < 0) return { vwap: emptyVwap, volume: 0, value: 0, trades: 0 };
    const slot = this.#slot;
    const volume = (this.#closedVolume[w] as number) + (this.#volume[slot] as number);
    const value = (this.#closedValue[w] as number) + (this.#value[slot] as number);
    return { vwap: volume > 0 ? value / volume : emptyVwap, volume, value, trades: (this.#closedTrades[w] as number) + (this.#trades[slot] as number) };
  }

  #evict(w: number, next: number): void {
    const oldest = next - (this.windowBuckets[w] as number);
    const len = this.#len;
    let head = this.#heads[w] as number;
    let evicted = 0;
    while (head < this.#queueTail) {
      const id = this.#queue[head % len] as number;
      if (id > oldest) break;
      const slot = id % len;
      this.#closedVolume[w] -= this.#volume[slot] as number;
      this.#closedValue[w] -= this.#value[slot] as number;
      this.#closedTrades[w] -= this.#trades[slot] as number;
      head++;
      evicted++;
    }
    this.#heads[w] = head;
    if (evicted === 0) return;
    if (head === this.#queueTail) {
      this.#closedVolume[w] = 0;
      this.#closedValue[w] = 0;
      this.#closedTrades[w] = 0;
      this.#evictions[w] = 0;
      return;
    }
    // Recompute once as many buckets have left as remain (or as the window holds): the sum then never
    // carries the rounding of more subtractions than it has terms, and the cost stays amortized O(1).
    const evictions = (this.#evictions[w] as number) + evicted;
    this.#evictions[w] = evictions;
    if (evictions >= this.#queueTail - head || evictions >= (this.windowBuckets[w] as number)) this.#recompute(w, head);
  }

  #recompute(w: number, head: number): void {
    const len = this.#len;
    let volume = 0;
    let value = 0;
    let trades = 0;
    for (let i = head; i < this.#queueTail; i++) {
      const slot = (this.#queue[i % len] as number) % len;
      volume += this.#volume[slot] as number;
      value += this.#value[slot] as number;
      trades += this.#trades[slot] as number;
    }
    this.#closedVolume[w] = volume;
    this.#closedValue[w] = value;
    this.#closedTrades[w] = trades;
    this.#evictions[w] = 0;
  }
}
