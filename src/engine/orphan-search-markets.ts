import { baseOf, type Balance, type MarketSymbol } from '../core/index.js';
import type { PositionContext } from '../../machines/index.js';

/** At most this many markets are searched for closed orphan orders at a restart (one closed-order request each). */
export const ORPHAN_SEARCH_MAX = 50;

/**
 * Where a restart trading every market (no `exchange.markets`) looks for orders of this bot that closed
 * while no snapshot knew them, on an exchange that lists closed orders per market only (Binance): an orphan
 * that executed something is either a buy, whose coins the account holds (unless sold since), or a sell of a
 * restored position (in its market). So: the restored positions' markets, then `<coin>/<quote>` for every
 * coin the account holds that the exchange lists, at most `max` (the positions' first). A bounded number of
 * requests, where asking every listed market was thousands. `listed` says whether the exchange lists a market.
 */
export function orphanSearchMarkets(
  positions: readonly PositionContext[],
  balances: readonly Balance[],
  quote: string,
  listed: (market: MarketSymbol) => boolean,
  max = ORPHAN_SEARCH_MAX,
): { readonly markets: MarketSymbol[]; readonly skipped: number } {
  const markets = new Set<MarketSymbol>();
  for (const p of positions) if (p.market !== '' && listed(p.market)) markets.add(p.market);
  const held = new Set(positions.map((p) => baseOf(p.market)));
  for (const b of balances) {
    const market = `${b.currency}/${quote}`;
    if (b.currency === quote || b.free + b.locked <= 0 || held.has(b.currency) || !listed(market)) continue;
    markets.add(market);
  }
  const all = [...markets];
  return { markets: all.slice(0, max), skipped: Math.max(0, all.length - max) };
}
