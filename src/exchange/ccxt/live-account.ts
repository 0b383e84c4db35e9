import { Observable, Subject, type Subscription } from 'rxjs';
import type { Balance, LimitOrderRequest, LookupReply, MarketRules, MarketSymbol, Order, OrderEvent, PendingOrder, Venue } from '../../core/index.js';
import type { OrderSlot } from '../../../machines/index.js';
import { sleep } from '../../net/retry.js';
import { roundAmountDown } from '../tick-math.js';
import type { CcxtExchange } from './ccxt-exchange.js';

export interface LiveAccountOptions {
  /** Quote currency the bot trades with (its cash). */
  readonly quote: string;
  /** Balances are re-read from the exchange this often, and shortly after each fill or cancel (default 15 s). */
  readonly refreshMs?: number;
  /** Market rules, for the amount step of a sell capped at the coins actually held, and the engine's sizing. */
  readonly rules?: (market: MarketSymbol) => MarketRules | undefined;
  /** Every market's rules as read from the exchange: the fee of the quote's markets comes from them. */
  readonly markets?: readonly MarketRules[];
  /**
   * The orders restored positions wait on: the adapter is told what they already know before anything is
   * read from the exchange, so every fill made while the bot was down is applied exactly once.
   */
  readonly restored?: readonly RestoredOrder[];
}

/** An order of a restored position, as the position knows it. */
export interface RestoredOrder {
  readonly market: string;
  readonly slot: OrderSlot;
}

/**
 * An order unacknowledged this long is looked up (a real exchange answers in well under a second; a
 * minute leaves room for a slow one without giving an order in flight up too early).
 */
export const LIVE_ACK_TIMEOUT_MS = 60_000;

/** What a look-up after a restart found, per order (`LiveAccount.reconcile`). */
export interface ReconciledOrder {
  readonly clientId: string;
  /** The exchange's executed amount, and what the position had applied before the restart. */
  readonly executed: number | undefined;
  readonly known: number;
  readonly line: string;
}

/**
 * The live exchange as the engine sees it (EngineExchange): synchronous views of balances and open
 * orders, kept current by the order events and re-read from the exchange every `refreshMs` and after
 * each fill or cancel, so sizing and equity never wait on the network. Orders are placed, cancelled and
 * looked up through the ccxt adapter (client ids as Upbit identifiers).
 */
export class LiveAccount implements Venue {
  readonly ackTimeoutMs = LIVE_ACK_TIMEOUT_MS;
  readonly #exchange: CcxtExchange;
  readonly #options: LiveAccountOptions;
  readonly #events = new Subject<OrderEvent>();
  /** Events until the engine has subscribed (start-up: fills found while reading open orders), delivered to it first. */
  #early: OrderEvent[] | undefined = [];
  /**
   * Every order event, for one subscriber (the engine). Those from before it subscribed come first, a
   * microtask after the subscription: whoever subscribes can attach its own listeners (the store
   * recorder, the fill printer) in the same synchronous step and miss nothing.
   */
  readonly orderEvents$: Observable<OrderEvent> = new Observable<OrderEvent>((subscriber) => {
    let inner: Subscription | undefined;
    queueMicrotask(() => {
      if (subscriber.closed) return;
      const early = this.#early ?? [];
      this.#early = undefined;
      for (const e of early) subscriber.next(e);
      inner = this.#events.subscribe(subscriber);
    });
    return () => inner?.unsubscribe();
  });
  readonly #balances = new Map<string, Balance>();
  readonly #open = new Map<string, Order>();
  /** Order requests (placements, cancels) sent and not yet answered. */
  readonly #requests = new Set<Promise<unknown>>();
  #subscription: Subscription | undefined;
  /** Every order resting on the account when it was opened (start-up reconciliation reads it). */
  openOrdersAtStart: readonly Order[] = [];
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  refreshErrors = 0;
  /** Balance updates received on Upbit's `myAsset` stream (the REST re-reads stay as the fallback). */
  balanceStreamUpdates = 0;
  #running = true;

  private constructor(exchange: CcxtExchange, options: LiveAccountOptions) {
    this.#exchange = exchange;
    this.#options = options;
  }

  /**
   * Seeds the adapter with the restored orders, starts the order stream, reads the open orders (a fill
   * made while the bot was down comes out here, once) and the balances, and starts the balance re-reads.
   * Order events are listened to from the first moment, so none is lost before the engine subscribes.
   */
  static async open(exchange: CcxtExchange, options: LiveAccountOptions): Promise<LiveAccount> {
    const account = new LiveAccount(exchange, options);
    account.#subscription = exchange.orderEvents$.subscribe((e) => account.#onEvent(e));
    exchange.seed((options.restored ?? []).flatMap(({ market, slot }) => (slot.id === undefined ? [] : [slotOrder(market, slot)])));
    await exchange.start();
    const open = await exchange.openOrders();
    account.openOrdersAtStart = open;
    for (const o of open) account.#open.set(o.id, o);
    // After the open orders: their events moved the balance view, the fresh read replaces it.
    await account.refresh();
    account.#timer = setInterval(() => void account.refresh().catch(() => account.refreshErrors++), options.refreshMs ?? 15_000);
    account.#timer.unref();
    if (exchange.ccxt.apiKey && exchange.ccxt.secret && exchange.ccxt.has['watchBalance']) void account.#watchBalances();
    return account;
  }

