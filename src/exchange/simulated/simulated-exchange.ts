import { Subject, type Observable } from 'rxjs';
import type {
  Balance,
  CandleEvent,
  Exchange,
  Fill,
  LimitOrderRequest,
  MarketEvent,
  MarketRules,
  MarketSymbol,
  Order,
  OrderEvent,
  OrderSide,
  OrderStatus,
  RejectReason,
  TradeEvent,
} from '../../core/index.js';
import { MarketRound } from '../../core/market-round.js';
import type { RulesSource } from '../market-rules.js';
import { isMultipleOfTick, isPriceOnTick, roundAmountDown, roundPrice } from '../tick-math.js';
import { ActionQueue } from './action-queue.js';
import { DEFAULT_FILL_MODEL, candleReaches, fillThreshold, tradeReaches, type FillModelOptions } from './fill-model.js';

/** Event-time delays in milliseconds. All default to 0. */
export interface LatencyOptions {
  /** Request → the order reaches the exchange (funds checked and locked, may fill). */
  readonly submitMs: number;
  /** Cancel request → the cancel takes effect at the exchange. */
  readonly cancelMs: number;
  /** Order reaches the exchange (or is refused) → `order.accepted` / `order.rejected` is delivered. */
  readonly ackReportMs: number;
  /** A fill happens → its `order.fill` is delivered. */
  readonly fillReportMs: number;
  /** A cancel takes effect → `order.cancelled` is delivered. */
  readonly cancelReportMs: number;
}

export interface SimulatedExchangeOptions {
  /** Rules per market: a map, or a factory such as `defaultRulesSource()`; undefined = unknown market. */
  readonly rules: RulesSource;
  /** Initial free balances per currency, e.g. `{ KRW: 1_000_000 }`. */
  readonly balances: Readonly<Record<string, number>>;
  readonly fillModel?: Partial<FillModelOptions>;
  readonly latency?: Partial<LatencyOptions>;
  /** Event time before the first market event. */
  readonly startTs?: number;
}

/** Tolerance (relative) for funds and minimum checks: float noise in price × amount is not a shortfall. */
const MONEY_TOLERANCE = 1e-12;

interface SimOrder {
  readonly id: string;
  readonly clientId: string;
  readonly market: MarketSymbol;
  readonly side: OrderSide;
  readonly price: number;
  readonly amount: number;
  readonly seq: number;
  readonly createdTs: number;
  /** `pending` until it reaches the exchange. */
  status: OrderStatus | 'pending';
  liveSince: number;
  remaining: number;
  filled: number;
  cost: number;
  fee: number;
  /** Still locked for this order: quote (buy) or base (sell). */
  lock: number;
  /** See `fillThreshold`. */
  threshold: number;
}

interface BookTop {
  ts: number;
  bidPrice: number;
  bidSize: number;
  askPrice: number;
  askSize: number;
}

interface MarketState {
  /** NaN before the first trade, candle or ticker (a number field, so a write per event allocates nothing). */
  lastPrice: number;
  lastTs: number;
  /** Volume of the last trade/candle our buys (sells) may still take. */
  buyBudget: number;
  sellBudget: number;
  book: BookTop | undefined;
  /** Resting orders, in arrival order. */
  readonly open: SimOrder[];
}

/** JSON has no infinities: event times of "never" and "before anything" are written as null. */
const encodeTime = (t: number): number | null => (Number.isFinite(t) ? t : null);
const decodeTime = (t: number | null, none: number): number => (t === null ? none : t);

type SnapshotOrder = Omit<SimOrder, 'liveSince'> & { readonly liveSince: number | null };
type SnapshotAction = { readonly kind: 'arrive' | 'cancel'; readonly orderId: string } | { readonly kind: 'deliver'; readonly event: OrderEvent };

/**
 * Everything a simulated exchange holds, as plain JSON: balances, fees, every order, the resting ones
 * per market, the last prints and book tops the fill model remembers, and the scheduled
 * acknowledgements, cancels and deliveries (so a cancel in flight survives a restart).
 */
