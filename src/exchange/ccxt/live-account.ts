import { BadSymbol } from 'ccxt';
import { Observable, Subject, type Subscription } from 'rxjs';
import { baseOf, type Balance, type LimitOrderRequest, type LookupReply, type MarketRules, type MarketSymbol, type Order, type OrderEvent, type PendingOrder, type Venue } from '../../core/index.js';
import type { OrderSlot } from '../../../machines/index.js';
import { settledWithin, sleep } from '../../net/retry.js';
import { roundAmountDown } from '../tick-math.js';
import { withoutQueries, type BalancePush, type CcxtExchange } from './ccxt-exchange.js';

type FillEvent = Extract<OrderEvent, { type: 'order.fill' }>;

/** What the balance view of a currency was last set from (a REST re-read or a balance push). */
interface ReadMark {
  /** The account's step when a REST read was asked for (a fill seen before it is in the read); undefined for a push. */
  readonly step: number | undefined;
  /** The exchange's time of the state it gives (a push's), on the exchange's clock. */
  readonly asOf: number | undefined;
  /** When the read arrived, on the exchange's clock as far as it is known (CcxtExchange.exchangeNow), else this machine's. */
  readonly at: number;
}

/** A fill the balance view has seen, kept a while so a later read can tell whether it holds it. */
interface SeenFill {
  readonly step: number;
  readonly at: number;
  /** The exchange's time of the trade (private stream frames); undefined for a fill found over REST. */
  readonly tradeTs: number | undefined;
  readonly event: FillEvent;
}

/** The restart's balance re-read is tried this often before the start-up goes on without it (`LiveAccount.restart`). */
const RESTART_READ_ATTEMPTS = 3;

/** Fills are remembered this long (and at most `SEEN_FILLS_MAX` of them) for the reads that arrive after them. */
const SEEN_FILLS_MS = 60_000;
const SEEN_FILLS_MAX = 1_000;

/** A sell waits at most this long for the balance read it asks for first (`LiveAccount.createLimitOrder`). */
const SELL_READ_WAIT_MS = 5_000;

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
  /**
   * How far the exchange's clock may be ahead of this machine's (default 1 s): a fill whose trade time is
   * later than a REST read's arrival plus this is not in that read. A larger figure only counts such
   * fills later (from the re-read each fill asks for), never twice.
   */
  readonly clockToleranceMs?: number;
  /**
   * After this many failed balance re-reads in a row (default 3), or with no successful read for
   * `maxReadAgeMs` (default four re-read intervals), the view is stale: `balancesCurrent()` is false and
   * the engine opens no new position until a read succeeds (sells and cancels go on).
   */
  readonly staleAfterFailures?: number;
  readonly maxReadAgeMs?: number;
  /** First wait before a failed re-read is tried again (default 1 s, doubling, at most `refreshMs`). */
  readonly retryDelayMs?: number;
  /** How long the exchange's balance reads may lag its fills (Venue.balanceLagMs; default 5 s). */
  readonly balanceLagMs?: number;
  /** Where the account says what the trader must know (a failing re-read, a stale view); one line each, no secrets. */
  readonly log?: (line: string) => void;
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

/**
 * How long after a fill an exchange's balance read may still not show it: the account service of an exchange
 * can trail its matching engine by a moment (a second or two under load). Coins found missing are read again
 * this much later before a position is closed for them (TradingEngine.closeGone).
 */
