import { NetworkError, OrderNotFound, pro, RateLimitExceeded } from 'ccxt';
import { Subject, type Observable } from 'rxjs';
import type { Balance, Clock, Exchange, LimitOrderRequest, MarketRules, Order, OrderEvent } from '../../core/index.js';
import { wallClock } from '../../core/index.js';
import { retryWithBackoff, sleep } from '../retry.js';
import { UPBIT_KRW_FEE_RATE } from '../upbit-rules.js';
import { UPBIT_REST_URL, upbitRulesFromInstrument } from '../upbit/upbit-quotation.js';
import { isTransient, rejectReasonOf, upbitErrorOf } from './upbit-errors.js';
import { OrderTracker } from './order-tracker.js';
import { UpbitBannedError, UpbitRateLimiter, upbitRequestGroup } from './rate-limiter.js';
import { upbitRawToOrder } from './upbit-order.js';

// ccxt.pro's Upbit class: REST (ccxt) plus websocket (watchOrders on Upbit's private `myOrder`).
type UpbitCcxt = InstanceType<typeof pro.upbit>;
type Raw = Record<string, unknown>;

export interface UpbitCcxtOptions {
  /** Default: `UPBIT_ACCESS_KEY` from the environment. */
  readonly apiKey?: string;
  /** Default: `UPBIT_SECRET_KEY` from the environment. */
  readonly secret?: string;
  /** REST base (default `https://api.upbit.com`); a test points it at the local server. */
  readonly restUrl?: string;
  /** Websocket base (default `wss://api.upbit.com/websocket/v1`; private channel at `<ws>/private`). */
  readonly wsUrl?: string;
  /** ccxt's own request timeout (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * A ccxt.pro Upbit instance, pointed at `restUrl`/`wsUrl` when given (ccxt builds URLs from
 * `urls.api.{public,private,ws}`). Keys come from the options or the environment and are only handed
 * to ccxt, never logged.
 */
export function createUpbitCcxt(options: UpbitCcxtOptions = {}): UpbitCcxt {
  const apiKey = options.apiKey ?? process.env['UPBIT_ACCESS_KEY'];
  const secret = options.secret ?? process.env['UPBIT_SECRET_KEY'];
  const rest = (options.restUrl ?? UPBIT_REST_URL).replace(/\/$/, '');
  const ws = options.wsUrl ?? `${rest.replace(/^http/, 'ws')}/websocket/v1`;
  return new pro.upbit({
    ...(apiKey ? { apiKey } : {}),
    ...(secret ? { secret } : {}),
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 10_000,
    urls: { api: { public: rest, private: rest, ws: options.restUrl === undefined && options.wsUrl === undefined ? 'wss://{hostname}/websocket/v1' : ws } },
  });
}

export interface CcxtExchangeOptions extends UpbitCcxtOptions {
  /** A ready ccxt.pro Upbit instance (otherwise one is made with `createUpbitCcxt`). */
  readonly exchange?: UpbitCcxt;
  readonly limiter?: UpbitRateLimiter;
  readonly clock?: Clock;
  /** Follow orders on the private websocket (`myOrder`); default true when keys are set. */
  readonly privateStream?: boolean;
  /** REST polling interval for open orders while the private stream is down (default 2 s). */
  readonly pollIntervalMs?: number;
  /** REST reconciliation interval while the private stream is up (default 30 s). */
  readonly reconcileIntervalMs?: number;
  /** Attempts for one request on network errors and 429s (default 4). */
  readonly attempts?: number;
  /** First retry delay (default 250 ms, doubling, half jittered, capped at 5 s). */
  readonly retryDelayMs?: number;
  /** Fee per side used in the rules (default: the account's, from `/v1/orders/chance`, else 0.05%). */
  readonly feeRate?: number;
  readonly random?: () => number;
}

export interface CcxtExchangeStats {
  readonly streamConnected: boolean;
  readonly streamErrors: number;
  readonly polls: number;
  /** Orders whose acknowledgement was lost and which were found by client id. */
  readonly ackRecoveries: number;
  readonly retries: number;
}

/**
 * The Exchange port on Upbit through ccxt.
 *
 * - Every order carries its client id as Upbit's `identifier`. When the answer to an order is lost
 *   (network error, timeout), the order is looked up by identifier; only when Upbit does not know it
 *   is it sent again, with the same identifier, so a retry can never make a second order.
 * - Requests go through `UpbitRateLimiter` (Remaining-Req, 429 backoff, no requests during a 418 ban)
 *   and are retried with backoff on network errors. Exchange errors become `order.rejected` with
 *   Upbit's own error message.
 * - Order events come from the private websocket (`myOrder` via ccxt.pro `watchOrders`) and from REST
 *   polling of open orders, faster while the websocket is down. `OrderTracker` diffs snapshots, so
 *   the two sources never duplicate an event.
 *
 * Call `start()` to begin the order stream and polling, `close()` to end them.
 */
export class CcxtExchange implements Exchange {
  readonly ccxt: UpbitCcxt;
  readonly limiter: UpbitRateLimiter;
  readonly #events = new Subject<OrderEvent>();
  readonly orderEvents$: Observable<OrderEvent> = this.#events.asObservable();
  readonly #tracker = new OrderTracker();
  readonly #options: CcxtExchangeOptions;
  readonly #clock: Clock;
  #running = false;
  #abort = new AbortController();
  #pollTimer: NodeJS.Timeout | undefined;
  #feeRate: number | undefined;
  #stats = { streamConnected: false, streamErrors: 0, polls: 0, ackRecoveries: 0, retries: 0 };