  /**
   * After a restart: looks up every order the restored positions wait on. What happened while the engine
   * was down (fills, a cancel, an acknowledgement) reaches the positions as the adapter's own events,
   * exactly once (the adapter was seeded with what they knew); an order the exchange never received is
   * rejected. A failed look-up is retried with backoff until it is answered: nothing new is placed on a
   * guess. Returns one result per order.
   */
  async reconcile(orders: readonly RestoredOrder[], now: number, onRetry?: (line: string) => void): Promise<ReconciledOrder[]> {
    const out: ReconciledOrder[] = [];
    for (const { market, slot } of orders) {
      let order: Order | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          order = await this.#exchange.fetchOrder({ clientId: slot.clientId, market });
          break;
        } catch (error) {
          if (!this.#running) throw error;
          const delay = Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5));
          onRetry?.(`${slot.clientId}: look-up failed (${(error as Error).message.slice(0, 160)}); attempt ${attempt + 1} in ${delay / 1000} s`);
          await sleep(delay);
        }
      }
      const result = (line: string): void => void out.push({ clientId: slot.clientId, executed: order?.filled, known: slot.filled, line: `${slot.clientId}: ${line}` });
      if (!order) {
        if (slot.acked) result('acknowledged before the restart but not found now: its position looks it up again');
        else {
          result('not on the exchange (never arrived): the position forgets it');
          this.#onEvent({ type: 'order.rejected', ts: now, clientId: slot.clientId, market, side: slot.side, reason: 'unknown_order', message: 'not found on the exchange after a restart' });
        }
        continue;
      }
      const added = order.filled - slot.filled;
      if (added > 1e-12) result(`filled ${added} more at ${(order.cost - slot.cost) / added} while down (${order.filled} of ${order.amount} executed)`);
      if (order.status === 'cancelled') result('cancelled while down');
      else if (order.status === 'open') result(slot.acked ? 'still resting' : 'resting, acknowledged now');
      else if (!(added > 1e-12)) result(`${order.status}, as the position knew`);
    }
    return out;
  }

  /** Re-reads the balances from the exchange. */
  async refresh(): Promise<void> {
    const balances = await this.#exchange.balances();
    this.#balances.clear();
    for (const b of balances) this.#balances.set(b.currency, b);
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#subscription?.unsubscribe();
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    await this.#exchange.close();
  }

  /**
   * A sell never asks for more than the account holds: where the exchange takes a buy's fee from the
   * coins bought (Binance without BNB), the position's gross amount is more than the free balance, so
   * the sell is cut to the free balance rounded down to the market's step (the fee's worth stays as dust).
   */
  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    if (request.side === 'sell') {
      const free = this.getBalance(request.market.slice(0, request.market.indexOf('/'))).free;
      if (free > 0 && request.amount > free) {
        const capped = roundAmountDown(free, this.#options.rules?.(request.market)?.amountStep ?? 0);
        if (capped > 0) return this.#inFlight(this.#exchange.createLimitOrder({ ...request, amount: capped }));
      }
    }
    return this.#inFlight(this.#exchange.createLimitOrder(request));
  }

  cancelOrder(orderId: string): Promise<void> {
    return this.#inFlight(this.#exchange.cancelOrder(orderId));
  }

  /** Counts a request until its answer (applied by the adapter before the promise settles) is in. */
  #inFlight<T>(request: Promise<T>): Promise<T> {
    this.#requests.add(request);
    const done = (): void => void this.#requests.delete(request);
    request.then(done, done);
    return request;
  }

  async drained(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    // An answer may lead to another request (a cancel answered by a fill): wait until none is left.
    while (this.#requests.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.#requests]), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    return this.#requests.size;
  }

  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    return this.#exchange.getOrder(ref);
  }

  /** Asks the exchange; the answer (or the error) comes back when it arrives. */
  lookupOrder(ref: { readonly clientId: string; readonly market: string }, reply: LookupReply): void {
    this.#exchange.fetchOrder(ref).then(
      (order) => reply({ order }),
      (error: unknown) => reply({ error }),
    );
  }

  rules(market: MarketSymbol): MarketRules | undefined {
    return this.#options.rules?.(market);
  }

  feeRate(quote: string): number {
    const rules = this.#options.markets?.find((r) => r.quote === quote);
    if (!rules) throw new Error(`the exchange lists no ${quote} market: no fee rate for ${quote}`);
    return rules.feeRate;
  }

  /** The exchange matches its own orders: market events change nothing here. */
  observe(): void {}

  onMarketEvent(): void {}

  /** The exchange keeps what rests there; requests still in flight are waited for by `drained`. */
  settle(): void {}

  /** The exchange keeps the account's state: nothing to checkpoint. */
  snapshot(): undefined {
    return undefined;
  }

  /**
   * Start-up after a restore (see Venue.restart): every order the restored positions wait on looked up
   * (`reconcile`), a cancel that was in flight when the bot died asked again (a second cancel of a closed
   * order is answered "not found" and resolved by look-up, as any cancel race), the balances re-read.
   */
  async restart(orders: readonly PendingOrder[], log: (line: string) => void): Promise<readonly string[]> {
    const results = await this.reconcile(orders, Date.now(), log);
    const lines = results.map((r) => r.line);
    for (const line of lines) log(line);
    for (const { slot, cancelling } of orders) {
      const order = slot.id === undefined ? undefined : this.getOpenOrders().find((o) => o.id === slot.id);
      if (!order || !cancelling) continue;
      log(`${slot.clientId}: its cancel was in flight; asked again`);
      await this.cancelOrder(order.id).catch((error: unknown) => log(`${slot.clientId}: cancel failed (${(error as Error).message.slice(0, 160)}); its position looks it up at the cancel deadline`));
    }
    await this.refresh();
    return lines;
  }

  getOpenOrders(): readonly Order[] {
    return [...this.#open.values()];
  }

  getBalance(currency: string): Balance {
    return this.#balances.get(currency) ?? { currency, free: 0, locked: 0 };
  }

  getBalances(): readonly Balance[] {
    return [...this.#balances.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1));
  }

  #emit(event: OrderEvent): void {
    if (this.#early) this.#early.push(event);
    else this.#events.next(event);
  }

  #onEvent(event: OrderEvent): void {
    if (event.type !== 'order.rejected') {
      const order = event.order;
      if (event.type === 'order.accepted' && !this.#open.has(order.id)) this.#lock(order);
      if (order.status === 'open') this.#open.set(order.id, order);
      else this.#open.delete(order.id);
      if (event.type === 'order.fill') this.#applyFill(event);
      if (event.type !== 'order.accepted') this.#refreshSoon();
    }
    this.#emit(event);
  }

  /**
   * Until the next re-read: the fill moves base and quote (the fee in quote), from free for simplicity.
   * Every fill event comes from the adapter's OrderTracker, which emits each executed amount of an order
   * once (test/exchange/ccxt/order-tracker.spec.ts, binance-exchange.spec.ts "after a restart from a stale
   * snapshot"), so the cash view needs no replay guard of its own.
   */
  #applyFill(event: Extract<OrderEvent, { type: 'order.fill' }>): void {
    const f = event.fill;
    const base = f.market.slice(0, f.market.indexOf('/'));
    const quote = this.#options.quote;
    const q = this.getBalance(quote);
    const b = this.getBalance(base);
    const value = f.price * f.amount;
    if (f.side === 'buy') {
      this.#balances.set(quote, { ...q, locked: Math.max(0, q.locked - value - f.fee) });
      this.#balances.set(base, { ...b, free: b.free + f.amount });
    } else {
      this.#balances.set(base, { ...b, locked: Math.max(0, b.locked - f.amount) });
      this.#balances.set(quote, { ...q, free: q.free + value - f.fee });
    }
  }

  /**
   * Balances pushed by the exchange (`myAsset` through ccxt.pro `watchBalance`) as they change. A broken
   * stream is retried with backoff (1 s doubling to 30 s) for as long as the account is open; meanwhile
   * the periodic REST re-reads keep the balances current.
   */
  async #watchBalances(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      try {
        const balance = (await this.#exchange.ccxt.watchBalance()) as unknown as { free: Record<string, number | undefined>; used: Record<string, number | undefined> };
        failures = 0;
        for (const [currency, free] of Object.entries(balance.free ?? {})) {
          if (typeof free === 'number') this.#balances.set(currency, { currency, free, locked: balance.used?.[currency] ?? 0 });
        }
        this.balanceStreamUpdates++;
      } catch {
        if (!this.#running) return;
        failures++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1_000 * 2 ** Math.min(failures - 1, 5))).unref());
      }
    }
  }

  /**
   * Until the next re-read: a new order's funds move from free to locked, so sizing cannot spend them twice.
   * Only what is free moves: a read that came before the order's acknowledgement may already hold them
   * locked, and the total (what equity and the loss limits see) never grows by a lock.
   */
  #lock(order: Order): void {
    const currency = order.side === 'buy' ? this.#options.quote : order.market.slice(0, order.market.indexOf('/'));
    const amount = order.side === 'buy' ? order.price * order.amount : order.amount;
    const b = this.getBalance(currency);
    const moved = Math.min(b.free, amount);
    this.#balances.set(currency, { currency, free: b.free - moved, locked: b.locked + moved });
  }

  #refreshSoon(): void {
    if (this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.refresh().catch(() => this.refreshErrors++);
    }, 500);
    this.#soon.unref();
  }
}

/** A restored order slot as the adapter's tracker keeps orders. */
function slotOrder(market: string, slot: OrderSlot): Order {
  return { id: slot.id as string, clientId: slot.clientId, market, side: slot.side, price: slot.price, amount: slot.amount, filled: slot.filled, cost: slot.cost, fee: slot.fee, status: 'open', ts: slot.submittedTs };
}
