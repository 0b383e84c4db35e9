import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import type { LiveNode } from '../../src/engine/nodes/live-node.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Upbit lists open orders 100 a page, newest first. The bot read the first page only: an order of its own
 * placed just before a kill (no snapshot knows it) and older than 100 orders placed on the account since
 * (by hand, another bot) was never adopted at the restart, and rested, then filled, with no position
 * managing it. Real ccxt against the local Upbit server, a real redis-server.
 */
let server: UpbitServer | undefined;

const config = parseConfig({ botId: 'pg', exchange: { id: 'upbit', quote: 'KRW', markets: ['XRP/KRW'] } });
const sessions = new LiveSessions(config);

async function session(s: UpbitServer, lines: string[]): Promise<LiveNode> {
  const exchange = new CcxtExchange({ restUrl: s.restUrl, wsUrl: s.wsUrl, apiKey: s.accessKey, secret: s.secretKey, pollIntervalMs: 100 });
  return sessions.node(exchange, lines, s.restUrl);
}

describe.skipIf(skipWithoutRedis())('open orders on more than one page (Upbit: 100 a page)', () => {
  it('an order of the bot no snapshot knows, behind 100 newer orders of the account, is adopted at the restart and managed', async () => {
    await sessions.start();
    const s = (server = sessions.closeAfter(await UpbitServer.start({
      enforceRateLimits: false,
      balances: { KRW: 100_000_000 },
      markets: [
        { code: 'KRW-XRP', price: 3_000 },
        { code: 'KRW-ADA', price: 1_000 },
      ],
    })));
    const first: string[] = [];
    const one = await session(s, first);
    one.start();
    await waitFor(() => first.includes('reconciled; trading'), 'trading', 10_000);
    await one.store.flush();
    await one.close(); // killed right after placing its buy, before the position's snapshot was written

    const placer = new CcxtExchange({ restUrl: s.restUrl, wsUrl: s.wsUrl, apiKey: s.accessKey, secret: s.secretKey, privateStream: false });
    sessions.closeAfter(placer);
    const orphan = await placer.createLimitOrder({ clientId: 'pg-lost-1-b1', market: 'XRP/KRW', side: 'buy', price: 2_900, amount: 20 });
    expect(orphan).toBeDefined();
    // Then 100 orders of the account's owner, without an identifier: the bot's is on the second page now.
    for (let i = 0; i < 100; i++) await placer.ccxt.createOrder('ADA/KRW', 'limit', 'buy', 10, 900 - i);
    await placer.close();

    const second: string[] = [];
    const node = await session(s, second);
    const restarted = node.start();
    await waitFor(() => second.includes('reconciled; trading'), 'trading after the restart', 15_000);
    expect(second.some((l) => /pg-lost-1-b1: resting on the exchange but unknown to the snapshots .*adopted by pg-lost-1, now buying/.test(l))).toBe(true);
    expect(restarted.engine.openPositions()).toEqual([expect.objectContaining({ positionId: 'pg-lost-1', market: 'XRP/KRW', state: 'buying' })]);
    // Every open order of the account is known: the owner's 100 are named as none of the bot's, once each.
    expect(node.account.getOpenOrders()).toHaveLength(101);
    expect(second.filter((l) => /belongs to no position of this bot/.test(l))).toHaveLength(100);

    // The adopted buy fills: its position holds the coins, once.
    s.fillOrder(orphan!.id);
    await waitFor(() => restarted.engine.openPositions()[0]?.state === 'holding', 'the adopted buy filled', 10_000);
    expect(restarted.engine.openPositions()[0]!.amount).toBeCloseTo(20, 8);
    expect(restarted.engine.orphanOrderEvents).toBe(0);
  }, 60_000);
});
