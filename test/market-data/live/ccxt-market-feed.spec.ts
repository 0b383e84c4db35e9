import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketEvent, TradeEvent } from '../../../src/core/index.js';
import { CcxtMarketFeed, type CcxtMarketFeedOptions } from '../../../src/market-data/live/ccxt-market-feed.js';
import { createCcxt } from '../../../src/exchange/ccxt/create-ccxt.js';
import type { ConnectionStatus } from '../../../src/market-data/live/market-feed.js';
import { BinanceServer, type BinanceMarket, type BinanceServerOptions } from '../../helpers/binance-server.js';
import { sharedData, skipWithoutSharedData } from '../../helpers/shared-data.js';
import { waitFor } from '../../helpers/wait-for.js';

let server: BinanceServer | undefined;
const stops: (() => void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) s();
  await server?.close();
  server = undefined;
});

async function feedOn(options: Partial<CcxtMarketFeedOptions> = {}, serverOptions: BinanceServerOptions = {}): Promise<{ s: BinanceServer; feed: CcxtMarketFeed; events: MarketEvent[]; states: ConnectionStatus[] }> {
  const s = await BinanceServer.start({ enforceRateLimits: false, ...serverOptions });
  server = s;
  const exchange = createCcxt({ exchangeId: 'binance', restUrl: s.restUrl, apiKey: '', secret: '', timeoutMs: 3_000 });
  const feed = new CcxtMarketFeed({ exchange, quote: 'USDT', backoff: { initialDelayMs: 50, maxDelayMs: 200 }, random: () => 0.5, ...options });
  const events: MarketEvent[] = [];
  const states: ConnectionStatus[] = [];
  const sub = feed.events$.subscribe((e) => events.push(e));
  const conn = feed.connection$.subscribe((c) => states.push(c));
  stops.push(() => {
    sub.unsubscribe();
    conn.unsubscribe();
  });
  return { s, feed, events, states };
}

const trades = (events: readonly MarketEvent[]): TradeEvent[] => events.filter((e): e is TradeEvent => e.kind === 'trade');

