import { baseOf, quoteOf, type MarketRules, type MarketSymbol } from '../core/index.js';
import { upbitKrwRules } from './upbit-rules.js';

/** Minimum order totals of common quote currencies (Binance's min notional); others 0. */
const MIN_TOTAL: Readonly<Record<string, number>> = { USDT: 10, USDC: 10, BUSD: 10, FDUSD: 10, BTC: 0.0001, ETH: 0.001, BNB: 0.01 };

/** Smallest tick an inferred market has: `roundToTick` works in at most 15 decimals. */
const MIN_TICK = 1e-15;

/** The tick of five significant digits at `price` (1.2345, 12.345, 0.0012345). */
export function fiveDigitTick(price: number): number {
  return Math.max(10 ** (Math.floor(Math.log10(price)) - 4), MIN_TICK);
}

/**
 * Rules for recorded data of markets with no exchange metadata at hand (a backtest on Binance candles):
 * the tick of five significant digits at the market's first price, kept as an exchange keeps a market's
 * tick (a coin that fell ÷20 trades on a tick 20 times coarser), until the price falls under 10 ticks:
 * a collapse (LUNA in May 2022), which an exchange answers by re-ticking the market, so from there the
 * tick is five significant digits at each price (banded by decade like Upbit's, so rounding up to a
 * band's edge lands on a price of the band above). Any amount to 8 decimals, the quote's usual minimum
 * total, and the configured fee. KRW markets get Upbit's real rules.
 */
export interface InferredRules {
  rules(market: MarketSymbol): MarketRules | undefined;
  observe(market: MarketSymbol, price: number): void;
  /** Fee rate of the quote's markets (known before any price: Upbit's for KRW, the configured one elsewhere). */
  feeRate(quote: string): number;
}

export function inferredRulesSource(feeRate: number): InferredRules {
  const cache = new Map<MarketSymbol, MarketRules>();
  return {
    observe(market, price) {
      if (cache.has(market) || !(price > 0)) return;
      const base = baseOf(market);
      const quote = quoteOf(market);
      if (quote === 'KRW') {
        cache.set(market, upbitKrwRules(market));
        return;
      }
      const tick = fiveDigitTick(price);
      const collapsed = 10 * tick;
      const tickSize = (at: number): number => (at >= collapsed ? tick : fiveDigitTick(at));
      cache.set(market, { market, base, quote, tickSize, amountStep: 1e-8, minTotal: MIN_TOTAL[quote] ?? 0, feeRate });
    },
    rules(market) {
      return cache.get(market);
    },
    feeRate(quote) {
      return quote === 'KRW' ? upbitKrwRules(`BTC/${quote}`).feeRate : feeRate;
    },
  };
}
