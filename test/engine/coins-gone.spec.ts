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
 * A position whose coins the trader sold or withdrew by hand: every sell the bot asks for is refused for
 * want of coins. Before, the position stayed `holding` for good, took a slot and asked again after every
 * cool-down; now the account is read afresh and the position is closed with the reason, at the refused
 * sell while running and at the reconciliation of a restart. Real ccxt against the local Binance server,
 * a real redis-server.
 */
let server: BinanceServer | undefined;

const config = parseConfig({ botId: 'gone', exchange: { id: 'binance', quote: 'USDT', markets: ['XRP/USDT'] }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
const sessions = new LiveSessions(config);

async function session(s: BinanceServer, lines: string[]): Promise<LiveNode> {
  const exchange = new CcxtExchange({ exchangeId: 'binance', apiKey: s.apiKey, secret: s.secret, restUrl: s.restUrl, pollIntervalMs: 100 });
  return sessions.node(exchange, lines, s.restUrl);
}

/** A node holding XRP bought by its strategy: a rising market under the exchange's price, the buy filled. */
async function holding(lines: string[]): Promise<{ node: LiveNode; kernel: ReturnType<LiveNode['start']>; trade: (minute: number, price: number) => TradeEvent }> {
  const s = server!;
  const node = await session(s, lines);
  const kernel = node.start();
  await waitFor(() => lines.includes('reconciled; trading'), 'trading', 10_000);
  const t0 = Date.now() - 10 * 60_000;
  const trade = (minute: number, price: number): TradeEvent => ({ kind: 'trade', market: 'XRP/USDT', ts: t0 + minute * 60_000, price, amount: 1_000 });
  for (let m = 0; m < 6; m++) kernel.feed(trade(m, 0.49 + m * 0.001));
  await waitFor(() => node.account.getOpenOrders().length === 1, 'the buy resting', 5_000);
  s.fillOrder(node.account.getOpenOrders()[0]!.id);
  await waitFor(() => kernel.engine.openPositions()[0]?.state === 'holding', 'the buy filled', 5_000);
  return { node, kernel, trade };
}

describe.skipIf(skipWithoutRedis())('a position whose coins were sold or withdrawn by hand', () => {
  it('while running: the refused sell has the account read, and the position is closed with the reason', async () => {
    await sessions.start();
    server = sessions.closeAfter(await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 } }));
    const lines: string[] = [];
    const { node, kernel, trade } = await holding(lines);
    const bought = kernel.engine.openPositions()[0]!;
    expect(server.balance('XRP').free).toBeGreaterThan(0);
    server.setBalance('XRP', 0); // sold by hand on the exchange's site

    // The take-profit's sell, decided at the next feature batch, is refused: the account holds no XRP.
    kernel.feed(trade(7, 0.53));
    kernel.feed(trade(8, 0.53));
    await waitFor(() => kernel.engine.results.length === 1, 'the position closed', 10_000);
    const result = kernel.engine.results[0]!;
    expect(result).toMatchObject({ positionId: bought.positionId, market: 'XRP/USDT', received: 0 });
    expect(result.reason).toMatch(/^coins gone: the account holds 0 XRP, the position .* \(sold or withdrawn outside the bot\)$/);
    expect(kernel.engine.openPositions()).toEqual([]);
    expect(lines.some((l) => l.startsWith(`${bought.positionId} XRP/USDT closed: coins gone`))).toBe(true);
    // One sell was asked for, refused once; nothing rests and nothing is asked again.
    await new Promise((r) => setTimeout(r, 500));
    expect(server.requestsTo('/api/v3/order', 'POST').filter((r) => r.query['side'] === 'SELL' || r.body?.['side'] === 'SELL')).toHaveLength(1);
    expect(node.account.getOpenOrders()).toEqual([]);
    await node.store.flush();
    expect((await node.store.loadSnapshots('position')).size).toBe(0);
  });

  it('coins partly sold: what is left is sellable, so the position is not closed and sells the rest', async () => {
    await sessions.start();
    server = sessions.closeAfter(await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 } }));
    const lines: string[] = [];
    const { node, kernel, trade } = await holding(lines);
    const held = server.balance('XRP').free;
    server.setBalance('XRP', Math.floor(held / 2));
    await waitFor(() => node.account.getBalance('XRP').free === Math.floor(held / 2), 'the balance push', 5_000);
    kernel.feed(trade(7, 0.53));
    kernel.feed(trade(8, 0.53));
    await waitFor(() => node.account.getOpenOrders().some((o) => o.side === 'sell'), 'the sell resting', 5_000);
    const sell = node.account.getOpenOrders().find((o) => o.side === 'sell')!;
    // Cut to the coins held, not refused and not closed as gone.
    expect(sell.amount).toBe(Math.floor(held / 2));
    expect(lines.filter((l) => /coins gone/.test(l))).toEqual([]);
  });

  it('the buy’s fee taken in the coin (Binance): the position counts the coins it got, sells them, and pays the fee once', async () => {
    await sessions.start();
    // A position of about 19,000 USDT: the 0.1 % its buy paid in XRP is worth more than the 5 USDT minimum order.
    // Before, the position counted the fee's coins as held: its second sell was refused for want of them.
    server = sessions.closeAfter(await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 100_000 } }));
    const lines: string[] = [];
    const { node, kernel, trade } = await holding(lines);
    const got = server.balance('XRP').free;
    const position = kernel.engine.openPositions()[0]!;
    expect(position.amount * 0.001 * 0.5).toBeGreaterThan(5);
    // The coins the account received, not the coins bought before the fee.
    expect(position.amount).toBeCloseTo(got, 8);
    kernel.feed(trade(7, 0.53));
    kernel.feed(trade(8, 0.53));
    await waitFor(() => node.account.getOpenOrders().some((o) => o.side === 'sell'), 'the sell resting', 5_000);
    const sell = node.account.getOpenOrders().find((o) => o.side === 'sell')!;
    // All of it in whole lots (the server's XRP step is 0.1): what is under a lot stays as dust.
    expect(sell.amount).toBeCloseTo(Math.floor(got * 10) / 10, 9);
    server.fillOrder(sell.id);
    await waitFor(() => node.account.getOpenOrders().length === 0, 'the sell filled', 5_000);
    const usdtMoved = server.balance('USDT').free - 100_000; // before the strategy's next buy
    // The dust under the lot step is closed at the next exit, without asking for another sell.
    kernel.feed(trade(9, 0.53));
    kernel.feed(trade(10, 0.53));
    await waitFor(() => kernel.engine.results.length === 1, 'the position closed', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(server.requestsTo('/api/v3/order', 'POST').filter((r) => r.query['side'] === 'SELL' || r.body?.['side'] === 'SELL')).toHaveLength(1);
    const result = kernel.engine.results[0]!;
    expect(result.amount).toBeCloseTo(got, 8);
    // The round trip's P&L is what the account's USDT moved by: the buy's fee counted once (before, twice:
    // as the fee and as coins bought and never sold, 0.1 % of the position).
    expect(result.pnl).toBeCloseTo(usdtMoved, 6);
    expect(result.spent).toBeCloseTo(result.received - usdtMoved, 6);
    expect(lines.filter((l) => /coins gone|dust:/.test(l))).toEqual([]);
  });

  it('at a restart: the reconciliation closes the restored position whose coins are gone, and says so', async () => {
    await sessions.start();
    server = sessions.closeAfter(await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 1_000 } }));
    const first: string[] = [];
    const { node, kernel } = await holding(first);
    const bought = kernel.engine.openPositions()[0]!;
    await node.store.flush();
    await node.close();
    server.setBalance('XRP', 0); // withdrawn while the bot was down

    const second: string[] = [];
    const again = await session(server, second);
    const restarted = again.start();
    await waitFor(() => second.includes('reconciled; trading'), 'trading after the restart (the shortfall read again first)', 20_000);
    expect(second.some((l) => l.startsWith(`reconciliation: ${bought.positionId} XRP/USDT closed: coins gone: the account holds 0 XRP`))).toBe(true);
    expect(restarted.engine.openPositions()).toEqual([]);
    expect(restarted.engine.results.map((r) => r.positionId)).toEqual([bought.positionId]);
    await again.store.flush();
    expect((await again.store.loadSnapshots('position')).size).toBe(0);
  });
});
