import type { Observable } from 'rxjs';
import type { MarketSymbol } from './market.js';
import type { LimitOrderRequest, Order, OrderEvent } from './orders.js';

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
  /** Fee rate per side, e.g. 0.0005. */
  readonly feeRate: number;
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
