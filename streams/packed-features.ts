import type { FeatureSnapshot, Touch } from '../src/core/index.js';
import type { FeatureBatch, SnapshotRows } from './feature-snapshots.js';
import { type MarketState, regimes, ROW_SUMS, ROW_SUMS_AT, SnapshotWindows, windowSums } from './market-state.js';

/**
 * Feature batches as typed arrays, the form they cross threads in (src/engine/feature-thread.ts): the
 * buffers are transferred, where a structured clone would copy every snapshot, its windows and its
 * regime record field by field. Each batch is dated by the event whose arrival emitted it.
 */
export interface PackedFeatureBatches {
  /** HEAD numbers a batch: the number of events that reached the features before it, its time, its snapshot count. */
  readonly heads: Float64Array;
  /** ROW numbers a snapshot, the batches' snapshots one after another (see `FeatureBatchPacker.write`). */
  readonly rows: Float64Array;
  /** Names of the markets numbered for the first time in these batches (a market is its number in `rows`). */
  readonly newMarkets: string[];
}

export const HEAD = 3;
/** Snapshot numbers before the window sums (ROW_SUMS): market, price, volatility, position, high, low, regime code, touch (0 or 1) and its four figures. */
const SUMS_AT = 12;
const ROW = SUMS_AT + ROW_SUMS;
// A row is the market's number, then what MarketState.writeRow writes (see `write`).
if (SUMS_AT !== 1 + ROW_SUMS_AT) throw new Error('packed-features: the row layout differs from MarketState.writeRow');

/**
 * Builds packed batches straight from the market states (`begin`, `write`, `end`: a SnapshotRows, see
 * packedFeatureSnapshots), each dated by the events counted in `fed` when it begins; market numbers and
 * names carry over from one `take` to the next.
 */
export class FeatureBatchPacker implements SnapshotRows {
  readonly #fed: { readonly events: number };
  /** The batch begun (SnapshotRows): its head's index and its first snapshot. */
  #head = 0;
  #first = 0;
  readonly #known = new Map<string, number>();
  /** The markets by number, and the last snapshot's. */
  readonly #names: string[] = [];
  #lastMarket = -1;
  #heads: Float64Array<ArrayBuffer> = new Float64Array(64 * HEAD);
  #rows: Float64Array<ArrayBuffer> = new Float64Array(64 * ROW);
  #batches = 0;
  #snapshots = 0;
  #newMarkets: string[] = [];
  readonly #spare: { readonly heads: ArrayBuffer; readonly rows: ArrayBuffer }[] = [];

  constructor(fed: { readonly events: number }) {
    this.#fed = fed;
  }

