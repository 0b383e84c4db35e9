import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { balancesText } from '../../src/cli/commands/status.js';
import { captureIo } from '../helpers/capture-io.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { waitHealthy } from '../../src/store/index.js';
import { writeZigzagCandles } from '../helpers/zigzag-candles.js';

describe.skipIf(skipWithoutRedis())('coinrx status', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('without REDIS_URL says where the snapshots are', async () => {
    const c = captureIo();
    expect(await main(['status'], c.io)).toBe(2);
    expect(c.err()).toMatch(/set REDIS_URL/);
  });

  it("shows the bot's state and its open positions from what a run wrote to Redis", async () => {
    const env = { REDIS_URL: redis.url };
    const c0 = captureIo(env);
    expect(await main(['status', '--set', 'botId=fresh'], c0.io)).toBe(1);
    expect(c0.err()).toMatch(/^coinrx status: bot "fresh": no snapshots in Redis at redis:\/\/127\.0\.0\.1:\d+.*; coinrx status without --bot lists the bots there\)$/m);
    expect(c0.out()).toBe('');

    const set = ['--set', 'botId=stat', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=2', '--set', 'strategy.skipBearMarket=false', '--set', 'simulator.fillModel=touch', '--set', 'features.every=5m'];
    const run = captureIo(env);
    expect(await main(['backtest', '--data', writeZigzagCandles(), '--out', mkdtempSync(join(tmpdir(), 'coinrx-status-')), ...set], run.io), run.err()).toBe(0);

    const c = captureIo(env);
    expect(await main(['status', '--set', 'botId=stat', '--json'], c.io)).toBe(0);
    const status = JSON.parse(c.out()) as { bot: { state: string; stopReason: string; equity: number }; checkpoint: unknown; models: unknown; portfolio: { equity: number; balances: { currency: string }[] }; positions: { market: string; state: string; amount: number }[]; orders: { executed: number; applied: number }[] };
    expect(status.orders.length).toBeGreaterThan(0);
    for (const o of status.orders) expect(o.applied).toBeCloseTo(o.executed, 9);
    expect(status.models).toEqual({ ranking: 'heuristic', strategy: 'rules' });
    expect(status.portfolio.equity).toBeCloseTo(status.bot.equity, 6);
    expect(status.portfolio.balances.map((b) => b.currency)).toContain('KRW');
    expect(status.bot.state).toBe('stopped');
    expect(status.bot.stopReason).toBe('end of data');
    expect(status.bot.equity).toBeGreaterThan(0);
    expect(status.checkpoint).toBeNull(); // a finished run removes its checkpoint
    // Holdings are kept at the end (bot.onStop keep): they are the open positions, with their amounts.
    const summaryOpen = run.out().match(/^open {8}(.*)$/m)?.[1] ?? '';
    expect(status.positions.map((p) => `${p.market} (${p.state})`).join(', ') || 'none').toBe(summaryOpen);
    for (const p of status.positions) expect(p.amount).toBeGreaterThan(0);

    // An entry an earlier version wrote for orders placed by hand (no client id, all under ''): executed 10, applied 14.
    const writer = new RedisStore({ botId: 'stat', url: redis.url });
    expect(await waitHealthy(writer, 5_000)).toBe(true);
    writer.putSnapshot('order', '', JSON.stringify({ orderId: 'u-hand-2', clientId: '', market: 'XRP/KRW', side: 'buy', amount: 10, executed: 10, status: 'open', applied: 14, fills: 2, ts: 1 }));
    await writer.close(2_000);

    const text = captureIo(env);
    expect(await main(['status', '--set', 'botId=stat'], text.io)).toBe(0);
    expect(text.out()).toMatch(/^ {2}1 recorded order\(s\) this bot did not place \(no stat- client id\): not its fills, left out$/m);
    expect(text.out()).toMatch(/^bot "stat": stopped \(end of data\)$/m);
    expect(text.out()).toMatch(/^equity \d+\.\d\d, peak \d+\.\d\d/m);
    expect(text.out()).toMatch(/^models: ranking heuristic, strategy rules$/m);
    expect(text.out()).toMatch(/^balances at \S+: \w+ \d+(\.\d{1,8})?(, \w+ \d+(\.\d{1,8})?)*$/m);
    // Per order, what the exchange executed beside what the bot applied: every fill once.
    expect(text.out()).toMatch(/^orders: \d+, every fill applied exactly once$/m);
    expect(text.out()).toMatch(/^ {2}\S+-b1 buy \S+ \w+: exchange executed [\d.e-]+ of [\d.e-]+, bot applied [\d.e-]+ in \d+ fill\(s\)$/m);
  });
  it('with no bot named lists the bots Redis has (or shows the only one), and writes nothing to Redis', async () => {
    const url = redis.url.replace(/\/\d+$/, '') + '/5';
    const env = { REDIS_URL: url };
    const listener = new RedisStore({ botId: 'listener', url });
    const heard: string[] = [];
    const sub = await listener.subscribe({}, (m) => heard.push(`${m.botId}:${m.name}`));
    const empty = captureIo(env);
    expect(await main(['status'], empty.io), empty.err()).toBe(0);
    expect(empty.out()).toMatch(/^no bot has snapshots in Redis at redis:\/\/127\.0\.0\.1:\d+\/5/);
    const writer = new RedisStore({ botId: 'backtest', url, healthIntervalMs: 0 });
    expect(await waitHealthy(writer, 5_000)).toBe(true);
    writer.putSnapshot('bot', 'bot', JSON.stringify({ value: 'stopped', context: { botId: 'backtest', equity: 10_000, peakEquity: 10_500, dayOpenEquity: 10_000, stopReason: 'end of data', drawdownHalt: false } }));
    await writer.flush();
    await writer.close();
    const one = captureIo(env);
    expect(await main(['status'], one.io), one.err()).toBe(0);
    expect(one.out()).toMatch(/^bot "backtest": stopped \(end of data\)$/m);
    const other = new RedisStore({ botId: 'paper1', url, healthIntervalMs: 0 });
    expect(await waitHealthy(other, 5_000)).toBe(true);
    other.putSnapshot('bot', 'bot', JSON.stringify({ value: 'running', context: { botId: 'paper1', equity: 1, peakEquity: 1, dayOpenEquity: 1, drawdownHalt: false } }));
    await other.flush();
    await other.close();
    const two = captureIo(env);
    expect(await main(['status'], two.io), two.err()).toBe(0);
    expect(two.out()).toBe(`bots in Redis at ${url}: backtest, paper1\nshow one with: coinrx status --bot backtest\n`);
    const chosen = captureIo(env);
    expect(await main(['status', '--bot', 'paper1'], chosen.io), chosen.err()).toBe(0);
    expect(chosen.out()).toMatch(/^bot "paper1": running$/m);
    // Only the writers' own health reached the monitor: status published nothing (no phantom bot "coinrx").
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard.filter((h) => !h.startsWith('backtest:') && !h.startsWith('paper1:'))).toEqual([]);
    await sub.unsubscribe();
    await listener.close();
  });
});

describe('coinrx status balances line', () => {
  it('shows free + locked as an amount (8 decimals at most), not a float sum, and leaves empty ones out', () => {
    expect(balancesText([{ currency: 'USDT', free: 0.1, locked: 0.2 }, { currency: 'BTC', free: 0, locked: 0 }, { currency: 'ETH', free: 0.35293975, locked: 0 }])).toBe('USDT 0.3, ETH 0.35293975');
  });
});
