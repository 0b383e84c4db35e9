import type { MarketSymbol } from './market.js';

export type OrderSide = 'buy' | 'sell';

/** A limit order as the engine asks for it. `clientId` is unique per order and derived from the position. */
export interface LimitOrderRequest {
  readonly clientId: string;
  readonly market: MarketSymbol;
  readonly side: OrderSide;
  readonly price: number;
  /** Base quantity. */
  readonly amount: number;
}

export type OrderStatus = 'open' | 'filled' | 'cancelled' | 'rejected';

export interface Order extends LimitOrderRequest {
  readonly id: string;
  readonly status: OrderStatus;
  readonly filled: number;
  /** Quote spent (buy) or received (sell) before fees. */
  readonly cost: number;
  /** Fees of the fills so far, in quote (a fee taken in the coin at its trade's price). */
  readonly fee: number;
  /**
   * The part of `fee` the exchange took from the coins bought, in base units (Binance without BNB takes a
   * buy's fee that way): the account received `filled − baseFee`. Absent when none was (every fee in quote).
   */
  readonly baseFee?: number;
  readonly ts: number;
}

/** Why an exchange refused an order. */
export type RejectReason =
  | 'insufficient_funds'
  | 'under_minimum'
  | 'invalid_price'
  | 'invalid_amount'
  | 'unknown_market'
  | 'unknown_order'
  /** The exchange banned this IP (HTTP 418) until a time the message names: the order was never sent. */
  | 'banned'
  | 'exchange_error';

/** Events the exchange sends back about an order. Every event carries the order id and client id. */
export type OrderEvent =
  | { readonly type: 'order.accepted'; readonly ts: number; readonly order: Order }
  | {
      readonly type: 'order.fill';
      readonly ts: number;
      readonly order: Order;
      /** This fill only. */
      readonly fill: Fill;
    }
  | { readonly type: 'order.cancelled'; readonly ts: number; readonly order: Order }
  /**
   * The fee of fills already reported, corrected once the exchange's own figure is known (Binance: an order
   * query carries no commission, so a fill found over REST is reported at the taker-rate estimate and its
   * trades' commission is read afterwards). No amount moves: `order` is the order with its corrected
   * cumulative fee (its executed amount unchanged), `delta` what the fees reported so far change by (quote),
   * `baseFeeDelta` what the coins taken as fee change by (base: the fills' estimate was in quote, the trades
   * show the fee was taken from the coins bought; absent or 0 when not).
   */
  | { readonly type: 'order.feeCorrected'; readonly ts: number; readonly order: Order; readonly delta: number; readonly baseFeeDelta?: number }
  | {
      readonly type: 'order.rejected';
      readonly ts: number;
      readonly clientId: string;
      readonly market: MarketSymbol;
      readonly side: OrderSide;
      readonly reason: RejectReason;
      readonly message: string;
      /**
       * No refusal: the exchange could not be reached or answer in time (5xx, 429, the network, a lost answer)
       * through every attempt, and the order was not made. Absent: the exchange refused it.
       */
      readonly transient?: true;
      /** When the exchange takes orders again (a ban's end, `banned`; epoch ms), where it said. */
      readonly retryAt?: number;
    };

export interface Fill {
  readonly orderId: string;
  readonly clientId: string;
  readonly market: MarketSymbol;
  readonly side: OrderSide;
  readonly price: number;
  readonly amount: number;
  /** Fee in quote currency. */
  readonly fee: number;
  /** Of `amount`, what the exchange took as this fill's fee in the coin bought (`Order.baseFee`); absent when none. */
  readonly baseFee?: number;
  readonly ts: number;
}
