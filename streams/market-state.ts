import type { BookTopEvent, CandleEvent, FeatureSnapshot, MarketEvent, Regime, TickerEvent, Touch, TradeEvent, WindowName, WindowStats } from '../src/core/index.js';
import { WINDOW_MS, WINDOWS } from '../src/core/index.js';
import { BucketRing, closedSums } from './bucket-ring.js';
import { MinuteVolatility } from './minute-volatility.js';
import { DEFAULT_REGIME_RULE, REGIME_NAMES, regimeCode, type RegimeRule } from './regime.js';
import { SlidingExtremes } from './sliding-extremes.js';

/**
 * Bucket resolution of each window: 1 s for windows up to 1 h, 1 min for 6h/12h/1d, 5 min for 1w/1M.
 * A read at a time t that is a multiple of the resolution is exact; see BucketRing for the edge rule.
 */
export const WINDOW_RESOLUTION_MS: Readonly<Record<WindowName, number>> = {
  '1m': 1000,
  '3m': 1000,
  '5m': 1000,
  '10m': 1000,
  '30m': 1000,
  '1h': 1000,
  '6h': 60_000,
  '12h': 60_000,
  '1d': 60_000,
  '1w': 300_000,
  '1M': 300_000,
};

/** The high and low lines span this window. */
export const HIGH_LOW_WINDOW: WindowName = '1d';

interface RingSlot {
  readonly ring: BucketRing;
  readonly index: number;
}

const RESOLUTIONS = [...new Set(Object.values(WINDOW_RESOLUTION_MS))];
const FINEST_MS = Math.min(...RESOLUTIONS);
if (RESOLUTIONS.some((r) => r % FINEST_MS !== 0) || 60_000 % FINEST_MS !== 0) throw new Error('market-state: every resolution must be a multiple of the finest');
// #advance moves the first ring at every bucket of the finest resolution and the others, the extremes and the
// minute volatility only when a minute ends: the first ring must be the finest, the others whole minutes.
if (RESOLUTIONS[0] !== FINEST_MS || RESOLUTIONS.slice(1).some((r) => r % 60_000 !== 0)) throw new Error('market-state: the first ring must be the finest, the others whole minutes');
// #print adds to the three rings by name (see there).
if (RESOLUTIONS.length !== 3) throw new Error('market-state: #print expects three rings');

/** Index in WINDOWS of each ring's first window: a ring's windows are consecutive there, so the rings share one array of sums in WINDOWS order. */
const RING_FIRST_WINDOW = RESOLUTIONS.map((r) => {
  const indices = WINDOWS.flatMap((w, i) => (WINDOW_RESOLUTION_MS[w] === r ? [i] : []));
  if (indices.some((i, k) => i !== (indices[0] as number) + k)) throw new Error(`market-state: the windows at ${r} ms are not consecutive in WINDOWS`);
  return indices[0] as number;
});

/**
 * A market's row of sums (the state's own array, which its rings write in place, and a packed row, see writeRow):
 * every window's closed sums (volume, value, print count) in WINDOWS order, then each ring's open bucket (the
 * same three) from OPEN_SUMS; a window's figure is its closed sum plus its ring's open one.
 */
const OPEN_SUMS = 3 * WINDOWS.length;
export const ROW_SUMS = OPEN_SUMS + 3 * RESOLUTIONS.length;
/** Where each window's ring's open sums are in a row's sums, by index in WINDOWS. */
const OPEN_AT = WINDOWS.map((w) => OPEN_SUMS + 3 * RESOLUTIONS.indexOf(WINDOW_RESOLUTION_MS[w]));

/**
 * Position level: where the price sits between the low line (0) and the high line (1), 0.5 when they meet.
 *
 * Everything kept for one market: bucketed sums for every window, the high/low lines, the minute
 * closes for volatility, the last price and the touch. The rings' queues (typed arrays) start small and
 * double as the buckets with trades fill them, up to about 0.44 MB for a market that trades every second
 * (5-minute candles: about 0.3 MB, nearly all the month window); the high/low deques grow while a day's
 * highs keep falling (or lows rising), up to 35 kB.
 */
