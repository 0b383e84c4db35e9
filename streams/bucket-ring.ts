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
 * Only the closed non-empty buckets are kept, oldest first, in one queue: each one's volume and value side
 * by side in a Float64Array (16 bytes), its id and count at the same index of an Int32Array (8 bytes). A
 * slot per bucket (the layout this replaced) left most slots empty for candles (a 5-minute candle fills
 * one 1-minute bucket in five) and kept the sums and counts in two arrays: every eviction then read cache
 * lines far apart, a miss each, and with 30 markets that was the costliest part of a candle backtest's
 * features. The queue's windows walk it in order, each read sharing its cache line with the next few
 * entries, and nothing is scanned to skip the empty buckets. (The two arrays were two views of one buffer
 * of 24-byte entries, read at 3e and 6e + 4: the window pass took 4 % more instructions.)
 * The queue starts at 64 entries and takes its full length once those are full (doubling step by step
 * left freed arrays behind that a process with 250 busy markets never gave back: 58 MB more RSS), so
 * sparse data (candles in the 1-second ring, a coin that trades a few times an hour) keeps a small,
 * cached queue.
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
  /** The open bucket's volume, value and print count at out[at …]: what `readAll` adds to each window's closed sums. */
  readOpen(out: number[], at: number): void;
}

/**
 * Per-window state: window w's closed sums at o = at + 3w of a double array (`closed`, which may be shared:
 * MarketState gives its three rings one array, which a snapshot and a packed row read every window's closed
 * sums from): volume [o], value [o + 1], trades [o + 2]; its place in the queue in a QueueWindow (below).
 *
 * The offsets are written as numbers, not named module constants: a module-level `const` is a slot of the
 * module's context, which optimized code loads and checks at every use (Node 20's compiler does not fold
 * it), and the window pass below used eight of them per window per step.
 */

/** Entries of a new queue (see the top of this file). */
const SMALL_QUEUE = 64;

/** The windows of one resolution over a queue of the closed non-empty buckets (see the top of this file). */
export class BucketRing implements WindowRing {
  readonly resolutionMs: number;
  readonly windowBuckets: readonly number[];
  /** Entry e: volume and value at [2e], [2e + 1] of #queue; its id and count at [2e], [2e + 1] of #words. */
  #queue: Float64Array;
  #words: Int32Array;
  /** The queue's length (see #grow). */
  #capacity: number;
  /**
   * When a bucket closes, the ones before it in the longest window are at most (longest − 1), so a queue
   * of the longest window's length never overflows.
   */
  readonly #maxCapacity: number;
  /** The window holding every entry of the queue: the longest. */
  readonly #longest: number;
  readonly #windows: number;
  /** Queue index of the next entry. */
  #tail = 0;
  /** Closed sums of window w at #closed[#at + 3w …] (see above). */
  readonly #closed: number[];
  readonly #at: number;
  readonly #queueWindows: QueueWindow[];
  /**
   * Current (open) bucket id, counted from the first bucket seen (#origin), and the end time of that
   * bucket for a cheap same-bucket test. Relative ids stay small integers: absolute ones (1.7e9 seconds
   * since 1970) are not V8 small integers. Stored as int32, they last 68 years of 1-second buckets from a
   * market's first print (bench features' plain loop, which never forgets a market and shifts the tape by
   * years each loop, goes past that: its sums are then wrong, its speed is all it reports).
   */
  #current = -1;
  #currentEnd = -Infinity;
  #origin = NaN;
  #openVolume = 0;
  #openValue = 0;
  #openTrades = 0;
  /** Id of the newest closed non-empty bucket. */
  #newest = -1;

  /**
   * `closed` and `at`: where the windows' closed sums go (3 doubles a window from `at`; a new array of its own
   * when not given). The array must hold doubles only (see `closedSums`).
   */
  constructor(resolutionMs: number, windowBuckets: readonly number[], closed: number[] = closedSums(3 * windowBuckets.length), at = 0) {
    this.resolutionMs = resolutionMs;
    this.windowBuckets = windowBuckets;
    this.#maxCapacity = Math.max(...windowBuckets);
    this.#longest = windowBuckets.indexOf(this.#maxCapacity);
    this.#capacity = Math.min(SMALL_QUEUE, this.#maxCapacity);
    this.#windows = windowBuckets.length;
    this.#queue = new Float64Array(2 * this.#capacity);
    this.#words = new Int32Array(2 * this.#capacity);
    this.#closed = closed;
    this.#at = at;
    this.#queueWindows = windowBuckets.map((n) => new QueueWindow(n));
    this.#queueWindows.forEach((win, w) => (win.next = this.#queueWindows[w + 1]));
  }

