import { WINDOWS, type FeatureSnapshot, type WindowName, type WindowStats } from '../core/index.js';
import { windowValue } from '../../streams/market-state.js';
import { SNAPSHOT_FIELDS, type FeatureSelection, type WindowStat } from './output.js';

/**
 * Feature snapshots packed into rows of numbers, to hand them to another thread without a structured
 * clone of each object: one Float64Array row per snapshot, strings (market names) and the shared regime
 * records as indexes into tables that grow as new ones appear. `unpack` rebuilds each snapshot with the
 * same keys in the same order, so JSON.stringify writes the same bytes for it.
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
    // windowValue reads the pipeline's own snapshots from their sums, without a WindowStats built per window.
    for (let w = 0; w < W; w++) {
      const o = at + WIN + w * 4;
      r[o] = windowValue(s.windows, w, 'vwap');
      r[o + 1] = windowValue(s.windows, w, 'volume');
      r[o + 2] = windowValue(s.windows, w, 'value');
      r[o + 3] = windowValue(s.windows, w, 'trades');
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

/** The receiving side: the tables as they grow, and each row back as a snapshot. */
export class SnapshotUnpacker {
  readonly #markets: string[] = [];
  readonly #regimes: Readonly<Record<string, string>>[] = [];

  /** Calls `each` with every snapshot of the batch, in order. */
  unpack(batch: PackedBatch, each: (s: FeatureSnapshot) => void): void {
    this.#markets.push(...batch.markets);
    this.#regimes.push(...batch.regimes);
    const r = batch.rows;
    for (let i = 0; i < batch.count; i++) {
      const at = i * ROW;
      const windows = {} as Record<WindowName, WindowStats>;
      for (let w = 0; w < W; w++) {
        const o = at + WIN + w * 4;
        windows[WINDOWS[w] as WindowName] = { vwap: r[o] as number, volume: r[o + 1] as number, value: r[o + 2] as number, trades: r[o + 3] as number };
      }
      const base = {
        market: this.#markets[r[at + MARKET] as number] as string,
        ts: r[at + TS] as number,
        price: r[at + PRICE] as number,
        windows,
        volatility: r[at + VOLATILITY] as number,
        position: r[at + POSITION] as number,
        high: r[at + HIGH] as number,
        low: r[at + LOW] as number,
        regime: this.#regimes[r[at + REGIME] as number] as Readonly<Record<string, string>>,
      };
      each(r[at + TOUCH] === 0 ? (base as FeatureSnapshot) : (Object.assign(base, { touch: { bidPrice: r[at + TOUCH + 1] as number, bidSize: r[at + TOUCH + 2] as number, askPrice: r[at + TOUCH + 3] as number, askSize: r[at + TOUCH + 4] as number } }) as FeatureSnapshot));
    }
  }

  /**
   * Calls `each` with what JSON.stringify of `selection`'s part of every snapshot of the batch needs: the
   * selected keys only, in the snapshot's order (snapshotSerializer's object), built straight from the row
   * instead of a whole snapshot that is then copied. The object is made once a batch and rewritten for
   * each row (one with `touch` for the rows that have a touch): `each` must be done with it when it returns.
   */
  unpackSelected(batch: PackedBatch, selection: FeatureSelection, each: (picked: Record<string, unknown>) => void): void {
    this.#markets.push(...batch.markets);
    this.#regimes.push(...batch.regimes);
    const scalarFields = SNAPSHOT_FIELDS.filter((f): f is keyof typeof SCALAR_AT => f in SCALAR_AT && selection.fields.includes(f));
    const scalarAt = scalarFields.map((f) => SCALAR_AT[f]);
    // Window k's figures: window k's object, and where its stats sit in a row.
    const windowAt = selection.windows.map((w) => WIN + WINDOWS.indexOf(w) * 4);
    const statAt = selection.stats.map((stat) => STAT_OFFSET[stat]);
    const figures = selection.windows.map(() => Object.fromEntries(selection.stats.map((stat) => [stat, 0.5])) as Record<string, number>);
    const windows = Object.fromEntries(selection.windows.map((w, k) => [w, figures[k]]));
    const touch = { bidPrice: 0.5, bidSize: 0.5, askPrice: 0.5, askSize: 0.5 };
    const shape = (touched: boolean): Record<string, unknown> => {
      const o: Record<string, unknown> = { market: '', ts: 0.5 };
      for (const f of SNAPSHOT_FIELDS) {
        if (!selection.fields.includes(f)) continue;
        if (f === 'windows') o[f] = windows;
        else if (f === 'regime') o[f] = null;
        else if (f !== 'touch') o[f] = 0.5;
        else if (touched) o[f] = touch;
      }
      return o;
    };
    const plain = shape(false);
    const touched = selection.fields.includes('touch') ? shape(true) : undefined;
    const hasRegime = selection.fields.includes('regime');
    const windowCount = selection.fields.includes('windows') ? figures.length : 0;
    const r = batch.rows;
    for (let i = 0; i < batch.count; i++) {
      const at = i * ROW;
      const o = touched !== undefined && r[at + TOUCH] !== 0 ? touched : plain;
      o['market'] = this.#markets[r[at + MARKET] as number] as string;
      o['ts'] = r[at + TS] as number;
      for (let k = 0; k < scalarFields.length; k++) o[scalarFields[k] as string] = r[at + (scalarAt[k] as number)] as number;
      for (let k = 0; k < windowCount; k++) {
        const one = figures[k] as Record<string, number>;
        const base = at + (windowAt[k] as number);
        for (let j = 0; j < statAt.length; j++) one[selection.stats[j] as WindowStat] = r[base + (statAt[j] as number)] as number;
      }
      if (hasRegime) o['regime'] = this.#regimes[r[at + REGIME] as number];
      if (o === touched) {
        touch.bidPrice = r[at + TOUCH + 1] as number;
        touch.bidSize = r[at + TOUCH + 2] as number;
        touch.askPrice = r[at + TOUCH + 3] as number;
        touch.askSize = r[at + TOUCH + 4] as number;
      }
      each(o);
    }
  }
}

/** Where each window figure sits in a window's four numbers of a row. */
const STAT_OFFSET: Readonly<Record<WindowStat, number>> = { vwap: 0, volume: 1, value: 2, trades: 3 };
/** Where each number field sits in a row. */
const SCALAR_AT: Readonly<Record<'price' | 'volatility' | 'position' | 'high' | 'low', number>> = { price: PRICE, volatility: VOLATILITY, position: POSITION, high: HIGH, low: LOW };
