import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Balance, LimitOrderRequest, Order, OrderEvent } from '../../core/index.js';
import type { CcxtExchange } from './ccxt-exchange.js';

/** What the account held at start that no position of the bot explains (reported, never touched). */
export interface Unexplained {
  readonly openOrders: readonly Order[];
  readonly holdings: readonly Balance[];
}

export interface LiveAccountOptions {
  /** Quote currency the bot trades with (its cash). */
  readonly quote: string;
  /** Balances are re-read from the exchange this often, and shortly after each fill or cancel (default 15 s). */
  readonly refreshMs?: number;
  /** Client-id prefix of this bot's orders (`{botId}-`): other open orders are left alone. */
  readonly clientIdPrefix: string;
}

/**
 * The live exchange as the engine sees it (EngineExchange): synchronous views of balances and open
 * orders, kept current by the order events and re-read from the exchange every `refreshMs` and after
 * each fill or cancel, so sizing and equity never wait on the network. Orders are placed, cancelled and
 * looked up through the ccxt adapter (client ids as Upbit identifiers).
 */
export class LiveAccount {
  readonly #exchange: CcxtExchange;
  readonly #options: LiveAccountOptions;
  readonly #events = new Subject<OrderEvent>();
  readonly orderEvents$: Observable<OrderEvent> = this.#events.asObservable();
  readonly #balances = new Map<string, Balance>();
  readonly #open = new Map<string, Order>();
  #subscription: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  refreshErrors = 0;

  private constructor(exchange: CcxtExchange, options: LiveAccountOptions) {
    this.#exchange = exchange;
    this.#options = options;
  }

  /**
   * Start-up reconciliation, before any new order: reads balances and open orders, starts the order
   * stream, and returns what the bot cannot explain — open orders that are not the bot's, and holdings
   * of coins other than the quote. They are reported and left untouched (the bot trades its cash only).
   */
  static async open(exchange: CcxtExchange, options: LiveAccountOptions): Promise<{ account: LiveAccount; unexplained: Unexplained }> {
    const account = new LiveAccount(exchange, options);
    await exchange.start();
    await account.refresh();
    const open = await exchange.openOrders();
    for (const o of open) account.#open.set(o.id, o);
    account.#subscription = exchange.orderEvents$.subscribe((e) => account.#onEvent(e));
    account.#timer = setInterval(() => void account.refresh().catch(() => account.refreshErrors++), options.refreshMs ?? 15_000);
    account.#timer.unref();
    const unexplained: Unexplained = {
      openOrders: open.filter((o) => !o.clientId.startsWith(options.clientIdPrefix)),
      holdings: [...account.#balances.values()].filter((b) => b.currency !== options.quote && b.free + b.locked > 0),
    };
    return { account, unexplained };
  }

  /** Re-reads the balances from the exchange. */
  async refresh(): Promise<void> {
    const balances = await this.#exchange.balances();
    this.#balances.clear();
    for (const b of balances) this.#balances.set(b.currency, b);
  }

  async close(): Promise<void> {
    this.#subscription?.unsubscribe();
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    await this.#exchange.close();
  }

  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    return this.#exchange.createLimitOrder(request);
  }

  cancelOrder(orderId: string): Promise<void> {
    return this.#exchange.cancelOrder(orderId);
  }

  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    return this.#exchange.getOrder(ref);
  }

  lookupOrder(ref: { readonly clientId: string }): Promise<Order | undefined> {
    return this.#exchange.fetchOrder(ref);
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

  #onEvent(event: OrderEvent): void {
    if (event.type !== 'order.rejected') {
      const order = event.order;
      if (event.type === 'order.accepted' && !this.#open.has(order.id)) this.#lock(order);
      if (order.status === 'open') this.#open.set(order.id, order);
      else this.#open.delete(order.id);
      if (event.type === 'order.fill') this.#applyFill(event);
      if (event.type !== 'order.accepted') this.#refreshSoon();
    }
    this.#events.next(event);
  }

  /** Until the next re-read: the fill moves base and quote (the fee in quote), from free for simplicity. */
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

  /** Until the next re-read: a new order's funds move from free to locked, so sizing cannot spend them twice. */
  #lock(order: Order): void {
    const currency = order.side === 'buy' ? this.#options.quote : order.market.slice(0, order.market.indexOf('/'));
    const amount = order.side === 'buy' ? order.price * order.amount : order.amount;
    const b = this.getBalance(currency);
    this.#balances.set(currency, { currency, free: Math.max(0, b.free - amount), locked: b.locked + amount });
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
