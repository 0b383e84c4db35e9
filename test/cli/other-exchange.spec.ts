import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BinanceServer } from '../helpers/binance-server.js';
import { captureIo } from '../helpers/capture-io.js';
import { waitFor } from '../helpers/wait-for.js';
import { bareProfile } from '../helpers/bare-profile.js';

/** Paper and live sessions on an exchange other than Upbit: Binance spot, through the same ccxt adapter. */
let server: BinanceServer;
beforeAll(async () => {
  server = await BinanceServer.start({ enforceRateLimits: false, balances: { USDT: 10_000, ETH: 2 } });
});
afterAll(async () => {
  await server.close();
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const SESSION = ['--set', 'exchange.id=binance', '--set', 'exchange.quote=USDT', '--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1', '--set', 'exchange.markets=["XRP/USDT"]', '--set', 'strategy.skipBearMarket=false'];

describe('coinrx paper and live on Binance', () => {
  it('paper: one clear line when the exchange cannot be reached; a clear error for an unknown exchange or a quote it lacks', async () => {
    const port = await closedPort();
    const a = captureIo();
    expect(await main(['paper', '--exchange-url', `http://127.0.0.1:${port}`, '--set', 'exchange.id=binance', '--set', 'exchange.quote=USDT', '--for', '2s'], a.io)).toBe(1);
    const lines = a.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot reach binance at http:\/\/127\.0\.0\.1:\d+ .*npm run demo/);
    const b = captureIo();
    expect(await main(['paper', '--set', 'exchange.id=nosuchexchange', '--for', '1s'], b.io)).toBe(2);
    expect(b.err()).toMatch(/exchange\.id: unknown exchange "nosuchexchange"/);
    const c = captureIo();
    expect(await main(['paper', '--exchange-url', server.restUrl, '--set', 'exchange.id=binance', '--for', '1s'], c.io)).toBe(2);
    expect(c.err()).toMatch(/exchange\.quote: binance has no KRW spot markets/);
  });

  it('paper: live Binance trades through ccxt.pro drive the engine on the simulated exchange with Binance’s rules', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-paper-binance-'));
    const subscribed = server.subscriptions.length;
    const c = captureIo();
    const run = main(['paper', '--config', bareProfile(), '--exchange-url', server.restUrl, '--out', out, ...SESSION, '--set', 'simulator.fillModel=touch', '--set', 'strategy.takeProfit=0.02', '--set', 'strategy.stopLoss=0.05'], c.io);
    await waitFor(() => server.subscriptions.slice(subscribed).some((s) => JSON.stringify(s).includes('xrpusdt@trade')), 'the trade subscription', 10_000);
    // One trade a minute on XRP/USDT (tick 0.0001): a dip under the bid, then a rally.
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    const prices = [3000, 3005, 3010, 3015, 3020, 2995, 2990, 2985, 3000, 3050, 3100, 3150, 3200, 3250, 3300, 3300];
    prices.forEach((p, i) => server.publishTrade('XRPUSDT', { price: p / 10_000, qty: 1_000, ts: start + (i + 1) * 60_000 }));
    await waitFor(() => /fill buy/.test(c.out()) && /fill sell/.test(c.out()), 'a buy and a sell fill', 10_000).catch(() => undefined);
    c.controller.abort();
    expect(await run).toBe(130);
    expect(c.err()).toMatch(/paper: 1 USDT markets on binance/);
    expect(c.err()).toMatch(/paper: connection open/);
    expect(c.out()).toMatch(/fill buy [\d.]+ XRP\/USDT @ [\d.]+/);
    expect(c.out()).toMatch(/fill sell [\d.]+ XRP\/USDT @ [\d.]+/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { quote: string; statistics: { trades: number }; source: { live: string; exchange: string } };
    expect(summary).toMatchObject({ quote: 'USDT', source: { live: 'binance', exchange: 'simulated' } });
    expect(summary.statistics.trades).toBe(1);
    expect(readFileSync(join(out, 'trades.csv'), 'utf8')).toMatch(/XRP\/USDT.*take-profit/);
    // Binance's rules, not inferred ones: amounts on the 0.1 XRP step, prices on the 0.0001 tick.
    for (const [, amount, price] of c.out().matchAll(/fill (?:buy|sell) ([\d.]+) XRP\/USDT @ ([\d.]+)/g)) {
      expect(Math.abs(Number(amount) * 10 - Math.round(Number(amount) * 10))).toBeLessThan(1e-6);
      expect(Math.abs(Number(price) * 1e4 - Math.round(Number(price) * 1e4))).toBeLessThan(1e-6);
    }
  });

  it('live: keys from BINANCE_API_KEY / BINANCE_SECRET, the reconciliation first, then a real limit order with its client id, and its fill', async () => {
    const none = captureIo();
    expect(await main(['live', '--live', '--set', 'exchange.id=binance'], none.io)).toBe(2);
    expect(none.err()).toMatch(/BINANCE_API_KEY and BINANCE_SECRET must be set for live trading on binance/);
    const out = mkdtempSync(join(tmpdir(), 'coinrx-live-binance-'));
    const subscribed = server.subscriptions.length;
    const c = captureIo({ BINANCE_API_KEY: server.apiKey, BINANCE_SECRET: server.secret });
    const run = main(['live', '--live', '--config', bareProfile(), '--exchange-url', server.restUrl, '--out', out, ...SESSION, '--set', 'allocation.maxPerCoin=0.5'], c.io);
    await waitFor(() => /reconciliation: 2 ETH held outside/.test(c.err()), 'the reconciliation report', 10_000);
    await waitFor(() => server.subscriptions.slice(subscribed).some((s) => JSON.stringify(s).includes('xrpusdt@trade')), 'the trade subscription', 10_000);
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    [3000, 3005, 3010, 3015, 3020].forEach((p, i) => server.publishTrade('XRPUSDT', { price: p / 10_000, qty: 1_000, ts: start + (i + 1) * 60_000 }));
    await waitFor(() => server.requestsTo('/api/v3/order', 'POST').length > 0, 'a limit order on the exchange', 10_000);
    const placed = server.requestsTo('/api/v3/order', 'POST')[0]!.body!;
    expect(placed).toMatchObject({ symbol: 'XRPUSDT', side: 'BUY', type: 'LIMIT' });
    expect(placed['newClientOrderId']).toMatch(/^coinrx-[0-9a-z]+-1-b1$/);
    const order = server.order({ clientOrderId: placed['newClientOrderId']! }) as { orderId: number };
    server.fillOrder(order.orderId);
    await waitFor(() => /fill buy [\d.]+ XRP\/USDT/.test(c.out()), 'the fill to reach the engine', 10_000);
    // The report gives what the exchange holds at the stop, re-read then: a change the bot was not told of
    // (the sockets silent, its next periodic re-read 15 s away) is in summary.json.
    server.stall(true);
    server.setBalance('USDT', 1_234.5);
    c.controller.abort();
    expect(await run).toBe(130);
    server.stall(false);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { openPositions: { market: string; state: string }[]; source: { exchange: string }; balances: Record<string, { free: number; locked: number }> };
    expect(summary.balances['USDT']).toEqual(server.balance('USDT'));
    expect(summary.balances['XRP']).toEqual(server.balance('XRP'));
    expect(summary.source.exchange).toBe('binance');
    expect(summary.openPositions).toEqual([expect.objectContaining({ market: 'XRP/USDT', state: 'holding' })]);
    expect(server.balance('ETH').free).toBe(2);
    expect(c.err()).not.toContain(server.secret);
  });
});