export class MarketState {
  readonly market: string;
  readonly #rings: BucketRing[];
  /** The same three rings as fields, for #print (an event's hottest code). */
  readonly #ring0: BucketRing;
  readonly #ring1: BucketRing;
  readonly #ring2: BucketRing;
  readonly #slots: RingSlot[];
  /**
   * The rings' closed sums, written by them in place, and room for their open sums (the layout of a row's sums,
   * see OPEN_SUMS): a snapshot's sums and a packed row are read from it and the three open buckets.
   */
  readonly #sums = closedSums(ROW_SUMS);
  readonly #extremes = new SlidingExtremes(60_000, WINDOW_MS[HIGH_LOW_WINDOW] / 60_000);
  readonly #volatility = new MinuteVolatility();
  readonly #regimeRule: RegimeRule;
  price = NaN;
  /** Time of the newest event applied (or of the newest snapshot taken). */
  lastTs = -Infinity;
  /** Time of the newest market event (snapshots do not move it). */
  lastEventTs = -Infinity;
  touch: Touch | undefined;
  /** End of the finest ring's open bucket (see #advance). */
  #openUntil = -Infinity;
  /** End of the open minute: the coarser rings, the extremes and the minute volatility move only past it (see #advance). */
  #minuteUntil = -Infinity;

