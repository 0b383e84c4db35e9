import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { bareProfile } from '../helpers/bare-profile.js';


async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let server: UpbitServer;
beforeAll(async () => {
  server = await UpbitServer.start({ enforceRateLimits: false, markets: [{ code: 'KRW-BTC', price: 95_000_000 }, { code: 'KRW-XRP', price: 3000 }] });
});
afterAll(async () => {
  await server.close();
});

describe('coinrx paper', () => {
  it('exits with one clear line pointing to the demo when Upbit cannot be reached', async () => {
    const port = await closedPort();
    const c = captureIo();
    const code = await main(['paper', '--rest-url', `http://127.0.0.1:${port}`, '--for', '2s'], c.io);
    expect(code).toBe(1);
    const lines = c.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot reach Upbit at http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED.*npm run demo/);
  });

  it('paper-trades live websocket data: ranks, buys on the simulated exchange, fills, and writes the report on stop', async () => {
    const out = mkdtempSync(join(tmpdir(), 'coinrx-paper-'));
    const c = captureIo();
    const run = main(
      ['paper', '--config', bareProfile(), '--rest-url', server.restUrl, '--ws-url', server.wsUrl, '--out', out,
        '--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1',
        '--set', 'exchange.markets=["XRP/KRW"]', '--set', 'strategy.skipBearMarket=false', '--set', 'simulator.fillModel=touch',
        '--set', 'strategy.takeProfit=0.02', '--set', 'strategy.stopLoss=0.05', '--dashboard', '0'],
      c.io,
    );
    await waitFor(() => server.subscriptions.length > 0, 'the paper engine to subscribe');
    // Event time runs on the exchange's timestamps: one trade a minute, a dip under the bid, then a rally.
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    const prices = [3000, 3005, 3010, 3015, 3020, 2995, 2990, 2985, 3000, 3050, 3100, 3150, 3200, 3250, 3300, 3300];
    // One frame stamped a day ahead (an exchange clock jump): dropped and said, not the session's new time.
    server.publishTrade('KRW-XRP', { price: 3000, volume: 1, ts: Date.now() + 86_400_000 });
    prices.forEach((price, i) => server.publishTrade('KRW-XRP', { price, volume: 1000, ts: start + (i + 1) * 60_000 }));
    await waitFor(() => /fill buy/.test(c.out()) && /fill sell/.test(c.out()), 'a buy and a sell fill', 10_000).catch(() => undefined);
    // The dashboard follows the session: mode, the exchange connection's health, the position.
    const url = c.err().match(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
    expect(url).toBeDefined();
    const view = (await (await fetch(`${url}api/view`)).json()) as { mode: string; health: unknown };
    expect(view.mode).toBe('paper');
    expect(JSON.stringify(view.health)).toMatch(/"exchange".*"ok"/);
    c.controller.abort();
    expect(await run).toBe(130);
    expect(c.err()).toMatch(/paper: connection open/);
    expect(c.err()).toMatch(/paper: dropped a trade of XRP\/KRW stamped \S+, more than 60 minutes ahead of this machine's clock/);
    expect(c.out()).toMatch(/fill buy [\d.]+ XRP\/KRW @ \d+/);
    expect(c.out()).toMatch(/fill sell [\d.]+ XRP\/KRW @ \d+/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { quote: string; statistics: { trades: number; winRate: number }; source: { live: string } };
    expect(summary.quote).toBe('KRW');
    expect(summary.source.live).toBe('upbit');
    expect(summary.statistics.trades).toBe(1);
    expect(readFileSync(join(out, 'trades.csv'), 'utf8')).toMatch(/XRP\/KRW.*take-profit/);
  });
});
