import type { MarketRules } from '../core/index.js';
import { upbitKrwRules } from '../exchange/upbit-rules.js';
import { NOT_LISTED } from '../exchange/ccxt/market-rules-refresh.js';

/**
 * Rules for the restored positions whose market the exchange does not list at the start, where the
 * exchange publishes them whole: Upbit's KRW markets all trade on one tick table, one minimum total and
 * no lot step (src/exchange/upbit-rules.ts), so a position in a KRW market missing from `/v1/market/all`
 * (a listing glitch, a market suspended a while) keeps a priced exit instead of no rules for the run.
 * Marked halted (`not listed`): no new position opens there; the exit is tried, and the exchange's
 * refusal returns the position to holding until the reject cooldown allows the next attempt. The rules
 * re-read replaces them with the exchange's own once the market is listed again. Other exchanges publish
 * no such table: their unlisted markets get none (the start-up says so).
 */
export function unlistedMarketRules(
  positions: readonly { readonly market: string }[],
  rules: (market: string) => MarketRules | undefined,
  exchangeId: string,
  listed: Iterable<MarketRules>,
): MarketRules[] {
  if (exchangeId !== 'upbit') return [];
  // The account's own fee on KRW markets (read from /v1/orders/chance with the listed ones).
  let feeRate: number | undefined;
  for (const r of listed) if (r.quote === 'KRW') feeRate ??= r.feeRate;
  const out = new Map<string, MarketRules>();
  for (const { market } of positions) {
    if (rules(market) !== undefined || out.has(market) || !/\/KRW$/.test(market)) continue;
    out.set(market, { ...upbitKrwRules(market, feeRate !== undefined ? { feeRate } : {}), halted: NOT_LISTED });
  }
  return [...out.values()];
}
