import { afterEach, describe, expect, it } from 'vitest';
import type { OrderEvent } from '../../../src/core/index.js';
import { RejectLog } from '../../../src/cli/commands/reject-log.js';
import { CcxtExchange } from '../../../src/exchange/ccxt/ccxt-exchange.js';
import { BinanceServer } from '../../helpers/binance-server.js';
import { FaultProxy, type ProxyAction } from '../../helpers/fault-proxy.js';
import { UpbitServer } from '../../helpers/upbit-server.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * Orders the exchange made while the client saw no usable answer, through a proxy in front of the local
 * exchange servers: the adapter must find the order by client id, never report it rejected while it rests
 * on the exchange, and never place it twice.
 */
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

const UNREADABLE: [string, ProxyAction][] = [
  ['a 2xx whose body was cut off', { kind: 'replace', status: 201, body: '{"uuid":"', contentType: 'application/json' }],
  ['a 2xx with an empty body', { kind: 'replace', status: 201, body: '', contentType: 'application/json' }],
  ['a 200 HTML maintenance page', { kind: 'replace', status: 200, body: '<html><body>Service temporarily unavailable</body></html>', contentType: 'text/html' }],
  ['a 2xx whose JSON holds no order ({})', { kind: 'replace', status: 201, body: '{}', contentType: 'application/json' }],
];

interface Venue {
  readonly ex: CcxtExchange;
  readonly proxy: FaultProxy;
  readonly events: OrderEvent[];
  readonly posts: () => number;
  /** The orders of this client id on the exchange, with their states. */
  readonly onExchange: (clientId: string) => string[];
  readonly market: string;
  readonly price: number;
  readonly amount: number;
}

async function venue(kind: 'upbit' | 'binance', firstPost: ProxyAction, fillAtOnce = false): Promise<Venue> {
  const up = kind === 'upbit' ? await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 10_000_000 } }) : undefined;
  const bn = kind === 'binance' ? await BinanceServer.start({ enforceRateLimits: false }) : undefined;
  closers.push(() => (up ?? bn)!.close());
  const proxy = await FaultProxy.start((up ?? bn)!.restUrl);
  closers.push(() => proxy.close());
  let posts = 0;
  const path = up ? '/v1/orders' : '/api/v3/order';
  proxy.rule = (method, p) => (method === 'POST' && p === path && ++posts === 1 ? firstPost : { kind: 'forward' });
  const ex = up
    ? new CcxtExchange({ restUrl: proxy.url, wsUrl: up.wsUrl, apiKey: up.accessKey, secret: up.secretKey, privateStream: false, pollIntervalMs: 200, timeoutMs: 2_000 })
    : new CcxtExchange({ exchangeId: 'binance', apiKey: bn!.apiKey, secret: bn!.secret, restUrl: proxy.url, privateStream: false, pollIntervalMs: 200, timeoutMs: 2_000 });
  closers.push(() => ex.close());
  const events: OrderEvent[] = [];
  ex.orderEvents$.subscribe((e) => events.push(e));
  await ex.markets();
  await ex.start();
  if (fillAtOnce && bn) {
    // The exchange fills an order as soon as it rests: a resend that fills frees its client id for the original.
    const filler = setInterval(() => {
      for (const o of bn.allOrders()) if (o.status === 'NEW') bn.fillOrder(o.orderId);
    }, 20);
    closers.push(async () => clearInterval(filler));
  }
  const onExchange = (id: string): string[] => (up ? up.allOrders().filter((o) => o.identifier === id).map((o) => o.state) : bn!.allOrders().filter((o) => o.clientOrderId === id).map((o) => o.status));
  return { ex, proxy, events, posts: () => posts, onExchange, ...(up ? { market: 'XRP/KRW', price: 3_000, amount: 5 } : { market: 'BTC/USDT', price: 58_000, amount: 0.001 }) };
}

describe.each(['upbit', 'binance'] as const)('%s: an order the exchange made behind an answer the client cannot read', (kind) => {
  it.each(UNREADABLE)('%s: found by client id, one order, never rejected', async (_name, action) => {
    const v = await venue(kind, action);
    const id = `faultread${Math.random().toString(36).slice(2, 10)}`;
    // Answered at once when the look-up finds it, or later (an order answered without id is resolved in the background).
    await v.ex.createLimitOrder({ clientId: id, market: v.market, side: 'buy', price: v.price, amount: v.amount });
    await waitFor(() => v.events.some((e) => e.type === 'order.rejected' || e.order.clientId === id), 'an outcome of the order', 20_000);
    expect(v.events.filter((e) => e.type === 'order.rejected')).toEqual([]);
    expect(v.events.filter((e) => e.type === 'order.accepted' && e.order.clientId === id)).toHaveLength(1);
    expect(v.onExchange(id)).toHaveLength(1);
  }, 60_000);
});