  constructor(market: string, regimeRule: RegimeRule = DEFAULT_REGIME_RULE) {
    this.market = market;
    this.#regimeRule = regimeRule;
    this.#rings = RESOLUTIONS.map((r, i) => new BucketRing(r, WINDOWS.filter((w) => WINDOW_RESOLUTION_MS[w] === r).map((w) => WINDOW_MS[w] / r), this.#sums, 3 * (RING_FIRST_WINDOW[i] as number)));
    this.#ring0 = this.#rings[0] as BucketRing;
    this.#ring1 = this.#rings[1] as BucketRing;
    this.#ring2 = this.#rings[2] as BucketRing;
    this.#slots = WINDOWS.map((w) => {
      const r = WINDOW_RESOLUTION_MS[w];
      const ring = this.#rings[RESOLUTIONS.indexOf(r)] as BucketRing;
      const index = WINDOWS.filter((x) => WINDOW_RESOLUTION_MS[x] === r).indexOf(w);
      return { ring, index };
    });
  }

  /**
   * Applies one event. Returns false (and changes nothing) for an event older than what this market
   * has already seen: the caller counts it as out of order.
   */
  apply(event: MarketEvent): boolean {
    const ts = event.ts;
    if (ts < this.lastTs) return false;
    // Prints first, the other kinds in a method of their own: what the compiler inlines into the event's path
    // (the feed, dedupe, the operator, apply and what it calls) is bounded in bytecode.
    if (event.kind === 'trade' || event.kind === 'candle') this.#print(event);
    else this.#quote(event);
    this.lastEventTs = ts;
    return true;
  }

  #quote(event: TickerEvent | BookTopEvent): void {
    const ts = event.ts;
    if (event.kind === 'ticker') {
      this.#advance(ts);
      this.price = event.price;
    } else if (event.kind === 'book') {
      this.lastTs = ts;
      this.touch = { bidPrice: event.bidPrice, bidSize: event.bidSize, askPrice: event.askPrice, askSize: event.askSize };
    }
  }

  /**
   * Hot path: one print into every ring, a trade or a candle (one print at its close with its range). It takes
   * the event, not its numbers: a call that the compiler leaves out of line passes each double boxed, and five
   * of them an event cost more than the rest of the print.
   */
  #print(event: TradeEvent | CandleEvent): void {
    this.#advanceTo(event);
    let price: number;
    let volume: number;
    let high: number;
    let low: number;
    if (event.kind === 'trade') {
      price = high = low = event.price;
      volume = event.amount;
    } else {
      price = event.close;
      volume = event.volume;
      high = event.high;
      low = event.low;
    }
    const value = price * volume;
    // By name, not a loop over #rings: the loop checked the array and each element's class on every print.
    this.#ring0.add(volume, value);
    this.#ring1.add(volume, value);
    this.#ring2.add(volume, value);
    this.#extremes.add(high, low);
    this.#volatility.add(price);
    this.price = price;
    // A print outside the touch means the book has moved since its last top: that touch is stale. Compared with
    // undefined, not tested for truth: the compiler tests a field that may hold an object as any value would be
    // (false, '', 0, undetectable objects), about ten instructions a print.
    const touch = this.touch;
    if (touch !== undefined && (price < touch.bidPrice || price > touch.askPrice)) this.touch = undefined;
  }

  #advance(ts: number): void {
    if (ts === this.lastTs) return;
    // Within the open bucket of the finest ring, no ring, extreme or minute moves (the others are coarser,
    // at multiples of it): several prints a second are common.
    if (ts > this.#openUntil) this.#step(ts);
    this.lastTs = ts;
  }

  /**
   * #advance to a print's time, taking the print: when the compiler leaves this call out of line (it does in some
   * compilations of the event's path), a time passed as a number is boxed, a heap number allocated an event.
   */
  #advanceTo(event: TradeEvent | CandleEvent): void {
    const ts = event.ts;
    if (ts === this.lastTs) return;
    if (ts > this.#openUntil) this.#step(ts);
    this.lastTs = ts;
  }

  /**
   * Moves the rings, extremes and minute volatility to the bucket holding `ts` (past the open one). A method of
   * its own, called about once a second: the compiler inlines a bounded amount of bytecode into the event's
   * path (the feed, dedupe, the operator, apply, #print), and this part, inlined with #advance, left #print or
   * apply out of it in some compilations (a call with five doubles, each boxed).
   */
  #step(ts: number): void {
    const rings = this.#rings;
    (rings[0] as BucketRing).advanceTo(ts);
    // The rest are at whole minutes, each one's open bucket ending at or after the open minute's end: within
    // it their advanceTo would return at once, so they are not called (four calls a second saved).
    if (ts > this.#minuteUntil) {
      for (let i = 1; i < rings.length; i++) (rings[i] as BucketRing).advanceTo(ts);
      this.#extremes.advanceTo(ts);
      this.#volatility.advanceTo(ts);
      this.#minuteUntil = Math.ceil(ts / 60_000) * 60_000;
    }
    this.#openUntil = Math.ceil(ts / FINEST_MS) * FINEST_MS;
  }

  windowStats(window: WindowName): WindowStats {
    return this.#stats(WINDOWS.indexOf(window));
  }

  #stats(i: number): WindowStats {
    const slot = this.#slots[i] as RingSlot;
    return slot.ring.stats(slot.index, this.price);
  }

  /** The market's features as of `ts` (≥ every event applied). */
  snapshot(ts: number): FeatureSnapshot {
    this.#advance(ts);
    const price = this.price;
    // The windows' sums are copied now (the rings move on): the three open buckets read into the room after the
    // closed sums, then each window's closed sum plus its ring's open one in a new array (see stateWindowSums);
    // their WindowStats are built when read.
    const all = this.#sums;
    const openSums = OPEN_SUMS;
    this.#ring0.readOpen(all, openSums);
    this.#ring1.readOpen(all, openSums + 3);
    this.#ring2.readOpen(all, openSums + 6);
    const sums = stateWindowSums(all, price);
    const windows = new SnapshotWindows(sums);
    const volatility = this.#volatility.read();
    // `* 1` (the same number): the lines came out of the inlined reads as tagged values, each boxed in a heap number
    // a snapshot for the literal below to unbox again; multiplied, they stay doubles.
    const high = this.#extremes.high() * 1;
    const low = this.#extremes.low() * 1;
    const position = high > low ? Math.min(1, Math.max(0, (price - low) / (high - low))) : 0.5;
    // classifyRegime of the 1h, 6h, 12h and 24h windows, as codes (no strings until the shared record).
    const minMove = this.#regimeRule.minMove;
    const threshold = this.#regimeRule.threshold;
    // One call site in a loop, not four: the compiler inlines a function's callees up to a total size, and
    // four copies of regimeCode left the SnapshotWindows constructor, #advance and the volatility's computation as
    // calls (allocated apart from the snapshot, not folded with it). The module constants are read once
    // before the loop (each use in it was a load and a check of a module context slot).
    const sqrtHours = SQRT_HOURS;
    let k = 0;
    for (let h = 0, w = REGIME_WINDOW; h < 4; h++, w++) {
      // The window's VWAP, the last price when nothing traded in it, as BucketRing.stats computes it.
      const volume = sums[3 * w] as number;
      const vwap = volume > 0 ? (sums[3 * w + 1] as number) / volume : price;
      k = k * 3 + regimeCode(price, vwap, Math.max(minMove, volatility * (sqrtHours[h] as number)), threshold);
    }
    const regime = regimes(k);
    // Object literals with a fixed key order: one hidden class for every snapshot, cheap to build and read.
    return this.touch !== undefined
      ? { market: this.market, ts, price, windows, volatility, position, high, low, regime, touch: this.touch }
      : { market: this.market, ts, price, windows, volatility, position, high, low, regime };
  }

  /**
   * The snapshot `snapshot(ts)` takes, as the numbers a packed row holds (streams/packed-features.ts), written
   * into `row` from `at` instead of built as objects: the price, volatility, position, high, low, the regime's
   * code (its shared record's: see `regimes`), 1 and the touch's four figures or 0 (the four left as they
   * were), then the ROW_SUMS sums from `at + ROW_SUMS_AT` (see OPEN_SUMS). The same arithmetic as `snapshot`, so the same
   * numbers; the feature thread packs its batches so, without a snapshot, windows or sums array a market.
   */
  writeRow(ts: number, row: Float64Array, at: number): void {
    this.#advance(ts);
    const price = this.price;
    const s = at + ROW_SUMS_AT;
    // The closed sums, then the open ones.
    copyClosedSums(this.#sums, row, s);
    const openSums = s + OPEN_SUMS;
    this.#ring0.readOpenTo(row, openSums);
    this.#ring1.readOpenTo(row, openSums + 3);
    this.#ring2.readOpenTo(row, openSums + 6);
    const volatility = this.#volatility.read();
    const high = this.#extremes.high() * 1;
    const low = this.#extremes.low() * 1;
    const position = high > low ? Math.min(1, Math.max(0, (price - low) / (high - low))) : 0.5;
    const minMove = this.#regimeRule.minMove;
    const threshold = this.#regimeRule.threshold;
    const sqrtHours = SQRT_HOURS;
    const openAt = OPEN_AT;
    let k = 0;
    for (let h = 0, w = REGIME_WINDOW; h < 4; h++, w++) {
      const o = s + 3 * w;
      const open = s + (openAt[w] as number);
      const volume = (row[o] as number) + (row[open] as number);
      const vwap = volume > 0 ? ((row[o + 1] as number) + (row[open + 1] as number)) / volume : price;
      k = k * 3 + regimeCode(price, vwap, Math.max(minMove, volatility * (sqrtHours[h] as number)), threshold);
    }
    row[at] = price;
    row[at + 1] = volatility;
    row[at + 2] = position;
    row[at + 3] = high;
    row[at + 4] = low;
    row[at + 5] = k;
    const touch = this.touch;
    if (touch === undefined) row[at + 6] = 0;
    else {
      row[at + 6] = 1;
      row[at + 7] = touch.bidPrice;
      row[at + 8] = touch.bidSize;
      row[at + 9] = touch.askPrice;
      row[at + 10] = touch.askSize;
    }
  }
}

