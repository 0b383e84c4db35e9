import { Subject } from 'rxjs';
import type { FeatureSnapshot, MarketEvent } from '../core/index.js';
import { parseConfig, type Config } from '../config.js';
import { marketPipeline } from '../engine/index.js';
import { openReplay, type ReplayStats } from '../market-data/index.js';
import { heuristicScore } from '../../streams/index.js';
import { FEATURE_COUNT, featureRows } from './feature-vector.js';
import { firstAfter, firstPassage, type BarrierSpec, type PriceSeries } from './labels.js';
import type { RankerConfig } from './ranker-config.js';

/** Label value of a sample whose outcome the data does not reach. */
export const UNKNOWN = 127;

/**
 * One row per (market, snapshot time) with the model inputs, the first-passage label and two baseline
 * scores, in snapshot order (time, then the batch's market order). `prev` links a row to the same
 * market's previous row, which is how the sequence model finds its history without copying it.
 */
export interface Dataset {
  readonly markets: readonly string[];
  readonly rows: number;
  readonly ts: Float64Array;
  readonly market: Int32Array;
  readonly price: Float64Array;
  readonly x: Float32Array;
  readonly prev: Int32Array;
  /** −1, 0, +1, or UNKNOWN. */
  readonly label: Int8Array;
  readonly timeMs: Float32Array;
  /** streams/heuristic-score.ts on the same batch. */
  readonly heuristic: Float32Array;
  /** Momentum baseline: log(price / 1h VWAP), the return over the last hour against its average. */
  readonly momentum: Float32Array;
  /** Event time of the first and last events read. */
  readonly firstTs: number;
  readonly lastTs: number;
  readonly stats: ReplayStats;
}

export interface DatasetOptions {
  /** Rows with ts in [from, to) are kept (plus the sequence context just before `from`). */
  readonly from?: number;
  readonly to?: number;
  /** Called after every replay batch with the event time reached. */
  readonly onProgress?: (ts: number) => void;
  readonly signal?: AbortSignal;
}

class Grow<T extends Float32Array | Float64Array | Int32Array> {
  array: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.array = make(1 << 16);
  }
  reserve(extra: number): void {
    if (this.length + extra <= this.array.length) return;
    let size = this.array.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = this.make(size);
    next.set(this.array.subarray(0, this.length));
    this.array = next;
  }
  push(v: number): void {
    this.reserve(1);
    this.array[this.length++] = v;
  }
  done(): T {
    return this.array.slice(0, this.length) as T;
  }
}

export function barrierSpec(config: RankerConfig): BarrierSpec {
  const l = config.label;
  return { target: l.target, stop: l.stop, horizonMs: l.horizon, feeRate: l.feeRate, slippageTicks: l.slippageTicks };
}

/** The engine configuration the features are computed with: the live defaults at the ranker's cadence. */
export function featureEngineConfig(config: RankerConfig, base?: Config): Config {
  const c = base ?? parseConfig({});
  return { ...c, features: { ...c.features, every: config.features.every } };
}

/**
 * Replays recorded data through the engine's own market pipeline (dedupe → featureSnapshots, the code
 * that runs live) and turns every feature batch into rows; labels come afterwards from each market's
 * candles (high/low) or trades, strictly after the row's time.
 */