describe('binance: the first submission arrives after the client gave up on it', () => {
  it('waits until it can no longer be accepted before resending: one order per client id, its fill accounted', async () => {
    // Held 5 s against the client's 2 s timeout, then forwarded; Binance refuses a repeated client id only while the first is open.
    const v = await venue('binance', { kind: 'delay', ms: 5_000 }, true);
    const id = 'faultdelayed1';
    const got = await v.ex.createLimitOrder({ clientId: id, market: v.market, side: 'buy', price: v.price, amount: v.amount });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(v.onExchange(id)).toEqual(['FILLED']);
    expect(v.posts()).toBe(1);
    expect(got?.clientId).toBe(id);
    await waitFor(() => v.events.some((e) => e.type === 'order.fill'), 'the fill of the order', 10_000);
    expect(v.events.filter((e) => e.type === 'order.fill').reduce((a, e) => a + (e.type === 'order.fill' ? e.fill.amount : 0), 0)).toBeCloseTo(v.amount, 12);
  }, 60_000);
});

describe('binance: an order answered with JSON that holds no order, and filled at once', () => {
  it('is looked up by client id before any resend: the resend of a filled order was a second order (its id free again)', async () => {
    const v = await venue('binance', { kind: 'replace', status: 200, body: '{}', contentType: 'application/json' }, true);
    const id = 'faultempty1';
    await v.ex.createLimitOrder({ clientId: id, market: v.market, side: 'buy', price: v.price, amount: v.amount });
    await waitFor(() => v.events.some((e) => e.type === 'order.rejected' || (e.type === 'order.fill' && e.order.clientId === id)), 'an outcome of the order', 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(v.onExchange(id)).toEqual(['FILLED']);
    expect(v.posts()).toBe(1);
    expect(v.events.filter((e) => e.type === 'order.rejected')).toEqual([]);
    expect(v.events.filter((e) => e.type === 'order.fill').reduce((a, e) => a + (e.type === 'order.fill' ? e.fill.amount : 0), 0)).toBeCloseTo(v.amount, 12);
  }, 60_000);
});

describe.each(['upbit', 'binance'] as const)('%s: a look-up answered 2xx with no order in its JSON ({})', (kind) => {
  it('is a look-up that failed (asked again), never "no such order": a position asking would give up its resting order', async () => {
    const v = await venue(kind, { kind: 'forward' });
    const id = `faultlook${kind}`;
    const placed = await v.ex.createLimitOrder({ clientId: id, market: v.market, side: 'buy', price: v.price, amount: v.amount });
    expect(placed?.clientId).toBe(id);
    const lookPath = kind === 'upbit' ? '/v1/order' : '/api/v3/order';
    v.proxy.rule = (method, p) => (method === 'GET' && p === lookPath ? { kind: 'replace', status: 200, body: '{}', contentType: 'application/json' } : { kind: 'forward' });
    const byClientId = await v.ex.fetchOrder({ clientId: id, market: v.market }).then((order) => ({ order }), (error: unknown) => ({ error }));
    const byId = await v.ex.fetchOrder({ id: placed!.id, market: v.market }).then((order) => ({ order }), (error: unknown) => ({ error }));
    expect(byClientId).toHaveProperty('error');
    expect(byId).toHaveProperty('error');
    // Answered again, the order is there, resting.
    v.proxy.rule = () => ({ kind: 'forward' });
    expect(await v.ex.fetchOrder({ clientId: id, market: v.market })).toMatchObject({ clientId: id, status: 'open' });
    expect(v.onExchange(id)).toHaveLength(1);
  }, 60_000);
});

describe('binance: a signed request that times out', () => {
  it('is named by its path in the error, without the signed query (timestamp, signature)', async () => {
    const s = await BinanceServer.start({ enforceRateLimits: false });
    closers.push(() => s.close());
    const proxy = await FaultProxy.start(s.restUrl);
    closers.push(() => proxy.close());
    const ex = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: proxy.url, privateStream: false, pollIntervalMs: 200, timeoutMs: 1_000, attempts: 1 });
    closers.push(() => ex.close());
    await ex.markets();
    proxy.rule = (_method, path) => (path === '/api/v3/account' ? { kind: 'hang' } : { kind: 'forward' });
    const error = (await ex.balances().then(() => undefined, (e: unknown) => e)) as Error | undefined;
    expect(error?.message).toMatch(/\/api\/v3\/account/);
    expect(error?.message).not.toMatch(/signature|timestamp=|\?/);
  }, 30_000);
});

