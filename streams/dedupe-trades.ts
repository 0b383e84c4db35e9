import { Observable, type MonoTypeOperatorFunction, type Subscriber } from 'rxjs';
import type { MarketEvent, TradeEvent } from '../src/core/index.js';
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
    if (event.kind === 'trade' && event.id !== undefined && this.#seen(event)) return;
    this.downstream.next(event);
  }

  /**
   * Whether a trade with this id was already delivered for its market (and if not, the id is the last seen). Out
   * of `next`: the compiler inlines a bounded amount of bytecode into the event's path, which goes on to the
   * features. It takes the event: a call left out of line would pass a number that is not a small integer boxed.
   */
  #seen(event: TradeEvent): boolean {
    const market = event.market;
    const id = event.id as number; // next tests it first
    const counters = this.#options.counters;
    const cell = this.#lastIds.get(market);
    if (cell === undefined) {
      this.#lastIds.set(market, { id });
      return false;
    }
    const last = cell.id;
    if (id <= last) {
      if (counters) counters.duplicates++;
      return true;
    }
    if (this.#options.consecutiveIds && id > last + 1 && counters) {
      counters.gaps++;
      counters.missing += id - last - 1;
    }
    cell.id = id;
    return false;
  }
}