  constructor(options: CcxtExchangeOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? wallClock;
    this.ccxt = options.exchange ?? createUpbitCcxt(options);
    this.limiter = options.limiter ?? new UpbitRateLimiter(options.random ? { random: options.random } : {});
    this.#feeRate = options.feeRate;
    this.#instrument(this.ccxt);
  }

  stats(): CcxtExchangeStats {
    return { ...this.#stats };
  }

  /** Starts the private order stream (when keys are set) and REST polling. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    const stream = this.#options.privateStream ?? Boolean(this.ccxt.apiKey && this.ccxt.secret);
    if (stream) void this.#streamLoop(this.#abort.signal);
    this.#schedulePoll();
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    await this.ccxt.close().catch(() => undefined);
  }

  // ---- Exchange port ----------------------------------------------------------------------------

  async markets(): Promise<readonly MarketRules[]> {
    await this.#call(() => this.ccxt.loadMarkets(true));
    const codes = Object.values(this.ccxt.markets ?? {}).map((m) => String((m as { id?: unknown } | undefined)?.id ?? '')).filter((c) => c.length > 0);
    const ticks = new Map<string, number>();
    try {
      for (let i = 0; i < codes.length; i += 100) {
        const rows = (await this.#call(() => this.ccxt.publicGetOrderbookInstruments({ markets: codes.slice(i, i + 100).join(',') }))) as Raw[];
        for (const r of rows) {
          const tick = Number(r['tick_size']);
          if (typeof r['market'] === 'string' && Number.isFinite(tick) && tick > 0) ticks.set(r['market'], tick);
        }
      }
    } catch (error) {
      if (error instanceof UpbitBannedError) throw error;
      // instruments unavailable: the KRW table stands in
    }
    const fee = await this.#accountFeeRate();
    const rules: MarketRules[] = [];
    for (const code of codes.sort()) {
      const r = upbitRulesFromInstrument(code, ticks.get(code), fee);
      if (r) rules.push(r);
    }
    return rules;
  }

  async balances(): Promise<readonly Balance[]> {
    const accounts = (await this.#call(() => this.ccxt.privateGetAccounts())) as unknown as Raw[];
    return accounts
      .map((a) => ({ currency: String(a['currency']), free: Number(a['balance']) || 0, locked: Number(a['locked']) || 0 }))
      .sort((a, b) => a.currency.localeCompare(b.currency));
  }

  async createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    const attempts = this.#options.attempts ?? 4;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const placed = await this.#limited(() =>
          this.ccxt.createOrder(request.market, 'limit', request.side, request.amount, request.price, { clientOrderId: request.clientId }),
        );
        const order = upbitRawToOrder(placed.info as Raw, undefined, this.#clock.now());
        if (order) return this.#track({ ...order, clientId: order.clientId || request.clientId });
        lastError = new Error('Upbit answered an order without uuid');
      } catch (error) {
        lastError = error;
        if (error instanceof UpbitBannedError) return this.#reject(request, 'exchange_error', error.message);
        if (!isTransient(error)) {
          // A refusal after a lost answer may be Upbit refusing the duplicate identifier: look first.
          if (attempt > 1) {
            const found = await this.#findByClientId(request.clientId);
            if (found) return found;
          }
          const e = upbitErrorOf(error);
          return this.#reject(request, rejectReasonOf(e.name), e.name ? `${e.name}: ${e.message}` : e.message);
        }
        if (!(error instanceof RateLimitExceeded)) {
          // The answer was lost (or the request never arrived): ask Upbit by identifier before resending.
          const found = await this.#findByClientId(request.clientId);
          if (found) {
            this.#stats.ackRecoveries++;
            return found;
          }
        }
        this.#stats.retries++;
        await this.#backoff(attempt);
      }
    }
    const found = await this.#findByClientId(request.clientId);
    if (found) {
      this.#stats.ackRecoveries++;
      return found;
    }
    const e = upbitErrorOf(lastError);
    return this.#reject(request, 'exchange_error', `no acknowledgement after ${attempts} attempts: ${e.message}`);
  }

  async cancelOrder(orderId: string): Promise<void> {
    const known = this.#tracker.get({ id: orderId });
    try {
      const raw = (await this.#call(() => this.ccxt.cancelOrder(orderId))).info as Raw;
      const order = upbitRawToOrder(raw, known, this.#clock.now());
      if (order) this.#apply(order);
      if (order?.status === 'open') this.#pollSoon();
    } catch (error) {
      if (error instanceof OrderNotFound) {
        // Already done or cancelled (a fill may have won the race), or never existed.
        const order = await this.fetchOrder({ id: orderId }).catch(() => undefined);
        if (order && order.status === 'open') return;
        if (!order || order.status === 'filled' || (known && known.status !== 'open')) {
          const e = upbitErrorOf(error);
          this.#events.next({
            type: 'order.rejected',
            ts: this.#clock.now(),
            clientId: known?.clientId ?? order?.clientId ?? '',
            market: known?.market ?? order?.market ?? '',
            side: known?.side ?? order?.side ?? 'buy',
            reason: 'unknown_order',
            message: e.name ? `${e.name}: ${e.message}` : e.message,
          });
        }
        return;
      }
      throw error;
    }
  }

  async fetchOrder(ref: { readonly id?: string; readonly clientId?: string }): Promise<Order | undefined> {
    if (ref.id === undefined && ref.clientId === undefined) return undefined;
    try {
      const raw = (await this.#call(() => this.ccxt.privateGetOrder(ref.id !== undefined ? { uuid: ref.id } : { identifier: ref.clientId }))) as Raw;
      const order = upbitRawToOrder(raw, this.#tracker.get(ref.id !== undefined ? { id: ref.id } : { clientId: ref.clientId as string }), this.#clock.now());
      if (!order) return undefined;
      if (ref.clientId !== undefined && order.clientId && order.clientId !== ref.clientId) return undefined;
      return this.#apply({ ...order, clientId: order.clientId || ref.clientId || '' });
    } catch (error) {
      if (error instanceof OrderNotFound) return undefined;
      throw error;
    }
  }

  async openOrders(): Promise<readonly Order[]> {
    const rows = (await this.#call(() => this.ccxt.privateGetOrdersOpen({ state: 'wait', limit: 100 }))) as unknown as Raw[];
    const out: Order[] = [];
    for (const raw of rows) {
      const order = upbitRawToOrder(raw, this.#tracker.get({ id: String(raw['uuid']) }), this.#clock.now());
      if (order) out.push(this.#apply(order));
    }
    return out;
  }

  /** The order as last seen (synchronous, from the tracker). */
  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    return this.#tracker.get(ref);
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** Routes every ccxt HTTP request through the limiter and shows it every answer. */
  #instrument(ex: UpbitCcxt): void {
    const limiter = this.limiter;
    const fetchOriginal = ex.fetch.bind(ex);
    ex.fetch = async (url: string, method = 'GET', headers?: unknown, body?: unknown): Promise<unknown> => {
      await limiter.acquire(upbitRequestGroup(method, url));
      return fetchOriginal(url, method, headers, body);
    };
    const handleOriginal = ex.handleErrors.bind(ex);
    ex.handleErrors = (code, reason, url, method, headers, body, response, requestHeaders, requestBody) => {
      limiter.observe(code, headers, body);
      if (code === 429) throw new RateLimitExceeded(`upbit ${method} ${url} 429 ${body}`);
      if (code === 418) throw new UpbitBannedError(limiter.bannedUntil || Date.now());
      return handleOriginal(code, reason, url, method, headers, body, response, requestHeaders, requestBody);
    };
  }

