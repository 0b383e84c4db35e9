import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { TradeEvent } from '../../src/core/index.js';
import { CcxtExchange } from '../../src/exchange/ccxt/ccxt-exchange.js';
import type { LiveNode } from '../../src/engine/nodes/live-node.js';
import { BinanceServer } from '../helpers/binance-server.js';
import { skipWithoutRedis } from '../helpers/redis-server.js';
import { LiveSessions } from '../helpers/live-sessions.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A bot trading every market on Binance (no `exchange.markets`), killed between placing a buy and writing
 * its position's snapshot; the buy fills while it is down. Binance lists closed orders per market only, and
 * the restart asked none: the order was never adopted, its coins were called "held outside the bot's
 * positions" and never sold. Real ccxt against the local Binance server, a real redis-server.
 */
let server: BinanceServer | undefined;

const config = parseConfig({ botId: 'orph', exchange: { id: 'binance', quote: 'USDT' } });
const sessions = new LiveSessions(config);

async function session(s: BinanceServer, lines: string[]): Promise<LiveNode> {
  const exchange = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, pollIntervalMs: 100 });
  return sessions.node(exchange, lines, s.restUrl);
}

/**
 * A first run that writes its snapshots (a feature batch of a market the exchange does not list: nothing
 * bought) and is killed (`logged`: after its store took the buy's order command, as the engine's recorder
 * writes it before the order leaves); its buy of 20 XRP, placed just before the kill with no snapshot
 * written, fills while it is down.
 */
async function killedWithOrphanBuy(s: BinanceServer, logged: boolean): Promise<void> {
  const first: string[] = [];
  const one = await session(s, first);
  const kernel = one.start();
  await waitFor(() => first.includes('reconciled; trading'), 'trading', 10_000);
  const t0 = Date.now() - 5 * 60_000;
  for (let m = 0; m < 3; m++) kernel.feed({ kind: 'trade', market: 'DOGE/USDT', ts: t0 + m * 60_000, price: 0.1, amount: 1_000 } satisfies TradeEvent);
  const command = { type: 'create', ts: Date.now(), positionId: 'orph-lost-1', clientId: 'orph-lost-1-b1', market: 'XRP/USDT', side: 'buy', price: 0.49, amount: 20 };
  if (logged) one.store.appendEvent({ type: 'order.command', ts: command.ts, data: command });
  await one.store.flush();
  expect((await one.store.loadSnapshots('portfolio')).size).toBe(1);
  expect(s.requestsTo('/api/v3/order', 'POST')).toHaveLength(0);
  await one.close(); // no more writes, as after kill -9

  const placer = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, privateStream: false });
  sessions.closeAfter(placer);
  const orphan = await placer.createLimitOrder({ clientId: command.clientId, market: 'XRP/USDT', side: 'buy', price: 0.49, amount: 20 });
  s.fillOrder(orphan!.id);
  await placer.close();
}

describe.skipIf(skipWithoutRedis())('live restart on Binance trading every market', () => {
  it('adopts a buy of this bot that filled while no snapshot knew it: its position holds the coins and is managed', async () => {
    await sessions.start();
    server = sessions.closeAfter(await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 } }));
    const s = server;
    await killedWithOrphanBuy(s, false);

    const second: string[] = [];
    const restarted = (await session(s, second)).start();
    await waitFor(() => second.includes('reconciled; trading'), 'trading after the restart', 10_000);
    expect(second.some((l) => /orph-lost-1-b1: filled on the exchange but unknown to the snapshots .*adopted by orph-lost-1/.test(l))).toBe(true);
    // The position holds what the buy executed and is managed; the coins are not called foreign.
    expect(restarted.engine.openPositions()).toEqual([expect.objectContaining({ positionId: 'orph-lost-1', market: 'XRP/USDT', state: 'holding' })]);
    expect(restarted.engine.openPositions()[0]!.amount).toBeGreaterThan(19.9);
    expect(second.filter((l) => /held outside the bot's positions/.test(l))).toEqual([]);
    // Bounded: the closed orders of the one market whose coins the account holds were asked, no other.
    expect(s.requestsTo('/api/v3/allOrders').map((r) => r.query['symbol'])).toEqual(['XRPUSDT']);
  });

  it('finds it through the order command the log holds when its coins were sold by hand before the restart: the fill is recorded once, the position closed', async () => {
    await sessions.start();
    server = sessions.closeAfter(await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 } }));
    const s = server;
    await killedWithOrphanBuy(s, true);
    s.setBalance('XRP', 0); // sold by hand while the bot was down: nothing in the balances points at XRP/USDT

    const second: string[] = [];
    const node = await session(s, second);
    const restarted = node.start();
    await waitFor(() => second.includes('reconciled; trading'), 'trading after the restart (the shortfall read again first)', 20_000);
    expect(second.some((l) => /orph-lost-1-b1: filled on the exchange but unknown to the snapshots .*adopted by orph-lost-1/.test(l))).toBe(true);
    expect(second.some((l) => l.startsWith('reconciliation: orph-lost-1 XRP/USDT closed: coins gone: the account holds 0 XRP'))).toBe(true);
    expect(restarted.engine.openPositions()).toEqual([]);
    expect(restarted.engine.results.map((r) => r.positionId)).toEqual(['orph-lost-1']);
    expect(s.requestsTo('/api/v3/allOrders').map((r) => r.query['symbol'])).toEqual(['XRPUSDT']);
    await node.store.flush();
    const fills = [...(await node.store.loadSnapshots('fill')).values()].map((j) => JSON.parse(j) as { clientId: string; amount: number });
    expect(fills.map((f) => [f.clientId, f.amount])).toEqual([['orph-lost-1-b1', 20]]);
  });
});
