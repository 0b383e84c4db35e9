import { Observable, type MonoTypeOperatorFunction, type Subscriber } from 'rxjs';
import type { MarketEvent } from '../src/core/index.js';
import { EventSink } from './event-sink.js';

export interface DedupeCounters {
  duplicates: number;
  /** Trades whose id jumped past the next expected id (only with `consecutiveIds`). */
  gaps: number;
  /** Ids missing in those gaps. */
  missing: number;
}

export interface DedupeOptions {
  /** The exchange numbers trades 1, 2, 3… per market (Binance), so a jump is a gap worth reporting. */
  readonly consecutiveIds?: boolean;
  readonly counters?: DedupeCounters;
}

/**
 * Drops a trade whose id is not greater than the last id seen for its market: exchanges number trades
 * increasingly per market (Binance `t`, Upbit `sequential_id`), so such a trade was already delivered
 * (a replayed frame after a reconnect, or an overlap between a backfill and the live feed). Trades
 * without id and other events pass untouched.
 */
export function dedupeTrades(options: DedupeOptions = {}): MonoTypeOperatorFunction<MarketEvent> {
  return (source) => new Observable<MarketEvent>((subscriber) => source.subscribe(new DedupeSink(subscriber, options)));
}

class DedupeSink extends EventSink<MarketEvent, MarketEvent> {
  /** Per market, the last id seen, in a mutable cell: one look-up a trade, no Map write. */
  readonly #lastIds = new Map<string, { id: number }>();
  readonly #options: DedupeOptions;

  constructor(downstream: Subscriber<MarketEvent>, options: DedupeOptions) {
    super(downstream);
    this.#options = options;
  }

  next(event: MarketEvent): void {
    if (this.stopped) return;
    if (event.kind === 'trade' && event.id !== undefined) {
      const counters = this.#options.counters;
      const cell = this.#lastIds.get(event.market);
      if (cell === undefined) this.#lastIds.set(event.market, { id: event.id });
      else {
        const last = cell.id;
        if (event.id <= last) {
          if (counters) counters.duplicates++;
          return;
        }
        if (this.#options.consecutiveIds && event.id > last + 1 && counters) {
          counters.gaps++;
          counters.missing += event.id - last - 1;
        }
        cell.id = event.id;
      }
    }
    this.downstream.next(event);
  }
}
