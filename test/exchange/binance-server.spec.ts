import { AuthenticationError, BadRequest, binance, DDoSProtection, ExchangeError, InsufficientFunds, InvalidOrder, NetworkError, OperationFailed, OrderNotFound, pro, RateLimitExceeded } from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rehostUrls } from '../../src/exchange/ccxt/ccxt-urls.js';
import { BinanceServer, DEFAULT_BINANCE_MARKETS, type BinanceServerOptions } from '../helpers/binance-server.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The options a production spot adapter gives ccxt 4.5.84's binance: spot markets only (the defaults
 * also load USD-M and COIN-M futures from fapi/dapi), no currencies (`/sapi/v1/capital/config/getall`,
 * deposit/withdraw networks: not needed to trade), no margin flags (`/sapi/v1/margin/allPairs` and
 * `/isolated/allPairs`), and open orders of every symbol allowed (weight 80 instead of 6 per symbol).
 */
const BINANCE_CCXT_OPTIONS = {
  fetchMarkets: { types: ['spot'] },
  fetchCurrencies: false,
  fetchMargins: false,
  fetchOpenOrders: { warnWithoutSymbol: false },
};

let server: BinanceServer | undefined;
type ProBinance = InstanceType<typeof pro.binance>;
const clients: ProBinance[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await server?.close();
  server = undefined;
});

async function start(options: BinanceServerOptions = {}): Promise<BinanceServer> {
  server = await BinanceServer.start(options);
  return server;
}

