import { WINDOWS, type FeatureSnapshot } from '../core/index.js';
import { SnapshotWindows, windowValue } from '../../streams/market-state.js';

/**
 * Feature snapshots packed into rows of numbers, to hand them to another thread without a structured
 * clone of each object: one Float64Array row per snapshot, strings (market names) and the shared regime
 * records as indexes into tables that grow as new ones appear (packed-row-json.ts writes the rows as
 * JSON lines).
 */
const W = WINDOWS.length;
const MARKET = 0;
const TS = 1;
const PRICE = 2;
const WIN = 3;
const VOLATILITY = WIN + W * 4;
const POSITION = VOLATILITY + 1;
const HIGH = POSITION + 1;
const LOW = HIGH + 1;
const REGIME = LOW + 1;
const TOUCH = REGIME + 1; // 0: none; 1: bidPrice, bidSize, askPrice, askSize follow
export const ROW = TOUCH + 5;
/** Where each part of a snapshot sits in its row (a window's four figures: vwap, volume, value, trades from `windows + 4 × its index`). */
export const ROW_AT = { market: MARKET, ts: TS, price: PRICE, windows: WIN, volatility: VOLATILITY, position: POSITION, high: HIGH, low: LOW, regime: REGIME, touch: TOUCH } as const;

/** What a packed batch carries besides its rows: the table entries first seen in it. */
export interface PackedBatch {
  readonly rows: Float64Array;
  readonly count: number;
  readonly markets: readonly string[];
  readonly regimes: readonly Readonly<Record<string, string>>[];
}

export class SnapshotPacker {
  readonly #markets = new Map<string, number>();
  readonly #regimes = new Map<object, number>();
  #newMarkets: string[] = [];
  #newRegimes: Readonly<Record<string, string>>[] = [];
  #rows: Float64Array;
  readonly #spare: Float64Array[] = [];
  #count = 0;

  constructor(readonly capacity: number) {
    this.#rows = new Float64Array(capacity * ROW);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds one snapshot; false when the batch is full (take() it first). */
  add(s: FeatureSnapshot): boolean {
    if (this.#count === this.capacity) return false;
    const r = this.#rows;
    const at = this.#count++ * ROW;
    let market = this.#markets.get(s.market);
    if (market === undefined) {
      this.#markets.set(s.market, (market = this.#markets.size));
      this.#newMarkets.push(s.market);
    }
    let regime = this.#regimes.get(s.regime);
    if (regime === undefined) {
      this.#regimes.set(s.regime, (regime = this.#regimes.size));
      this.#newRegimes.push(s.regime);
    }
    r[at + MARKET] = market;
    r[at + TS] = s.ts;
    r[at + PRICE] = s.price;
    // The pipeline's own snapshots are read from their sums, without a WindowStats built per window.
    if (s.windows instanceof SnapshotWindows) s.windows.copyFigures(r, at + WIN);
    else {
      for (let w = 0; w < W; w++) {
        const o = at + WIN + w * 4;
        r[o] = windowValue(s.windows, w, 'vwap');
        r[o + 1] = windowValue(s.windows, w, 'volume');
        r[o + 2] = windowValue(s.windows, w, 'value');
        r[o + 3] = windowValue(s.windows, w, 'trades');
      }
    }
    r[at + VOLATILITY] = s.volatility;
    r[at + POSITION] = s.position;
    r[at + HIGH] = s.high;
    r[at + LOW] = s.low;
    r[at + REGIME] = regime;
    const t = s.touch;
    r[at + TOUCH] = t === undefined ? 0 : 1;
    if (t !== undefined) {
      r[at + TOUCH + 1] = t.bidPrice;
      r[at + TOUCH + 2] = t.bidSize;
      r[at + TOUCH + 3] = t.askPrice;
      r[at + TOUCH + 4] = t.askSize;
    }
    return true;
  }

  /** The batch so far (its buffer can be transferred); the packer starts a new one, in a returned buffer when it has one. */
  take(): PackedBatch {
    const batch = { rows: this.#rows, count: this.#count, markets: this.#newMarkets, regimes: this.#newRegimes };
    this.#rows = this.#spare.pop() ?? new Float64Array(this.capacity * ROW);
    this.#count = 0;
    this.#newMarkets = [];
    this.#newRegimes = [];
    return batch;
  }

  /**
   * A batch's rows handed back once read (transferred back from the thread that read them): the next
   * batches are packed into them instead of new memory, which a 2-core machine spent as much time
   * faulting in and freeing as packing.
   */
  recycle(rows: Float64Array): void {
    if (rows.length === this.capacity * ROW && this.#spare.length < 4) this.#spare.push(rows);
  }
}