/** Where the sums start in a row written by MarketState.writeRow (after the eleven numbers it lists first). */
export const ROW_SUMS_AT = 11;

/**
 * A snapshot's window sums (SnapshotWindows): every window's volume, value and print count in WINDOWS order (each
 * its closed sum plus its ring's open one, the additions every reader of a window made), then the last price
 * (the VWAP of a window where nothing traded): WINDOW_SUMS + 1 numbers, where a row of sums has ROW_SUMS.
 */
const WINDOW_SUMS = 3 * WINDOWS.length;
const PRICE_AT = WINDOW_SUMS;

/**
 * A snapshot's sums (see WINDOW_SUMS) from a packed row's sums at `j` (the engine's thread unpacking the feature
 * thread's rows: FeatureBatchUnpacker), as one array literal of doubles: its elements read with one check of the
 * row's map and stored once as the array is built (a loop storing them one by one checked both arrays' maps and
 * bounds at every element, about 29 instructions each). Each ring's open sums are read once; the offsets are
 * numbers, checked against OPEN_AT below.
 */
export function windowSums(row: Float64Array, j: number, price: number): number[] {
  const a0 = row[j + 33] as number, a1 = row[j + 34] as number, a2 = row[j + 35] as number;
  const b0 = row[j + 36] as number, b1 = row[j + 37] as number, b2 = row[j + 38] as number;
  const c0 = row[j + 39] as number, c1 = row[j + 40] as number, c2 = row[j + 41] as number;
  return [
    (row[j] as number) + a0, (row[j + 1] as number) + a1, (row[j + 2] as number) + a2,
    (row[j + 3] as number) + a0, (row[j + 4] as number) + a1, (row[j + 5] as number) + a2,
    (row[j + 6] as number) + a0, (row[j + 7] as number) + a1, (row[j + 8] as number) + a2,
    (row[j + 9] as number) + a0, (row[j + 10] as number) + a1, (row[j + 11] as number) + a2,
    (row[j + 12] as number) + a0, (row[j + 13] as number) + a1, (row[j + 14] as number) + a2,
    (row[j + 15] as number) + a0, (row[j + 16] as number) + a1, (row[j + 17] as number) + a2,
    (row[j + 18] as number) + b0, (row[j + 19] as number) + b1, (row[j + 20] as number) + b2,
    (row[j + 21] as number) + b0, (row[j + 22] as number) + b1, (row[j + 23] as number) + b2,
    (row[j + 24] as number) + b0, (row[j + 25] as number) + b1, (row[j + 26] as number) + b2,
    (row[j + 27] as number) + c0, (row[j + 28] as number) + c1, (row[j + 29] as number) + c2,
    (row[j + 30] as number) + c0, (row[j + 31] as number) + c1, (row[j + 32] as number) + c2,
    price,
  ];
}