/** A ccxt.pro binance client on the local server, exactly as an adapter would set it up. */
async function client(s: BinanceServer, keys: { apiKey?: string; secret?: string } = {}): Promise<ProBinance> {
  const ex = new pro.binance({ apiKey: keys.apiKey ?? s.apiKey, secret: keys.secret ?? s.secret, timeout: 5_000, options: structuredClone(BINANCE_CCXT_OPTIONS) });
  ex.urls['api'] = rehostUrls(ex.urls['api'], s.restUrl);
  await ex.loadHttpProxyAgent(); // ccxt refuses plain ws:// until this is called
  clients.push(ex);
  return ex;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('BinanceServer with real ccxt (REST)', () => {
  it('loadMarkets reads precision and limits from the filters, and touches nothing but exchangeInfo', async () => {
    const s = await start();
    const ex = await client(s);
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/USDT', 'XRP/USDT']);
    const btc = markets['BTC/USDT'];
    expect(btc).toMatchObject({ id: 'BTCUSDT', base: 'BTC', quote: 'USDT', spot: true, active: true, precision: { price: 0.01, amount: 0.00001 } });
    expect(btc?.limits.amount).toMatchObject({ min: 0.00001, max: 9000 });
    expect(btc?.limits.cost?.min).toBe(5);
    expect(markets['XRP/USDT']?.precision).toMatchObject({ price: 0.0001, amount: 0.1 });
    expect(s.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /api/v3/exchangeInfo 200']);
    expect(Number(s.requestsTo('/api/v3/exchangeInfo')[0]?.status)).toBe(200);

    // a plain (non-pro) ccxt.binance works the same way
    const rest = new binance({ options: structuredClone(BINANCE_CCXT_OPTIONS) });
    rest.urls['api'] = rehostUrls(rest.urls['api'], s.restUrl);
    expect((await rest.fetchTicker('ETH/USDT')).last).toBe(2600);
    expect(await rest.fetchTime()).toBeGreaterThan(Date.now() - 5_000);
  }, 20_000);

  it('fetchBalance, createOrder with a clientOrderId, fetchOrder by id and by origClientOrderId, fetchOpenOrders, cancelOrder', async () => {
    const s = await start({ balances: { USDT: 10_000, BTC: 0.5 } });
    const ex = await client(s);
    const balance = await ex.fetchBalance();
    expect(balance['USDT']).toMatchObject({ free: 10_000, used: 0, total: 10_000 });
    expect(balance['BTC']).toMatchObject({ free: 0.5 });

    const created = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, 59_000, { clientOrderId: 'cx-1-buy' });
    expect(created).toMatchObject({ symbol: 'BTC/USDT', clientOrderId: 'cx-1-buy', status: 'open', price: 59_000, amount: 0.002, filled: 0, side: 'buy', type: 'limit', timeInForce: 'GTC' });
    const sent = s.requestsTo('/api/v3/order', 'POST')[0]?.body;
    expect(sent).toMatchObject({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '59000', timeInForce: 'GTC', newClientOrderId: 'cx-1-buy', newOrderRespType: 'FULL' });
    expect(s.balance('USDT')).toEqual({ free: 9_882, locked: 118 });

    const byId = await ex.fetchOrder(created.id as string, 'BTC/USDT');
    expect(byId).toMatchObject({ id: created.id, clientOrderId: 'cx-1-buy', status: 'open', remaining: 0.002 });
    const byClientId = await ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'cx-1-buy' });
    expect(byClientId.id).toBe(created.id);
    expect(s.requestsTo('/api/v3/order', 'GET').map((r) => r.query['origClientOrderId'] ?? `#${r.query['orderId']}`)).toEqual([`#${created.id}`, 'cx-1-buy']);

    const eth = await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.01, 2_500, { clientOrderId: 'cx-2-buy' });
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((o) => o.clientOrderId)).toEqual(['cx-1-buy']);
    expect((await ex.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(['cx-1-buy', 'cx-2-buy']);

    const canceled = await ex.cancelOrder(created.id as string, 'BTC/USDT');
    expect(canceled).toMatchObject({ id: created.id, status: 'canceled' });
    // Binance answers a cancel with the cancel request's own client id; the order's is origClientOrderId
    expect(canceled.clientOrderId).not.toBe('cx-1-buy');
    expect(canceled.info['origClientOrderId']).toBe('cx-1-buy');
    expect((await ex.fetchOrder(created.id as string, 'BTC/USDT')).status).toBe('canceled');
    const byClient = await ex.cancelOrder('', 'ETH/USDT', { origClientOrderId: 'cx-2-buy' });
    expect(byClient.id).toBe(eth.id);
    expect(s.balance('USDT')).toEqual({ free: 10_000, locked: 0 });
    expect(await ex.fetchOpenOrders()).toEqual([]);
  }, 30_000);

  it('maps rejections to ccxt errors: unknown and filled orders, insufficient funds, filters, duplicate client ids', async () => {
    const s = await start();
    const ex = await client(s);
    await ex.loadMarkets();
    expect(await rejection(ex.fetchOrder('123', 'BTC/USDT'))).toBeInstanceOf(OrderNotFound);
    expect(await rejection(ex.cancelOrder('123', 'BTC/USDT'))).toBeInstanceOf(OrderNotFound);

    const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 59_000, { clientOrderId: 'rj-1' });
    s.fillOrder(o.id as string);
    const filledCancel = await rejection(ex.cancelOrder(o.id as string, 'BTC/USDT'));
    expect(filledCancel).toBeInstanceOf(OrderNotFound);
    expect(filledCancel.message).toContain('"code":-2011');

    const poor = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 1, 59_000));
    expect(poor).toBeInstanceOf(InsufficientFunds);
    expect(poor.message).toContain('Account has insufficient balance for requested action.');
    const noBtc = await rejection(ex.createOrder('ETH/USDT', 'limit', 'sell', 1, 2_700));
    expect(noBtc).toBeInstanceOf(InsufficientFunds);

    // ccxt rounds prices to the tick it loaded: an off-tick price reaches Binance only when the filter
    // changed after loadMarkets (here BTCUSDT's tick goes from 0.01 to 0.1)
    s.listMarket({ ...(DEFAULT_BINANCE_MARKETS[0] as (typeof DEFAULT_BINANCE_MARKETS)[number]), tickSize: '0.10000000' });
    const offTick = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 59_000.05));
    expect(offTick).toBeInstanceOf(InvalidOrder);
    expect(offTick).not.toBeInstanceOf(OrderNotFound);
    expect(offTick.message).toContain('Filter failure: PRICE_FILTER');
    const offStep = await rejection(ex.privatePostOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.00015', price: '2500' }));
    expect(offStep).toBeInstanceOf(InvalidOrder);
    // NOTIONAL is -1013 without a filter name ccxt knows: BadRequest, not InvalidOrder
    const small = await rejection(ex.createOrder('ETH/USDT', 'limit', 'buy', 0.001, 2_500));
    expect(small).toBeInstanceOf(BadRequest);
    expect(small.message).toContain('Filter failure: NOTIONAL');

    await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.01, 2_500, { clientOrderId: 'dup-1' });
    const dup = await rejection(ex.createOrder('ETH/USDT', 'limit', 'buy', 0.01, 2_400, { clientOrderId: 'dup-1' }));
    expect(dup).toBeInstanceOf(InvalidOrder);
    expect(dup.message).toContain('Duplicate order sent.');
    // a client id of a closed order may be used again (Binance only refuses it while the order is open)
    await ex.cancelOrder('', 'ETH/USDT', { origClientOrderId: 'dup-1' });
    expect((await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.01, 2_400, { clientOrderId: 'dup-1' })).status).toBe('open');
  }, 30_000);

  it('fills resting orders from published trades (through the price only, bounded by the trade) with the fee in myTrades', async () => {
    const s = await start();
    const ex = await client(s);
    const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 59_990, { clientOrderId: 'fill-1' });
    s.publishTrade('BTCUSDT', { price: 59_990, qty: 1 }); // a print at the limit does not fill
    expect((await ex.fetchOrder(o.id as string, 'BTC/USDT')).filled).toBe(0);
    s.publishTrade('BTCUSDT', { price: 59_980, qty: 0.0004 });
    const partial = await ex.fetchOrder(o.id as string, 'BTC/USDT');
    expect(partial).toMatchObject({ status: 'open', filled: 0.0004, remaining: 0.0006 });
    expect(partial.info['status']).toBe('PARTIALLY_FILLED');
    s.publishTrade('BTCUSDT', { price: 59_970, qty: 2 });
    const done = await ex.fetchOrder(o.id as string, 'BTC/USDT');
    expect(done).toMatchObject({ status: 'closed', filled: 0.001, remaining: 0, average: 59_990 });
    expect(done.cost).toBeCloseTo(59.99, 8);
    // GET /api/v3/order carries no commission: the fee comes from myTrades (or the executionReport)
    const trades = await ex.fetchMyTrades('BTC/USDT');
    expect(trades.map((t) => [t.order, t.amount, t.price, t.fee?.cost, t.fee?.currency, t.takerOrMaker])).toEqual([
      [o.id, 0.0004, 59_990, 0.0000004, 'BTC', 'maker'],
      [o.id, 0.0006, 59_990, 0.0000006, 'BTC', 'maker'],
    ]);
    expect(s.balance('BTC').free).toBeCloseTo(0.001 * 0.999, 10);
    expect(s.balance('USDT')).toEqual({ free: 10_000 - 59.99, locked: 0 });
    expect(s.order({ clientOrderId: 'fill-1' })?.['status']).toBe('FILLED');
  }, 30_000);

  it('fills a marketable limit order on arrival as taker, with its fills and fee in the FULL answer', async () => {
    const s = await start({ balances: { USDT: 1_000, ETH: 1 } });
    const ex = await client(s);
    s.publishBookTicker('ETHUSDT', { bidPrice: 2_599.5, askPrice: 2_600.5 });
    const buy = await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.1, 2_601, { clientOrderId: 'take-1' });
    expect(buy).toMatchObject({ status: 'closed', filled: 0.1, average: 2_600.5 });
    expect(buy.fee).toMatchObject({ cost: 0.0001, currency: 'ETH' });
    const sell = await ex.createOrder('ETH/USDT', 'limit', 'sell', 0.5, 2_599);
    expect(sell).toMatchObject({ status: 'closed', filled: 0.5, average: 2_599.5 });
    expect(sell.fee?.currency).toBe('USDT');
    expect(sell.fee?.cost).toBeCloseTo(0.5 * 2_599.5 * 0.001, 8);
    expect(s.balance('ETH').free).toBeCloseTo(1 + 0.1 * 0.999 - 0.5, 10);
    expect(s.balance('USDT').free).toBeCloseTo(1_000 - 260.05 + 1_299.75 * 0.999, 8);
  }, 20_000);

  it('fetchOHLCV: candles given with setCandles, windows by since/limit/until, and candles built from trades', async () => {
    const s = await start();
    const ex = await client(s);
    const t0 = Date.UTC(2024, 0, 1);
    s.setCandles('BTCUSDT', Array.from({ length: 10 }, (_, i) => [t0 + i * 60_000, 100 + i, 101 + i, 99 + i, 100.5 + i, 1 + i] as const));
    const all = await ex.fetchOHLCV('BTC/USDT', '1m');
    expect(all).toHaveLength(10);
    expect(all[0]).toEqual([t0, 100, 101, 99, 100.5, 1]);
    expect((await ex.fetchOHLCV('BTC/USDT', '1m', t0 + 3 * 60_000, 2)).map((c) => c[0])).toEqual([t0 + 180_000, t0 + 240_000]);
    expect((await ex.fetchOHLCV('BTC/USDT', '1m', undefined, 3)).map((c) => c[0])).toEqual([t0 + 420_000, t0 + 480_000, t0 + 540_000]);
    expect((await ex.fetchOHLCV('BTC/USDT', '1m', undefined, 2, { until: t0 + 120_000 })).map((c) => c[0])).toEqual([t0 + 60_000, t0 + 120_000]);
    expect(await ex.fetchOHLCV('BTC/USDT', '5m')).toEqual([
      [t0, 100, 105, 99, 104.5, 15],
      [t0 + 300_000, 105, 110, 104, 109.5, 40],
    ]);

    const now = Math.floor(Date.now() / 60_000) * 60_000;
    s.publishTrade('ETHUSDT', { price: 2_600, qty: 1, ts: now - 120_000 });
    s.publishTrade('ETHUSDT', { price: 2_610, qty: 2, ts: now - 119_000 });
    s.publishTrade('ETHUSDT', { price: 2_590, qty: 1, ts: now + 1 });
    const built = await ex.fetchOHLCV('ETH/USDT', '1m');
    expect(built).toEqual([
      [now - 120_000, 2_600, 2_610, 2_600, 2_610, 3],
      [now - 60_000, 2_610, 2_610, 2_610, 2_610, 0],
      [now, 2_590, 2_590, 2_590, 2_590, 1],
    ]);
  }, 30_000);

  it('rate limits and faults: weight headers, 429 and 418 with Retry-After, 5xx, a lost acknowledgement', async () => {
    const s = await start();
    const ex = await client(s);
    await ex.loadMarkets();
    await ex.fetchTicker('BTC/USDT');
    // ccxt capitalises header names: X-Mbx-Used-Weight-1m
    expect(ex.last_response_headers?.['X-Mbx-Used-Weight-1m']).toBe('22');

    s.failNext(429, 1, '/api/v3/ticker/24hr');
    const limited = await rejection(ex.fetchTicker('BTC/USDT'));
    // ccxt 4.5.84 throws DDoSProtection for both 429 and 418 (RateLimitExceeded is not its parent)
    expect(limited).toBeInstanceOf(DDoSProtection);
    expect(limited).not.toBeInstanceOf(RateLimitExceeded);
    expect(limited.message).toMatch(/^binance 429 Too Many Requests \{"code":-1003/);
    expect(Number(ex.last_response_headers?.['Retry-After'])).toBeGreaterThan(0);

    s.failNext(418);
    const banned = await rejection(ex.fetchBalance());
    expect(banned).toBeInstanceOf(DDoSProtection);
    expect(banned.message).toMatch(/^binance 418 I'm a Teapot \{"code":-1003,"msg":"Way too many requests; IP\(127\.0\.0\.1\) banned until \d+/);
    expect(ex.last_response_headers?.['Retry-After']).toBe('120');

    s.failNext(500);
    expect(await rejection(ex.fetchTicker('BTC/USDT'))).toBeInstanceOf(OperationFailed);
    s.failNext(503);
    const busy = await rejection(ex.fetchTicker('BTC/USDT'));
    // -1008 is OperationFailed in ccxt's spot table, which ccxt only applies on api.binance.com URLs
    expect(busy).toBeInstanceOf(ExchangeError);
    expect(busy.message).toContain('"code":-1008');

    s.loseNextAcks(1);
    const lost = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 59_000, { clientOrderId: 'lost-1' }));
    expect(lost).toBeInstanceOf(NetworkError);
    expect(s.ordersCreated).toBe(1);
    expect(await ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'lost-1' })).toMatchObject({ clientOrderId: 'lost-1', status: 'open' });
    // retrying the same client id while the order is open is refused, so a retry cannot double it
    expect((await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 59_000, { clientOrderId: 'lost-1' }))).message).toContain('Duplicate order sent.');
  }, 30_000);

  it('enforces the weight budget with 429 -1003 when asked to', async () => {
    const s = await start();
    const ex = await client(s);
    ex.enableRateLimit = false;
    await ex.loadMarkets();
    const results = await Promise.allSettled(Array.from({ length: 80 }, () => ex.fetchOpenOrders()));
    // 20 (exchangeInfo) + 74 × 80 = 5,940 fit in 6,000 a minute; the rest are refused
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(74);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(DDoSProtection);
    expect(s.requests.filter((r) => r.status === 429)).toHaveLength(6);
  }, 20_000);

  it('checks the API key and the HMAC signature like Binance', async () => {
    const s = await start();
    const wrongSecret = await client(s, { secret: 'x'.repeat(64) });
    const bad = await rejection(wrongSecret.fetchBalance());
    expect(bad).toBeInstanceOf(AuthenticationError);
    expect(bad.message).toContain('"code":-1022');
    expect(s.requestsTo('/api/v3/account')[0]?.status).toBe(400);
    const wrongKey = await client(s, { apiKey: 'A'.repeat(64) });
    expect(await rejection(wrongKey.fetchBalance())).toBeInstanceOf(AuthenticationError);
    const malformedKey = await client(s, { apiKey: 'short' });
    const malformed = await rejection(malformedKey.fetchBalance());
    expect(malformed).toBeInstanceOf(AuthenticationError);
    expect(malformed.message).toContain('"code":-2014');
    expect(s.requestsTo('/api/v3/account').map((r) => r.status)).toEqual([400, 401, 401]);
  }, 20_000);
});

