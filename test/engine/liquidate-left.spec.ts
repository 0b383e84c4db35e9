import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `bot.onStop: liquidate` (what a kill switch is set to when its halt must leave no coins): the stop sold the
 * positions holding at that moment, once. A liquidation sell that failed (a 5xx storm, as exchanges give when
 * prices crash) left the position holding its coins with only the strategy's own exits. Now the stopped bot
 * sells, at each batch, what its stop left holding. Real ccxt against the local Upbit server behind a fault proxy,
 * a real redis-server; 1 s batches.
 */
const config = parseConfig({ botId: 'liq', exchange: { id: 'upbit', quote: 'KRW', markets: ['XRP/KRW'] }, features: { every: '1s' }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 }, bot: { onStop: 'liquidate' } });
const sessions = new LiveSessions(config);

describe.skipIf(skipWithoutRedis())('a liquidating stop whose sell failed', () => {
  it('sells the position at the next batches once the exchange takes orders again', async () => {
    await sessions.start();
    const server = sessions.closeAfter(await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3_000 }] }));
    const proxy = sessions.closeAfter(await FaultProxy.start(server.restUrl));
    const lines: string[] = [];
    const exchange = new CcxtExchange({ restUrl: proxy.url, wsUrl: server.wsUrl, apiKey: server.accessKey, secret: server.secretKey, pollIntervalMs: 100 });
    const rejects: string[] = [];
    exchange.orderEvents$.subscribe((e) => void (e.type === 'order.rejected' && e.side === 'sell' && rejects.push(e.message)));
    const node = await sessions.node(exchange, lines, server.restUrl);
    const kernel = node.start();
    await waitFor(() => lines.includes('reconciled; trading'), 'trading', 10_000);
    let ts = Date.now() - 120 * 60_000;
    const trade = (price: number, stepMs = 60_000): void => void kernel.feed({ kind: 'trade', market: 'XRP/KRW', ts: (ts += stepMs), price, amount: 1_000 } satisfies TradeEvent);
    for (let m = 0; m < 6; m++) trade(2_990 + m * 2);
    await waitFor(() => node.account.getOpenOrders().length === 1, 'the buy resting', 5_000);
    server.fillOrder(node.account.getOpenOrders()[0]!.id);
    await waitFor(() => kernel.engine.openPositions()[0]?.state === 'holding', 'holding', 5_000);
    const asks = (): number => server.requestsTo('/v1/orders', 'POST').filter((r) => r.body?.['side'] === 'ask').length;

    // The stop's liquidation meets a storm of 503s: rejected after its attempts, the position back in holding.
    proxy.rule = (method, p) => (method === 'POST' && p === '/v1/orders' ? { kind: 'refuse', status: 503, body: '<html>503 Service Temporarily Unavailable</html>', contentType: 'text/html' } : { kind: 'forward' });
    kernel.engine.bot.send({ type: 'bot.stop', reason: 'kill-switch test' });
    await waitFor(() => rejects.length > 0, 'the liquidation rejected', 15_000);
    await waitFor(() => kernel.engine.openPositions()[0]?.state === 'holding', 'holding again', 15_000);
    proxy.rule = () => ({ kind: 'forward' });
    expect(asks()).toBe(0);

    // Batches at the entry price (no exit of the strategy's own): the stopped bot sells what it still holds.
    for (let i = 0; i < 20; i++) {
      trade(3_000, 1_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => asks() === 1, 'the liquidation placed again', 5_000);
    expect(kernel.engine.bot.getSnapshot().value).not.toBe('running');
  }, 60_000);
});
