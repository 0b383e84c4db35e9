import type { Config } from '../../config.js';
import type { MarketRules, MarketSymbol } from '../../core/index.js';
import type { MarketFeed } from '../../market-data/live/market-feed.js';
import { fetchUpbitMarketCodes } from '../../net/upbit-quotation.js';
import { UpbitMarketFeed } from '../../market-data/live/upbit-market-feed.js';
import { UsageError, type ParsedArgs } from '../args.js';
import type { CommandIo } from '../command.js';
import { exchangeOverrides, exchangeUrls } from './live-flags.js';

/** Live public market data of the configured exchange, for a paper or live session. */
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

/**
 * Upbit through its own websocket feed; any other exchange through ccxt.pro (`CcxtMarketFeed`), no keys
 * needed. Returns undefined after printing one line when the exchange cannot be reached.
 */
export async function openLiveMarket(config: Config, args: ParsedArgs, io: CommandIo, label: string): Promise<LiveMarket | undefined> {
  const id = config.exchange.id;
  const quote = config.exchange.quote;
  const chosen = config.exchange.markets.length > 0 ? config.exchange.markets : undefined;
  const unreachable = (where: string, error: unknown): undefined => {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    io.stderr.write(`coinrx ${label}: cannot reach ${id === 'upbit' ? 'Upbit' : id} at ${where} (${(error as Error).message.slice(0, 300)}${cause ? `: ${cause}` : ''}); ${label} trading needs live market data — for the offline twin run: npm run demo\n`);
    return undefined;
  };
  if (id === 'upbit') {
    const { restUrl, wsUrl } = exchangeUrls(args);
    let codes: string[];
    try {
      codes = await fetchUpbitMarketCodes(quote, { restUrl, timeoutMs: 5_000, retry: { attempts: 2, initialDelayMs: 500, signal: io.signal } });
    } catch (error) {
      return unreachable(restUrl, error);
    }
    const feed = new UpbitMarketFeed({ quote, restUrl, wsUrl, ...(chosen ? { markets: chosen } : {}) });
    return { exchangeId: id, feed, markets: chosen?.length ?? codes.length, rules: undefined, source: { live: id, restUrl, wsUrl }, close: async () => {} };
  }
  // ccxt is large: loaded only when a session on another exchange starts.
  const { CcxtExchange, createCcxt } = await import('../../exchange/ccxt/index.js');
  const { CcxtMarketFeed } = await import('../../market-data/live/ccxt-market-feed.js');
  const overrides = exchangeOverrides(args);
  let ex;
  try {
    ex = createCcxt({ exchangeId: id, apiKey: '', secret: '', password: '', timeoutMs: 5_000, ...overrides });
  } catch (error) {
    throw new UsageError(`exchange.id: ${(error as Error).message}`);
  }
  const adapter = new CcxtExchange({ exchange: ex, privateStream: false, attempts: 2 });
  let rules: Map<MarketSymbol, MarketRules>;
  try {
    rules = new Map((await adapter.markets()).filter((r) => r.quote === quote).map((r) => [r.market, r]));
  } catch (error) {
    await ex.close().catch(() => undefined);
    return unreachable(overrides.restUrl ?? 'its public API', error);
  }
  if (rules.size === 0) {
    await ex.close().catch(() => undefined);
    throw new UsageError(`exchange.quote: ${id} has no ${quote} spot markets (set exchange.quote, e.g. --set exchange.quote=USDT)`);
  }
  const unknown = chosen?.filter((m) => !rules.has(m)) ?? [];
  if (unknown.length > 0) {
    await ex.close().catch(() => undefined);
    throw new UsageError(`exchange.markets: ${id} has no spot market ${unknown.join(', ')}`);
  }
  const feed = new CcxtMarketFeed({ exchange: ex, quote, ...(chosen ? { markets: chosen } : {}) });
  return {
    exchangeId: id,
    feed,
    markets: chosen?.length ?? rules.size,
    rules: { rules: (m) => rules.get(m), feeRate: (rules.values().next().value as MarketRules).feeRate },
    source: { live: id, ...overrides },
    close: () => ex.close().then(() => undefined, () => undefined),
  };
}
