import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { FeatureSnapshot, MarketEvent } from '../src/core/index.js';
import { WINDOW_MS } from '../src/core/index.js';
import { EventSink } from './event-sink.js';
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
 * Where `packedFeatureSnapshots` writes its batches instead of emitting them (the feature thread's packer,
 * streams/packed-features.ts): `begin` at a boundary, `write` for each of the batch's markets in order, `end`.
 */
export interface SnapshotRows {
  begin(ts: number): void;
  /** The market's snapshot at `ts`, as `state.snapshot(ts)` would take it (see MarketState.writeRow). */
  write(state: MarketState, ts: number): void;
  end(): void;
}

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
  return (source) => new Observable<FeatureBatch>((subscriber) => source.subscribe(new SnapshotSink(subscriber, every, staleAfter, options)));
}

/**
 * featureSnapshots with each batch written into `rows` as it is taken, not emitted: the same batches (the same
 * markets, in the same order, at the same boundaries) without a snapshot object a market. Emits nothing;
 * completes and fails as featureSnapshots does.
 */
export function packedFeatureSnapshots(options: FeatureSnapshotOptions, rows: SnapshotRows): OperatorFunction<MarketEvent, never> {
  const every = options.everyMs;
  if (!(every > 0)) throw new Error(`featureSnapshots: everyMs must be > 0, got ${every}`);
  const staleAfter = options.staleAfterMs ?? Infinity;
  return (source) => new Observable<never>((subscriber) => source.subscribe(new SnapshotSink(subscriber, every, staleAfter, options, rows)));
}

class SnapshotSink extends EventSink<MarketEvent, FeatureBatch> {
  readonly #every: number;
  readonly #staleAfter: number;
  readonly #regimeRule: RegimeRule | undefined;
  /** The caller's counters, or the operator's own (counting into an object always there costs no test an event). */
  readonly #counters: FeatureCounters;
  readonly #markets = new Map<string, MarketState>();
  /** The same states in the Map's (insertion) order, walked at every boundary without an iterator. */
  #states: MarketState[] = [];
  #boundary = -Infinity;
  #pending = false;
  /** The last event's market ('' before the first; always a string, so the test an event compares strings only). */
  #lastMarket = '';
  #lastState: MarketState | undefined;
  /**
   * No state's last event is older than this (a lower bound, −Infinity once a state is made): while a boundary's
   * t − FORGET_AFTER_MS is below it there is nothing to forget, and #emit does not look (a test a market a
   * boundary, most of them stale markets that are not snapshotted either).
   */
  #oldestEvent = Infinity;
  /** Where the batches are written instead of emitted (packedFeatureSnapshots), if anywhere. */
  readonly #rows: SnapshotRows | undefined;

  constructor(downstream: Subscriber<FeatureBatch>, every: number, staleAfter: number, options: FeatureSnapshotOptions, rows?: SnapshotRows) {
    super(downstream);
    this.#every = every;
    this.#staleAfter = staleAfter;
    this.#regimeRule = options.regimeRule;
    this.#counters = options.counters ?? { events: 0, outOfOrder: 0 };
    this.#rows = rows;
  }

  next(event: MarketEvent): void {
    if (this.stopped) return;
    try {
      const ts = event.ts;
      if (ts > this.#boundary) this.#cross(ts);
      // Trades of one market come in runs: the previous event's state saves most Map look-ups (and the last
      // market is written only when it changes: two stores an event with their write barriers).
      let state = this.#lastState;
      if (event.market !== this.#lastMarket || state === undefined) state = this.#stateOf(event.market);
      const counters = this.#counters;
      counters.events++;
      // apply's own test (it changes nothing for an event older than its market's last), made here: apply is
      // compiled as a call, and the compiler tests a call's answer as it would any value.
      if (ts < state.lastTs) counters.outOfOrder++;
      else {
        state.apply(event);
        this.#pending = true;
      }
    } catch (error: unknown) {
      this.fail(error);
    }
  }

  /**
   * The event at `ts` is past the boundary: the batch of the boundary, if an event came since the last, and the
   * next boundary. Out of `next` (about once a second), for the same reason as #stateOf.
   */
  #cross(ts: number): void {
    if (this.#pending) this.#emit(this.#boundary);
    this.#boundary = Math.ceil(ts / this.#every) * this.#every;
  }

  /**
   * The market's state, made on its first event, and remembered as the last event's. Out of `next`: the compiler
   * inlines a bounded amount of bytecode into the event's path, and a change of market is the rarer case.
   */
  #stateOf(market: string): MarketState {
    let state = this.#markets.get(market);
    if (state === undefined) {
      state = new MarketState(market, this.#regimeRule);
      this.#markets.set(market, state);
      this.#states.push(state);
      this.#oldestEvent = -Infinity;
    }
    this.#lastMarket = market;
    this.#lastState = state;
    return state;
  }

  protected override finish(): void {
    if (this.#pending) this.#emit(this.#boundary);
  }

  #emit(t: number): void {
    if (this.#rows !== undefined) return this.#write(t, this.#rows);
    if (t - FORGET_AFTER_MS >= this.#oldestEvent) this.#forget(t);
    // Built from a one-element literal, not pushed into []: the first push allocates room for 17, and a batch
    // often holds one or two markets (a batch a second).
    let snapshots: FeatureSnapshot[] | undefined;
    const states = this.#states;
    // Once, not a field load an iteration (the snapshot is a call, after which the compiler reloads fields).
    const staleBefore = t - this.#staleAfter;
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as MarketState;
      if (state.lastEventTs <= staleBefore || !(state.price > 0)) continue;
      const snapshot = state.snapshot(t);
      if (snapshots === undefined) snapshots = [snapshot];
      else snapshots.push(snapshot);
    }
    this.#pending = false;
    if (snapshots !== undefined) this.downstream.next({ ts: t, snapshots });
  }

  /** #emit for packedFeatureSnapshots: the same markets' snapshots, written into `rows`. */
  #write(t: number, rows: SnapshotRows): void {
    if (t - FORGET_AFTER_MS >= this.#oldestEvent) this.#forget(t);
    const states = this.#states;
    const staleBefore = t - this.#staleAfter;
    rows.begin(t);
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as MarketState;
      if (state.lastEventTs <= staleBefore || !(state.price > 0)) continue;
      rows.write(state, t);
    }
    this.#pending = false;
    rows.end();
  }

  /** Frees the states with no event for FORGET_AFTER_MS as of `t`, and finds the oldest last event of the others. */
  #forget(t: number): void {
    const before = t - FORGET_AFTER_MS;
    const states = this.#states;
    let oldest = Infinity;
    let forgotten = false;
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as MarketState;
      if (state.lastEventTs <= before) {
        this.#markets.delete(state.market);
        if (state === this.#lastState) {
          this.#lastMarket = '';
          this.#lastState = undefined;
        }
        forgotten = true;
      } else if (state.lastEventTs < oldest) oldest = state.lastEventTs;
    }
    this.#oldestEvent = oldest;
    if (forgotten) this.#states = [...this.#markets.values()];
  }
}
