import type { WindowStats } from '../src/core/index.js';

/**
 * Windowed sums over event time at one bucket resolution: the engine room of every 1m…1M aggregate.
 *
 * Bucket k covers (k·r, (k+1)·r]. A window of n buckets read at time t covers the buckets
 * (b − n, b] with b = ceil(t / r) − 1, i.e. the interval (ceil_r(t) − n·r, t]: exactly (t − W, t] when t
 * is a multiple of r, otherwise its left edge is rounded up to the next bucket boundary.
 *
 * Each window keeps the running sum of its closed buckets; a bucket is added when it closes and
 * subtracted when it leaves the window. Subtraction drifts in floating point, so a window's sum is
 * recomputed from its buckets once as many buckets have left it as remain in it (amortized O(1)), and
 * reset to exactly zero when it empties. Only non-empty buckets take part, so a gap in the data costs
 * nothing per empty bucket, and each window knows its oldest bucket's id, so a window with nothing to
 * expire costs one comparison per bucket change.
 *
 * Only the closed non-empty buckets are kept, oldest first, in one queue that holds each one's sums, id
 * and count side by side (24 bytes). A slot per bucket (the layout this replaced) left most slots empty
 * for candles (a 5-minute candle fills one 1-minute bucket in five) and kept the sums and counts in two
 * arrays: every eviction then read cache lines far apart, a miss each, and with 30 markets that was the
 * costliest part of a candle backtest's features. The queue's windows walk it in order, each read
 * sharing its cache line with the next two or three, and nothing is scanned to skip the empty buckets.
 */
export interface WindowRing {
  readonly resolutionMs: number;
  /** Window lengths in buckets. */
  readonly windowBuckets: readonly number[];
  /** Moves the open bucket to the one holding `ts`; never backwards. */
  advanceTo(ts: number): void;
  /** Adds one print to the open bucket (call advanceTo(ts) first). */
  add(volume: number, value: number): void;
  /** Window `w` as of the open bucket: its sums, and the VWAP (`emptyVwap` when nothing traded in it). */
  stats(w: number, emptyVwap: number): WindowStats;
  /** Every window's volume, value and print count (the sums of `stats`), window w at out[at + 3w …]. */
  readAll(out: number[], at: number): void;
}

/**
 * Per-window state, all of a ring's windows in one buffer (a cache line or two): window w's sums at
 * [6w + VOLUME…EVICTIONS] of a Float64Array view, its integers at [12w + COUNT…LENGTH] of an Int32Array
 * view of the same bytes (48 bytes a window).
 */
const VOLUME = 0;
const VALUE = 1;
const TRADES = 2;
/** Buckets evicted since the sums were last recomputed. */
const EVICTIONS = 3;
/** Closed non-empty buckets in the window, the id of the oldest, and its queue index. */
const COUNT = 8;
const FIRST = 9;
const HEAD = 10;
/** The window's length in buckets. */
const LENGTH = 11;

/**
 * Each window's closed sums plus the open bucket's, window w at out[at + 3w …] (before the first print
 * every sum is still zero, so this reads zeros).
 */
function readWindows(win: Float64Array, windows: number, volume: number, value: number, trades: number, out: number[], at: number): void {
  for (let w = 0; w < windows; w++) {
    out[at + 3 * w] = (win[6 * w + VOLUME] as number) + volume;
    out[at + 3 * w + 1] = (win[6 * w + VALUE] as number) + value;
    out[at + 3 * w + 2] = (win[6 * w + TRADES] as number) + trades;
  }
}

function windowState(windowBuckets: readonly number[]): { sums: Float64Array; ints: Int32Array } {
  const buffer = new ArrayBuffer(48 * windowBuckets.length);
  const ints = new Int32Array(buffer);
  windowBuckets.forEach((n, w) => (ints[12 * w + LENGTH] = n));
  return { sums: new Float64Array(buffer), ints };
}

/** The windows of one resolution over a queue of the closed non-empty buckets (see the top of this file). */
export class BucketRing implements WindowRing {
  readonly resolutionMs: number;
  readonly windowBuckets: readonly number[];
  /** Entry e: volume and value at [3e], [3e + 1] of #sums; id and count at [6e + 4], [6e + 5] of #words (one buffer). */
  readonly #sums: Float64Array;
  readonly #words: Int32Array;
  /**
   * The queue's length: when a bucket closes, the ones before it in the longest window are at most
   * (longest − 1), so it never overflows.
   */
  readonly #capacity: number;
  /** Queue index of the next entry. */
  #tail = 0;
  readonly #win: Float64Array;
  readonly #int: Int32Array;
  /**
   * Current (open) bucket id, counted from the first bucket seen (#origin), and the end time of that
   * bucket for a cheap same-bucket test. Relative ids stay small integers: absolute ones (1.7e9 seconds
   * since 1970) are not V8 small integers.
   */
  #current = -1;
  #currentEnd = -Infinity;
  #origin = NaN;
  #openVolume = 0;
  #openValue = 0;
  #openTrades = 0;
  /** Id of the newest closed non-empty bucket. */
  #newest = -1;

