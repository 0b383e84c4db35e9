import { BadResponse, BaseError, ExchangeError, ExchangeNotAvailable, InvalidNonce, NetworkError, OrderNotFound, RateLimitExceeded, type Exchange as Ccxt } from 'ccxt';
import { Subject, type Observable } from 'rxjs';
import type { Balance, Clock, Exchange, LimitOrderRequest, MarketRules, Order, OrderEvent, RejectReason } from '../../core/index.js';
import { baseOf, quoteOf, wallClock } from '../../core/index.js';
import { retryWithBackoff, settledWithin, sleep } from '../../net/retry.js';
import type { CcxtDialect, CcxtDialectFactory, OrderRef, TradeFees } from './ccxt-dialect.js';
import { createCcxt, type CcxtOptions } from './create-ccxt.js';
import { isDuplicateClientId } from './duplicate-client-id.js';
import { feeInMarket } from './fee-in-market.js';
import { isTransient } from './upbit-errors.js';
import { OrderTracker } from './order-tracker.js';
import { ExchangeBannedError, RestRateLimiter } from '../../net/rate-limiter.js';
import { unifiedDialect } from './unified-dialect.js';
import { upbitDialect } from './upbit-dialect.js';

export interface CcxtExchangeOptions extends CcxtOptions {
  /** A ready ccxt.pro instance (otherwise one is made with `createCcxt`). */
  readonly exchange?: Ccxt;
  /** Default: Upbit's own for `upbit`, ccxt's unified API for every other exchange. */
  readonly dialect?: CcxtDialectFactory;
  readonly limiter?: RestRateLimiter;
  readonly clock?: Clock;
  /** Follow orders on the private websocket (ccxt.pro `watchOrders`); default true when keys are set. */
  readonly privateStream?: boolean;
  /** REST polling interval for open orders while the private stream is down (default 2 s). */
  readonly pollIntervalMs?: number;
  /** REST reconciliation interval while the private stream is up (default 30 s). */
  readonly reconcileIntervalMs?: number;
  /**
   * A private socket that answers no ping for this long is taken as dead (default 10 s): it is closed,
   * reconnected, and the open orders are re-read over REST at once, so a silent server delays fills by
   * seconds, not by the 30 s reconciliation round.
   */
  readonly stallMs?: number;
  /** Attempts for one request on network errors and 429s (default 4). */
  readonly attempts?: number;
  /** First retry delay (default 250 ms, doubling, half jittered, capped at 5 s). */
  readonly retryDelayMs?: number;
  /** When a fill reported at an estimate has its order's trades read (`#checkFee`; default 0.2 s, then 1 s doubling to 30 s and on to 5 minutes, about 13.5 minutes in all). */
  readonly feeCheckDelaysMs?: readonly number[];
  /** Fee per side used in the rules (default: the account's or the market's). */
  readonly feeRate?: number;
  readonly random?: () => number;
}

/**
 * One balance push of the exchange (Upbit's `myAsset`, Binance's `outboundAccountPosition`): the
 * currencies it carries only, and the exchange's time of the state it describes when it gives one.
 */
export interface BalancePush {
  readonly balances: readonly Balance[];
  /** The exchange's time of this state (Upbit `asset_timestamp`, Binance `u`), on the exchange's clock. */
  readonly asOf: number | undefined;
}

export interface CcxtExchangeStats {
  readonly streamConnected: boolean;
  readonly streamErrors: number;
  readonly polls: number;
  /** Orders whose acknowledgement was lost and which were found by client id. */
  readonly ackRecoveries: number;
  readonly retries: number;
  /** Orders whose fate could not be confirmed at once (refused duplicate id, failing look-ups): resolved by look-ups in the background. */
  readonly unknownOrders: number;
  /** Times the exchange's clock was measured again after a request was refused for its time. */
  readonly clockSyncs: number;
  /** Fees of fills reported at an estimate corrected from the order's trades (`order.feeCorrected`). */
  readonly feeCorrections: number;
}

/**
 * The Exchange port on any ccxt exchange (Upbit first); what differs between exchanges is the
 * `CcxtDialect` (`upbitDialect` for Upbit, `unifiedDialect` for every other exchange).
 *
 * - Every order carries its client id (Upbit's `identifier`, Binance's `newClientOrderId`). When the
 *   answer to an order is lost (network error, timeout), the order is looked up by client id; only when
 *   the exchange does not know it is it sent again, with the same client id, so a retry can never make a
 *   second order.
 * - Requests go through `RestRateLimiter` (Upbit's Remaining-Req, 429 backoff, no requests during a 418
 *   ban) on top of ccxt's own throttle, and are retried with backoff on network errors. Exchange errors
 *   become `order.rejected` with the exchange's own message.
 * - Order events come from the private websocket (ccxt.pro `watchOrders`: Upbit `myOrder`, Binance
 *   `executionReport`) and from REST polling of open orders, faster while the websocket is down.
 *   `OrderTracker` diffs snapshots, so the two sources never duplicate an event.
 *
 * Call `start()` to begin the order stream and polling, `close()` to end them.
 */
