import type { Config } from '../../config.js';
import type { MarketRules, MarketSymbol } from '../../core/index.js';
import type { MarketFeed } from '../../market-data/live/market-feed.js';
import { UPBIT_REST_URL, UPBIT_WS_URL, fetchUpbitMarketCodes } from '../../net/upbit-quotation.js';
import { UpbitMarketFeed } from '../../market-data/live/upbit-market-feed.js';
import { LiveStartError } from './live-node.js';

/** Live public market data of the configured exchange, for a paper or live node. */
export interface LiveMarket {
  readonly exchangeId: string;
  readonly feed: MarketFeed;
  /** How many markets of the quote currency are followed. */
  readonly markets: number;
  /** The exchange's own rules per market and the fee of its quote markets (every exchange but Upbit, whose KRW rules are built in). */
  readonly rules: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number } | undefined;
  /** Where the data comes from, for summary.json. */
  readonly source: Record<string, unknown>;
  close(): Promise<void>;
}

/** The exchange's public API did not answer: nothing was started. */
export class MarketUnreachableError extends Error {
  /** Where it was asked (a URL, or "its public API"). */
  readonly where: string;
  constructor(where: string, error: unknown) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    super(`${(error as Error).message.slice(0, 300)}${cause ? `: ${cause}` : ''}`);
    this.where = where;
  }
}

export interface LiveMarketOptions {
  readonly config: Config;
  /** Other hosts for the exchange (a sandbox, a test server); Upbit's defaults otherwise. */
  readonly urls?: { readonly restUrl?: string; readonly wsUrl?: string };
  readonly signal?: AbortSignal;
}

/**
 * Upbit through its own websocket feed; any other exchange through ccxt.pro (`CcxtMarketFeed`), no keys
 * needed. Throws `MarketUnreachableError` when the exchange does not answer, `LiveStartError` (usage) for
 * a setting it cannot serve (an unknown exchange, a quote or market it does not list).
 */
export async function openLiveMarket(o: LiveMarketOptions): Promise<LiveMarket> {
  const { config } = o;
  const id = config.exchange.id;
  const quote = config.exchange.quote;
  const chosen = config.exchange.markets.length > 0 ? config.exchange.markets : undefined;
  if (id === 'upbit') {
    const restUrl = o.urls?.restUrl ?? UPBIT_REST_URL;
    const wsUrl = o.urls?.wsUrl ?? UPBIT_WS_URL;
    let codes: string[];
    try {
      codes = await fetchUpbitMarketCodes(quote, { restUrl, timeoutMs: 5_000, retry: { attempts: 2, initialDelayMs: 500, ...(o.signal ? { signal: o.signal } : {}) } });
    } catch (error) {
      throw new MarketUnreachableError(restUrl, error);
    }
    const feed = new UpbitMarketFeed({ quote, restUrl, wsUrl, ...(chosen ? { markets: chosen } : {}) });
    return { exchangeId: id, feed, markets: chosen?.length ?? codes.length, rules: undefined, source: { live: id, restUrl, wsUrl }, close: async () => {} };
  }
  // ccxt is large: loaded only when a session on another exchange starts.
  const { CcxtExchange, createCcxt } = await import('../../exchange/ccxt/index.js');
  const { CcxtMarketFeed } = await import('../../market-data/live/ccxt-market-feed.js');
  const overrides = { ...(o.urls?.restUrl !== undefined ? { restUrl: o.urls.restUrl } : {}), ...(o.urls?.wsUrl !== undefined ? { wsUrl: o.urls.wsUrl } : {}) };
  let ex;
  try {
    ex = createCcxt({ exchangeId: id, apiKey: '', secret: '', password: '', timeoutMs: 5_000, ...overrides });
  } catch (error) {
    throw new LiveStartError(`exchange.id: ${(error as Error).message}`, true);
  }
  const adapter = new CcxtExchange({ exchange: ex, privateStream: false, attempts: 2 });
  const fail = async (error: Error): Promise<never> => {
    await ex.close().catch(() => undefined);
    throw error;
  };
  let rules: Map<MarketSymbol, MarketRules>;
  try {
    rules = new Map((await adapter.markets()).filter((r) => r.quote === quote).map((r) => [r.market, r]));
  } catch (error) {
    return fail(new MarketUnreachableError(overrides.restUrl ?? 'its public API', error));
  }
  if (rules.size === 0) return fail(new LiveStartError(`exchange.quote: ${id} has no ${quote} spot markets (set exchange.quote, e.g. --set exchange.quote=USDT)`, true));
  const unknown = chosen?.filter((m) => !rules.has(m)) ?? [];
  if (unknown.length > 0) return fail(new LiveStartError(`exchange.markets: ${id} has no spot market ${unknown.join(', ')}`, true));
  const feed = new CcxtMarketFeed({ exchange: ex, quote, ...(chosen ? { markets: chosen } : {}) });
  return {
    exchangeId: id,
    feed,
    // Halted markets keep their rules (positions in them stay managed) but are not followed: the feed takes active ones.
    markets: chosen?.length ?? [...rules.values()].filter((r) => r.halted === undefined).length,
    rules: { rules: (m) => rules.get(m), feeRate: (rules.values().next().value as MarketRules).feeRate },
    source: { live: id, ...overrides },
    close: () => ex.close().then(() => undefined, () => undefined),
  };
}
