import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { bareProfile } from '../helpers/bare-profile.js';


let server: UpbitServer;
beforeAll(async () => {
  server = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000, DOGE: 50 }, markets: [{ code: 'KRW-BTC', price: 95_000_000 }, { code: 'KRW-XRP', price: 3000 }, { code: 'KRW-DOGE', price: 300 }] });
});
afterAll(async () => {
  await server.close();
});

describe('coinrx live against the local Upbit server', () => {
  it('refuses without keys, and without --confirm', async () => {
    const a = captureIo();
    expect(await main(['live'], a.io)).toBe(2);
    expect(a.err()).toMatch(/UPBIT_ACCESS_KEY and UPBIT_SECRET_KEY must be set/);
    const b = captureIo({ UPBIT_ACCESS_KEY: 'k', UPBIT_SECRET_KEY: 's' });
    expect(await main(['live'], b.io)).toBe(2);
    expect(b.err()).toMatch(/REAL orders .* add --live/);
    expect(b.err()).not.toMatch(/\bs\b.*secret/);
  });

  it('reconciles first, then places a real limit order with its client id as identifier, and follows its fill', async () => {
    // 50 DOGE were in the account before the bot: reported, never touched.
    const out = mkdtempSync(join(tmpdir(), 'coinrx-live-'));
    const c = captureIo({ UPBIT_ACCESS_KEY: server.accessKey, UPBIT_SECRET_KEY: server.secretKey });
    const run = main(
      ['live', '--live', '--config', bareProfile(), '--exchange-url', server.restUrl, '--out', out,
        '--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1',
        '--set', 'exchange.markets=["XRP/KRW"]', '--set', 'strategy.skipBearMarket=false', '--set', 'allocation.maxPerCoin=0.5'],
      c.io,
    );
    await waitFor(() => /reconciliation: 50 DOGE held outside/.test(c.err()), 'the reconciliation report', 10_000);
    await waitFor(() => /limits: at most 5 positions, 50% of equity per coin/.test(c.err()), 'the limits', 10_000);
    await waitFor(() => server.subscriptions.length > 0, 'the market subscription', 10_000);
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    [3000, 3005, 3010, 3015, 3020].forEach((price, i) => server.publishTrade('KRW-XRP', { price, volume: 1000, ts: start + (i + 1) * 60_000 }));
    await waitFor(() => server.requestsTo('/v1/orders', 'POST').length > 0, 'a limit order on the exchange', 10_000);
    const placed = server.requestsTo('/v1/orders', 'POST')[0]?.body as Record<string, unknown>;
    expect(placed).toMatchObject({ market: 'KRW-XRP', side: 'bid', ord_type: 'limit' });
    expect(String(placed['identifier'])).toMatch(/^coinrx-[0-9a-z]+-1-b1$/);
    const order = server.order({ identifier: String(placed['identifier']) }) as { uuid: string };
    server.fillOrder(order.uuid);
    await waitFor(() => /fill buy [\d.]+ XRP\/KRW/.test(c.out()), 'the fill to reach the engine', 10_000);
    c.controller.abort();
    expect(await run).toBe(130);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { openPositions: { market: string; state: string }[]; source: { exchange: string } };
    expect(summary.source.exchange).toBe('upbit');
    expect(summary.openPositions).toEqual([expect.objectContaining({ market: 'XRP/KRW', state: 'holding' })]);
    // The foreign holding was not sold.
    expect(server.balance('DOGE').balance + server.balance('DOGE').locked).toBe(50);
    // The engine's code was warmed up through the order path before the exchange was contacted.
    const warm = /live: warmed the engine's code up on a throwaway simulated venue: (\d+) generated events, (\d+) orders/.exec(c.err());
    expect(Number(warm?.[2])).toBeGreaterThan(0);
    expect(c.err().indexOf('warmed the engine')).toBeLessThan(c.err().indexOf('reconciliation:'));
  });
});