export class CcxtExchange implements Exchange {
  readonly ccxt: Ccxt;
  readonly limiter: RestRateLimiter;
  readonly #dialect: CcxtDialect;
  readonly #events = new Subject<OrderEvent>();
  /** Emits when the private stream fails or the adapter closes: nothing waits on a report then (`#afterStream`). */
  readonly #streamDown = new Subject<void>();
  readonly orderEvents$: Observable<OrderEvent> = this.#events.asObservable();
  readonly #tracker = new OrderTracker();
  readonly #options: CcxtExchangeOptions;
  readonly #clock: Clock;
  #running = false;
  /** Set by `close()`: the fee checks still waiting end (`#checkFee`). */
  #closed = false;
  #abort = new AbortController();
  /**
   * Set by `stopPlacing` (a stop done waiting for the answers in flight) and `close`: no attempt of an
   * order is sent any more, and the waits before one (a resend's window, a retry's backoff) end at once.
   */
  #placingStop = new AbortController();
  #pollTimer: NodeJS.Timeout | undefined;
  #stats = { streamConnected: false, streamErrors: 0, polls: 0, ackRecoveries: 0, retries: 0, unknownOrders: 0, clockSyncs: 0, feeCorrections: 0 };
  /** The exchange's time of the trade a fill event reports, where the exchange gave it (private stream frames). */
  readonly #tradeTimes = new WeakMap<OrderEvent, number>();
  /** Orders whose fee is being read from their trades (`#checkFee`), with a wake-up for the check's wait and its end. */
  readonly #feeChecks = new Map<string, { wake: () => void; done: Promise<void> }>();
  /** Set by `feeChecksSettled` (a stop): the fee checks wait at most FEE_CHECK_HURRY_MS between their reads. */
  #hurry = false;
  /** Per client id, the placements in flight (`createLimitOrder`, then the look-ups of an unknown order): see `placed`. */
  readonly #placing = new Map<string, Promise<void>>();
  /** Balance pushes ccxt handled since `watchBalance` last returned, as the exchange sent them. */
  #pushes: BalancePush[] = [];
  /** How far the exchange's clock was last seen ahead of this machine's at least, and when (see `#sawExchangeTime`). */
  #ahead: { readonly ms: number; readonly at: number } | undefined;

  constructor(options: CcxtExchangeOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? wallClock;
    this.ccxt = options.exchange ?? createCcxt(options);
    this.limiter = options.limiter ?? new RestRateLimiter(options.random ? { random: options.random } : {});
    const factory = options.dialect ?? (this.ccxt.id === 'upbit' ? upbitDialect : unifiedDialect);
    this.#dialect = factory(this.ccxt, (fn) => this.#call(fn));
    this.#instrument(this.ccxt);
    this.#capturePushes(this.ccxt);
    // ccxt pings every keepAlive and fails the socket after maxPingPongMisses silent intervals.
    const stallMs = options.stallMs ?? 10_000;
    this.ccxt.streaming = { ...this.ccxt.streaming, keepAlive: Math.max(100, Math.round(stallMs / 2)), maxPingPongMisses: 2 };
  }

  /** The ccxt exchange id (`upbit`, `binance`…). */
  get id(): string {
    return this.ccxt.id;
  }

  stats(): CcxtExchangeStats {
    return { ...this.#stats };
  }

  /** Starts the private order stream (when keys are set) and REST polling. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#closed = false;
    this.#hurry = false;
    this.#abort = new AbortController();
    if (this.#placingStop.signal.aborted) this.#placingStop = new AbortController();
    const stream = this.#options.privateStream ?? Boolean(this.ccxt.apiKey && this.ccxt.secret && this.ccxt.has['watchOrders']);
    if (stream) void this.#streamLoop(this.#abort.signal);
    this.#schedulePoll();
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#closed = true;
    this.#abort.abort();
    this.stopPlacing();
    this.#streamDown.next();
    for (const check of this.#feeChecks.values()) check.wake();
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    await this.ccxt.close().catch(() => undefined);
  }

  // ---- Exchange port ----------------------------------------------------------------------------

  markets(): Promise<readonly MarketRules[]> {
    return this.#dialect.markets(this.#options.feeRate);
  }

  balances(): Promise<readonly Balance[]> {
    return this.#dialect.balances();
  }

  /**
   * Places a limit order with its client id. An order that may have reached the exchange is never
   * reported rejected on a guess: after a lost answer it is looked up by client id (the tracker first, it
   * may have seen the order on the private stream, then REST); a refused duplicate client id means the
   * order exists; and when the look-ups fail too, the order is "unknown" and resolved by look-ups with
   * backoff in the background (the position hears of it as usual once found). Only a refusal of the first
   * attempt, or a look-up that answers "no such order", is a reject. An answer that cannot be read (a 2xx
   * cut off, empty or an HTML page: ccxt's BadResponse, or its parser throwing) is no refusal: the order
   * may rest there, so it is looked up like a lost answer. Where the exchange takes a signed request until
   * its `recvWindow` has passed (Binance) and refuses a repeated client id only while the first order is
   * open, a request still in flight could arrive after a resend and make a second order: the resend then
   * waits until the first attempt can no longer be accepted and asks again before it goes; and it goes
   * only once a look-up has answered "no such order" (the first order, filled or cancelled meanwhile, no
   * longer holds its client id there), else the order is unknown.
   */
  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    const placing = this.#place(request);
    this.#placingNow(request.clientId, placing);
    return placing;
  }

  /**
   * From now on no order request goes out: a placement still retrying (a 5xx, a lost answer, waiting out
   * Binance's resend window of 11 s) sends no further attempt, and its order is "unknown" (the next start
   * looks it up by client id) or, if no attempt can have reached the exchange, refused. A stop calls it
   * (through `LiveAccount.drained`) when it stops waiting for answers: a resend sent after that was placed
   * and filled while nothing listened any more, its fill missing from the event log and the summary until
   * the next start (the fault matrix, "5xx on submit": the process, kept up by the resend's timer, placed a
   * sell more than 5 s after the Ctrl-C and the exchange filled it).
   */
  stopPlacing(): void {
    this.#placingStop.abort();
  }

