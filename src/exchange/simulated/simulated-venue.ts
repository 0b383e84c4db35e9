import type { Observable } from 'rxjs';
import { eventPrice, type TimerClock, type Balance, type LimitOrderRequest, type LookupReply, type MarketEvent, type MarketRules, type MarketSymbol, type Order, type OrderEvent, type Venue } from '../../core/index.js';
import { inferredRulesSource, type InferredRules } from '../inferred-rules.js';
import { SimulatedExchange, type SimulatedExchangeSnapshot } from './simulated-exchange.js';

/** How long the run's end plays out what is still in flight (acknowledgements, cancels, delayed reports). */
const SETTLE_MS = 10 * 60_000;

export interface SimulatedVenueOptions {
  readonly quote: string;
  /** Free balance of the quote currency at the start. */
  readonly initialBalance: number;
  /** Fee of markets without known rules (not KRW, whose rules are Upbit's). */
  readonly feeRate: number;
  readonly fillModel: { readonly mode: 'touch' | 'through'; readonly participation: number };
  /** Event time an order submission or a cancel takes. */
  readonly latencyMs: number;
  readonly startTs: number;
  /** The exchange's own rules (paper trading on a live exchange) and their fee; markets they lack get inferred ones. */
  readonly own?: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number };
  /** A checkpoint's book to continue from. */
  readonly state?: SimulatedExchangeSnapshot;
  /**
   * The kernel's event clock. With it, what is in flight (an order's arrival, a cancel) is played out at
   * its own time on that clock, in time order with the positions' timers: an acknowledgement due before a
   * position's acknowledgement timeout arrives before it, however far apart the market events are.
   * Without it, only market events and `settle` move the exchange.
   */
  readonly clock?: TimerClock;
}

/**
 * The simulated venue (backtest, demo, paper): the event-time simulated exchange with the venue's rules —
 * the exchange's own where given, Upbit's for KRW, inferred from the first price elsewhere. Look-ups are
 * answered at once from its own book, market events match resting orders, and the end of a run plays
 * out ten minutes of what is in flight.
 */
export class SimulatedVenue implements Venue {
  readonly exchange: SimulatedExchange;
  readonly inferred: InferredRules;
  readonly ackTimeoutMs: number;
  readonly #own: SimulatedVenueOptions['own'];
  readonly #clock: TimerClock | undefined;
  /** Due time of the timer set for the exchange's next action (Infinity: none). */
  #wakeAt = Infinity;

  constructor(options: SimulatedVenueOptions) {
    this.inferred = inferredRulesSource(options.feeRate);
    this.#own = options.own;
    const own = options.own?.rules;
    const inferred = this.inferred;
    this.rules = own ? (m) => own(m) ?? inferred.rules(m) : (m) => inferred.rules(m);
    this.exchange = new SimulatedExchange({
      rules: this.rules,
      balances: { [options.quote]: options.initialBalance },
      fillModel: { mode: options.fillModel.mode, participation: options.fillModel.participation },
      latency: { submitMs: options.latencyMs, cancelMs: options.latencyMs },
      startTs: options.startTs,
    });
    if (options.state) this.exchange.restore(options.state);
    this.#clock = options.clock;
    this.#wake();
    // Looking up an order still in flight would find nothing and give it up too early: a minute, or three latencies.
    this.ackTimeoutMs = Math.max(60_000, 3 * options.latencyMs);
  }

  readonly rules: (market: MarketSymbol) => MarketRules | undefined;

  get orderEvents$(): Observable<OrderEvent> {
    return this.exchange.orderEvents$;
  }

  feeRate(quote: string): number {
    return this.#own?.feeRate ?? this.inferred.feeRate(quote);
  }

  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    const placed = this.exchange.createLimitOrder(request);
    this.#wake();
    return placed;
  }

  cancelOrder(orderId: string): Promise<void> {
    const cancelled = this.exchange.cancelOrder(orderId);
    this.#wake();
    return cancelled;
  }

  /** Sets a timer on the clock for the exchange's next scheduled action (see SimulatedVenueOptions.clock); one at a time. */
  #wake(): void {
    const clock = this.#clock;
    const due = this.exchange.nextActionTs;
    if (clock === undefined || due === undefined || due >= this.#wakeAt) return;
    this.#wakeAt = due;
    clock.setTimeout(() => {
      this.#wakeAt = Infinity;
      this.exchange.advanceTo(due);
      // What the actions scheduled in turn (a delayed report), or a later action, gets the next timer.
      this.#wake();
    }, Math.max(0, due - clock.now()));
  }

  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    return this.exchange.getOrder(ref);
  }

  /** Its own book is the truth: answered at once. */
  lookupOrder(ref: { readonly clientId: string; readonly market: MarketSymbol }, reply: LookupReply): void {
    reply({ order: this.exchange.getOrder({ clientId: ref.clientId }) });
  }

  getOpenOrders(): readonly Order[] {
    return this.exchange.getOpenOrders();
  }

  getBalance(currency: string): Balance {
    return this.exchange.getBalance(currency);
  }

  getBalances(): readonly Balance[] {
    return this.exchange.getBalances();
  }

  /** Learns a market's inferred rules from its first price (warm-up included). */
  observe(event: MarketEvent): void {
    // Once a market's rules are known there is nothing to learn (and no price to pass on per event).
    if (this.inferred.rules(event.market) === undefined) this.inferred.observe(event.market, eventPrice(event));
  }

  onMarketEvent(event: MarketEvent): void {
    // Observed until a well-formed event of the market reached the exchange: by then its rules are known.
    this.exchange.onMarketEvent(event, this);
  }

  settle(ts: number): void {
    this.exchange.advanceTo(ts + 1);
    this.exchange.advanceTo(ts + SETTLE_MS);
  }

  /** Every request is answered in event time: nothing waits on a network. */
  drained(): Promise<number> {
    return Promise.resolve(0);
  }

  snapshot(): SimulatedExchangeSnapshot {
    return this.exchange.snapshot();
  }

  /** Restored with its book: every order is where the checkpoint left it. */
  async restart(): Promise<readonly string[]> {
    return [];
  }
}
