import type { MarketSymbol } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { OrderCommand } from './order-router.js';

/** At most this many event-log entries are read for it at a restart (a page is 1,000). */
const LOG_READ_MAX = 50_000;

/**
 * The markets of the orders the event log says this bot placed since `since` (wall ms) and no restored
 * position knows (`known`: their client ids): orders of a bot killed between placing them and writing their
 * position's snapshot. The order's `order.command` is queued to the store before its request is built, so it
 * is in the log unless the store was behind when the process died. Where closed orders are listed per market
 * only (Binance), these are the markets to search for such an order: an orphan buy whose coins were sold
 * by hand before the restart leaves nothing in the balances to point at its market.
 */
export async function loggedOrderMarkets(store: Store, since: number, known: ReadonlySet<string>): Promise<MarketSymbol[]> {
  const markets = new Set<MarketSymbol>();
  let from = `${Math.max(0, Math.floor(since))}-0`;
  for (let read = 0; read < LOG_READ_MAX; ) {
    const page = await store.readEvents(from, 1_000);
    for (const e of page) {
      const c = e.data as Partial<OrderCommand> | null;
      if (e.type === 'order.command' && c?.type === 'create' && typeof c.market === 'string' && typeof c.clientId === 'string' && !known.has(c.clientId)) markets.add(c.market);
    }
    if (page.length < 1_000) break;
    read += page.length;
    from = (page[page.length - 1] as { id: string }).id;
  }
  return [...markets];
}