  advanceTo(ts: number): void {
    if (ts <= this.#currentEnd) return;
    const absolute = Math.ceil(ts / this.resolutionMs) - 1;
    if (this.#origin !== this.#origin) this.#origin = absolute;
    const next = absolute - this.#origin;
    const cur = this.#current;
    this.#currentEnd = (absolute + 1) * this.resolutionMs;
    this.#current = next;
    const volume = this.#openVolume;
    const value = this.#openValue;
    const trades = this.#openTrades;
    this.#openVolume = 0;
    this.#openValue = 0;
    this.#openTrades = 0;
    // Nothing was open before the first bucket: whatever was added then belongs to none.
    if (cur < 0) return;
    const closed = this.#closed;
    const queueWindows = this.#queueWindows;
    const closing = trades > 0;
    let e = 0;
    if (closing) {
      // A queue at its full length never overflows (see #maxCapacity): only a small one is tested.
      if (this.#capacity !== this.#maxCapacity && (queueWindows[this.#longest] as QueueWindow).count === this.#capacity) this.#grow();
      e = this.#tail;
      const queue = this.#queue;
      queue[2 * e] = volume;
      queue[2 * e + 1] = value;
      const words = this.#words;
      words[2 * e] = cur;
      words[2 * e + 1] = trades;
      this.#tail = e + 1 === this.#capacity ? 0 : e + 1;
      this.#newest = cur;
    }
    const newest = this.#newest;
    const capacity = this.#capacity;
    const queue = this.#queue;
    const words = this.#words;
    // Each window in one pass, its sums loaded and stored once: the open bucket joins it if it traded, then
    // what left it is evicted. `| 0` makes the offset a 32-bit integer for the compiler: read from the field, it
    // stayed a tagged value, checked at each of the six accesses to `closed` a window.
    // The windows by their links, not by index: an index read checks the array's kind and bound every window.
    for (let win: QueueWindow | undefined = queueWindows[0], o = this.#at | 0; win !== undefined; win = win.next, o += 3) {
      let count = win.count;
      if (count === 0 && !closing) continue;
      const oldest = next - win.length;
      // Even the newest bucket has left (candles a timeframe apart in a window shorter than it): the window
      // empties, which is what adding it and evicting every bucket one by one would end with.
      if (newest <= oldest) {
        if (count > 0) this.#clear(win, o);
        continue;
      }
      let volumeSum = closed[o] as number;
      let valueSum = closed[o + 1] as number;
      let tradesSum = closed[o + 2] as number;
      let first: number;
      if (closing) {
        volumeSum += volume;
        valueSum += value;
        tradesSum += trades;
        if (count === 0) {
          // An empty window takes the closed bucket alone, which is inside it (newest > oldest).
          win.head = e;
          win.first = cur;
          win.count = 1;
          closed[o] = volumeSum;
          closed[o + 1] = valueSum;
          closed[o + 2] = tradesSum;
          continue;
        }
        count++;
      }
      first = win.first;
      if (first <= oldest) {
        // Evict what left: the first bucket, then each next one that left too (never the newest, which is inside
        // the window, but the count bounds the walk whatever the ids say).
        let h = win.head;
        let evicted = 0;
        do {
          volumeSum -= queue[2 * h] as number;
          valueSum -= queue[2 * h + 1] as number;
          tradesSum -= words[2 * h + 1] as number;
          h = h + 1 === capacity ? 0 : h + 1;
          count--;
          evicted++;
          first = words[2 * h] as number;
        } while (count > 0 && first <= oldest);
        win.head = h;
        if (count === 0) {
          this.#clear(win, o);
          continue;
        }
        win.first = first;
        const evictions = win.evictions + evicted;
        // Subtraction drifts: the sums are recomputed from the buckets once as many have left as remain. Not the
        // print count: a sum of whole numbers (far below 2 ** 53) is exact, so its running value is what a
        // recompute would give, to the bit.
        if (evictions >= count || evictions >= win.length) {
          volumeSum = 0;
          valueSum = 0;
          for (let k = 0; k < count; k++, h = h + 1 === capacity ? 0 : h + 1) {
            volumeSum += queue[2 * h] as number;
            valueSum += queue[2 * h + 1] as number;
          }
          win.evictions = 0;
        } else win.evictions = evictions;
      }
      win.count = count;
      closed[o] = volumeSum;
      closed[o + 1] = valueSum;
      closed[o + 2] = tradesSum;
    }
  }

  add(volume: number, value: number): void {
    this.#openVolume += volume;
    this.#openValue += value;
    this.#openTrades += 1;
  }

  stats(w: number, emptyVwap: number): WindowStats {
    if (this.#current < 0) return { vwap: emptyVwap, volume: 0, value: 0, trades: 0 };
    const o = this.#at + 3 * w;
    const volume = (this.#closed[o] as number) + this.#openVolume;
    const value = (this.#closed[o + 1] as number) + this.#openValue;
    return { vwap: volume > 0 ? value / volume : emptyVwap, volume, value, trades: (this.#closed[o + 2] as number) + this.#openTrades };
  }

  /**
   * Each window's closed sums plus the open bucket's, window w at out[at + 3w …] (before the first print
   * every sum is still zero, so this reads zeros).
   */
  readAll(out: number[], at: number): void {
    const closed = this.#closed;
    const volume = this.#openVolume;
    const value = this.#openValue;
    const trades = this.#openTrades;
    const windows = this.#windows;
    for (let w = 0, c = this.#at, o = at; w < windows; w++, c += 3, o += 3) {
      out[o] = (closed[c] as number) + volume;
      out[o + 1] = (closed[c + 1] as number) + value;
      out[o + 2] = (closed[c + 2] as number) + trades;
    }
  }

  readOpen(out: number[], at: number): void {
    out[at] = this.#openVolume;
    out[at + 1] = this.#openValue;
    out[at + 2] = this.#openTrades;
  }

  /** readOpen into a typed array (a snapshot's row packed in place: MarketState.writeRow). */
  readOpenTo(out: Float64Array, at: number): void {
    out[at] = this.#openVolume;
    out[at + 1] = this.#openValue;
    out[at + 2] = this.#openTrades;
  }

  /**
   * The full small queue takes its full length, its entries moved to the front in order and each window's
   * head index moved with them.
   */
  #grow(): void {
    const old = this.#queue;
    const oldCapacity = this.#capacity;
    const queueWindows = this.#queueWindows;
    const start = (queueWindows[this.#longest] as QueueWindow).head;
    const capacity = this.#maxCapacity;
    const oldWords = this.#words;
    const queue = new Float64Array(2 * capacity);
    const words = new Int32Array(2 * capacity);
    // Full: the entries run from `start` to the end of the old queue, then from its front to `start`.
    queue.set(old.subarray(2 * start), 0);
    queue.set(old.subarray(0, 2 * start), 2 * (oldCapacity - start));
    words.set(oldWords.subarray(2 * start), 0);
    words.set(oldWords.subarray(0, 2 * start), 2 * (oldCapacity - start));
    for (let w = 0; w < this.#windows; w++) {
      const win = queueWindows[w] as QueueWindow;
      if (win.count > 0) win.head = (win.head - start + oldCapacity) % oldCapacity;
    }
    this.#queue = queue;
    this.#words = words;
    this.#capacity = capacity;
    this.#tail = oldCapacity;
  }

  /** The window `win`, its closed sums at `o`, holds nothing any more: its sums are exactly zero. */
  #clear(win: QueueWindow, o: number): void {
    const closed = this.#closed;
    win.count = 0;
    win.evictions = 0;
    closed[o] = 0;
    closed[o + 1] = 0;
    closed[o + 2] = 0;
  }
}

/**
 * A window's place in the queue (its sums are in the ring's closed sums), as plain integer fields: the window
 * pass reads and writes each with a load or a store, where each access of an Int32Array (the layout this
 * replaced) reloaded the array's length and data pointer and checked the bound, after every store to it.
 */
class QueueWindow {
  /** The closed non-empty buckets in the window. */
  count = 0;
  /** The id of the oldest of them, and its index in the queue. */
  first = 0;
  head = 0;
  /** Buckets evicted since the sums were last recomputed. */
  evictions = 0;
  /** The window's length in buckets. */
  readonly length: number;
  /** The ring's next window (the window pass walks them by these links). */
  next: QueueWindow | undefined = undefined;

  constructor(length: number) {
    this.length = length;
  }
}

/**
 * A zeroed array of `length` doubles for BucketRing's closed sums: built by pushing doubles, so its elements are
 * unboxed doubles from the start (zeros pushed first would make an integer array that changes kind, and every
 * copy of it with it, on the first fractional sum).
 */
export function closedSums(length: number): number[] {
  const sums: number[] = [];
  for (let i = 0; i < length; i++) sums.push(0.5);
  for (let i = 0; i < length; i++) sums[i] = 0;
  return sums;
}
