import type { CandleEvent, MarketRules, OrderSide } from '../../core/index.js';
import { priceAbove, priceBelow } from '../tick-math.js';

/**
 * How resting limit orders fill in the simulated exchange (see docs/fill-model.md).
 *
 * - `through` (default, conservative): the market must trade at least one tick beyond the limit: a
 *   buy at P fills only on a trade at or below the valid price one tick under P (a sell mirrors it).
 *   A print exactly at P never fills, because the order may still be queued behind others at P.
 * - `touch`: a print at the limit price is enough.
 */
export type FillMode = 'through' | 'touch';

export interface FillModelOptions {
  readonly mode: FillMode;
  /** Share (0, 1] of each trade's amount or candle's volume our orders may take, per side. */
  readonly participation: number;
  /**
   * What a limit order that is already marketable when it reaches the exchange does: `fill` takes
   * the liquidity at the book top (or, without a fresher book, the last trade's unused volume) at
   * its own limit price, the rest rests; `rest` puts it in the book like any other order.
   */
  readonly marketableOnArrival: 'fill' | 'rest';
}

export const DEFAULT_FILL_MODEL: FillModelOptions = { mode: 'through', participation: 1, marketableOnArrival: 'fill' };

/**
 * The worst traded price at which a resting order at `price` fills: a buy fills on prints ≤ the
 * threshold, a sell on prints ≥ it. 0 for a `through` buy at the smallest valid price (never fills).
 */
export function fillThreshold(rules: MarketRules, side: OrderSide, price: number, mode: FillMode): number {
  if (mode === 'touch') return price;
  return side === 'buy' ? priceBelow(rules, price) : priceAbove(rules, price);
}

/** True when a trade at `tradePrice` reaches an order with this threshold. */
export function tradeReaches(side: OrderSide, threshold: number, tradePrice: number): boolean {
  return side === 'buy' ? tradePrice <= threshold : tradePrice >= threshold;
}

/** True when a candle's range reaches an order with this threshold (buy: low, sell: high). */
export function candleReaches(side: OrderSide, threshold: number, candle: CandleEvent): boolean {
  return side === 'buy' ? candle.low <= threshold : candle.high >= threshold;
}
