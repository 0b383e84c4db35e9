import type { Exchange as Ccxt } from 'ccxt';
import type { CcxtCall } from './ccxt-dialect.js';

/**
 * Reads the exchange's markets into the ccxt instance the orders go through, and returns the symbols the
 * exchange lists now. The first read is ccxt's `loadMarkets`; a re-read (the rules refresh, every few
 * minutes while trading) fetches the markets and swaps them in at once when the answer is in, without
 * `loadMarkets(true)`: every order request awaits ccxt's markets promise, which a reload replaces, so
 * orders waited on the re-read and, when it failed, were all refused with its error until the next
 * successful read. A market the re-read no longer lists stays known to ccxt (orders resting there can
 * still be looked up and cancelled; the exchange decides), though its rules are not returned for it.
 */
export async function reloadMarkets(ex: Ccxt, call: CcxtCall): Promise<ReadonlySet<string>> {
  const before = ex.markets;
  if (before === undefined || before === null || Object.keys(before).length === 0) {
    await call(() => ex.loadMarkets(true));
    return new Set(Object.keys(ex.markets ?? {}));
  }
  const fresh = await call(() => ex.fetchMarkets());
  const listed = new Set(fresh.map((m) => m?.symbol).filter((s): s is string => typeof s === 'string'));
  const kept = Object.values(before).filter((m) => m && !listed.has(m.symbol));
  ex.setMarkets([...fresh, ...kept] as Parameters<Ccxt['setMarkets']>[0]);
  return listed;
}
