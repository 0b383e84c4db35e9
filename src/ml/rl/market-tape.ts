import { Subject } from 'rxjs';
import type { Config } from '../../config.js';
import { eventPrice, type FeatureSnapshot, type MarketEvent, type Ranking } from '../../core/index.js';
import { marketPipeline } from '../../engine/index.js';
import { readAll } from '../../market-data/index.js';
import { FEATURE_COUNT, featureRows } from '../feature-vector.js';
import { RULE_SCORERS, type SimpleRule } from '../simple-rules.js';

/**
 * Recorded market data run once through the engine's own market pipeline (dedupe → feature batches →
 * volume filter → ranking, `marketPipeline`), kept in typed arrays: the training environment's fast
 * path. Nothing here is recomputed per step; the environment only reads.
 *
 * Batch `b` (boundary `ts[b]`) is emitted by the pipeline while event `emitIndex[b]` is fed (the first
 * event after the boundary), exactly as in the engine, where that event reaches the exchange before the
 * batch's decisions. The final batch, emitted on completion, has `emitIndex = events.length`.
 */
export interface MarketTape {
  readonly markets: readonly string[];
  readonly events: readonly MarketEvent[];
  /** Market index of every event. */
  readonly eventMarket: Int32Array;
  readonly batches: number;
  readonly ts: Float64Array;
  readonly emitIndex: Int32Array;
  /** 1 when the engine's ranking emitted at this batch: buys are sized and placed only then. */
  readonly ranked: Uint8Array;
  /** Raw model inputs (`featureRows`), [batch][market][FEATURE_COUNT]; zeros where the market is absent. */
  readonly features: Float32Array;
  /** 1 when the market is in the batch. */
  readonly present: Uint8Array;
  /** Snapshot price and the price a strategy quotes at (best bid, else the last price), [batch][market]. */
  readonly price: Float64Array;
  readonly bid: Float64Array;
  /** The snapshot's volatility, float64 as the engine sizes `allocation.mode volatility` with it. */
  readonly volatility: Float64Array;
  /** Order of the markets in each batch's snapshots, flattened: `order[orderStart[b] .. orderStart[b+1])`. */
  readonly order: Int32Array;
  readonly orderStart: Int32Array;
  /** First price of every market in the data (what `inferredRulesSource` infers the tick from). */
  readonly firstPrice: Float64Array;
  /** What scored `signalScore`: a simple rule, or a ranker model (its calibrated probability). */
  readonly signalSource: SimpleRule | 'model';
  /** The raw signal score, [batch][market], float64 as the engine computes it (market-signal.ts turns it into inputs). */
  readonly signalScore: Float64Array;
  /** The agent's signal inputs (`SIGNAL_FEATURES` per cell: 2p − 1, expected value), zeros until `applySignal`. */
  readonly signal: Float32Array;
  /**
   * With `keepSnapshots` (the `strategy` action source): each batch's snapshots as the engine's strategy
   * gets them, and the ranking the engine's ranking emitted at it (undefined where none), so the configured
   * rule strategy can be run inside the environment on exactly the engine's inputs.
   */
  readonly snapshots?: readonly (readonly FeatureSnapshot[])[];
  readonly rankings?: readonly (Ranking | undefined)[];
}

export interface TapeOptions {
  /** Scores each batch for the agent's signal: a ranker model's probabilities (`signalScore` of market-signal.ts); default the volatility rule. */
  readonly signalScore?: (snapshots: readonly FeatureSnapshot[]) => ArrayLike<number>;
  readonly signalSource?: SimpleRule | 'model';
  /** Keep every batch's snapshots and rankings (the `strategy` action source; about 1 kB a market and batch). */
  readonly keepSnapshots?: boolean;
}

/** Signal inputs per tape cell (market-signal.ts SIGNAL_FEATURES; kept here so the tape needs no import of it). */
const SIGNAL_WIDTH = 2;