export async function buildDataset(paths: readonly string[], config: RankerConfig, options: DatasetOptions = {}): Promise<Dataset> {
  const source = openReplay(paths);
  const engineConfig = featureEngineConfig(config);
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const contextFrom = from - config.features.sequenceLength * config.features.every;
  const markets: string[] = [];
  const marketIndex = new Map<string, number>();
  const indexOf = (m: string): number => {
    let i = marketIndex.get(m);
    if (i === undefined) {
      i = markets.length;
      markets.push(m);
      marketIndex.set(m, i);
    }
    return i;
  };
  const series: { ts: Grow<Float64Array>; high: Grow<Float64Array>; low: Grow<Float64Array> }[] = [];
  const ts = new Grow((n) => new Float64Array(n));
  const market = new Grow((n) => new Int32Array(n));
  const price = new Grow((n) => new Float64Array(n));
  const prev = new Grow((n) => new Int32Array(n));
  const heuristic = new Grow((n) => new Float32Array(n));
  const momentum = new Grow((n) => new Float32Array(n));
  const x = new Grow((n) => new Float32Array(n));
  const lastRow: number[] = [];
  let firstTs = NaN;
  let lastTs = NaN;

  const events$ = new Subject<MarketEvent>();
  const pipeline = marketPipeline(events$, engineConfig, { everyMs: config.features.every });
  pipeline.batches$.subscribe((batch) => {
    if (batch.ts < contextFrom || batch.ts >= to) return;
    const snaps: readonly FeatureSnapshot[] = batch.snapshots;
    const n = snaps.length;
    x.reserve(n * FEATURE_COUNT);
    featureRows(snaps, x.array, x.length);
    x.length += n * FEATURE_COUNT;
    const h = heuristicScore(snaps);
    for (let i = 0; i < n; i++) {
      const s = snaps[i] as FeatureSnapshot;
      const m = indexOf(s.market);
      const row = ts.length;
      ts.push(batch.ts);
      market.push(m);
      price.push(s.price);
      prev.push(lastRow[m] ?? -1);
      lastRow[m] = row;
      const score = h[i] as number;
      heuristic.push(Number.isFinite(score) ? score : -1e9);
      const mom = Math.log(s.price / s.windows['1h'].vwap);
      momentum.push(Number.isFinite(mom) ? mom : 0);
    }
  });

  for await (const events of source.batches()) {
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as MarketEvent;
      // Past the kept span only the labels need data, and only one horizon of it.
      if (e.ts > to + config.label.horizon + config.features.every) break;
      if (Number.isNaN(firstTs)) firstTs = e.ts;
      lastTs = e.ts;
      const m = indexOf(e.market);
      let s = series[m];
      if (!s) s = series[m] = { ts: new Grow((n) => new Float64Array(n)), high: new Grow((n) => new Float64Array(n)), low: new Grow((n) => new Float64Array(n)) };
      if (e.kind === 'candle') {
        s.ts.push(e.ts);
        s.high.push(e.high);
        s.low.push(e.low);
      } else if (e.kind === 'trade' || e.kind === 'ticker') {
        s.ts.push(e.ts);
        s.high.push(e.price);
        s.low.push(e.price);
      }
      if (e.ts <= to + config.features.every) events$.next(e);
    }
    options.onProgress?.(lastTs);
    if (options.signal?.aborted || lastTs > to + config.label.horizon + config.features.every) break;
  }
  events$.complete();

  const rows = ts.length;
  const label = new Int8Array(rows).fill(UNKNOWN);
  const timeMs = new Float32Array(rows).fill(NaN);
  const spec = barrierSpec(config);
  const done: PriceSeries[] = series.map((s) => ({ ts: s ? s.ts.done() : new Float64Array(0), high: s ? s.high.done() : new Float64Array(0), low: s ? s.low.done() : new Float64Array(0) }));
  const tsArr = ts.done();
  const marketArr = market.done();
  const priceArr = price.done();
  for (let r = 0; r < rows; r++) {
    const t = tsArr[r] as number;
    const s = done[marketArr[r] as number] as PriceSeries;
    const fp = firstPassage(s, t, priceArr[r] as number, spec, firstAfter(s, t));
    if (fp) {
      label[r] = fp.label;
      timeMs[r] = fp.timeMs;
    }
  }
  return { markets, rows, ts: tsArr, market: marketArr, price: priceArr, x: x.done(), prev: prev.done(), label, timeMs, heuristic: heuristic.done(), momentum: momentum.done(), firstTs, lastTs, stats: source.stats() };
}