describe('BinanceServer with real ccxt.pro (websockets)', () => {
  it('watchTradesForSymbols, watchBidsAsks and watchTicker receive published frames', async () => {
    const s = await start();
    const ex = await client(s);
    await ex.loadMarkets();
    const tradesP = ex.watchTradesForSymbols(['BTC/USDT', 'ETH/USDT']);
    await waitFor(() => JSON.stringify(s.subscriptions).includes('ethusdt@trade'), 'the trade subscription');
    s.publishTrade('ETHUSDT', { price: 2_601.5, qty: 0.25, buyerIsMaker: true, id: 77 });
    const trades = await tradesP;
    expect(trades.map((t) => [t.symbol, t.id, t.price, t.amount, t.side])).toEqual([['ETH/USDT', '77', 2_601.5, 0.25, 'sell']]);

    const bidsAsksP = ex.watchBidsAsks(['BTC/USDT']);
    await waitFor(() => JSON.stringify(s.subscriptions).includes('btcusdt@bookTicker'), 'the bookTicker subscription');
    s.publishBookTicker('BTCUSDT', { bidPrice: 59_999.99, bidQty: 1.5, askPrice: 60_000, askQty: 0.5 });
    const bidsAsks = await bidsAsksP;
    expect(bidsAsks['BTC/USDT']).toMatchObject({ bid: 59_999.99, bidVolume: 1.5, ask: 60_000, askVolume: 0.5 });

    // ccxt 4.5.84's watchTicker subscribes <sym>@miniTicker (no bid/ask); { name: 'ticker' } gives the full 24hrTicker
    const miniP = ex.watchTicker('BTC/USDT');
    await waitFor(() => JSON.stringify(s.subscriptions).includes('btcusdt@miniTicker'), 'the miniTicker subscription');
    s.publishTrade('BTCUSDT', { price: 60_100, qty: 0.1 });
    s.publishTicker('BTCUSDT');
    expect(await miniP).toMatchObject({ symbol: 'BTC/USDT', last: 60_100, bid: undefined });
    const tickersP = ex.watchTickers(['BTC/USDT'], { name: 'ticker' });
    await waitFor(() => JSON.stringify(s.subscriptions).includes('btcusdt@ticker"'), 'the ticker subscription');
    s.publishTicker('BTCUSDT');
    const tickers = await tickersP;
    expect(tickers['BTC/USDT']).toMatchObject({ symbol: 'BTC/USDT', last: 60_100, bid: 59_999.99, ask: 60_000, baseVolume: 0.1 });
    expect(s.subscriptions.map((m) => m['method'])).toEqual(['SUBSCRIBE', 'SUBSCRIBE', 'SUBSCRIBE', 'SUBSCRIBE']);
  }, 20_000);

  it('watchOrders and watchBalance: NEW, TRADE with its fee and CANCELED through the WebSocket API user stream', async () => {
    const s = await start({ balances: { USDT: 1_000 } });
    const ex = await client(s);
    await ex.loadMarkets();
    const firstP = ex.watchOrders('BTC/USDT');
    await waitFor(() => s.wsApiRequests.some((r) => r['method'] === 'userDataStream.subscribe.signature'), 'the user data subscription');
    const subscribe = s.wsApiRequests[0]?.['params'] as Record<string, unknown>;
    expect(Object.keys(subscribe).sort()).toEqual(['apiKey', 'recvWindow', 'signature', 'timestamp']);
    await new Promise((r) => setTimeout(r, 50)); // the subscription's answer reaches ccxt
    const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, 59_000, { clientOrderId: 'ws-1' });
    const first = await firstP;
    expect(first.at(-1)).toMatchObject({ id: o.id, clientOrderId: 'ws-1', status: 'open', filled: 0 });

    const balanceP = ex.watchBalance();
    const tradeP = ex.watchOrders('BTC/USDT');
    s.publishTrade('BTCUSDT', { price: 58_999, qty: 0.0015 });
    const afterTrade = await tradeP;
    expect(afterTrade.at(-1)).toMatchObject({ id: o.id, clientOrderId: 'ws-1', status: 'open', filled: 0.0015, remaining: 0.0005 });
    expect(afterTrade.at(-1)?.fee).toMatchObject({ currency: 'BTC' });
    expect(afterTrade.at(-1)?.fee?.cost).toBeCloseTo(0.0000015, 12);
    const balance = await balanceP;
    expect(balance['USDT']).toMatchObject({ used: 0.5 * 59, free: 1_000 - 118 });
    expect(balance['BTC']?.free).toBeCloseTo(0.0015 * 0.999, 12);

    const cancelP = ex.watchOrders('BTC/USDT');
    await ex.cancelOrder(o.id as string, 'BTC/USDT');
    const afterCancel = await cancelP;
    // the executionReport's C (original client id) is what ccxt reads on a cancel
    expect(afterCancel.at(-1)).toMatchObject({ id: o.id, clientOrderId: 'ws-1', status: 'canceled', filled: 0.0015 });
  }, 20_000);

  it('replays a recorded Binance capture to watchTradesForSymbols', async (ctx) => {
    if (skipWithoutSharedData()) ctx.skip();
    const s = await start();
    const ex = await client(s);
    await ex.loadMarkets();
    const received: string[] = [];
    const done = (async (): Promise<void> => {
      while (received.length < 20) {
        for (const t of await ex.watchTradesForSymbols(['BTC/USDT'])) received.push(`${t.id}@${t.price}`);
      }
    })();
    await waitFor(() => JSON.stringify(s.subscriptions).includes('btcusdt@trade'), 'the trade subscription');
    const played = await s.replay(sharedData('ws', 'binance-2024-08', 'spot_btcusdt_20240808.gz'), { limit: 3_000 });
    expect(played).toBe(3_000);
    await done;
    // the capture's first trades, in order (ids are gap-free on Binance)
    expect(received[0]).toBe('3735683259@61837.63');
    const ids = received.map((r) => Number(r.split('@')[0]));
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] as number))).toBe(true);
    expect(s.publicConnections).toBe(1);
  }, 30_000);

  it('dropConnections rejects the pending watch with a NetworkError and the next watch reconnects', async () => {
    const s = await start();
    const ex = await client(s);
    await ex.loadMarkets();
    const pending = ex.watchTradesForSymbols(['BTC/USDT']);
    await waitFor(() => s.subscriptions.length === 1, 'the first subscription');
    s.dropConnections();
    expect(await rejection(pending)).toBeInstanceOf(NetworkError);

    s.refuseConnections(1);
    expect(await rejection(ex.watchTradesForSymbols(['BTC/USDT']))).toBeInstanceOf(NetworkError);

    const again = ex.watchTradesForSymbols(['BTC/USDT']);
    await waitFor(() => s.subscriptions.length === 2, 'the new subscription', 10_000);
    s.publishTrade('BTCUSDT', { price: 60_010, qty: 0.01 });
    expect((await again).at(-1)).toMatchObject({ price: 60_010 });
    expect(s.publicConnections).toBe(2);
  }, 30_000);
  it('stall keeps the socket open but silent; the legacy listenKey stream gets the same user events raw', async () => {
    const s = await start();
    const ex = await client(s);
    await ex.loadMarkets();
    const first = ex.watchTradesForSymbols(['XRP/USDT']);
    await waitFor(() => s.subscriptions.length === 1, 'the subscription');
    s.stall(true);
    s.publishTrade('XRPUSDT', { price: 0.4999, qty: 100 });
    let settled = false;
    void first.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    s.stall(false);
    s.publishTrade('XRPUSDT', { price: 0.5001, qty: 100 });
    expect((await first).map((t) => t.price)).toEqual([0.5001]);

    const res = await fetch(`${s.restUrl}/api/v3/userDataStream`, { method: 'POST', headers: { 'X-MBX-APIKEY': s.apiKey } });
    const { listenKey } = (await res.json()) as { listenKey: string };
    const ws = new WebSocket(`${s.wsUrl}/ws/${listenKey}`);
    const events: Record<string, unknown>[] = [];
    ws.on('message', (d) => events.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise((r) => ws.once('open', r));
    const o = await ex.createOrder('XRP/USDT', 'limit', 'buy', 20, 0.49, { clientOrderId: 'lk-1' });
    await waitFor(() => events.length >= 2, 'the NEW events');
    expect(events.map((e) => [e['e'], e['x'], e['c'], e['i']])).toEqual([
      ['executionReport', 'NEW', 'lk-1', Number(o.id)],
      ['outboundAccountPosition', undefined, undefined, undefined],
    ]);
    expect(events[1]?.['B']).toEqual([{ a: 'USDT', f: '9990.20000000', l: '9.80000000' }]);
    ws.terminate();
  }, 20_000);
});
