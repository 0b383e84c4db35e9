import type { Exchange as Ccxt, Order as CcxtOrder } from 'ccxt';
import type { Balance, MarketRules, Order, RejectReason } from '../../core/index.js';

/** An order as the adapter asks for it: by exchange id or client id, with its market where known. */
export interface OrderRef {
  readonly id?: string;
  readonly clientId?: string;
  /** Most exchanges other than Upbit need the market to find an order. */
  readonly market?: string;
}

/** One request through the adapter's limiter, retried on network errors and 429s. */
export type CcxtCall = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * What differs between exchanges behind the one ccxt adapter (`CcxtExchange`): how markets, balances
 * and orders are read and how refusals are worded. Upbit has its own (`upbitDialect`: Upbit's raw
 * payloads, tick sizes from `/v1/orderbook/instruments`, `identifier` look-ups, Upbit's error names);
 * every other ccxt exchange goes through ccxt's unified API (`unifiedDialect`). The retry, the
 * lost-acknowledgement recovery, the order tracking and the private stream loop stay in the adapter.
 */
export interface CcxtDialect {
  /** The limiter's group for one REST request. */
  requestGroup(method: string, url: string): string;
  /** Rules of every tradable spot market; `feeRate` overrides the exchange's own. */
  markets(feeRate: number | undefined): Promise<MarketRules[]>;
  balances(): Promise<Balance[]>;
  /** The engine's order out of what ccxt answered (createOrder, cancelOrder, watchOrders). */
  toOrder(order: CcxtOrder, previous: Order | undefined, now: number): Order | undefined;
  /** The order as the exchange knows it now; undefined when the exchange does not know it. */
  fetchOrder(ref: OrderRef, previous: Order | undefined, now: number): Promise<Order | undefined>;
  /** Every open order of the account (`markets`: where to look when the exchange needs a market). */
  openOrders(previous: (id: string) => Order | undefined, markets: readonly string[], now: number): Promise<Order[]>;
  /** Orders of the account closed (filled or cancelled) since `since` (ms), in these markets where the exchange needs one. */
  closedOrders(since: number, markets: readonly string[], now: number): Promise<Order[]>;
  /**
   * The exchange's own fee of an order's trades and the amount those trades add up to, where the order's
   * answers may carry no fee (Binance: ccxt's `fetchMyTrades` by `orderId`). The fee is in quote: one in
   * the coin at the trade's price, one in a third currency (BNB) at that currency's price in quote now;
   * undefined when a third currency has no price in quote on the exchange (the estimate then stands).
   * Absent where every fill's fee is known when it is reported (Upbit).
   */
  tradeFees?(order: Order): Promise<TradeFees>;
  /** Asks for a cancel; throws ccxt's `OrderNotFound` when the order is no longer open. */
  cancel(order: { readonly id: string; readonly market?: string }): Promise<CcxtOrder>;
  /** The engine's reject reason and the exchange's own words for a refusal. */
  rejectOf(error: unknown): { reason: RejectReason; message: string };
}

/** An order's trades as `CcxtDialect.tradeFees` read them. */
export interface TradeFees {
  readonly filled: number;
  readonly fee: number | undefined;
  /** The fees taken from the coins bought, in base (counted in `fee` too, at their trades' prices). */
  readonly baseFee: number;
}

export type CcxtDialectFactory = (exchange: Ccxt, call: CcxtCall) => CcxtDialect;