  constructor(resolutionMs: number, windowBuckets: readonly number[]) {
    this.resolutionMs = resolutionMs;
    this.windowBuckets = windowBuckets;
    this.#capacity = Math.max(...windowBuckets);
    const buffer = new ArrayBuffer(24 * this.#capacity);
    this.#sums = new Float64Array(buffer);
    this.#words = new Int32Array(buffer);
    const state = windowState(windowBuckets);
    this.#win = state.sums;
    this.#int = state.ints;
  }

  advanceTo(ts: number): void {
    if (ts <= this.#currentEnd) return;
    const absolute = Math.ceil(ts / this.resolutionMs) - 1;
    if (this.#origin !== this.#origin) this.#origin = absolute;
    const next = absolute - this.#origin;
    const cur = this.#current;
    const win = this.#win;
    const int = this.#int;
    const windows = this.windowBuckets.length;
    if (cur >= 0) {
      const trades = this.#openTrades;
      if (trades > 0) {
        const volume = this.#openVolume;
        const value = this.#openValue;
        const e = this.#tail;
        this.#sums[3 * e] = volume;
        this.#sums[3 * e + 1] = value;
        this.#words[6 * e + 4] = cur;
        this.#words[6 * e + 5] = trades;
        this.#tail = e + 1 === this.#capacity ? 0 : e + 1;
        this.#newest = cur;
        for (let w = 0; w < windows; w++) {
          win[6 * w + VOLUME] += volume;
          win[6 * w + VALUE] += value;
          win[6 * w + TRADES] += trades;
          if (int[12 * w + COUNT]++ === 0) {
            int[12 * w + HEAD] = e;
            int[12 * w + FIRST] = cur;
          }
        }
      }
      const newest = this.#newest;
      for (let w = 0; w < windows; w++) {
        if ((int[12 * w + COUNT] as number) === 0) continue;
        const oldest = next - (int[12 * w + LENGTH] as number);
        // Even the newest bucket has left (candles a timeframe apart in a window shorter than it): the
        // window empties, which is what evicting its buckets one by one would end with.
        if (newest <= oldest) {
          int[12 * w + COUNT] = 0;
          win[6 * w + VOLUME] = 0;
          win[6 * w + VALUE] = 0;
          win[6 * w + TRADES] = 0;
          win[6 * w + EVICTIONS] = 0;
        } else if ((int[12 * w + FIRST] as number) <= oldest) this.#evict(w, next);
      }
    }
    this.#openVolume = 0;
    this.#openValue = 0;
    this.#openTrades = 0;
    this.#current = next;
    this.#currentEnd = (absolute + 1) * this.resolutionMs;
  }

  add(volume: number, value: number): void {
    this.#openVolume += volume;
    this.#openValue += value;
    this.#openTrades += 1;
  }

  stats(w: number, emptyVwap: number): WindowStats {
    if (this.#current < 0) return { vwap: emptyVwap, volume: 0, value: 0, trades: 0 };
    const volume = (this.#win[6 * w + VOLUME] as number) + this.#openVolume;
    const value = (this.#win[6 * w + VALUE] as number) + this.#openValue;
    return { vwap: volume > 0 ? value / volume : emptyVwap, volume, value, trades: (this.#win[6 * w + TRADES] as number) + this.#openTrades };
  }

  readAll(out: number[], at: number): void {
    readWindows(this.#win, this.windowBuckets.length, this.#openVolume, this.#openValue, this.#openTrades, out, at);
  }

  #evict(w: number, next: number): void {
    const win = this.#win;
    const int = this.#int;
    const oldest = next - (int[12 * w + LENGTH] as number);
    const capacity = this.#capacity;
    const sums = this.#sums;
    const words = this.#words;
    let e = int[12 * w + HEAD] as number;
    let count = int[12 * w + COUNT] as number;
    let evicted = 0;
    while (count > 0 && (words[6 * e + 4] as number) <= oldest) {
      win[6 * w + VOLUME] -= sums[3 * e] as number;
      win[6 * w + VALUE] -= sums[3 * e + 1] as number;
      win[6 * w + TRADES] -= words[6 * e + 5] as number;
      e = e + 1 === capacity ? 0 : e + 1;
      count--;
      evicted++;
    }
    int[12 * w + HEAD] = e;
    int[12 * w + COUNT] = count;
    if (count === 0) {
      win[6 * w + VOLUME] = 0;
      win[6 * w + VALUE] = 0;
      win[6 * w + TRADES] = 0;
      win[6 * w + EVICTIONS] = 0;
      return;
    }
    int[12 * w + FIRST] = words[6 * e + 4] as number;
    const evictions = (win[6 * w + EVICTIONS] as number) + evicted;
    win[6 * w + EVICTIONS] = evictions;
    if (evictions >= count || evictions >= (int[12 * w + LENGTH] as number)) {
      let volume = 0;
      let value = 0;
      let trades = 0;
      for (let k = 0; k < count; k++, e = e + 1 === capacity ? 0 : e + 1) {
        volume += sums[3 * e] as number;
        value += sums[3 * e + 1] as number;
        trades += words[6 * e + 5] as number;
      }
      win[6 * w + VOLUME] = volume;
      win[6 * w + VALUE] = value;
      win[6 * w + TRADES] = trades;
      win[6 * w + EVICTIONS] = 0;
    }
  }
}
