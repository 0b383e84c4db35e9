import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import type { LiveNode } from '../../src/engine/nodes/live-node.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * An exchange whose order look-ups trail its order book by a few seconds (a read replica): an order is
 * found by `GET /v1/order` only a while after it was made. Killed with its buy's acknowledgement still on
 * the way and started again at once, the bot looked the buy up, was told "not found", took it for an
 * order that never arrived and forgot it: the order rested, then filled, with no position managing it.
 * Real ccxt against the local Upbit server, a real redis-server.
 */
let server: UpbitServer | undefined;

const config = parseConfig({ botId: 'lkp', exchange: { id: 'upbit', quote: 'KRW', markets: ['XRP/KRW'] }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
const sessions = new LiveSessions(config);

async function session(s: UpbitServer, lines: string[]): Promise<LiveNode> {
  const exchange = new CcxtExchange({ restUrl: s.restUrl, wsUrl: s.wsUrl, apiKey: s.accessKey, secret: s.secretKey, pollIntervalMs: 100 });
  return sessions.node(exchange, lines, s.restUrl);
}

describe.skipIf(skipWithoutRedis())('order look-ups that trail the order book', () => {
  it('a buy placed just before a kill and not found yet at the restart is kept, not forgotten: its fill reaches its position', async () => {
    await sessions.start();
    const s = (server = sessions.closeAfter(await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3_000 }] })));
    const first: string[] = [];
    const one = await session(s, first);
    const kernel = one.start();
    await waitFor(() => first.includes('reconciled; trading'), 'trading', 10_000);
    // Found by look-ups 10 s after it was made; its acknowledgement 5 s on the way.
    s.hideNewOrders(10_000);
    s.slowNextAcks(1, 5_000);
    const created = s.ordersCreated;
    const t0 = Date.now() - 10 * 60_000;
    for (let m = 0; m < 6; m++) kernel.feed({ kind: 'trade', market: 'XRP/KRW', ts: t0 + m * 60_000, price: 2_990 + m * 2, amount: 1_000 } satisfies TradeEvent);
    await waitFor(() => s.ordersCreated === created + 1, 'the buy made on the exchange', 5_000);
    const [position] = kernel.engine.openPositions();
    expect(position).toMatchObject({ state: 'buying' });
    await one.store.flush();
    await one.close(); // killed before the acknowledgement arrived

    const second: string[] = [];
    const node = await session(s, second);
    const restarted = node.start();
    await waitFor(() => second.includes('reconciled; trading'), 'trading after the restart', 15_000);
    expect(second.filter((l) => /never arrived|forgets it/.test(l))).toEqual([]);
    expect(restarted.engine.openPositions()).toEqual([expect.objectContaining({ positionId: position!.positionId, state: 'buying' })]);

    // The buy fills: its position hears it from the private stream and holds the coins.
    const order = s.allOrders().find((o) => o.identifier?.startsWith(`${position!.positionId}-`));
    expect(order).toBeDefined();
    s.fillOrder(order!.uuid);
    await waitFor(() => restarted.engine.openPositions()[0]?.state === 'holding', 'the buy filled, in its position', 15_000);
    expect(restarted.engine.openPositions()[0]!.amount).toBeCloseTo(order!.volume, 8);
    expect(restarted.engine.orphanOrderEvents).toBe(0);
    expect(s.allOrders()).toHaveLength(1);
  }, 60_000);
});