/** Builds a tape from events in event-time order (as `readAll` returns them). */
export function buildTape(events: readonly MarketEvent[], config: Config, options: TapeOptions = {}): MarketTape {
  const signalSource = options.signalScore ? (options.signalSource ?? 'model') : 'volatility rule';
  const score = options.signalScore ?? RULE_SCORERS['volatility rule'];
  const markets: string[] = [];
  const index = new Map<string, number>();
  const eventMarket = new Int32Array(events.length);
  const firstPrices: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as MarketEvent;
    let m = index.get(e.market);
    if (m === undefined) {
      m = markets.length;
      markets.push(e.market);
      index.set(e.market, m);
      firstPrices.push(NaN);
    }
    if (Number.isNaN(firstPrices[m]) && eventPrice(e) > 0) firstPrices[m] = eventPrice(e);
    eventMarket[i] = m;
  }
  const M = markets.length;
  const tsList: number[] = [];
  const emit: number[] = [];
  const ranked: number[] = [];
  const orderList: number[] = [];
  const orderStart: number[] = [];
  const chunks: { b: number; snaps: readonly FeatureSnapshot[] }[] = [];
  const kept: (readonly FeatureSnapshot[])[] | undefined = options.keepSnapshots ? [] : undefined;
  const rankings: (Ranking | undefined)[] | undefined = options.keepSnapshots ? [] : undefined;
  let current = 0;
  const events$ = new Subject<MarketEvent>();
  const pipeline = marketPipeline(events$, config);
  pipeline.batches$.subscribe((batch) => {
    tsList.push(batch.ts);
    emit.push(current);
    ranked.push(0);
    orderStart.push(orderList.length);
    for (const s of batch.snapshots) orderList.push(index.get(s.market) as number);
    chunks.push({ b: tsList.length - 1, snaps: batch.snapshots });
    kept?.push(batch.snapshots);
    rankings?.push(undefined);
  });
  pipeline.ranking$.subscribe((r) => {
    if (tsList.length > 0 && tsList[tsList.length - 1] === r.ts) {
      ranked[ranked.length - 1] = 1;
      if (rankings) rankings[rankings.length - 1] = r;
    }
  });
  const B0 = Math.ceil(events.length / Math.max(1, M)) + 16;
  let features = new Float32Array(B0 * M * FEATURE_COUNT);
  let present = new Uint8Array(B0 * M);
  let price = new Float64Array(B0 * M);
  let bid = new Float64Array(B0 * M);
  let volatility = new Float64Array(B0 * M);
  let signalScore = new Float64Array(B0 * M);
  const rows = new Float32Array(M * FEATURE_COUNT);
  const drain = (): void => {
    for (const { b, snaps } of chunks) {
      if ((b + 1) * M > present.length) {
        const grow = <T extends Float32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T, width: number): T => {
          const next = make(Math.max(a.length * 2, (b + 1) * M * width));
          next.set(a);
          return next;
        };
        features = grow(features, (n) => new Float32Array(n), FEATURE_COUNT);
        present = grow(present, (n) => new Uint8Array(n), 1);
        price = grow(price, (n) => new Float64Array(n), 1);
        bid = grow(bid, (n) => new Float64Array(n), 1);
        volatility = grow(volatility, (n) => new Float64Array(n), 1);
        signalScore = grow(signalScore, (n) => new Float64Array(n), 1);
      }
      featureRows(snaps, rows);
      const scores = snaps.length > 0 ? score(snaps) : [];
      for (let i = 0; i < snaps.length; i++) {
        const s = snaps[i] as FeatureSnapshot;
        const m = index.get(s.market) as number;
        const k = b * M + m;
        features.set(rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), k * FEATURE_COUNT);
        present[k] = 1;
        price[k] = s.price;
        bid[k] = s.touch?.bidPrice ?? s.price;
        volatility[k] = s.volatility;
        signalScore[k] = scores[i] as number;
      }
    }
    chunks.length = 0;
  };
  for (current = 0; current < events.length; current++) {
    events$.next(events[current] as MarketEvent);
    if (chunks.length > 0) drain();
  }
  current = events.length;
  events$.complete();
  drain();
  const B = tsList.length;
  orderStart.push(orderList.length);
  return {
    markets,
    events,
    eventMarket,
    batches: B,
    ts: Float64Array.from(tsList),
    emitIndex: Int32Array.from(emit),
    ranked: Uint8Array.from(ranked),
    features: features.slice(0, B * M * FEATURE_COUNT),
    present: present.slice(0, B * M),
    price: price.slice(0, B * M),
    bid: bid.slice(0, B * M),
    volatility: volatility.slice(0, B * M),
    order: Int32Array.from(orderList),
    orderStart: Int32Array.from(orderStart),
    firstPrice: Float64Array.from(firstPrices),
    signalSource,
    signalScore: signalScore.slice(0, B * M),
    signal: new Float32Array(B * M * SIGNAL_WIDTH),
    ...(kept && rankings ? { snapshots: kept, rankings } : {}),
  };
}

/** Reads recorded data (files or folders) and builds its tape; events after `to` (exclusive) are left out. */
export async function loadTape(paths: readonly string[], config: Config, options: TapeOptions & { readonly to?: number; readonly markets?: readonly string[] } = {}): Promise<MarketTape> {
  const { events } = await readAll(paths);
  const to = options.to ?? Infinity;
  const keep = options.markets ? new Set(options.markets) : undefined;
  const kept = events.filter((e) => e.ts < to && (!keep || keep.has(e.market)));
  return buildTape(kept, config, options);
}

/** First batch with `ts >= t` (batches.length when none). */
export function batchAt(tape: MarketTape, t: number): number {
  let lo = 0;
  let hi = tape.batches;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((tape.ts[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