/**
 * windowSums from a market state's own sums (MarketState.snapshot: the closed sums, the open ones read into the
 * room after them), the same additions in the same order. A function of its own, not windowSums given either
 * kind of array: each stays compiled for one kind (a typed array there, an array of doubles here).
 */
function stateWindowSums(sums: readonly number[], price: number): number[] {
  const a0 = sums[33] as number, a1 = sums[34] as number, a2 = sums[35] as number;
  const b0 = sums[36] as number, b1 = sums[37] as number, b2 = sums[38] as number;
  const c0 = sums[39] as number, c1 = sums[40] as number, c2 = sums[41] as number;
  return [
    (sums[0] as number) + a0, (sums[1] as number) + a1, (sums[2] as number) + a2,
    (sums[3] as number) + a0, (sums[4] as number) + a1, (sums[5] as number) + a2,
    (sums[6] as number) + a0, (sums[7] as number) + a1, (sums[8] as number) + a2,
    (sums[9] as number) + a0, (sums[10] as number) + a1, (sums[11] as number) + a2,
    (sums[12] as number) + a0, (sums[13] as number) + a1, (sums[14] as number) + a2,
    (sums[15] as number) + a0, (sums[16] as number) + a1, (sums[17] as number) + a2,
    (sums[18] as number) + b0, (sums[19] as number) + b1, (sums[20] as number) + b2,
    (sums[21] as number) + b0, (sums[22] as number) + b1, (sums[23] as number) + b2,
    (sums[24] as number) + b0, (sums[25] as number) + b1, (sums[26] as number) + b2,
    (sums[27] as number) + c0, (sums[28] as number) + c1, (sums[29] as number) + c2,
    (sums[30] as number) + c0, (sums[31] as number) + c1, (sums[32] as number) + c2,
    price,
  ];
}
if (ROW_SUMS !== 42 || OPEN_AT.join() !== '33,33,33,33,33,33,36,36,36,39,39') throw new Error('market-state: windowSums reads another layout of a row\'s sums');

/**
 * The OPEN_SUMS closed sums of a state's array into a packed row from `s`, one statement each (offsets as numbers,
 * checked below). A typed array's `set` from an array of doubles goes through the runtime's copy, element by
 * element (about 550 instructions a row, the 42 of the array), and a loop here checked both arrays' maps and
 * bounds an element (about 24 instructions each).
 */
