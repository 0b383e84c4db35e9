import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderEvent } from '../../../src/core/index.js';
import { CcxtExchange } from '../../../src/exchange/ccxt/ccxt-exchange.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { UpbitServer } from '../../helpers/upbit-server.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * A cancel refused in other words than "not found": Upbit's `{"error":{"name":"done_order","message":"이미
 * 체결된 주문입니다."}}` style, "order already filled or canceled". The adapter threw the refusal, the engine
 * dropped it, and the fill the refusal hid (its private frame lost) reached the position only at the next
 * poll (30 s with the stream up) or the cancel's deadline: a sell's proceeds or a buy's coins unmanaged that
 * long. Now the order is looked up at once, as after "not found". Real ccxt against the local Upbit server
 * behind a fault proxy; the private stream off and the poll a minute away, so only the cancel's own path counts.
 */
const closing: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
});

async function setUp(): Promise<{ server: UpbitServer; proxy: FaultProxy; ex: CcxtExchange; events: OrderEvent[] }> {
  const server = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000, XRP: 100 }, markets: [{ code: 'KRW-XRP', price: 3_000 }] });
  closing.push(server);
  const proxy = await FaultProxy.start(server.restUrl);
  closing.push(proxy);
  const ex = new CcxtExchange({ restUrl: proxy.url, wsUrl: server.wsUrl, apiKey: server.accessKey, secret: server.secretKey, privateStream: false, pollIntervalMs: 60_000, retryDelayMs: 20, random: () => 0.5 });
  const events: OrderEvent[] = [];
  const sub: Subscription = ex.orderEvents$.subscribe((e) => events.push(e));
  closing.push({ close: async () => (sub.unsubscribe(), await ex.close()) });
  await ex.start();
  return { server, proxy, ex, events };
}

const refusal = (name: string, message: string) => (method: string, path: string) =>
  method === 'DELETE' && path === '/v1/order' ? { kind: 'replace' as const, status: 400, body: JSON.stringify({ error: { name, message } }), contentType: 'application/json' } : { kind: 'forward' as const };

describe('a cancel refused in other words than "not found"', () => {
  it('a sell filled before its cancel ("이미 체결된 주문입니다."): the fill is applied at once', async () => {
    const { server, proxy, ex, events } = await setUp();
    const order = await ex.createLimitOrder({ clientId: 'ref-1', market: 'XRP/KRW', side: 'sell', price: 3_100, amount: 20 });
    server.fillOrder(order!.id);
    proxy.rule = refusal('done_order', '이미 체결된 주문입니다.');
    await ex.cancelOrder(order!.id).catch(() => undefined);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the fill', 3_000);
    const fill = events.find((e) => e.type === 'order.fill');
    expect(fill).toMatchObject({ order: { status: 'filled', filled: 20 } });
    expect(ex.getOrder({ clientId: 'ref-1' })?.status).toBe('filled');
  });

  it('a buy filled between the cancel request and its answer ("order already filled or canceled"): the fill is applied at once', async () => {
    const { server, proxy, ex, events } = await setUp();
    const order = await ex.createLimitOrder({ clientId: 'ref-2', market: 'XRP/KRW', side: 'buy', price: 2_900, amount: 10 });
    const refuse = refusal('order_already_closed', 'order already filled or canceled');
    proxy.rule = (method, path) => {
      if (method === 'DELETE' && path === '/v1/order') server.fillOrder(order!.id);
      return refuse(method, path);
    };
    await ex.cancelOrder(order!.id).catch(() => undefined);
    await waitFor(() => events.some((e) => e.type === 'order.fill'), 'the fill', 3_000);
    expect(ex.getOrder({ clientId: 'ref-2' })).toMatchObject({ status: 'filled', filled: 10 });
  });

  it('a refusal of an order still open (a permission, a suspended market) is the caller’s, as before: nothing is made up', async () => {
    const { proxy, ex, events } = await setUp();
    const order = await ex.createLimitOrder({ clientId: 'ref-3', market: 'XRP/KRW', side: 'buy', price: 2_900, amount: 10 });
    proxy.rule = (method, path) =>
      method === 'DELETE' && path === '/v1/order' ? { kind: 'refuse', status: 401, body: JSON.stringify({ error: { name: 'out_of_scope', message: '권한이 부족합니다.' } }), contentType: 'application/json' } : { kind: 'forward' };
    await expect(ex.cancelOrder(order!.id)).rejects.toThrow(/out_of_scope/);
    expect(events.map((e) => e.type)).toEqual(['order.accepted']);
    expect(ex.getOrder({ clientId: 'ref-3' })?.status).toBe('open');
  });
});