export interface SimulatedExchangeSnapshot {
  readonly v: 1;
  readonly now: number;
  readonly nextId: number;
  readonly malformed: number;
  readonly free: readonly (readonly [string, number])[];
  readonly feesPaid: readonly (readonly [string, number])[];
  readonly orders: readonly SnapshotOrder[];
  readonly open: readonly string[];
  readonly markets: readonly (readonly [MarketSymbol, { lastPrice?: number; lastTs: number | null; buyBudget: number; sellBudget: number; book?: BookTop; open: string[] }])[];
  readonly queue: { readonly next: number; readonly entries: readonly { ts: number; seq: number; item: SnapshotAction }[] };
}

/** An order event before its delivery time is known. */
type Undelivered = OrderEvent extends infer E ? (E extends OrderEvent ? Omit<E, 'ts'> : never) : never;

type Action =
  | { readonly kind: 'arrive'; readonly order: SimOrder }
  | { readonly kind: 'cancel'; readonly order: SimOrder }
  | { readonly kind: 'deliver'; readonly event: OrderEvent };

/**
 * An exchange that lives in event time, for backtests and paper trading. Market events drive it
 * (`onMarketEvent`); there is no wall clock: every latency is event time. Resting orders fill by
 * the documented fill model (docs/fill-model.md); balances are locked while orders rest; ids are
 * sequential (`sim-1`, `sim-2`, …), so the same inputs always give the same events.
 *
 * Visibility: `fetchOrder`, `openOrders`, `balances` (and their synchronous `get*` twins) show the
 * exchange's own state at the current event time; `orderEvents$` delivers each change after its
 * report latency, in delivery-time order. `OrderEvent.ts` is the delivery time; `Fill.ts` the match time.
 */
export class SimulatedExchange implements Exchange {
  readonly #rules: RulesSource;
  readonly #resolved = new Map<MarketSymbol, MarketRules | undefined>();
  readonly #fillModel: FillModelOptions;
  readonly #latency: LatencyOptions;
  readonly #free = new Map<string, number>();
  readonly #feesPaid = new Map<string, number>();
  readonly #orders = new Map<string, SimOrder>();
  readonly #byClientId = new Map<string, SimOrder>();
  /** Resting orders of every market, in arrival order. */
  readonly #open = new Set<SimOrder>();
  readonly #markets = new Map<MarketSymbol, MarketState>();
  /**
   * A market event's rules and state by market (null: no rules), one look-up an event instead of two, by
   * the market's place in the round of events (see MarketRound).
   */
  readonly #fed = new MarketRound<{ readonly rules: MarketRules; readonly state: MarketState } | null>();
  #queue = new ActionQueue<Action>();
  readonly #events = new Subject<OrderEvent>();
  #now: number;
  #nextId = 1;
  #draining = false;
  #malformed = 0;
  /** getBalances' answer until a balance or a lock changes (the engine values equity every batch). */
  #balanceView: readonly Balance[] | undefined;

  readonly orderEvents$: Observable<OrderEvent> = this.#events.asObservable();