function copyClosedSums(sums: readonly number[], row: Float64Array, s: number): void {
  row[s] = sums[0] as number; row[s + 1] = sums[1] as number; row[s + 2] = sums[2] as number;
  row[s + 3] = sums[3] as number; row[s + 4] = sums[4] as number; row[s + 5] = sums[5] as number;
  row[s + 6] = sums[6] as number; row[s + 7] = sums[7] as number; row[s + 8] = sums[8] as number;
  row[s + 9] = sums[9] as number; row[s + 10] = sums[10] as number; row[s + 11] = sums[11] as number;
  row[s + 12] = sums[12] as number; row[s + 13] = sums[13] as number; row[s + 14] = sums[14] as number;
  row[s + 15] = sums[15] as number; row[s + 16] = sums[16] as number; row[s + 17] = sums[17] as number;
  row[s + 18] = sums[18] as number; row[s + 19] = sums[19] as number; row[s + 20] = sums[20] as number;
  row[s + 21] = sums[21] as number; row[s + 22] = sums[22] as number; row[s + 23] = sums[23] as number;
  row[s + 24] = sums[24] as number; row[s + 25] = sums[25] as number; row[s + 26] = sums[26] as number;
  row[s + 27] = sums[27] as number; row[s + 28] = sums[28] as number; row[s + 29] = sums[29] as number;
  row[s + 30] = sums[30] as number; row[s + 31] = sums[31] as number; row[s + 32] = sums[32] as number;
}
if (OPEN_SUMS !== 33) throw new Error('market-state: copyClosedSums copies 33 closed sums, a row has ' + String(OPEN_SUMS));

/** √hours of the regime horizons (Math.sqrt is exact to the last bit, so these are what classifyRegime computes). */
const SQRT_HOURS = [Math.sqrt(1), Math.sqrt(6), Math.sqrt(12), Math.sqrt(24)];
/** Index in WINDOWS of the first of the regimes' four windows, 1h, 6h, 12h and 1d, which follow one another there. */
const REGIME_WINDOW = WINDOWS.indexOf('1h');
if (WINDOWS[REGIME_WINDOW + 1] !== '6h' || WINDOWS[REGIME_WINDOW + 2] !== '12h' || WINDOWS[REGIME_WINDOW + 3] !== '1d') throw new Error('market-state: the regime windows are not 1h, 6h, 12h, 1d in a row');

/** The 81 regime records, shared by every snapshot (frozen: a snapshot is read-only), by ((1h·3 + 6h)·3 + 12h)·3 + 24h of their codes. */
const REGIME_RECORDS: (Readonly<Record<string, Regime>> | undefined)[] = [];
/** The shared regime record of code k (((1h·3 + 6h)·3 + 12h)·3 + 24h of REGIME_NAMES indices), as a snapshot holds it. */
export function regimes(k: number): Readonly<Record<string, Regime>> {
  return REGIME_RECORDS[k] ?? regimeRecord(k);
}

function regimeRecord(k: number): Readonly<Record<string, Regime>> {
  const name = (code: number): Regime => REGIME_NAMES[code] as Regime;
  const record = { '1h': name(Math.floor(k / 27)), '6h': name(Math.floor(k / 9) % 3), '12h': name(Math.floor(k / 3) % 3), '24h': name(k % 3) };
  REGIME_RECORDS[k] = Object.freeze(record);
  return record;
}

/**
 * A snapshot's windows (FeatureSnapshot.windows): every window's sums as they were when the snapshot was taken
 * (see windowSums), each window's WindowStats built on its first read (most consumers read two or three of the
 * eleven). Read by name; serialises to the same JSON as a plain object of the eleven windows in WINDOWS order.
 */
export class SnapshotWindows implements Readonly<Record<WindowName, WindowStats>> {
  /** Window i's volume, value and print count at 3i, 3i + 1, 3i + 2; the last price at PRICE_AT. */
  readonly #sums: readonly number[];
  #read: (WindowStats | undefined)[] | undefined;

  constructor(sums: readonly number[]) {
    this.#sums = sums;
  }

  /**
   * Window i's (index in WINDOWS) VWAP read straight from the sums, without building its WindowStats: what the
   * ranking reads of every snapshot (see `windowValue`).
   */
  vwapAt(i: number): number {
    const sums = this.#sums;
    const volume = sums[3 * i] as number;
    return volume > 0 ? (sums[3 * i + 1] as number) / volume : (sums[PRICE_AT] as number);
  }