  /** One request through the limiter; retried on network errors and 429s. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    return retryWithBackoff(() => this.#limited(fn), {
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

  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    const banned = this.limiter.bannedUntil;
    if (banned > 0) throw new UpbitBannedError(banned);
    return fn();
  }

  async #backoff(attempt: number): Promise<void> {
    const base = Math.min(5_000, (this.#options.retryDelayMs ?? 250) * 2 ** (attempt - 1));
    await sleep(base * (0.5 + 0.5 * (this.#options.random ?? Math.random)()));
  }

  async #findByClientId(clientId: string): Promise<Order | undefined> {
    try {
      return await this.fetchOrder({ clientId });
    } catch {
      return undefined;
    }
  }

  async #accountFeeRate(): Promise<number> {
    if (this.#feeRate !== undefined) return this.#feeRate;
    if (!this.ccxt.apiKey || !this.ccxt.secret) return UPBIT_KRW_FEE_RATE;
    try {
      const chance = (await this.#call(() => this.ccxt.privateGetOrdersChance({ market: 'KRW-BTC' }))) as Raw;
      const fee = Number(chance['bid_fee']);
      this.#feeRate = Number.isFinite(fee) && fee >= 0 && fee < 1 ? fee : UPBIT_KRW_FEE_RATE;
    } catch {
      return UPBIT_KRW_FEE_RATE;
    }
    return this.#feeRate;
  }

  #reject(request: LimitOrderRequest, reason: ReturnType<typeof rejectReasonOf>, message: string): undefined {
    this.#events.next({ type: 'order.rejected', ts: this.#clock.now(), clientId: request.clientId, market: request.market, side: request.side, reason, message });
    return undefined;
  }

  #track(order: Order): Order {
    return this.#apply(order);
  }

  /** Records a snapshot, emits what changed, returns the tracked order. */
  #apply(order: Order, ts = this.#clock.now()): Order {
    for (const e of this.#tracker.apply(order, ts)) this.#events.next(e);
    return this.#tracker.get({ id: order.id }) ?? order;
  }

  async #streamLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (String(this.ccxt.urls['api']['ws'] ?? '').startsWith('ws://')) await this.ccxt.loadHttpProxyAgent();
        const orders = await this.ccxt.watchOrders();
        if (signal.aborted) return;
        this.#stats.streamConnected = true;
        failures = 0;
        for (const o of orders) {
          const raw = o.info as Raw;
          const order = upbitRawToOrder(raw, this.#tracker.get({ id: String(raw['uuid']) }), this.#clock.now());
          if (order) this.#apply(order, Number(raw['timestamp']) || this.#clock.now());
        }
      } catch (error) {
        if (signal.aborted) return;
        this.#stats.streamConnected = false;
        this.#stats.streamErrors++;
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
        for (const o of tracked.slice(0, 20)) if (!open.has(o.id)) await this.fetchOrder({ id: o.id });
      }
    } catch {
      // the next round tries again
    } finally {
      this.#schedulePoll();
    }
  }
}
