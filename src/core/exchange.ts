import type { Observable } from 'rxjs';
import type { MarketEvent, MarketSymbol } from './market.js';
import type { LimitOrderRequest, Order, OrderEvent, OrderSide } from './orders.js';

/** Trading rules of one market. Prices are rounded with `tickSize(price)`; amounts to `amountStep`. */
export interface MarketRules {
  readonly market: MarketSymbol;
  readonly base: string;
  readonly quote: string;
  /** Tick size valid for a price in this market (Upbit: depends on the price band). */
  tickSize(price: number): number;
  /** Smallest quantity step; 0 means any (Upbit accepts 8 decimals). */
  readonly amountStep: number;
  /** Minimum order total in quote currency (Upbit KRW: 5,000). */
  readonly minTotal: number;
  /** Smallest order quantity, where the exchange sets one above the step (Binance LOT_SIZE `minQty`); absent: the step. */
  readonly minAmount?: number;
  /** Fee rate per side, e.g. 0.0005. */
  readonly feeRate: number;
  /**
   * The exchange's status of a market that does not trade now (Binance `BREAK`, `HALT`); absent while it
   * trades. Its rules are kept so that positions already in it stay managed and their exits are tried
   * (the exchange refuses them while it is halted); no new position opens in it.
   */
  readonly halted?: string;
}

export interface Balance {
  readonly currency: string;
  /** Available to trade. */
  readonly free: number;
  /** Locked by resting orders. */
  readonly locked: number;
}

/**
 * Everything the engine does with an exchange. The simulated exchange and the ccxt adapter both
 * implement it, so backtest, paper and live share every line of trading logic.
 */
export interface Exchange {
  /** Rules for every tradable market. */
  markets(): Promise<readonly MarketRules[]>;
  balances(): Promise<readonly Balance[]>;
  /** Submits a limit order. Resolves with the order as acknowledged; a refusal arrives as `order.rejected`. */
  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined>;
  /** Requests a cancel; the outcome arrives as `order.cancelled` (or a fill that won the race). */
  cancelOrder(orderId: string): Promise<void>;
  /** Looks an order up by exchange id or client id (most exchanges other than Upbit also need its market). */
  fetchOrder(ref: { readonly id?: string; readonly clientId?: string; readonly market?: string }): Promise<Order | undefined>;
  openOrders(): Promise<readonly Order[]>;
  /** Every order event (acks, fills, cancels, rejects) in the order the exchange sends them. */
  readonly orderEvents$: Observable<OrderEvent>;
}

/** The answer to a look-up: the order as the venue knows it (undefined: unknown there), or why the asking failed. */
export type LookupReply = (answer: { readonly order: Order | undefined } | { readonly error: unknown }) => void;

/** An order as a position knows it (the position machine's order slot has this shape). */
export interface KnownOrder {
  readonly side: OrderSide;
  readonly clientId: string;
  /** The exchange's id, once acknowledged. */
  readonly id?: string;
  readonly price: number;
  readonly amount: number;
  /** Cumulative filled base amount, cost (quote, before fees) and fees, as last reported. */
  readonly filled: number;
  readonly cost: number;
  readonly fee: number;
  /** The part of the fee taken from the coins bought, base units (`Order.baseFee`); absent when none was. */
  readonly baseFee?: number;
  readonly submittedTs: number;
  readonly acked: boolean;
}

/** An order a restored position waits on (what a restart looks up). */
export interface PendingOrder {
  readonly market: MarketSymbol;
  readonly slot: KnownOrder;
  /** Its position was cancelling it when the bot stopped (the cancel may never have arrived). */
  readonly cancelling: boolean;
}

/**
 * The one port the trading kernel trades through, the same for every mode: the simulated venue (backtest,
 * demo, paper) and a real account (live) both implement every method. What differs between them lives
 * here and in the clock, never in a branch of the engine: a simulated venue answers a look-up at once
 * (through the same callback a real one answers later), matches orders on market events, plays out what
 * is in flight when the run ends and has a state to checkpoint; a real venue ignores market events (the
 * exchange matches), has nothing to play out and keeps its own state.
 * Reads are synchronous views kept current by the order events: sizing and equity never wait on the network.
 */
export interface Venue {
  readonly orderEvents$: Observable<OrderEvent>;
  /** The market's rules (tick, lot, minimum, fee); undefined: not traded here. */
  rules(market: MarketSymbol): MarketRules | undefined;
  /** Fee rate per side of the quote currency's markets (what the strategy prices its exits with). */
  feeRate(quote: string): number;
  /** An order unacknowledged this long is looked up. */
  readonly ackTimeoutMs: number;
  createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined>;
  cancelOrder(orderId: string): Promise<void>;
  /** The order as last known locally; undefined when unknown (or still in flight). */
  getOrder(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined;
  /** Asks the venue itself; `reply` is called once (at once by a simulated venue). */
  lookupOrder(ref: { readonly clientId: string; readonly market: MarketSymbol }, reply: LookupReply): void;
  getOpenOrders(): readonly Order[];
  getBalance(currency: string): Balance;
  /** Every balance, sorted by currency; a list once returned is never changed (the portfolio keeps what it made of the last one). */
  getBalances(): readonly Balance[];
  /**
   * False while the venue's balance view cannot be trusted (a live account whose re-reads keep failing):
   * entries wait, exits never do. Absent: always current (a simulated venue).
   */
  balancesCurrent?(): boolean;
  /**
   * What the account holds of `currency`, free and locked, read from the venue now (a sell was refused for
   * want of coins: were they sold or withdrawn outside the bot?); undefined when the read failed. Absent: the
   * balance view is exact (a simulated venue).
   */
  heldNow?(currency: string): Promise<number | undefined>;
  /**
   * How long after a fill the venue's balance reads may still not show it (an exchange's account service can
   * lag its matching engine): coins found missing are believed only when a read this much later still misses
   * them (TradingEngine.closeGone). Absent: reads are exact.
   */
  readonly balanceLagMs?: number;
  /** A market event seen during a warm-up (no trading yet): a venue that infers its rules from prices learns them. */
  observe(event: MarketEvent): void;
  /** A market event while trading, before the engine sees it (a simulated venue fills resting orders first; `observe` included). */
  onMarketEvent(event: MarketEvent): void;
  /** The run ends at `ts`: a simulated venue plays out what is still in flight; a real one has nothing to do. */
  settle(ts: number): void;
  /**
   * Resolves once every order request sent (placements and cancels) has its answer, or after `timeoutMs`
   * with the number still unanswered. A stop waits for it before it stops listening: an order answered
   * after that would reach no position, no event log and no summary until the next start looked it up.
   * From then on no order request is sent: a placement still retrying (a resend after a 5xx) stops, its
   * order left for the next start's look-ups. A live venue also settles, within the same time, the fees of
   * fills reported at an estimate (CcxtExchange.feeChecksSettled). A simulated venue answers at once (0).
   */
  drained(timeoutMs: number): Promise<number>;
  /** The venue's own state for a checkpoint (a simulated book); undefined where the venue keeps it itself. */
  snapshot(): unknown;
  /**
   * Start-up after a restore: finds out what became of every order the restored positions wait on while
   * the bot was down (applied once, as the venue's own order events), asks again for a cancel that was in
   * flight, and re-reads the balances. Logs and returns one line per order; nothing to do for a simulated
   * venue restored with its book.
   */
  restart(orders: readonly PendingOrder[], log: (line: string) => void): Promise<readonly string[]>;
}