  /**
   * Every window's VWAP, volume, value and trade count, in WINDOWS order, into `row` from `at`: a snapshot
   * packed for another thread (src/cli/snapshot-rows.ts) in one call instead of 44.
   */
  copyFigures(row: Float64Array, at: number): void {
    const sums = this.#sums;
    const price = sums[PRICE_AT] as number;
    for (let i = 0, o = at; i < WINDOWS.length; i++, o += 4) {
      const volume = sums[3 * i] as number;
      const value = sums[3 * i + 1] as number;
      row[o] = volume > 0 ? value / volume : price;
      row[o + 1] = volume;
      row[o + 2] = value;
      row[o + 3] = sums[3 * i + 2] as number;
    }
  }

  /**
   * Whether window i's value, print count and volume are each at least the given figure (the volume filter's
   * test) in one call: its three reads, one call each, were left as calls by the compiler (the filter's code is
   * inlined into the batch path, past its inlining budget), about 75 instructions each.
   */
  atLeast(i: number, minValue: number, minTrades: number, minVolume: number): boolean {
    const sums = this.#sums;
    const o = 3 * i;
    return (sums[o + 1] as number) >= minValue && (sums[o + 2] as number) >= minTrades && (sums[o] as number) >= minVolume;
  }

  volumeAt(i: number): number {
    return this.#sums[3 * i] as number;
  }

  valueAt(i: number): number {
    return this.#sums[3 * i + 1] as number;
  }

  tradesAt(i: number): number {
    return this.#sums[3 * i + 2] as number;
  }

  #get(i: number): WindowStats {
    const read = (this.#read ??= new Array<WindowStats | undefined>(WINDOWS.length));
    let stats = read[i];
    if (stats === undefined) {
      const sums = this.#sums;
      const volume = sums[3 * i] as number;
      const value = sums[3 * i + 1] as number;
      stats = { vwap: volume > 0 ? value / volume : (sums[PRICE_AT] as number), volume, value, trades: sums[3 * i + 2] as number };
      read[i] = stats;
    }
    return stats;
  }

  get '1m'(): WindowStats {
    return this.#get(0);
  }
  get '3m'(): WindowStats {
    return this.#get(1);
  }
  get '5m'(): WindowStats {
    return this.#get(2);
  }
  get '10m'(): WindowStats {
    return this.#get(3);
  }
  get '30m'(): WindowStats {
    return this.#get(4);
  }
  get '1h'(): WindowStats {
    return this.#get(5);
  }
  get '6h'(): WindowStats {
    return this.#get(6);
  }
  get '12h'(): WindowStats {
    return this.#get(7);
  }
  get '1d'(): WindowStats {
    return this.#get(8);
  }
  get '1w'(): WindowStats {
    return this.#get(9);
  }
  get '1M'(): WindowStats {
    return this.#get(10);
  }

  toJSON(): Record<WindowName, WindowStats> {
    return { '1m': this['1m'], '3m': this['3m'], '5m': this['5m'], '10m': this['10m'], '30m': this['30m'], '1h': this['1h'], '6h': this['6h'], '12h': this['12h'], '1d': this['1d'], '1w': this['1w'], '1M': this['1M'] };
  }
}

/** Which of a window's figures `windowValue` reads. */
export type WindowField = 'vwap' | 'volume' | 'value' | 'trades';

/**
 * One figure of window i (index in WINDOWS) of a snapshot's windows: from a SnapshotWindows without
 * building the window's WindowStats (the ranking reads two or three windows of every snapshot of every
 * batch), from any other windows object by name. Equal to `windows[WINDOWS[i]][field]` either way.
 */
export function windowValue(windows: FeatureSnapshot['windows'], i: number, field: WindowField): number {
  if (windows instanceof SnapshotWindows) {
    switch (field) {
      case 'vwap':
        return windows.vwapAt(i);
      case 'volume':
        return windows.volumeAt(i);
      case 'value':
        return windows.valueAt(i);
      case 'trades':
        return windows.tradesAt(i);
    }
  }
  return windows[WINDOWS[i] as WindowName][field];
}