export const LIVE_BALANCE_LAG_MS = 5_000;

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
  readonly balanceLagMs: number;
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
  /** Per currency, the read its balance comes from (`#fullRead` for every currency the last REST read set). */
  readonly #marks = new Map<string, ReadMark>();
  #fullRead: ReadMark | undefined;
  /** Counts the fills seen and the REST reads asked for, in order. */
  #step = 0;
  /** The step of the REST read whose answer the view holds: an older read answering later is dropped. */
  #lastReadStep = -1;
  #seen: SeenFill[] = [];
  /**
   * Per currency, the step of the last fill the view took to be in its read without knowing it (a fill found
   * over REST has no trade time; a trade inside the read's clock tolerance): until a REST read asked after
   * that fill answers, the currency may be short by the fill. Cleared by such a read.
   */
  readonly #unsure = new Map<string, number>();
  readonly #open = new Map<string, Order>();
  /** Order requests (placements, cancels) sent and not yet answered. */
  readonly #requests = new Set<Promise<unknown>>();
  #subscription: Subscription | undefined;
  /** Every order resting on the account when it was opened (start-up reconciliation reads it). */
  openOrdersAtStart: readonly Order[] = [];
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  /** Failed balance re-reads, in all and in a row. */
  refreshErrors = 0;
  #failures = 0;
  /** This machine's time of the last successful REST read. */
  #lastReadAt = Date.now();
  /** Set while the view is stale (reads failing or too old): no new position opens. */
  #stale: string | undefined;
  /** Balance updates received on Upbit's `myAsset` stream (the REST re-reads stay as the fallback). */
  balanceStreamUpdates = 0;
  #running = true;

  private constructor(exchange: CcxtExchange, options: LiveAccountOptions) {
    this.#exchange = exchange;
    this.#options = options;
    this.balanceLagMs = options.balanceLagMs ?? LIVE_BALANCE_LAG_MS;
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
    // A REST read's time is this machine's; the fills' are the exchange's: measured where ccxt can, so a
    // clock behind the exchange's does not make a read look older than a fill it holds (`#reflects`).
    await exchange.syncTime();
    const open = await exchange.openOrders();
    account.openOrdersAtStart = open;
    for (const o of open) account.#open.set(o.id, o);
    // After the open orders: their events moved the balance view, the fresh read replaces it.
    try {
      await account.refresh();
    } catch (error) {
      // Nobody holds an account that failed to open: nothing of it may go on reading (a fill found above
      // asked for a re-read 500 ms later, and a failed read schedules the next).
      account.#stop();
      throw error;
    }
    account.#scheduleRead(account.#refreshMs);
    if (exchange.ccxt.apiKey && exchange.ccxt.secret && exchange.ccxt.has['watchBalance']) void account.#watchBalances();
    return account;
  }

  /**
   * After a restart: looks up every order the restored positions wait on. What happened while the engine
   * was down (fills, a cancel, an acknowledgement) reaches the positions as the adapter's own events,
   * exactly once (the adapter was seeded with what they knew); an order not found is left to its position's
   * own look-ups (see below). A failed look-up is retried with backoff until it is answered: nothing new is
   * placed on a guess. Returns one result per order.
   */
  async reconcile(orders: readonly RestoredOrder[], onRetry?: (line: string) => void): Promise<ReconciledOrder[]> {
    const out: ReconciledOrder[] = [];
    for (const { market, slot } of orders) {
      let order: Order | undefined;
      // The exchange (ccxt) knows no such market: the order cannot be asked for by it now, however often.
      let unlisted = false;
      for (let attempt = 1; ; attempt++) {
        try {
          order = await this.#exchange.fetchOrder({ clientId: slot.clientId, market });
          break;
        } catch (error) {
          if (!this.#running) throw error;
          if (error instanceof BadSymbol) {
            unlisted = true;
            break;
          }
          const delay = Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5));
          onRetry?.(`${slot.clientId}: look-up failed (${(error as Error).message.slice(0, 160)}); attempt ${attempt + 1} in ${delay / 1000} s`);
          await sleep(delay);
        }
      }
      const result = (line: string): void => void out.push({ clientId: slot.clientId, executed: order?.filled, known: slot.filled, line: `${slot.clientId}: ${line}` });
      if (unlisted) {
        // Retried here, it held the whole start-up (and every other market's trading) forever; the position's
        // own look-ups (at its acknowledgement, cancel and look-up deadlines) go on asking, for it alone.
        result(`market ${market} is not listed by ${this.#exchange.id}: not looked up now; its position looks it up at its own deadlines`);
        continue;
      }
      if (!order) {
        // Not rejected here even when never acknowledged: a look-up can trail the order book by seconds, and an
        // order placed just before the kill was forgotten and rested with nobody managing it. Its position looks
        // it up at its own acknowledgement deadline (at once when that has passed) and ends it if still not found.
        result(slot.acked ? 'acknowledged before the restart but not found now: its position looks it up again' : 'not found on the exchange now: its position looks it up again at its acknowledgement deadline');
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

  /** Stops listening and reading: no timer of this account fires after it. */
  #stop(): void {
    this.#running = false;
    this.#subscription?.unsubscribe();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    this.#timer = this.#soon = undefined;
  }

  /**
   * Re-reads the balances from the exchange. The read replaces the view; a fill seen since it was asked
   * for is added on top only when the read cannot hold it (see `#reflects`).
   */
  async refresh(): Promise<void> {
    const step = ++this.#step;
    let balances: readonly Balance[];
    try {
      balances = await this.#exchange.balances();
    } catch (error) {
      this.#readFailed(error);
      throw error;
    }
    this.#readSucceeded();
    if (step < this.#lastReadStep) return; // a read asked for later has answered already
    this.#lastReadStep = step;
    const mark: ReadMark = { step, asOf: undefined, at: this.#exchange.exchangeNow() };
    this.#balances.clear();
    this.#marks.clear();
    this.#fullRead = mark;
    for (const b of balances) this.#balances.set(b.currency, b);
    for (const f of this.#seen) if (f.step > step && !this.#reflects(mark, f)) this.#applyFill(f.event);
    for (const [currency, fillStep] of this.#unsure) if (fillStep < step) this.#unsure.delete(currency);
  }

  get #refreshMs(): number {
    return this.#options.refreshMs ?? 15_000;
  }

  /**
   * False while the balance view cannot be trusted: `staleAfterFailures` re-reads failed in a row, or no
   * read succeeded for `maxReadAgeMs`. The engine then opens no new position (sizing would spend an
   * estimate); sells and cancels go on. Said once when it starts and once when a read succeeds again.
   */
  balancesCurrent(): boolean {
    const maxAge = this.#options.maxReadAgeMs ?? 4 * this.#refreshMs;
    const age = Date.now() - this.#lastReadAt;
    if (this.#stale === undefined && age > maxAge) this.#goStale(`no balance read succeeded for ${Math.round(age / 1000)} s`);
    return this.#stale === undefined;
  }

  #goStale(why: string): void {
    this.#stale = why;
    this.#options.log?.(`balances stale (${why}): opening no new positions until a re-read succeeds; sells and cancels go on`);
  }

  #readFailed(error: unknown): void {
    this.refreshErrors++;
    if (!this.#running) return; // a read cut off by close(): nothing to say or retry
    this.#failures++;
    const reason = withoutQueries(error instanceof Error ? error.message : String(error)).slice(0, 200);
    const delay = this.#retryDelay();
    if (this.#failures === 1) this.#options.log?.(`balance re-read failed (${reason}); trading on the last view, next attempt in ${(delay / 1000).toFixed(1)} s`);
    const limit = this.#options.staleAfterFailures ?? 3;
    if (this.#stale === undefined && this.#failures >= limit) this.#goStale(`${this.#failures} re-reads failed in a row, the last: ${reason}`);
    // Whichever read failed (periodic, after a fill, at a restart), the next one comes after the backoff.
    this.#scheduleRead(delay);
  }

  #readSucceeded(): void {
    const failed = this.#failures;
    this.#failures = 0;
    this.#lastReadAt = Date.now();
    if (this.#stale !== undefined) {
      this.#stale = undefined;
      this.#options.log?.(`balances read again${failed > 0 ? ` after ${failed} failed attempt(s)` : ''}; opening positions again`);
    } else if (failed > 0) this.#options.log?.(`balances read again after ${failed} failed attempt(s)`);
  }

  /** The wait before the next attempt after `#failures` failed ones: 1 s doubling, at most the re-read interval. */
  #retryDelay(): number {
    return Math.min(this.#refreshMs, (this.#options.retryDelayMs ?? 1_000) * 2 ** Math.min(this.#failures - 1, 20));
  }

  /** The periodic re-read: every `refreshMs`, sooner with backoff after a failure (`#readFailed` reschedules). */
  #scheduleRead(delayMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.refresh().then(
        () => {
          if (this.#running) this.#scheduleRead(this.#refreshMs);
        },
        () => undefined,
      );
    }, delayMs);
    this.#timer.unref();
  }

  /** A balance push: the currencies it carries replace the view's, and a fill it cannot hold is added on top. */
  #onPush(push: BalancePush): void {
    const mark: ReadMark = { step: undefined, asOf: push.asOf, at: this.#exchange.exchangeNow() };
    const carried = new Set<string>();
    for (const b of push.balances) {
      this.#balances.set(b.currency, { currency: b.currency, free: b.free, locked: b.locked });
      this.#marks.set(b.currency, mark);
      carried.add(b.currency);
    }
    for (const f of this.#seen) if (!this.#reflects(mark, f)) this.#applyFill(f.event, carried);
  }

  /**
   * Whether a read already holds a fill. Never wrong towards counting a fill twice: when it cannot be
   * told, the read is taken to hold it, and the fill counts from the re-read it asks for (500 ms later,
   * asked after the fill was seen, so holding it for certain).
   * - a fill seen before a REST read was asked for is in it;
   * - a push gives the exchange's time of its state: the fill is in it when its trade is not later;
   * - a REST read gives none: the fill is not in it only when its trade is later than the read's arrival,
   *   on the exchange's clock as far as it is known (CcxtExchange.exchangeNow: measured by ccxt, or seen in frames), plus
   *   `clockToleranceMs` (the answer's way back, and an unmeasured clock behind the exchange's);
   * - a fill without a trade time (found over REST) is taken to be in any read that arrives after it.
   */
  #reflects(mark: ReadMark | undefined, fill: SeenFill): boolean {
    if (mark === undefined) return false;
    if (mark.step !== undefined && fill.step < mark.step) return true;
    if (fill.tradeTs === undefined) return true;
    return fill.tradeTs <= (mark.asOf ?? mark.at + (this.#options.clockToleranceMs ?? 1_000));
  }

  #markOf(currency: string): ReadMark | undefined {
    return this.#marks.get(currency) ?? this.#fullRead;
  }

  /** A fill seen: moves the currencies whose read does not hold it, and is remembered for the reads to come. */
  #onFill(event: FillEvent): void {
    const now = Date.now();
    const fill: SeenFill = { step: ++this.#step, at: now, tradeTs: this.#exchange.tradeTime(event), event };
    const base = baseOf(event.fill.market);
    const moved = new Set([base, this.#options.quote].filter((c) => !this.#reflects(this.#markOf(c), fill)));
    if (moved.size > 0) this.#applyFill(event, moved);
    // The fill is newer than every read: where it was taken to be in one, that was a guess (see `#reflects`).
    for (const c of [base, this.#options.quote]) if (!moved.has(c)) this.#unsure.set(c, fill.step);
    this.#seen = this.#seen.filter((f) => f.at > now - SEEN_FILLS_MS).slice(-(SEEN_FILLS_MAX - 1));
    this.#seen.push(fill);
  }

  async close(): Promise<void> {
    this.#stop();
    await this.#exchange.close();
  }

  /**
   * A sell never asks for more than the account holds: where the exchange takes a buy's fee from the
   * coins bought (Binance without BNB), the position's gross amount is more than the free balance, so
   * the sell is cut to the free balance rounded down to the market's step (the fee's worth stays as dust).
   */
  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    // A fill the view only guessed to be in the last read (one found over REST: no trade time, no fee) may be
    // missing from the coins: sized then, a sell saw 0 free, went uncapped at the gross amount and was refused
    // (insufficient balance) where the fee was taken in the coin. It is sized on a read asked for now instead.
    if (request.side === 'sell' && this.#unsure.has(baseOf(request.market))) {
      return this.#inFlight(this.#readFirst().then(() => this.#placeCapped(request)));
    }
    return this.#inFlight(this.#placeCapped(request));
  }

  /** A balance read asked for now, waited for at most `SELL_READ_WAIT_MS`; a failed one leaves the view as it was (said and retried by `#readFailed`). */
  async #readFirst(): Promise<void> {
    await settledWithin(this.refresh(), SELL_READ_WAIT_MS);
  }

  #placeCapped(request: LimitOrderRequest): Promise<Order | undefined> {
    if (request.side === 'sell') {
      const free = this.getBalance(baseOf(request.market)).free;
      if (free > 0 && request.amount > free) {
        const capped = roundAmountDown(free, this.#options.rules?.(request.market)?.amountStep ?? 0);
        if (capped > 0) return this.#exchange.createLimitOrder({ ...request, amount: capped });
      }
    }
    return this.#exchange.createLimitOrder(request);
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
      await settledWithin(Promise.allSettled([...this.#requests]), left);
    }
    // The stop listens no longer: a placement still retrying sends no further attempt (CcxtExchange.stopPlacing).
    this.#exchange.stopPlacing();
    // Then the fees of the fills heard (an estimate until the order's trades are read): the stop records them.
    await this.#exchange.feeChecksSettled(deadline - Date.now());
    return this.#requests.size;
  }

  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    return this.#exchange.getOrder(ref);
  }

  /**
   * Asks the exchange; the answer (or the error) comes back when it arrives. While the adapter is still
   * placing an order of this client id (retrying after a 429 or a lost answer, waiting before a resend,
   * looking up an order whose fate is unknown), the exchange not knowing it yet proves nothing: the
   * question waits for the placement to end. Answered "no such order" meanwhile, a position gave the
   * order up, and the order placed a moment later rested with nobody managing it.
   */
  lookupOrder(ref: { readonly clientId: string; readonly market: string }, reply: LookupReply): void {
    this.#exchange.placed(ref.clientId).then(() => this.#exchange.fetchOrder(ref)).then(
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
    const results = await this.reconcile(orders, log);
    const lines = results.map((r) => r.line);
    for (const line of lines) log(line);
    for (const { slot, cancelling } of orders) {
      const order = slot.id === undefined ? undefined : this.getOpenOrders().find((o) => o.id === slot.id);
      if (!order || !cancelling) continue;
      log(`${slot.clientId}: its cancel was in flight; asked again`);
      await this.cancelOrder(order.id).catch((error: unknown) => log(`${slot.clientId}: cancel failed (${(error as Error).message.slice(0, 160)}); its position looks it up at the cancel deadline`));
    }
    await this.#rereadAtRestart(log);
    return lines;
  }

  /**
   * The restart's balance re-read, tried `RESTART_READ_ATTEMPTS` times with backoff. One that still fails
   * does not stop the start-up: thrown, it ended the kernel's start-up and the bot stayed up without ever
   * trading (`reconciliation stopped …; not trading`), its restored positions' exits never acted on,
   * after one burst of 5xx or 429 on the balance endpoint. The view is then the one read when the account
   * opened (after the bot was down, so holding what happened meanwhile); the failed reads make it stale
   * (no new position until a read succeeds; sells and cancels go on) and are retried by `#readFailed`.
   */
  async #rereadAtRestart(log: (line: string) => void): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.refresh();
        return;
      } catch (error) {
        if (!this.#running) throw error;
        const reason = withoutQueries((error as Error).message).slice(0, 160);
        if (attempt >= RESTART_READ_ATTEMPTS) {
          log(`balances not re-read (${attempt} attempts, the last: ${reason}); trading on the view read at the start: no new position until a re-read succeeds, sells and cancels go on`);
          return;
        }
        await sleep(Math.min(this.#refreshMs, (this.#options.retryDelayMs ?? 1_000) * 2 ** (attempt - 1)));
      }
    }
  }

  getOpenOrders(): readonly Order[] {
    return [...this.#open.values()];
  }

  getBalance(currency: string): Balance {
    return this.#balances.get(currency) ?? { currency, free: 0, locked: 0 };
  }

  async heldNow(currency: string): Promise<number | undefined> {
    try {
      await this.refresh();
    } catch {
      return undefined;
    }
    const b = this.getBalance(currency);
    return b.free + b.locked;
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
      if (event.type === 'order.fill') this.#onFill(event);
      if (event.type !== 'order.accepted') this.#refreshSoon();
    }
    this.#emit(event);
  }

  /**
   * Until the next re-read: the fill moves base and quote (the fee in quote), from free for simplicity;
   * `only` limits it to those currencies (the others' read already holds it). Every fill event comes from
   * the adapter's OrderTracker, which emits each executed amount of an order once
   * (test/exchange/ccxt/order-tracker.spec.ts, binance-exchange.spec.ts "after a restart from a stale
   * snapshot"); whether a read holds it is `#reflects`.
   */
  #applyFill(event: FillEvent, only?: ReadonlySet<string>): void {
    const f = event.fill;
    const base = baseOf(f.market);
    const quote = this.#options.quote;
    const q = this.getBalance(quote);
    const b = this.getBalance(base);
    const value = f.price * f.amount;
    const set = (balance: Balance): void => {
      if (!only || only.has(balance.currency)) this.#balances.set(balance.currency, balance);
    };
    if (f.side === 'buy') {
      // A fee taken in the coin bought (Binance without BNB) leaves the coins net of it and the quote
      // untouched by it: credited gross, the free coins were overstated until the next read, and a sell
      // sized on them in that time asked for more than the account held and was refused.
      const coinFee = f.baseFee ?? 0;
      set({ ...q, locked: Math.max(0, q.locked - value - (coinFee > 0 ? 0 : f.fee)) });
      set({ ...b, free: b.free + f.amount - coinFee });
    } else {
      set({ ...b, locked: Math.max(0, b.locked - f.amount) });
      set({ ...q, free: q.free + value - f.fee });
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
        const pushes = await this.#exchange.watchBalance();
        if (!this.#running) return;
        failures = 0;
        for (const push of pushes) this.#onPush(push);
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
    const currency = order.side === 'buy' ? this.#options.quote : baseOf(order.market);
    const amount = order.side === 'buy' ? order.price * order.amount : order.amount;
    const b = this.getBalance(currency);
    const moved = Math.min(b.free, amount);
    this.#balances.set(currency, { currency, free: b.free - moved, locked: b.locked + moved });
  }

  #refreshSoon(): void {
    if (this.#soon || !this.#running) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.refresh().catch(() => undefined); // counted, said and retried by #readFailed
    }, 500);
    this.#soon.unref();
  }
}

/** A restored order slot as the adapter's tracker keeps orders. */
function slotOrder(market: string, slot: OrderSlot): Order {
  const order: Order = { id: slot.id as string, clientId: slot.clientId, market, side: slot.side, price: slot.price, amount: slot.amount, filled: slot.filled, cost: slot.cost, fee: slot.fee, status: 'open', ts: slot.submittedTs };
  return slot.baseFee === undefined ? order : { ...order, baseFee: slot.baseFee };
}