  /**
   * Resolves once no placement of this client id is in flight here: neither `createLimitOrder` (its
   * retries, its look-ups, the wait before a resend) nor the background look-ups of an order whose fate
   * is unknown. Until then the exchange not knowing the client id proves nothing: the order may be
   * placed a moment later (`LiveAccount.lookupOrder` waits for this before it answers a position).
   */
  async placed(clientId: string): Promise<void> {
    for (let p = this.#placing.get(clientId); p !== undefined; p = this.#placing.get(clientId)) await p;
  }

  /** Counts `work` as a placement of `clientId` in flight until it settles (see `placed`). */
  #placingNow(clientId: string, work: Promise<unknown>): void {
    const before = this.#placing.get(clientId);
    const all: Promise<void> = Promise.allSettled(before ? [before, work] : [work]).then(() => {
      if (this.#placing.get(clientId) === all) this.#placing.delete(clientId);
    });
    this.#placing.set(clientId, all);
  }

  async #place(request: LimitOrderRequest): Promise<Order | undefined> {
    const attempts = this.#options.attempts ?? 4;
    let lastError: unknown;
    // Set once an attempt may have reached the exchange (any failure but a 429, which is refused unread).
    let mayExist = false;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#placingStop.signal.aborted) {
        if (attempt === 1) return this.#reject(request, 'exchange_error', 'not sent: the bot stopped');
        const message = `not sent again, the bot stopped (${this.#dialect.rejectOf(lastError).message})`;
        return mayExist ? this.#unknown(request, message) : this.#reject(request, 'exchange_error', message);
      }
      const sentAt = this.#clock.now();
      try {
        const placed = await this.#limited(() =>
          this.ccxt.createOrder(request.market, 'limit', request.side, request.amount, request.price, { clientOrderId: request.clientId }),
        );
        const order = this.#dialect.toOrder(placed, undefined, this.#clock.now());
        // An answer that crossed carries its trades' fees (Binance's FULL answer): all of this first fill's.
        if (order) return this.#apply({ ...order, clientId: order.clientId || request.clientId, market: request.market, side: request.side }, undefined, undefined, hasFee(placed, request.market));
        // A 2xx without an order in it (`{}`) is an answer that cannot be read, no refusal: looked up by client id
        // below before any resend. Resent at once, an order Binance had filled already (its client id free again) was made twice.
        throw new BadResponse(`${this.ccxt.id} answered an order without id`);
      } catch (error) {
        lastError = error;
        if (isDuplicateClientId(error)) return this.#unknown(request, this.#dialect.rejectOf(error).message, true);
        if (error instanceof InvalidNonce) {
          // Refused for its time, so not placed: sent again once the clocks' difference is measured anew.
          if (attempt < attempts && (await this.syncTime())) continue;
          const e = this.#dialect.rejectOf(error);
          return this.#reject(request, e.reason, `${e.message} (the exchange refused the request's time: check this machine's clock)`);
        }
        // Not ccxt's refusal nor our limiter's ban: an answer ccxt could not read (or its parser choked on).
        const unreadable = !(error instanceof BaseError || error instanceof ExchangeBannedError) || error instanceof BadResponse;
        if (!unreadable && (error instanceof ExchangeBannedError || !isTransient(error))) {
          if (mayExist) {
            const look = await this.#lookUp(request);
            if (look.order) return look.order;
            if (!look.answered) return this.#unknown(request, this.#dialect.rejectOf(error).message);
          }
          if (error instanceof ExchangeBannedError) return this.#reject(request, 'banned', error.message, false, error.until);
          const e = this.#dialect.rejectOf(error);
          return this.#reject(request, e.reason, e.message);
        }
        if (!(error instanceof RateLimitExceeded)) {
          mayExist = true;
          // The answer was lost or unreadable (or the request never arrived): ask the exchange by client id before resending.
          let look = await this.#lookUp(request);
          const window = this.#resendWindowMs();
          if (!look.order && !unreadable && window > 0) {
            await this.#wait(Math.max(0, sentAt + window - this.#clock.now()));
            look = await this.#lookUp(request);
          }
          if (look.order) {
            this.#stats.ackRecoveries++;
            return look.order;
          }
          // A failed look-up is no answer. Where a client id is refused forever once used (Upbit), resending with
          // it is still safe. Where it is refused only while its order is open (window > 0: Binance), the first
          // order may have filled or been cancelled meanwhile and a resend would be a second order: no resend
          // until a look-up has answered; the order is unknown and looked up in the background.
          if (window > 0 && !look.answered) return this.#unknown(request, this.#dialect.rejectOf(error).message);
        }
        this.#stats.retries++;
        await this.#backoff(attempt);
      }
    }
    const look = mayExist ? await this.#lookUp(request) : { order: undefined, answered: true };
    if (look.order) {
      this.#stats.ackRecoveries++;
      return look.order;
    }
    const message = `no acknowledgement after ${attempts} attempts: ${this.#dialect.rejectOf(lastError).message}`;
    return look.answered ? this.#reject(request, 'exchange_error', message, true) : this.#unknown(request, message);
  }

  /**
   * How long after it was sent a request can still be accepted, when the exchange bounds it (ccxt's
   * `recvWindow`, Binance's 10 s, plus a second for the two clocks): a resend waits that long after a lost
   * answer. 0 where the exchange refuses a client id it has seen, open or not (Upbit's `identifier`).
   */
  #resendWindowMs(): number {
    const window = Number((this.ccxt.options as Record<string, unknown> | undefined)?.['recvWindow'] ?? 0);
    return window > 0 ? window + 1_000 : 0;
  }

  async cancelOrder(orderId: string): Promise<void> {
    const known = this.#tracker.get({ id: orderId });
    try {
      const answer = await this.#dialect.cancel({ id: orderId, ...(known ? { market: known.market } : {}) });
      const order = await this.#afterStream(answer, known);
      if (order) this.#apply(order, undefined, undefined, hasFee(answer, order.market));
      if (order?.status === 'open') this.#pollSoon();
    } catch (error) {
      // A refusal in other words than "not found" (Upbit's "이미 체결된 주문입니다.", "order already filled or
      // canceled") says as little: the order is looked up at once, as after "not found". Before, the refusal was
      // thrown, the caller dropped it, and the fill it hid waited for the next poll or the cancel's deadline.
      const notFound = error instanceof OrderNotFound;
      if (notFound || (error instanceof ExchangeError && !isTransient(error))) {
        // Already done or cancelled (a fill may have won the race), or never existed.
        let failed = false;
        const order = await this.fetchOrder({ id: orderId, ...(known ? { market: known.market } : {}) }).catch(() => void (failed = true));
        // Open, or not known to be done: another refusal (a permission, a suspended market) is the caller's as before.
        if (!notFound && (failed || !order || order.status === 'open')) throw error;
        if (order && order.status === 'open') return;
        if (!order || order.status === 'filled' || (known && known.status !== 'open')) {
          this.#events.next({
            type: 'order.rejected',
            ts: this.#clock.now(),
            clientId: known?.clientId ?? order?.clientId ?? '',
            market: known?.market ?? order?.market ?? '',
            side: known?.side ?? order?.side ?? 'buy',
            reason: 'unknown_order',
            message: this.#dialect.rejectOf(error).message,
          });
        }
        return;
      }
      throw error;
    }
  }

  async fetchOrder(ref: OrderRef & { readonly afterStream?: boolean }): Promise<Order | undefined> {
    if (ref.id === undefined && ref.clientId === undefined) return undefined;
    const previous = this.#tracker.get(ref.id !== undefined ? { id: ref.id } : { clientId: ref.clientId as string });
    let order: Order | undefined;
    try {
      order = await this.#dialect.fetchOrder(ref, previous, this.#clock.now());
    } catch (error) {
      if (error instanceof OrderNotFound) return undefined;
      throw error;
    }
    if (!order) return undefined;
    if (ref.afterStream) order = (await this.#afterStream(order, previous)) ?? order;
    if (ref.clientId !== undefined && order.clientId && order.clientId !== ref.clientId) return undefined;
    return this.#apply({ ...order, clientId: order.clientId || ref.clientId || '' });
  }

  async openOrders(): Promise<readonly Order[]> {
    const markets = [...new Set(this.#tracker.open().map((o) => o.market))];
    const orders = await this.#dialect.openOrders((id) => this.#tracker.get({ id }), markets, this.#clock.now());
    return orders.map((o) => this.#apply(o));
  }

  /**
   * Tells the tracker what the engine already knows of these orders (a restored position's slots) before
   * anything is read from the exchange: the first snapshot of each then emits only what happened since.
   */
  seed(orders: readonly Order[]): void {
    for (const o of orders) this.#tracker.seed(o);
    // A fill recorded at an estimate before a crash was never corrected: each restored order that executed
    // something is checked against its trades once (no correction when its fee is the exchange's already).
    for (const o of orders) if (o.filled > 0) this.#checkFee(o.id);
  }

  /**
   * Every open order of the account as the exchange lists it, without recording anything (the tracker
   * is not told, no event is emitted): a restart reads its own orders this way before it seeds the tracker.
   */
  listOpenOrders(markets: readonly string[] = []): Promise<Order[]> {
    return this.#dialect.openOrders(() => undefined, markets, this.#clock.now());
  }

  /** Orders closed since `since` as the exchange lists them, without recording anything (see `listOpenOrders`). */
  listClosedOrders(since: number, markets: readonly string[] = []): Promise<Order[]> {
    return this.#dialect.closedOrders(since, markets, this.#clock.now());
  }

  /**
   * The exchange's time of the trade a fill event reports, on the exchange's clock: given by the private
   * stream's frames (Upbit `trade_timestamp`, Binance `T`), undefined for a fill found over REST.
   */
  tradeTime(event: OrderEvent): number | undefined {
    return this.#tradeTimes.get(event);
  }

  /**
   * The next balance pushes of the exchange (ccxt.pro `watchBalance`), each with only the currencies it
   * carries (ccxt's own answer is every currency ever pushed, older ones included). Where the push's shape
   * is not known here, ccxt's whole balance, without a time.
   */
  async watchBalance(): Promise<BalancePush[]> {
    const balance = (await this.ccxt.watchBalance()) as unknown as { free?: Record<string, unknown>; used?: Record<string, unknown> };
    const pushes = this.#pushes.splice(0);
    if (pushes.length > 0) return pushes;
    const balances: Balance[] = [];
    for (const [currency, free] of Object.entries(balance.free ?? {})) if (typeof free === 'number') balances.push({ currency, free, locked: Number(balance.used?.[currency] ?? 0) || 0 });
    return [{ balances, asOf: undefined }];
  }

  /** The order as last seen (synchronous, from the tracker). */
  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    return this.#tracker.get(ref);
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** Keeps each balance push ccxt handles, as the exchange sent it (see `watchBalance`). */
  #capturePushes(ex: Ccxt): void {
    const target = ex as Ccxt & { handleBalance?: (client: unknown, message: unknown) => unknown };
    const original = target.handleBalance;
    if (typeof original !== 'function') return;
    target.handleBalance = (client: unknown, message: unknown): unknown => {
      this.#sawExchangeTime(frameTimeOf(message));
      const push = balancePushOf(message);
      if (push) {
        this.#pushes.push(push);
        if (this.#pushes.length > 100) this.#pushes.shift();
      }
      return original.call(ex, client, message);
    };
  }

  /** Routes every ccxt HTTP request through the limiter and shows it every answer. */
  #instrument(ex: Ccxt): void {
    const limiter = this.limiter;
    const fetchOriginal = ex.fetch.bind(ex);
    ex.fetch = async (url: string, method = 'GET', headers?: unknown, body?: unknown): Promise<unknown> => {
      await limiter.acquire(this.#dialect.requestGroup(method, url));
      try {
        return await fetchOriginal(url, method, headers, body);
      } catch (error) {
        // ccxt's network errors (a timeout, a refused connection) name the whole URL: its signed query too.
        if (error instanceof Error) error.message = withoutQueries(error.message);
        throw error;
      }
    };
    const handleOriginal = ex.handleErrors.bind(ex);
    ex.handleErrors = (code, reason, url, method, headers, body, response, requestHeaders, requestBody) => {
      limiter.observe(code, headers, body);
      // The path only: a signed query (timestamp, signature) has no place in an error message or a log.
      const path = url.split('?')[0];
      if (code === 429) throw new RateLimitExceeded(`${ex.id} ${method} ${path} 429 ${body}`);
      if (code === 418) throw new ExchangeBannedError(limiter.bannedUntil || Date.now());
      // The server failed (Binance's -1008 "server busy" comes as 503): the request may be retried.
      if (code >= 500) throw new ExchangeNotAvailable(`${ex.id} ${method} ${path} ${code} ${body}`);
      try {
        return handleOriginal(code, reason, url, method, headers, body, response, requestHeaders, requestBody);
      } catch (error) {
        if (error instanceof Error) error.message = withoutQueries(error.message);
        throw error;
      }
    };
  }

  /** One request through the limiter; retried on network errors and 429s. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    return retryWithBackoff(() => this.#timed(fn), {
      attempts: this.#options.attempts ?? 4,
      initialDelayMs: this.#options.retryDelayMs ?? 250,
      maxDelayMs: 5_000,
      ...(this.#options.random ? { random: this.#options.random } : {}),
      retryable: isTransient,
      onRetry: () => {
        this.#stats.retries++;
      },
    });
  }

  /**
   * A request refused for its time (Binance's -1021: this machine's clock ahead of the exchange's, or
   * behind by more than the recvWindow) was not carried out: the clocks' difference is measured again
   * (ccxt signs later requests with it) before the error goes on to be retried.
   */
  async #timed<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.#limited(fn);
    } catch (error) {
      if (error instanceof InvalidNonce) await this.syncTime();
      throw error;
    }
  }

  /**
   * Now on the exchange's clock, as far as it is known: ccxt's timeDifference (this machine's clock minus
   * the exchange's, set by `syncTime`), or the private frames' stamps of the last five minutes where they
   * show the exchange further ahead (`#sawExchangeTime`: Upbit has no time ccxt measures); this machine's
   * clock where neither says more. Never later than the exchange's true time (each is a lower bound).
   */
  exchangeNow(): number {
    const now = Date.now();
    const difference = (this.ccxt.options as { timeDifference?: unknown }).timeDifference;
    const measured = now - (typeof difference === 'number' && Number.isFinite(difference) ? difference : 0);
    const ahead = this.#ahead !== undefined && now - this.#ahead.at <= AHEAD_SAMPLE_MS ? this.#ahead.ms : undefined;
    return ahead === undefined ? measured : Math.max(measured, now + ahead);
  }

  /**
   * Learns from a frame the exchange stamped when it sent it (Upbit's `timestamp`, Binance's `E`) how far
   * its clock is ahead of this machine's at least: the frame left before it was read here, so the stamp
   * minus this machine's time now is never more than the clocks' difference (the way and any wait here
   * only make it less). The largest of the last few minutes is kept (a clock corrected since then ages out).
   */
  #sawExchangeTime(stamp: unknown): void {
    const ts = Number(stamp);
    if (!Number.isFinite(ts) || ts <= 0) return;
    const now = Date.now();
    const ms = ts - now;
    if (this.#ahead === undefined || ms >= this.#ahead.ms || now - this.#ahead.at > AHEAD_SAMPLE_MS) this.#ahead = { ms, at: now };
  }

  /** Measures the exchange's clock against this machine's where ccxt can (it signs with the difference); false where it cannot or the request failed. */
  async syncTime(): Promise<boolean> {
    const ex = this.ccxt as Ccxt & { loadTimeDifference?: () => Promise<unknown> };
    if (typeof ex.loadTimeDifference !== 'function' || !ex.has['fetchTime']) return false;
    try {
      await this.#limited(() => ex.loadTimeDifference!());
      this.#stats.clockSyncs++;
      return true;
    } catch {
      return false;
    }
  }

  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    const banned = this.limiter.bannedUntil;
    if (banned > 0) throw new ExchangeBannedError(banned);
    return fn();
  }

  async #backoff(attempt: number): Promise<void> {
    const base = Math.min(5_000, (this.#options.retryDelayMs ?? 250) * 2 ** (attempt - 1));
    await this.#wait(base * (0.5 + 0.5 * (this.#options.random ?? Math.random)()));
  }

  /** A placement's wait: over at once when placing stops (`stopPlacing`). */
  async #wait(ms: number): Promise<void> {
    await sleep(ms, this.#placingStop.signal).catch(() => undefined);
  }

  /**
   * The order of a request, by client id: the tracker first (the private stream may have shown it while
   * the answer was lost), then the exchange. `answered` is false when the look-up itself failed.
   */
  async #lookUp(request: LimitOrderRequest): Promise<{ order: Order | undefined; answered: boolean }> {
    const seen = this.#tracker.get({ clientId: request.clientId });
    if (seen) return { order: seen, answered: true };
    try {
      return { order: await this.fetchOrder({ clientId: request.clientId, market: request.market }), answered: true };
    } catch {
      return { order: undefined, answered: false };
    }
  }

  /**
   * An order that may rest on the exchange but could not be confirmed: no event now (the position keeps
   * waiting on its acknowledgement), and look-ups go on with backoff (1 s doubling to 30 s) for as long
   * as the adapter runs. Found, it reaches the position through the tracker; a few answers of "no such
   * order" in a row (the refusal was not about this order after all) make it a reject. `exists`: the exchange
   * refused the client id as a duplicate, so an order of it was made: "not found" is then a look-up behind the
   * order book (a read replica), asked NOT_FOUND_AFTER_DUPLICATE times (about two minutes) before it is
   * believed. Three, and an order made 6 s before it could be seen was reported rejected, its position
   * settled, and the order rested with nobody managing it.
   */
  #unknown(request: LimitOrderRequest, why: string, exists = false): undefined {
    this.#stats.unknownOrders++;
    this.#placingNow(request.clientId, this.#resolve(request, why, exists ? NOT_FOUND_AFTER_DUPLICATE : NOT_FOUND_TO_REJECT));
    return undefined;
  }

  async #resolve(request: LimitOrderRequest, why: string, notFoundToReject: number): Promise<void> {
    const signal = this.#abort.signal;
    let notFound = 0;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await sleep(Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5)) * (0.5 + 0.5 * (this.#options.random ?? Math.random)()), signal);
      } catch {
        return;
      }
      const look = await this.#lookUp(request);
      if (look.order) {
        this.#stats.ackRecoveries++;
        return;
      }
      if (!look.answered) continue;
      if (++notFound >= notFoundToReject) {
        this.#reject(request, 'exchange_error', `not found on the exchange after ${why}`, true);
        return;
      }
    }
  }

  /**
   * Reads the trades of an order whose reported fee holds an estimate (`CcxtDialect.tradeFees`: Binance's
   * order queries and cancel answers carry no commission) and, once they add up to the executed amount
   * the fills reported, emits `order.feeCorrected` with the exchange's fee: once, never moving the amount.
   * Asked again with backoff (FEE_CHECK_DELAYS_MS) while the trades are not all listed yet or the order
   * executed more meanwhile; a trade report of the order asks at once. One check per order at a time: a
   * fill during it is read by the same check. No-op where the dialect knows every fee (Upbit).
   */
  #checkFee(id: string): void {
    const tradeFees = this.#dialect.tradeFees;
    if (!tradeFees || this.#feeChecks.has(id)) return;
    const check = { wake: (): void => undefined, done: Promise.resolve() };
    this.#feeChecks.set(id, check);
    const wait = (ms: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => check.wake(), this.#hurry ? Math.min(ms, FEE_CHECK_HURRY_MS) : ms);
        timer.unref();
        check.wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
      });
    const run = async (): Promise<void> => {
      try {
        for (const delay of this.#options.feeCheckDelaysMs ?? FEE_CHECK_DELAYS_MS) {
          await wait(delay);
          // A ban (418) refuses every request until it ends, often longer than all the attempts: waited out
          // without spending them (before, the check gave up during the ban and the estimate stayed for good).
          // Asked again every second at most: the limiter's clock decides when it ends.
          while (this.limiter.bannedUntil > 0 && !this.#closed) await wait(1_000);
          if (this.#closed) return;
          const order = this.#tracker.get({ id });
          if (!order) return;
          let trades: TradeFees;
          try {
            trades = await tradeFees(order);
          } catch {
            continue;
          }
          // Read against the order as it is now (the trades answered after any fill reported meanwhile).
          const now = this.#tracker.get({ id }) ?? order;
          if (Math.abs(trades.filled - now.filled) > 1e-9 * Math.max(1, now.filled)) continue;
          // Paid in a currency the exchange gives no price of in quote: the estimate is the best figure there is.
          if (trades.fee === undefined) return;
          const event = this.#tracker.correctFee(id, now.filled, trades.fee, this.#clock.now(), trades.baseFee);
          if (event) {
            this.#stats.feeCorrections++;
            this.#events.next(event);
          }
          return;
        }
      } finally {
        // At once, not a microtask later: a fill reported from then on starts a check of its own.
        if (this.#feeChecks.get(id) === check) this.#feeChecks.delete(id);
      }
    };
    check.done = run();
  }

  /**
   * A stop's last word on the fees (LiveAccount.drained): every fee check still waiting reads its order's trades
   * at once, then every FEE_CHECK_HURRY_MS while they do not add up yet, and this waits for them, `timeoutMs` at
   * most. Before, a stop ended the checks where they were: a fill found over REST a few seconds before it kept
   * its estimate until the next start's check (`seed`), so the position's coins were counted gross of a fee
   * Binance took in the coin (the fault matrix's balance audit found it on a loaded machine). Returns how many
   * checks were still waiting at the end; the next start reads those.
   */
  async feeChecksSettled(timeoutMs: number): Promise<number> {
    this.#hurry = true;
    const checks = [...this.#feeChecks.values()];
    for (const check of checks) check.wake();
    await settledWithin(Promise.allSettled(checks.map((c) => c.done)), timeoutMs);
    return this.#feeChecks.size;
  }

  /** `transient`: no refusal, the exchange not reached or not answering through every attempt (OrderEvent). */
  #reject(request: LimitOrderRequest, reason: RejectReason, message: string, transient = false, retryAt?: number): undefined {
    const event = { type: 'order.rejected', ts: this.#clock.now(), clientId: request.clientId, market: request.market, side: request.side, reason, message } as const;
    this.#events.next({ ...event, ...(transient ? { transient: true as const } : {}), ...(retryAt !== undefined ? { retryAt } : {}) });
    return undefined;
  }

  /**
   * A REST answer (a cancel's, a poll's look-up) that brings executed volume beyond what is known with no fee
   * (Binance's order queries and cancel answers carry no commission) while the private stream is up: the
   * trade's report, with the exchange's fee (`n` in `N`), is on its way, so the answer waits for it a moment
   * (`STREAM_CATCH_UP_MS`) and is then read against the order as the report left it. Applied at once, the fill
   * was recorded at the taker-rate estimate and the report, bringing no new amount, changed nothing: the real
   * fee was lost (worst with BNB fees, which the engine counts as none). `answer` is ccxt's order or one read.
   */
  async #afterStream(answer: unknown, known: Order | undefined): Promise<Order | undefined> {
    const read = (previous: Order | undefined): Order | undefined =>
      isOrder(answer) ? answer : this.#dialect.toOrder(answer as Parameters<CcxtDialect['toOrder']>[0], previous, this.#clock.now());
    const order = read(known);
    if (!order || !this.#stats.streamConnected || !this.#running || hasFee(answer, order.market)) return order;
    const tolerance = 1e-9 * Math.max(1, order.filled);
    const seen = (): number => this.#tracker.get({ id: order.id })?.filled ?? 0;
    if (order.filled - seen() <= tolerance) return order;
    // Woken by the report's own event (the tracker holds it before the event is emitted), by the stream
    // going down or the adapter closing (no report will come then), or by the deadline: no polling.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        events.unsubscribe();
        down.unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, STREAM_CATCH_UP_MS);
      const events = this.#events.subscribe((e) => {
        if (e.type !== 'order.rejected' && e.order.id === order.id && order.filled - seen() <= tolerance) done();
      });
      const down = this.#streamDown.subscribe(done);
    });
    const now = this.#tracker.get({ id: order.id });
    if (!now || order.filled - now.filled > tolerance) return order; // the report did not come: the estimate stands
    // The report brought the amount, with its fee: the answer adds what the report has not (the cancel's status).
    return isOrder(answer) ? { ...order, fee: now.fee } : read(now);
  }

  /**
   * Records a snapshot, emits what changed, returns the tracked order. `trade`: the exchange's time and
   * amount of its last trade, when the frame gives them. A fill gets that time only when it is that one
   * trade: a fill of several (frames merged, a gap in the stream) may hold earlier trades a balance read
   * already counted, so it gets none (LiveAccount then counts it from the next read).
   */
  #apply(order: Order, ts = this.#clock.now(), trade?: { readonly ts: number | undefined; readonly amount: number; readonly fee?: boolean }, feeKnown = false): Order {
    for (const e of this.#tracker.apply(order, ts)) {
      if (e.type === 'order.fill') {
        const oneTrade = trade !== undefined && Math.abs(e.fill.amount - trade.amount) <= 1e-9 * trade.amount;
        // A fill whose fee the exchange did not give (an order query, a cancel answer, several trades merged
        // in one report) carries an estimate: its trades are read for the exchange's own figure.
        if (!feeKnown && !(oneTrade && trade?.fee === true)) this.#checkFee(e.order.id);
        if (oneTrade && trade.ts !== undefined) this.#tradeTimes.set(e, trade.ts);
      }
      this.#events.next(e);
    }
    return this.#tracker.get({ id: order.id }) ?? order;
  }

  async #streamLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const orders = await this.ccxt.watchOrders();
        if (signal.aborted) return;
        this.#stats.streamConnected = true;
        failures = 0;
        for (const o of orders) {
          const order = this.#dialect.toOrder(o, this.#tracker.get({ id: String(o.id) }), this.#clock.now());
          const info = o.info as Record<string, unknown> | undefined;
          this.#sawExchangeTime(frameTimeOf(info));
          // The trade's own time (Upbit's frame `timestamp` is when the frame was sent, after it) and amount
          // (Upbit myOrder `volume` in a frame of a trade, Binance executionReport `l`).
          const tradeTs = Number(info?.['trade_timestamp']) || Number(o.lastTradeTimestamp) || undefined;
          const tradeAmount = Number(info?.['trade_uuid'] ? info['volume'] : info?.['l']);
          // Binance's report gives the trade's own fee (`n` in `N`: known here in quote or the coin, not in BNB);
          // Upbit's frames their order's cumulative `paid_fee`.
          const reportFee = order !== undefined && info?.['n'] !== undefined && feeInMarket(info['N'], Number(info['n']), baseOf(order.market), quoteOf(order.market));
          const trade = tradeAmount > 0 ? { ts: tradeTs, amount: tradeAmount, fee: reportFee || info?.['paid_fee'] !== undefined } : undefined;
          if (order) this.#apply(order, Number(info?.['timestamp']) || o.lastUpdateTimestamp || this.#clock.now(), trade);
          // A trade's report for an order whose fee is being checked: its trades are listed now, ask at once.
          if (order && info?.['x'] === 'TRADE') this.#feeChecks.get(order.id)?.wake();
        }
      } catch (error) {
        if (signal.aborted) return;
        this.#stats.streamConnected = false;
        this.#stats.streamErrors++;
        this.#streamDown.next();
        failures++;
        // a fresh token (and nonce) for the next connection
        const wsOptions = (this.ccxt.options as Record<string, unknown>)['ws'];
        if (wsOptions && typeof wsOptions === 'object') delete (wsOptions as Record<string, unknown>)['token'];
        if (!(error instanceof NetworkError) && failures > 20) return; // a configuration problem: polling carries on
        this.#pollSoon();
        try {
          await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)) * (0.5 + 0.5 * Math.random()), signal);
        } catch {
          return;
        }
      }
    }
  }

  #schedulePoll(delayMs?: number): void {
    if (!this.#running) return;
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    const interval = delayMs ?? (this.#stats.streamConnected ? (this.#options.reconcileIntervalMs ?? 30_000) : (this.#options.pollIntervalMs ?? 2_000));
    this.#pollTimer = setTimeout(() => void this.#poll(), interval);
    this.#pollTimer.unref();
  }

  #pollSoon(): void {
    this.#schedulePoll(Math.min(250, this.#options.pollIntervalMs ?? 2_000));
  }

  /** One reconciliation round: open orders from REST; tracked orders no longer open are fetched one by one. */
  async #poll(): Promise<void> {
    this.#pollTimer = undefined;
    try {
      const tracked = this.#tracker.open();
      if (tracked.length > 0 && this.limiter.bannedUntil === 0) {
        this.#stats.polls++;
        const open = new Set((await this.openOrders()).map((o) => o.id));
        for (const o of tracked.slice(0, 20)) if (!open.has(o.id)) await this.fetchOrder({ id: o.id, afterStream: true });
      }
    } catch {
      // the next round tries again
    } finally {
      this.#schedulePoll();
    }
  }
}

