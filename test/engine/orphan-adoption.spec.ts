import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import { liveNode, type LiveNode } from '../../src/engine/nodes/live-node.js';
import { RedisStore } from '../../src/store/index.js';
import { BinanceServer } from '../helpers/binance-server.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A bot trading every market on Binance (no `exchange.markets`), killed between placing a buy and writing
 * its position's snapshot; the buy fills while it is down. Binance lists closed orders per market only, and
 * the restart asked none: the order was never adopted, its coins were called "held outside the bot's
 * positions" and never sold. Real ccxt against the local Binance server, a real redis-server.
 */
let server: BinanceServer | undefined;
let redis: RedisTestServer | undefined;
const closing: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close().catch(() => undefined);
  await server?.close();
  server = undefined;
  await redis?.stop();
  redis = undefined;
});

describe.skipIf(skipWithoutRedis())('live restart on Binance trading every market', () => {
  it('adopts a buy of this bot that filled while no snapshot knew it: its position holds the coins and is managed', async () => {
    redis = await RedisTestServer.start();
    server = await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 } });
    const s = server;
    const config = parseConfig({ botId: 'orph', exchange: { id: 'binance', quote: 'USDT' } });
    const session = async (lines: string[]): Promise<{ node: LiveNode; exchange: CcxtExchange }> => {
      const exchange = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, pollIntervalMs: 100 });
      const rules = new Map((await exchange.markets()).map((r) => [r.market, r]));
      const store = new RedisStore({ botId: 'orph', url: redis!.url });
      closing.push(store);
      const node = await liveNode({ config, live: { exchange, rules, where: s.restUrl }, store, log: (l) => lines.push(l) });
      closing.push(node);
      return { node, exchange };
    };

    // The first run writes its snapshots (a feature batch of a market the exchange does not list: nothing bought) and is killed.
    const first: string[] = [];
    const one = await session(first);
    const kernel = one.node.start();
    await waitFor(() => first.includes('reconciled; trading'), 'trading', 10_000);
    const t0 = Date.now() - 5 * 60_000;
    for (let m = 0; m < 3; m++) kernel.feed({ kind: 'trade', market: 'DOGE/USDT', ts: t0 + m * 60_000, price: 0.1, amount: 1_000 } satisfies TradeEvent);
    await one.node.store.flush();
    expect((await one.node.store.loadSnapshots('portfolio')).size).toBe(1);
    expect(s.requestsTo('/api/v3/order', 'POST')).toHaveLength(0);
    await one.node.close(); // no more writes, as after kill -9

    // Its buy, placed just before the kill with no snapshot written, fills while it is down.
    const placer = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, privateStream: false });
    closing.push(placer);
    const orphan = await placer.createLimitOrder({ clientId: 'orph-lost-1-b1', market: 'XRP/USDT', side: 'buy', price: 0.49, amount: 20 });
    s.fillOrder(orphan!.id);
    await placer.close();

    const second: string[] = [];
    const two = await session(second);
    const restarted = two.node.start();
    await waitFor(() => second.includes('reconciled; trading'), 'trading after the restart', 10_000);
    expect(second.some((l) => /orph-lost-1-b1: filled on the exchange but unknown to the snapshots .*adopted by orph-lost-1/.test(l))).toBe(true);
    // The position holds what the buy executed and is managed; the coins are not called foreign.
    expect(restarted.engine.openPositions()).toEqual([expect.objectContaining({ positionId: 'orph-lost-1', market: 'XRP/USDT', state: 'holding' })]);
    expect(restarted.engine.openPositions()[0]!.amount).toBeGreaterThan(19.9);
    expect(second.filter((l) => /held outside the bot's positions/.test(l))).toEqual([]);
    // Bounded: the closed orders of the one market whose coins the account holds were asked, no other.
    expect(s.requestsTo('/api/v3/allOrders').map((r) => r.query['symbol'])).toEqual(['XRPUSDT']);
  });
});
