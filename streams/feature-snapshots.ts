import { Observable, type OperatorFunction } from 'rxjs';
import type { FeatureSnapshot, MarketEvent } from '../src/core/index.js';
import { WINDOW_MS } from '../src/core/index.js';
import { MarketState } from './market-state.js';
import type { RegimeRule } from './regime.js';

/** All markets' features at one cadence boundary. */
export interface FeatureBatch {
  readonly ts: number;
  readonly snapshots: readonly FeatureSnapshot[];
}

/** Counters a caller may pass in to learn what the operator dropped. */
export interface FeatureCounters {
  events: number;
  /** Events older than what their market had already seen. */
  outOfOrder: number;
}

export interface FeatureSnapshotOptions {
  /** Cadence in event time: a batch at every multiple of it. For candles, use the timeframe (= on close). */
  readonly everyMs: number;
  /** A market with no event for this long is left out of batches (it rejoins on its next event). */
  readonly staleAfterMs?: number;
  readonly regimeRule?: RegimeRule;
  readonly counters?: FeatureCounters;
}

const FORGET_AFTER_MS = WINDOW_MS['1M'];

/**
 * Emits a FeatureBatch at each cadence boundary t = k·everyMs, holding every live market's snapshot
 * with all events of time ≤ t applied. A boundary is emitted when the first event after it arrives (and
 * the last one on completion); boundaries with no event since the previous batch are skipped, so a gap
 * in the data is a gap in the batches. Markets appear with their first event and leave after
 * `staleAfterMs` without one; their state is freed once it is older than the longest window.
 */
export function featureSnapshots(options: FeatureSnapshotOptions): OperatorFunction<MarketEvent, FeatureBatch> {
  const every = options.everyMs;
  if (!(every > 0)) throw new Error(`featureSnapshots: everyMs must be > 0, got ${every}`);
  const staleAfter = options.staleAfterMs ?? Infinity;
  return (source) =>
    new Observable<FeatureBatch>((subscriber) => {
      const markets = new Map<string, MarketState>();
      /** The same states in the Map's (insertion) order, walked at every boundary without an iterator. */
      let states: MarketState[] = [];
      let boundary = -Infinity;
      let pending = false;
      let lastMarket: string | undefined;
      let lastState: MarketState | undefined;
      const counters = options.counters;

      const emit = (t: number): void => {
        const snapshots: FeatureSnapshot[] = [];
        let forgotten = false;
        for (let i = 0; i < states.length; i++) {
          const state = states[i] as MarketState;
          if (state.lastEventTs <= t - FORGET_AFTER_MS) {
            markets.delete(state.market);
            if (state === lastState) lastMarket = lastState = undefined;
            forgotten = true;
            continue;
          }
          if (state.lastEventTs <= t - staleAfter || !(state.price > 0)) continue;
          snapshots.push(state.snapshot(t));
        }
        if (forgotten) states = [...markets.values()];
        pending = false;
        if (snapshots.length > 0) subscriber.next({ ts: t, snapshots });
      };

      return source.subscribe({
        next(event) {
          const ts = event.ts;
          if (ts > boundary) {
            if (pending) emit(boundary);
            boundary = Math.ceil(ts / every) * every;
          }
          // Trades of one market come in runs: the previous event's state saves most Map look-ups.
          let state = event.market === lastMarket ? lastState : markets.get(event.market);
          if (state === undefined) {
            state = new MarketState(event.market, options.regimeRule);
            markets.set(event.market, state);
            states.push(state);
          }
          lastMarket = event.market;
          lastState = state;
          if (counters) counters.events++;
          if (state.apply(event)) pending = true;
          else if (counters) counters.outOfOrder++;
        },
        error(error: unknown) {
          subscriber.error(error);
        },
        complete() {
          if (pending) emit(boundary);
          subscriber.complete();
        },
      });
    });
}
