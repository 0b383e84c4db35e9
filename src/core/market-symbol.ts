import type { MarketSymbol } from './market.js';

/**
 * The base currency of a unified symbol: `XRP/USDT` → `XRP`, and ccxt's derivative form `BTC/USDT:USDT`
 * → `BTC`. A symbol without a slash is taken whole (the old `slice(0, indexOf('/'))` cut its last letter).
 */
export function baseOf(market: MarketSymbol): string {
  const slash = market.indexOf('/');
  return slash < 0 ? market : market.slice(0, slash);
}

/**
 * The quote currency of a unified symbol: `XRP/USDT` → `USDT`, `BTC/USDT:USDT` → `USDT` (the settle
 * currency after `:` is not the quote). A symbol without a slash has none: ''.
 */
export function quoteOf(market: MarketSymbol): string {
  const slash = market.indexOf('/');
  if (slash < 0) return '';
  const colon = market.indexOf(':', slash + 1);
  return market.slice(slash + 1, colon < 0 ? undefined : colon);
}