/** "No such order" answers in a row that make an unknown order a reject (`CcxtExchange.#resolve`). */
const NOT_FOUND_TO_REJECT = 3;
/** The same after the exchange refused the client id as a duplicate (the order was made): 1 s doubling to 30 s, about two minutes. */
const NOT_FOUND_AFTER_DUPLICATE = 9;

/** How long a REST answer bringing a fill without its fee waits for the private stream's report of it (`CcxtExchange.#afterStream`). */
const STREAM_CATCH_UP_MS = 1_000;

/**
 * When an order whose fee is an estimate has its trades read (`CcxtExchange.#checkFee`): at once nearly (a
 * trade is listed with its fill), then with backoff while they are not all listed or the reads fail, about
 * 13.5 minutes in all: an outage of the exchange's REST (5xx) longer than the first 90 s left the estimate
 * for good; twelve reads of an order at most, each of weight 5.
 */
const FEE_CHECK_DELAYS_MS = [200, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 60_000, 120_000, 240_000, 300_000];
/** The longest wait between a fee check's reads once a stop asked for the fees (`feeChecksSettled`). */
const FEE_CHECK_HURRY_MS = 200;

/** An order already read by the dialect (the engine's shape, a look-up's), not ccxt's raw answer. */
function isOrder(o: unknown): o is Order {
  return !!o && typeof o === 'object' && typeof (o as { clientId?: unknown }).clientId === 'string' && typeof (o as { filled?: unknown }).filled === 'number' && !('info' in o);
}