  /** A batch of time `ts` begins, emitted when the `fed.events`-th event (from 0) reached the features. */
  begin(ts: number): void {
    if (this.#heads.length < (this.#batches + 1) * HEAD) this.#heads = grown(this.#heads, (this.#batches + 1) * HEAD);
    const h = this.#batches++ * HEAD;
    this.#heads[h] = this.#fed.events;
    this.#heads[h + 1] = ts;
    this.#head = h;
    this.#first = this.#snapshots;
  }

  /** The market's snapshot at `ts` in the next row, written by its state (MarketState.writeRow), no snapshot built. */
  write(state: MarketState, ts: number): void {
    const o = this.#snapshots * ROW;
    if (this.#rows.length < o + ROW) this.#rows = grown(this.#rows, o + ROW);
    this.#snapshots++;
    const rows = this.#rows;
    rows[o] = this.#market(state.market);
    state.writeRow(ts, rows, o + 1);
  }

  /** The batch begun is complete; one without a snapshot is no batch (featureSnapshots emits none). */
  end(): void {
    const count = this.#snapshots - this.#first;
    if (count === 0) this.#batches--;
    else this.#heads[this.#head + 2] = count;
  }

  /**
   * The batches added since the last take, in views of the packer's own arrays (their whole buffers go
   * to the other thread); the packer goes on in arrays given back (`recycle`) or new ones.
   */
  take(): PackedFeatureBatches {
    const out = { heads: this.#heads.subarray(0, this.#batches * HEAD), rows: this.#rows.subarray(0, this.#snapshots * ROW), newMarkets: this.#newMarkets };
    const spare = this.#spare.pop();
    this.#heads = spare ? new Float64Array(spare.heads) : new Float64Array(this.#heads.length);
    this.#rows = spare ? new Float64Array(spare.rows) : new Float64Array(this.#rows.length);
    this.#batches = 0;
    this.#snapshots = 0;
    this.#newMarkets = [];
    return out;
  }

  /** Arrays of packed batches read and given back: the next takes write into them instead of new ones. */
  recycle(heads: ArrayBuffer, rows: ArrayBuffer): void {
    this.#spare.push({ heads, rows });
  }

  /**
   * This packer's arrays, given back or made by its last `take` and not written since, to `next` (the packer of the
   * feature thread's next run, which numbers its markets anew): it starts in arrays grown to a block's size,
   * where a new packer grew its own from 64 rows at every run's first block and took new arrays until blocks came back.
   */
  handOver(next: FeatureBatchPacker): void {
    // (A run that failed left batches untaken: its arrays stay with it.)
    if (this.#batches === 0 && this.#snapshots === 0) {
      next.#heads = this.#heads;
      next.#rows = this.#rows;
    }
    for (const spare of this.#spare.splice(0)) next.#spare.push(spare);
  }

  #market(name: string): number {
    // A batch lists the markets in the same order as the one before (the operator's), so the market after the
    // last one's is nearly always it: one string comparison (the same string) instead of a Map look-up.
    const guess = this.#lastMarket + 1;
    if (this.#names[guess] === name) return (this.#lastMarket = guess);
    let m = this.#known.get(name);
    if (m === undefined) {
      m = this.#known.size;
      this.#known.set(name, m);
      this.#names.push(name);
      this.#newMarkets.push(name);
    }
    return (this.#lastMarket = m);
  }
}

function grown(array: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(Math.max(need, array.length * 2));
  out.set(array);
  return out;
}

/** The buffers to transfer with packed batches. */
export function packedBuffers(packed: PackedFeatureBatches): ArrayBuffer[] {
  return [packed.heads.buffer as ArrayBuffer, packed.rows.buffer as ArrayBuffer];
}

/** Packed batches → FeatureBatch objects equal to the ones packed (snapshots built as MarketState.snapshot builds them). */
export class FeatureBatchUnpacker {
  readonly #markets: string[] = [];

  /** Learns the markets numbered in `packed`: call once per packed block, in order, before reading its batches. */
  learn(packed: PackedFeatureBatches): void {
    for (const name of packed.newMarkets) this.#markets.push(name);
  }

  /** The batch of time `ts` whose `count` snapshots start at snapshot `first` of `rows`. */
  batch(rows: Float64Array, first: number, count: number, ts: number): FeatureBatch {
    const snapshots: FeatureSnapshot[] = [];
    const names = this.#markets;
    // The module's constants and the row's first index as local integers (each use of a module constant is a load
    // and a check of the module's context).
    const row = ROW;
    const sumsAt = SUMS_AT;
    for (let s = 0; s < count; s++) {
      const o = ((first + s) * row) | 0;
      const market = names[rows[o] as number] as string;
      const price = rows[o + 1] as number;
      const volatility = rows[o + 2] as number;
      const position = rows[o + 3] as number;
      const high = rows[o + 4] as number;
      const low = rows[o + 5] as number;
      const regime = regimes(rows[o + 6] as number);
      const windows = new SnapshotWindows(windowSums(rows, o + sumsAt, price));
      // The same literals as MarketState.snapshot: one hidden class for every snapshot, wherever it was computed.
      snapshots.push(
        rows[o + 7] === 1
          ? { market, ts, price, windows, volatility, position, high, low, regime, touch: { bidPrice: rows[o + 8] as number, bidSize: rows[o + 9] as number, askPrice: rows[o + 10] as number, askSize: rows[o + 11] as number } satisfies Touch }
          : { market, ts, price, windows, volatility, position, high, low, regime },
      );
    }
    return { ts, snapshots };
  }
}