  constructor(options: SimulatedExchangeOptions) {
    this.#rules = options.rules;
    this.#fillModel = { ...DEFAULT_FILL_MODEL, ...options.fillModel };
    const { participation, mode, marketableOnArrival } = this.#fillModel;
    if (!(participation > 0 && participation <= 1)) throw new Error(`invalid fillModel.participation ${participation}: expected 0 < p ≤ 1`);
    if (mode !== 'through' && mode !== 'touch') throw new Error(`invalid fillModel.mode "${String(mode)}": expected through or touch`);
    if (marketableOnArrival !== 'fill' && marketableOnArrival !== 'rest') {
      throw new Error(`invalid fillModel.marketableOnArrival "${String(marketableOnArrival)}": expected fill or rest`);
    }
    this.#latency = { submitMs: 0, cancelMs: 0, ackReportMs: 0, fillReportMs: 0, cancelReportMs: 0, ...options.latency };
    for (const [key, value] of Object.entries(this.#latency)) {
      if (!Number.isFinite(value) || value < 0) throw new Error(`invalid latency.${key} ${value}: expected a finite number ≥ 0`);
    }
    for (const [currency, amount] of Object.entries(options.balances)) {
      if (!Number.isFinite(amount) || amount < 0) throw new Error(`invalid initial balance ${currency} ${amount}: expected a finite number ≥ 0`);
      this.#free.set(currency, amount);
    }
    this.#now = options.startTs ?? 0;
  }

  /** Current event time. */
  get now(): number {
    return this.#now;
  }

  /** Market events that were refused as malformed (non-finite or non-positive numbers) and ignored. */
  get malformedEvents(): number {
    return this.#malformed;
  }

  /** Scheduled acknowledgements, cancels and deliveries not yet due. */
  get pendingActions(): number {
    return this.#queue.size;
  }

  /** Event time of the next scheduled action (an arrival, a cancel, a delayed report), or undefined when none. */
  get nextActionTs(): number | undefined {
    return this.#queue.peekTs();
  }

  // ---- driving ------------------------------------------------------------------------------

  /**
   * Advances event time to the event (never backwards: a late event is processed at the current
   * time), runs every action due by then, matches resting orders against the event, then delivers
   * whatever became due. Must not be called from inside an `orderEvents$` subscriber.
   */
  onMarketEvent(event: MarketEvent, unfed?: { observe(event: MarketEvent): void }): void {
    // `unfed` observes each event of a market until a well-formed one was fed here (the venue learns the
    // market's rules from it): the look-up that finds the market's rules and state answers that too. An
    // object's method, not a function value: a venue's own closure was another function each run, and the
    // code compiled in the run before was thrown away at the next run's first event.
    let fed = this.#fed.get(event.market);
    if (fed === undefined && unfed !== undefined) unfed.observe(event);
    if (this.#draining) throw new Error('SimulatedExchange.onMarketEvent called from inside an orderEvents$ subscriber');
    if (!isWellFormed(event)) {
      this.#malformed++;
      return;
    }
    const now = this.#now;
    const ts = event.ts;
    const t = ts > now ? ts : now;
    // #drain is called only when something is due: most events have nothing in flight. The test is written
    // out here, not a method given `t`: the call boxed `t` in a heap number at every event, 16 bytes each.
    let first = this.#queue.peekTs();
    if (first !== undefined && first <= t) this.#drain(t);
    this.#now = t;
    if (fed === undefined) fed = this.#fedMarket(event.market);
    if (fed !== null) this.#match(event, fed.rules, fed.state);
    first = this.#queue.peekTs();
    if (first !== undefined && first <= t) this.#drain(t);
  }

  /** Advances event time without a market event (e.g. to flush delayed reports at the end of a run). */
  advanceTo(ts: number): void {
    if (this.#draining) throw new Error('SimulatedExchange.advanceTo called from inside an orderEvents$ subscriber');
    if (!Number.isFinite(ts)) throw new Error(`advanceTo: invalid time ${ts}`);
    this.#drain(ts);
    if (ts > this.#now) this.#now = ts;
  }

  // ---- persistence --------------------------------------------------------------------------

  /** The whole state as JSON-safe data; `restore` on a new instance with the same options continues identically. */
  snapshot(): SimulatedExchangeSnapshot {
    return {
      v: 1,
      now: this.#now,
      nextId: this.#nextId,
      malformed: this.#malformed,
      free: [...this.#free],
      feesPaid: [...this.#feesPaid],
      orders: [...this.#orders.values()].map((o) => ({ ...o, liveSince: encodeTime(o.liveSince) })),
      open: [...this.#open].map((o) => o.id),
      markets: [...this.#markets].map(([market, m]) => [
        market,
        { ...(!Number.isNaN(m.lastPrice) ? { lastPrice: m.lastPrice } : {}), lastTs: encodeTime(m.lastTs), buyBudget: m.buyBudget, sellBudget: m.sellBudget, ...(m.book ? { book: { ...m.book } } : {}), open: m.open.map((o) => o.id) },
      ]),
      queue: this.#queue.dump((a): SnapshotAction => (a.kind === 'deliver' ? a : { kind: a.kind, orderId: a.order.id })),
    };
  }

  /** Replaces this exchange's state with a snapshot (taken from an exchange built with the same options). */
  restore(snapshot: SimulatedExchangeSnapshot): void {
    if (snapshot.v !== 1) throw new Error(`SimulatedExchange.restore: unsupported snapshot version ${String(snapshot.v)}`);
    if (this.#draining) throw new Error('SimulatedExchange.restore called from inside an orderEvents$ subscriber');
    this.#now = snapshot.now;
    this.#nextId = snapshot.nextId;
    this.#malformed = snapshot.malformed;
    this.#free.clear();
    this.#balanceView = undefined;
    for (const [c, v] of snapshot.free) this.#free.set(c, v);
    this.#feesPaid.clear();
    for (const [c, v] of snapshot.feesPaid) this.#feesPaid.set(c, v);
    this.#orders.clear();
    this.#byClientId.clear();
    for (const o of snapshot.orders) {
      const order: SimOrder = { ...o, liveSince: decodeTime(o.liveSince, Number.POSITIVE_INFINITY) };
      this.#orders.set(order.id, order);
      this.#byClientId.set(order.clientId, order);
    }
    const byId = (id: string): SimOrder => {
      const order = this.#orders.get(id);
      if (!order) throw new Error(`SimulatedExchange.restore: snapshot refers to unknown order ${id}`);
      return order;
    };
    this.#open.clear();
    for (const id of snapshot.open) this.#open.add(byId(id));
    this.#markets.clear();
    this.#fed.clear();
    for (const [market, m] of snapshot.markets) {
      this.#markets.set(market, { lastPrice: m.lastPrice ?? Number.NaN, lastTs: decodeTime(m.lastTs, Number.NEGATIVE_INFINITY), buyBudget: m.buyBudget, sellBudget: m.sellBudget, book: m.book ? { ...m.book } : undefined, open: m.open.map(byId) });
    }
    this.#queue = ActionQueue.load(snapshot.queue, (a: SnapshotAction): Action => (a.kind === 'deliver' ? a : { kind: a.kind, order: byId(a.orderId) }));
  }

  // ---- Exchange port ------------------------------------------------------------------------

  /** Every market of a rules map; with a rules factory, the markets resolved so far (seen in events or orders). */
  async markets(): Promise<readonly MarketRules[]> {
    const all = this.#rules instanceof Map ? [...this.#rules.values()] : [...this.#resolved.values()];
    return all.filter((r): r is MarketRules => r !== undefined).sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
  }

  async balances(): Promise<readonly Balance[]> {
    return this.getBalances();
  }

  /**
   * Submits a limit order. A client id already used by a live, pending or finished order returns
   * that order unchanged (idempotent retry). With `submitMs` = 0 the order is decided now and the
   * promise resolves with it (undefined when refused). Otherwise it resolves at once with the order
   * in flight (status `open`, nothing filled); a refusal then arrives as `order.rejected`.
   */
  async createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    if (typeof request.clientId !== 'string' || request.clientId === '') throw new Error('createLimitOrder: clientId must be a non-empty string');
    if (request.side !== 'buy' && request.side !== 'sell') throw new Error(`createLimitOrder: invalid side "${String(request.side)}"`);
    if (typeof request.market !== 'string') throw new Error('createLimitOrder: market must be a string');
    const existing = this.#byClientId.get(request.clientId);
    if (existing) return this.#view(existing);
    const rules = this.#rulesFor(request.market);
    // What the ccxt adapter would send: a valid price as its clean decimal (0.1 + 0.2 → 0.3).
    const price = rules && isPriceOnTick(rules, request.price) ? roundPrice(rules, request.price, 'nearest') : request.price;
    const order: SimOrder = {
      id: `sim-${this.#nextId++}`,
      clientId: request.clientId,
      market: request.market,
      side: request.side,
      price,
      amount: request.amount,
      seq: this.#nextId,
      createdTs: this.#now,
      status: 'pending',
      liveSince: Number.POSITIVE_INFINITY,
      remaining: request.amount,
      filled: 0,
      cost: 0,
      fee: 0,
      lock: 0,
      threshold: 0,
    };
    this.#orders.set(order.id, order);
    this.#byClientId.set(order.clientId, order);
    this.#queue.push(this.#now + this.#latency.submitMs, { kind: 'arrive', order });
    this.#drain(this.#now);
    return order.status === 'rejected' ? undefined : this.#view(order);
  }

  /**
   * Requests a cancel; it takes effect `cancelMs` later. A fill in between wins the race. Cancelling
   * an order that is already filled or cancelled by then is a no-op with no event (its fill or
   * cancel events already tell the outcome). A cancel that reaches the exchange before the order
   * itself is refused with `order.rejected` (`unknown_order`) and the order still arrives and rests.
   * An id this exchange never issued rejects the promise.
   */
  async cancelOrder(orderId: string): Promise<void> {
    const order = this.#orders.get(orderId);
    if (!order) throw new Error(`cancelOrder: unknown order id "${orderId}"`);
    this.#queue.push(this.#now + this.#latency.cancelMs, { kind: 'cancel', order });
    this.#drain(this.#now);
  }

  async fetchOrder(ref: { readonly id?: string; readonly clientId?: string }): Promise<Order | undefined> {
    return this.getOrder(ref);
  }

  async openOrders(): Promise<readonly Order[]> {
    return this.getOpenOrders();
  }

  // ---- synchronous access for the engine ----------------------------------------------------

  /** The order as the exchange knows it now; undefined while it is still in flight. */
  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    const byId = ref.id === undefined ? undefined : this.#orders.get(ref.id);
    const byClient = ref.clientId === undefined ? undefined : this.#byClientId.get(ref.clientId);
    const order = ref.id !== undefined && ref.clientId !== undefined ? (byId === byClient ? byId : undefined) : (byId ?? byClient);
    return order && order.status !== 'pending' ? this.#view(order) : undefined;
  }

  /** Resting orders in arrival order. */
  getOpenOrders(): readonly Order[] {
    return [...this.#open].map((o) => this.#view(o));
  }

  /** Free and locked balance of every currency seen, sorted by currency. */
  getBalances(): readonly Balance[] {
    return (this.#balanceView ??= Object.freeze(this.#computeBalances()));
  }

  #computeBalances(): Balance[] {
    const locked = new Map<string, number>();
    for (const o of this.#open) {
      const currency = this.#lockCurrency(o);
      locked.set(currency, (locked.get(currency) ?? 0) + o.lock);
    }
    const currencies = [...new Set([...this.#free.keys(), ...locked.keys()])].sort();
    return currencies.map((currency) => Object.freeze({ currency, free: this.#free.get(currency) ?? 0, locked: locked.get(currency) ?? 0 }));
  }

  getBalance(currency: string): Balance {
    let locked = 0;
    for (const o of this.#open) if (this.#lockCurrency(o) === currency) locked += o.lock;
    return { currency, free: this.#free.get(currency) ?? 0, locked };
  }

  /** Fees charged so far, per (quote) currency. */
  feesPaid(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#feesPaid);
  }

  // ---- internals ----------------------------------------------------------------------------

  #rulesFor(market: MarketSymbol): MarketRules | undefined {
    if (this.#rules instanceof Map) return this.#rules.get(market);
    const known = this.#resolved.get(market);
    if (known !== undefined || this.#resolved.has(market)) return known;
    const rules = (this.#rules as (m: MarketSymbol) => MarketRules | undefined)(market);
    this.#resolved.set(market, rules);
    return rules;
  }

  #fedMarket(market: MarketSymbol): { readonly rules: MarketRules; readonly state: MarketState } | null {
    let fed = this.#fed.get(market);
    if (fed === undefined) {
      const rules = this.#rulesFor(market);
      fed = rules ? { rules, state: this.#state(market) } : null;
      // A rules factory's answer is final (#resolved); a rules map is read afresh each time.
      if (!(this.#rules instanceof Map)) this.#fed.set(market, fed);
    }
    return fed;
  }

  #state(market: MarketSymbol): MarketState {
    let state = this.#markets.get(market);
    if (!state) {
      state = { lastPrice: Number.NaN, lastTs: Number.NEGATIVE_INFINITY, buyBudget: 0, sellBudget: 0, book: undefined, open: [] };
      this.#markets.set(market, state);
    }
    return state;
  }

  /** Runs every scheduled action due by `until`, in (time, schedule order). Re-entrant calls return at once. */
  #drain(until: number): void {
    if (this.#draining) return;
    const first = this.#queue.peekTs();
    if (first === undefined || first > until) return;
    this.#draining = true;
    try {
      for (let ts = this.#queue.peekTs(); ts !== undefined && ts <= until; ts = this.#queue.peekTs()) {
        const { item } = this.#queue.pop()!;
        if (ts > this.#now) this.#now = ts;
        this.#run(item);
      }
    } finally {
      this.#draining = false;
    }
  }

  #run(action: Action): void {
    switch (action.kind) {
      case 'arrive':
        return this.#arrive(action.order);
      case 'cancel':
        return this.#cancel(action.order);
      case 'deliver':
        return this.#events.next(action.event);
    }
  }

  #deliver(delay: number, event: Undelivered): void {
    const ts = this.#now + delay;
    // Object.assign rather than `{ ...event, ts }`: a spread followed by a key is slow on Node 20 (see position-logic.ts).
    this.#queue.push(ts, { kind: 'deliver', event: Object.assign({}, event, { ts }) as OrderEvent });
  }

  #reject(order: SimOrder, reason: RejectReason, message: string): void {
    order.status = 'rejected';
    // A refused attempt does not reserve the client id: a corrected retry may reuse it.
    if (this.#byClientId.get(order.clientId) === order) this.#byClientId.delete(order.clientId);
    this.#deliver(this.#latency.ackReportMs, {
      type: 'order.rejected',
      clientId: order.clientId,
      market: order.market,
      side: order.side,
      reason,
      message: `${order.id} (${order.clientId}): ${message}`,
    });
  }

  #arrive(order: SimOrder): void {
    const rules = this.#rulesFor(order.market);
    if (!rules) return this.#reject(order, 'unknown_market', `unknown market ${order.market}`);
    const { price, amount } = order;
    if (!isPriceOnTick(rules, price)) {
      const detail = Number.isFinite(price) && price > 0 ? ` (tick ${rules.tickSize(price)})` : '';
      return this.#reject(order, 'invalid_price', `price ${price} is not a valid price of ${order.market}${detail}`);
    }
    if (!Number.isFinite(amount) || amount <= 0) return this.#reject(order, 'invalid_amount', `amount ${amount} must be a finite number > 0`);
    if (rules.amountStep > 0 && !isMultipleOfTick(amount, rules.amountStep)) {
      return this.#reject(order, 'invalid_amount', `amount ${amount} is not a multiple of the lot step ${rules.amountStep}`);
    }
    const total = price * amount;
    if (total < rules.minTotal * (1 - MONEY_TOLERANCE)) {
      return this.#reject(order, 'under_minimum', `total ${total} ${rules.quote} is under the minimum ${rules.minTotal}`);
    }
    const currency = order.side === 'buy' ? rules.quote : rules.base;
    const required = order.side === 'buy' ? total * (1 + rules.feeRate) : amount;
    const free = this.#free.get(currency) ?? 0;
    if (required > free * (1 + MONEY_TOLERANCE)) {
      return this.#reject(order, 'insufficient_funds', `needs ${required} ${currency}, ${free} free`);
    }
    const lock = Math.min(required, free);
    this.#free.set(currency, free - lock);
    this.#balanceView = undefined;
    order.lock = lock;
    order.status = 'open';
    order.liveSince = this.#now;
    order.threshold = fillThreshold(rules, order.side, price, this.#fillModel.mode);
    const state = this.#state(order.market);
    state.open.push(order);
    this.#open.add(order);
    this.#deliver(this.#latency.ackReportMs, { type: 'order.accepted', order: this.#view(order) });
    if (this.#fillModel.marketableOnArrival === 'fill') this.#fillOnArrival(order, rules, state);
  }

  /** A marketable order takes the fresher of: the book top's size, or the last print's unused volume. */
  #fillOnArrival(order: SimOrder, rules: MarketRules, state: MarketState): void {
    const book = state.book;
    const buy = order.side === 'buy';
    if (book && (Number.isNaN(state.lastPrice) || book.ts >= state.lastTs)) {
      const crosses = buy ? book.askPrice <= order.price : book.bidPrice >= order.price;
      if (!crosses) return;
      const taken = this.#fill(order, rules, state, buy ? book.askSize : book.bidSize);
      if (buy) book.askSize -= taken;
      else book.bidSize -= taken;
      return;
    }
    if (Number.isNaN(state.lastPrice) || !tradeReaches(order.side, order.threshold, state.lastPrice)) return;
    if (buy) state.buyBudget -= this.#fill(order, rules, state, state.buyBudget);
    else state.sellBudget -= this.#fill(order, rules, state, state.sellBudget);
  }

  // The fills' closures live in methods of their own: a closure over `event` in #match would make every
  // market event allocate #match a context, orders resting or not.
  #fillTrade(rules: MarketRules, state: MarketState, event: TradeEvent): void {
    this.#fillResting(rules, state, (o) => tradeReaches(o.side, o.threshold, event.price));
  }

  #fillCandle(rules: MarketRules, state: MarketState, event: CandleEvent): void {
    // Where inside the candle the extreme printed is unknown: only orders live for the whole candle qualify.
    this.#fillResting(rules, state, (o) => o.liveSince <= event.openTime && candleReaches(o.side, o.threshold, event));
  }

  #match(event: MarketEvent, rules: MarketRules, state: MarketState): void {
    const participation = this.#fillModel.participation;
    switch (event.kind) {
      case 'trade':
        state.lastPrice = event.price;
        state.lastTs = this.#now;
        state.buyBudget = participation * event.amount;
        state.sellBudget = participation * event.amount;
        if (state.open.length > 0) this.#fillTrade(rules, state, event);
        return;
      case 'candle':
        state.lastPrice = event.close;
        state.lastTs = this.#now;
        state.buyBudget = participation * event.volume;
        state.sellBudget = participation * event.volume;
        if (state.open.length > 0) this.#fillCandle(rules, state, event);
        return;
      case 'ticker':
        // A last price without volume: nothing to fill against.
        state.lastPrice = event.price;
        state.lastTs = this.#now;
        state.buyBudget = 0;
        state.sellBudget = 0;
        return;
      case 'book':
        // Book tops only serve marketable arrivals: a book crossing a resting order means trades
        // happened, and the trade stream reports them (counting both would double the volume).
        state.book = { ts: this.#now, bidPrice: event.bidPrice, bidSize: event.bidSize, askPrice: event.askPrice, askSize: event.askSize };
        return;
    }
  }

  /** Fills eligible resting orders, best price first then earliest, each side from its own volume budget. */
  #fillResting(rules: MarketRules, state: MarketState, eligible: (o: SimOrder) => boolean): void {
    const hits = state.open.filter(eligible);
    if (hits.length === 0) return;
    hits.sort((a, b) => (a.side === 'buy' ? b.price - a.price : a.price - b.price) || a.seq - b.seq);
    for (const order of hits) {
      if (order.side === 'buy') state.buyBudget -= this.#fill(order, rules, state, state.buyBudget);
      else state.sellBudget -= this.#fill(order, rules, state, state.sellBudget);
    }
  }

  /**
   * Fills up to `available` base units at the order's limit price; returns the amount filled.
   * A buy pays cost + fee out of its lock (the final fill takes exactly what is left of the lock, so
   * float noise never leaks into free cash); a sell receives cost − fee.
   */
  #fill(order: SimOrder, rules: MarketRules, state: MarketState, available: number): number {
    if (!(available > 0) || order.status !== 'open') return 0;
    // Volume within float noise of the remainder completes the order rather than leaving 1e-17 of dust.
    const amount = available >= order.remaining * (1 - MONEY_TOLERANCE) ? order.remaining : roundAmountDown(available, rules.amountStep);
    if (!(amount > 0)) return 0;
    const final = amount === order.remaining;
    this.#balanceView = undefined;
    const cost = order.price * amount;
    let fee: number;
    if (order.side === 'buy') {
      if (final) {
        fee = Math.max(0, order.lock - cost);
        order.lock = 0;
      } else {
        fee = cost * rules.feeRate;
        order.lock -= cost + fee;
      }
      this.#credit(rules.base, amount);
    } else {
      fee = cost * rules.feeRate;
      order.lock = final ? 0 : order.lock - amount;
      this.#credit(rules.quote, cost - fee);
    }
    order.remaining = final ? 0 : order.remaining - amount;
    order.filled = final ? order.amount : order.filled + amount;
    order.cost += cost;
    order.fee += fee;
    this.#feesPaid.set(rules.quote, (this.#feesPaid.get(rules.quote) ?? 0) + fee);
    if (final) this.#close(order, state, 'filled');
    const fill: Fill = {
      orderId: order.id,
      clientId: order.clientId,
      market: order.market,
      side: order.side,
      price: order.price,
      amount,
      fee,
      ts: this.#now,
    };
    this.#deliver(this.#latency.fillReportMs, { type: 'order.fill', order: this.#view(order), fill });
    return amount;
  }

  #cancel(order: SimOrder): void {
    if (order.status === 'pending') {
      this.#deliver(this.#latency.cancelReportMs, {
        type: 'order.rejected',
        clientId: order.clientId,
        market: order.market,
        side: order.side,
        reason: 'unknown_order',
        message: `cancel of ${order.id} (${order.clientId}) reached the exchange before the order`,
      });
      return;
    }
    if (order.status !== 'open') return;
    this.#balanceView = undefined;
    this.#credit(this.#lockCurrency(order), order.lock);
    order.lock = 0;
    this.#close(order, this.#state(order.market), 'cancelled');
    this.#deliver(this.#latency.cancelReportMs, { type: 'order.cancelled', order: this.#view(order) });
  }

  #close(order: SimOrder, state: MarketState, status: 'filled' | 'cancelled'): void {
    order.status = status;
    this.#open.delete(order);
    this.#balanceView = undefined;
    const i = state.open.indexOf(order);
    if (i >= 0) state.open.splice(i, 1);
  }

  #lockCurrency(order: SimOrder): string {
    const rules = this.#rulesFor(order.market)!;
    return order.side === 'buy' ? rules.quote : rules.base;
  }

  #credit(currency: string, amount: number): void {
    this.#free.set(currency, (this.#free.get(currency) ?? 0) + amount);
    this.#balanceView = undefined;
  }

  #view(order: SimOrder): Order {
    return {
      id: order.id,
      clientId: order.clientId,
      market: order.market,
      side: order.side,
      price: order.price,
      amount: order.amount,
      status: order.status === 'pending' ? 'open' : order.status,
      filled: order.filled,
      cost: order.cost,
      fee: order.fee,
      ts: order.createdTs,
    };
  }
}

function positive(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

function nonNegative(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}

function isWellFormed(event: MarketEvent): boolean {
  if (!Number.isFinite(event.ts) || typeof event.market !== 'string') return false;
  switch (event.kind) {
    case 'trade':
      return positive(event.price) && nonNegative(event.amount);
    case 'ticker':
      return positive(event.price);
    case 'candle':
      return positive(event.low) && positive(event.high) && positive(event.close) && event.low <= event.high && nonNegative(event.volume) && Number.isFinite(event.openTime);
    case 'book':
      return positive(event.bidPrice) && positive(event.askPrice) && nonNegative(event.bidSize) && nonNegative(event.askSize);
    default:
      return false;
  }
}