/**
 * Whether a ccxt answer carries a fee of the exchange's (ccxt's `fee` or `fees` with a cost). A look-up read
 * by the dialect no longer tells: it is taken to carry none (waiting for the report then costs a moment only).
 */
/**
 * Whether a ccxt answer carries the order's fee in the market's own currencies. A fee paid in a third
 * currency (BNB) is not known in quote: the fill takes the estimate and its trades are read (`#checkFee`).
 */
function hasFee(o: unknown, market: string | undefined): boolean {
  if (isOrder(o)) return false;
  const order = o as { symbol?: unknown; fee?: { cost?: unknown; currency?: unknown }; fees?: { cost?: unknown; currency?: unknown }[] } | undefined;
  const fees = order?.fees && order.fees.length > 0 ? order.fees : order?.fee ? [order.fee] : [];
  const symbol = market ?? (typeof order?.symbol === 'string' ? order.symbol : undefined);
  const base = symbol === undefined ? undefined : baseOf(symbol);
  const quote = symbol === undefined ? undefined : quoteOf(symbol);
  const known = fees.filter((f) => f?.cost !== undefined && f.cost !== null && Number.isFinite(Number(f.cost)));
  return known.length > 0 && known.every((f) => feeInMarket(f?.currency, Number(f?.cost), base, quote));
}