describe('CcxtMarketFeed (ccxt.pro binance against the local Binance server)', () => {
  it('follows every spot market of the quote: trades and best bid/ask become market events', async () => {
    const { s, feed, events, states } = await feedOn();
    await waitFor(() => s.subscriptions.length > 0, 'the subscription', 5_000);
    expect(feed.markets()).toEqual(['BTC/USDT', 'ETH/USDT', 'XRP/USDT']);
    // ccxt subscribes market by market; publish until every stream is live
    await waitFor(() => {
      s.publishTrade('ETHUSDT', { price: 2_601, qty: 0.5, ts: 1_723_161_255_000, buyerIsMaker: true });
      return trades(events).some((t) => t.market === 'ETH/USDT');
    }, 'a trade', 5_000);
    s.publishBookTicker('XRPUSDT', { bidPrice: 0.4999, askPrice: 0.5001, bidQty: 100, askQty: 200 });
    await waitFor(() => events.some((e) => e.kind === 'book'), 'a book top', 5_000);
    const t = trades(events).find((e) => e.market === 'ETH/USDT')!;
    expect(t).toMatchObject({ kind: 'trade', market: 'ETH/USDT', ts: 1_723_161_255_000, price: 2_601, amount: 0.5, side: 'sell' });
    expect(typeof t.id).toBe('number');
    expect(events.find((e) => e.kind === 'book')).toMatchObject({ market: 'XRP/USDT', bidPrice: 0.4999, askPrice: 0.5001, bidSize: 100, askSize: 200 });
    expect(states.at(-1)?.state).toBe('open');
  });

  it('drops a trade it has seen, counts ids skipped as gaps, and reconnects with backoff after a dropped socket', async () => {
    const { s, feed, events, states } = await feedOn({ markets: ['BTC/USDT'] });
    await waitFor(() => {
      s.publishTrade('BTCUSDT', { id: 100, price: 60_000 });
      return trades(events).length > 0;
    }, 'the first trade', 5_000);
    const before = trades(events).length;
    s.publishTrade('BTCUSDT', { id: 100, price: 60_000 });
    s.publishTrade('BTCUSDT', { id: 104, price: 60_010 });
    await waitFor(() => trades(events).at(-1)?.id === 104, 'the trade after the duplicate', 5_000);
    expect(trades(events).length).toBe(before + 1);
    expect(feed.stats()).toMatchObject({ duplicates: expect.any(Number), gaps: 3 });
    expect(feed.stats().duplicates).toBeGreaterThanOrEqual(1);
    s.dropConnections();
    await waitFor(() => states.some((c) => c.state === 'backoff'), 'the backoff', 5_000);
    await waitFor(() => {
      s.publishTrade('BTCUSDT', { id: 105, price: 60_020 });
      return trades(events).at(-1)?.id === 105;
    }, 'trades after the reconnect', 10_000);
    expect(feed.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(states.at(-1)?.state).toBe('open');
  });

  it('hands over every market’s trades and book tops read in one socket chunk, none left waiting for its market’s next frame', async () => {
    const { s, events } = await feedOn();
    const markets = ['BTCUSDT', 'ETHUSDT', 'XRPUSDT'];
    await waitFor(() => {
      for (const m of markets) s.publishTrade(m, { price: 100 });
      return new Set(trades(events).map((t) => t.market)).size === 3;
    }, 'every stream live', 5_000);
    await new Promise((r) => setTimeout(r, 200));
    const before = trades(events).length;
    // 3 markets × 20 rounds written in one turn: read by the client in one or a few chunks. ccxt resolves one
    // market's wake-up per chunk; before the caches were read, the others waited for a later frame of theirs.
    for (let round = 1; round <= 20; round++) for (const m of markets) s.publishTrade(m, { price: 100 + round, qty: round });
    for (const m of markets) s.publishBookTicker(m, { bidPrice: 99, askPrice: 101, bidQty: 7, askQty: 8 });
    await waitFor(() => trades(events).length >= before + 60 && events.filter((e) => e.kind === 'book' && e.bidSize === 7).length >= 3, 'every trade and book top of the chunk', 5_000);
    const got = trades(events).slice(before);
    expect(got).toHaveLength(60);
    for (const m of ['BTC/USDT', 'ETH/USDT', 'XRP/USDT']) {
      expect(got.filter((t) => t.market === m).map((t) => t.price)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
    }
    expect(new Set(events.filter((e) => e.kind === 'book' && e.bidSize === 7).map((e) => e.market))).toEqual(new Set(['BTC/USDT', 'ETH/USDT', 'XRP/USDT']));
  });

  it('follows more markets than one ccxt watch call takes (Binance: 200): 450 USDT markets, a trade and a book top from each', async () => {
    const coins = Array.from({ length: 450 }, (_, i) => `C${String(i).padStart(3, '0')}`);
    const markets: BinanceMarket[] = coins.map((c) => ({ symbol: `${c}USDT`, baseAsset: c, quoteAsset: 'USDT', tickSize: '0.01000000', stepSize: '0.01000000', minNotional: '5.00000000', price: 10 }));
    const { s, feed, events, states } = await feedOn({}, { markets });
    await waitFor(() => feed.markets().length === 450, 'the market list', 5_000);
    await waitFor(() => {
      for (const m of markets) s.publishTrade(m.symbol, { price: 10 });
      return new Set(trades(events).map((t) => t.market)).size === 450;
    }, 'a trade of every market', 15_000);
    await waitFor(() => {
      for (const m of markets) s.publishBookTicker(m.symbol, { bidPrice: 9.99, askPrice: 10.01 });
      return new Set(events.filter((e) => e.kind === 'book').map((e) => e.market)).size === 450;
    }, 'a book top of every market', 15_000);
    expect(states.filter((c) => c.state === 'backoff')).toEqual([]);
  });

  it('a listing or a delisting connects again with the new market list; many of them never exhaust ccxt’s subscriptions a socket', async () => {
    const market = (base: string): BinanceMarket => ({ symbol: `${base}USDT`, baseAsset: base, quoteAsset: 'USDT', tickSize: '0.01000000', stepSize: '0.01000000', minNotional: '5.00000000', price: 10 });
    const { s, feed, events, states } = await feedOn({ backoff: { initialDelayMs: 10, maxDelayMs: 20 } }, { markets: Array.from({ length: 250 }, (_, i) => market(`C${String(i).padStart(3, '0')}`)) });
    await waitFor(() => feed.markets().length === 250, 'the market list', 5_000);
    // 20 listings (each sorting first, so every group of 100 changes), then a delisting: one connection a
    // list. ccxt's Binance bookkeeping counts each group's subscriptions on one of 50 sockets (round robin,
    // never counted down) and refuses past 200 a socket: without starting it over at each connection, the
    // 17th list was refused once.
    for (let i = 0; i < 20; i++) {
      s.listMarket(market(`A${String(i).padStart(2, '0')}`));
      await feed.refreshMarkets();
      expect(feed.markets()).toHaveLength(251 + i);
      await waitFor(() => states.at(-1)?.state === 'open' || states.at(-1)?.state === 'connecting', 'the connection again', 5_000);
    }
    s.delistMarket('C100USDT');
    await feed.refreshMarkets();
    await waitFor(() => {
      s.publishTrade('A19USDT', { price: 10 });
      s.publishTrade('C249USDT', { price: 10 });
      return trades(events).some((t) => t.market === 'A19/USDT') && trades(events).some((t) => t.market === 'C249/USDT');
    }, 'trades of a new market and an old one', 10_000);
    expect(feed.markets()).toHaveLength(269);
    expect(feed.markets()).not.toContain('C100/USDT');
    expect(states.filter((c) => c.state === 'backoff').map((c) => c.reason ?? '').filter((r) => !/^the market list changed/.test(r))).toEqual([]);
    expect(states.at(-1)?.state).toBe('open');
  });

  it('a silent server (no close) is detected as a stall and the feed reconnects', async () => {
    const { s, feed, events } = await feedOn({ markets: ['BTC/USDT'], idleTimeoutMs: 400 });
    await waitFor(() => {
      s.publishTrade('BTCUSDT', { price: 60_000 });
      return trades(events).length > 0;
    }, 'the first trade', 5_000);
    s.stall(true);
    await waitFor(() => feed.stats().stalls > 0, 'the stall', 5_000);
    s.stall(false);
    const n = trades(events).length;
    await waitFor(() => {
      s.publishTrade('BTCUSDT', { price: 60_001 });
      return trades(events).length > n;
    }, 'trades after the stall', 10_000);
  });

  it('carries a real Binance capture through ccxt: every trade once, in order, with its own id, price and size', async () => {
    if (skipWithoutSharedData()) return;
    const path = sharedData('ws/binance-2024-08/spot_btcusdt_20240808.gz');
    const { s, events } = await feedOn({ markets: ['BTC/USDT'], book: false });
    await waitFor(() => {
      s.publishTrade('BTCUSDT', { id: 1, price: 60_000 });
      return trades(events).length > 0;
    }, 'the subscription', 5_000);
    const played = await s.replay(path, { limit: 3_000, streams: ['btcusdt@trade'] });
    // the reference: the capture's own trade frames
    const expected: { id: number; price: number; amount: number; ts: number }[] = [];
    const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()) });
    for await (const line of lines) {
      const msg = JSON.parse(line.slice(line.indexOf(' ') + 1)) as { stream?: string; data: Record<string, unknown> };
      if (msg.stream !== 'btcusdt@trade') continue;
      expected.push({ id: Number(msg.data['t']), price: Number(msg.data['p']), amount: Number(msg.data['q']), ts: Number(msg.data['T']) });
      if (expected.length === played) break;
    }
    expect(played).toBeGreaterThan(100);
    await waitFor(() => trades(events).length >= played + 1, 'every replayed trade', 10_000);
    const got = trades(events).slice(1).map((t) => ({ id: t.id, price: t.price, amount: t.amount, ts: t.ts }));
    expect(got).toEqual(expected);
  });
});