/** The local Binance server without the proxy, its markets loaded, the adapter's order events collected. */
async function binanceDirect(): Promise<{ s: BinanceServer; ex: CcxtExchange; events: OrderEvent[] }> {
    const s = await BinanceServer.start({ enforceRateLimits: false });
    closers.push(() => s.close());
    const ex = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, privateStream: false, pollIntervalMs: 200, timeoutMs: 2_000 });
    closers.push(() => ex.close());
    const events: OrderEvent[] = [];
    ex.orderEvents$.subscribe((e) => events.push(e));
    await ex.markets();
  return { s, ex, events };
}

describe("binance: this machine's clock 2 s ahead of the exchange (-1021)", () => {
  it('measures the clocks again and goes through: balances read, the order placed once, nothing left unknown', async () => {
    const { s, ex, events } = await binanceDirect();
    // ccxt signs with milliseconds() − timeDifference: a difference of −2 s stamps every request 2 s ahead.
    const skew = (): void => void ((ex.ccxt.options as Record<string, unknown>)['timeDifference'] = -2_000);
    skew();
    expect((await ex.balances()).length).toBeGreaterThan(0);
    skew();
    const order = await ex.createLimitOrder({ clientId: 'skewed1', market: 'BTC/USDT', side: 'buy', price: 58_000, amount: 0.001 });
    expect(order?.clientId).toBe('skewed1');
    expect(events.filter((e) => e.type === 'order.rejected')).toEqual([]);
    expect(s.allOrders().filter((o) => o.clientOrderId === 'skewed1')).toHaveLength(1);
    expect(ex.stats()).toMatchObject({ unknownOrders: 0 });
    expect(ex.stats().clockSyncs).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('binance: an order answered 418 (banned)', () => {
  it('is rejected at once, not left unknown: nothing was placed and nothing may be asked during the ban', async () => {
    const { s, ex, events } = await binanceDirect();
    s.failNext(418, 1, '/api/v3/order');
    const order = await ex.createLimitOrder({ clientId: 'banned1', market: 'BTC/USDT', side: 'buy', price: 58_000, amount: 0.001 });
    expect(order).toBeUndefined();
    expect(events.map((e) => (e.type === 'order.rejected' ? e.reason : e.type))).toEqual(['banned']);
    expect(ex.stats().unknownOrders).toBe(0);
    expect(s.allOrders().filter((o) => o.clientOrderId === 'banned1')).toHaveLength(0);
  }, 30_000);

  it('is said once with its end time: the orders of the other markets placed during the ban are rejected without a line each, counted', async () => {
    const { s, ex, events } = await binanceDirect();
    s.failNext(418, 1, '/api/v3/order');
    const log = new RejectLog('live');
    const lines: string[] = [];
    ex.orderEvents$.subscribe((e) => {
      const line = e.type === 'order.rejected' ? log.line(e) : undefined;
      if (line) lines.push(line);
    });
    const requests: [string, number, number][] = [
      ['BTC/USDT', 58_000, 0.001],
      ['ETH/USDT', 2_500, 0.01],
      ['XRP/USDT', 0.45, 20],
    ];
    // One after the other: the first is answered 418, the next ones are placed during the ban.
    const orders: unknown[] = [];
    for (const [i, [market, price, amount]] of requests.entries()) orders.push(await ex.createLimitOrder({ clientId: `ban-${i}`, market, side: 'buy', price, amount }));
    // Every position ends in a known state: rejected, nothing unknown, nothing placed.
    expect(orders).toEqual([undefined, undefined, undefined]);
    const rejected = events.filter((e) => e.type === 'order.rejected');
    expect(rejected.map((e) => [e.clientId, e.reason])).toEqual(requests.map((_, i) => [`ban-${i}`, 'banned']));
    expect(ex.stats().unknownOrders).toBe(0);
    expect(s.allOrders()).toHaveLength(0);
    // One line (the ban and its end), not one per market (before: "order ban-0 rejected: exchange_error (…)", three times).
    const until = new Date(ex.limiter.bannedUntil).toISOString();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`banned): requests are blocked until ${until}`);
    expect(lines[0]).toMatch(/every order placed until then is rejected without a line of its own/);
    expect(log.bannedRejects).toBe(3);
    // A later refusal of another kind still has its own line.
    expect(log.line({ type: 'order.rejected', ts: 0, clientId: 'x-1', market: 'BTC/USDT', side: 'buy', reason: 'insufficient_funds', message: 'no money' })).toMatch(/order x-1 rejected: insufficient_funds/);
  }, 30_000);
});