/** How long a sample of the exchange's clock (`CcxtExchange.#sawExchangeTime`) stands: 5 minutes. */
const AHEAD_SAMPLE_MS = 300_000;

/**
 * When the exchange sent a private frame, on its clock: Upbit's `timestamp` (myOrder, myAsset), Binance's
 * event time `E` (executionReport, outboundAccountPosition), also inside the WebSocket API's `{ event }`.
 */
export function frameTimeOf(message: unknown): number | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const outer = message as Record<string, unknown>;
  const m = (outer['event'] && typeof outer['event'] === 'object' ? outer['event'] : outer) as Record<string, unknown>;
  const ts = Number(m['type'] !== undefined ? m['timestamp'] : m['E']);
  return Number.isFinite(ts) && ts > 0 ? ts : undefined;
}

/**
 * A balance push as the exchange sent it: Upbit's `myAsset` (`assets`, `asset_timestamp`) or Binance's
 * `outboundAccountPosition` (`B`, `u`: the time of the account's last update), also inside the WebSocket
 * API's `{ subscriptionId, event }`. Anything else (Binance's `balanceUpdate`, a deposit's delta) is not one.
 */
export function balancePushOf(message: unknown): BalancePush | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const outer = message as Record<string, unknown>;
  const m = (outer['event'] && typeof outer['event'] === 'object' ? outer['event'] : outer) as Record<string, unknown>;
  const time = (v: unknown): number | undefined => (Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : undefined);
  if (m['type'] === 'myAsset' && Array.isArray(m['assets'])) {
    const balances = (m['assets'] as Record<string, unknown>[]).map((a) => ({ currency: String(a['currency']), free: Number(a['balance']) || 0, locked: Number(a['locked']) || 0 }));
    return { balances, asOf: time(m['asset_timestamp']) ?? time(m['timestamp']) };
  }
  if (m['e'] === 'outboundAccountPosition' && Array.isArray(m['B'])) {
    const balances = (m['B'] as Record<string, unknown>[]).map((a) => ({ currency: String(a['a']), free: Number(a['f']) || 0, locked: Number(a['l']) || 0 }));
    return { balances, asOf: time(m['u']) ?? time(m['E']) };
  }
  return undefined;
}

/** Every URL in `text` without its query (a signed request's timestamp and signature stay out of messages and logs). */
export function withoutQueries(text: string): string {
  return text.replace(/(https?:\/\/[^\s?]+)\?[^\s)]*/g, '$1');
}
