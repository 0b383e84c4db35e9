import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { writeZigzagCandles } from '../helpers/zigzag-candles.js';

describe.skipIf(skipWithoutRedis())('coinrx demo with REDIS_URL', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('writes its snapshots and events to Redis, where status finds the bot', async () => {
    const env = { REDIS_URL: redis.url };
    const demo = captureIo(env);
    const out = mkdtempSync(join(tmpdir(), 'coinrx-demo-redis-'));
    expect(await main(['demo', '--hours', '3', '--markets', '4', '--out', out, '--set', 'botId=demo-redis', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0'], demo.io), demo.err()).toBe(0);
    expect(demo.err()).toMatch(/^demo: written to redis:\/\/127\.0\.0\.1:\d+.* as bot "demo-redis"/m);
    const status = captureIo(env);
    expect(await main(['status', '--set', 'botId=demo-redis', '--json'], status.io), status.err()).toBe(0);
    const s = JSON.parse(status.out()) as { bot: { state: string; stopReason: string; equity: number }; portfolio: { balances: { currency: string }[] } };
    expect(s.bot.state).toBe('stopped');
    expect(s.bot.stopReason).toBe('end of data');
    expect(s.portfolio.balances.map((b) => b.currency)).toContain('KRW');
  });
});

describe('coinrx demo and backtest with a Redis that does not answer', () => {
  it('stop before reading any data, say what to do, and write no report', async () => {
    // A port that was free a moment ago: nothing listens there, so every connection is refused.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const env = { REDIS_URL: `redis://127.0.0.1:${port}` };
    const demoOut = join(mkdtempSync(join(tmpdir(), 'coinrx-demo-deadredis-')), 'out');
    const backtestOut = join(mkdtempSync(join(tmpdir(), 'coinrx-backtest-deadredis-')), 'out');
    const demo = captureIo(env);
    const backtest = captureIo(env);
    const [demoCode, backtestCode] = await Promise.all([
      main(['demo', '--hours', '2', '--markets', '2', '--out', demoOut], demo.io),
      main(['backtest', '--data', writeZigzagCandles(), '--out', backtestOut], backtest.io),
    ]);
    expect(demoCode).toBe(1);
    expect(demo.err()).toMatch(/^coinrx demo: the Redis store is not writable \(.+\); check REDIS_URL or unset it to run in memory$/m);
    expect(backtestCode).toBe(1);
    expect(backtest.err()).toMatch(/^coinrx backtest: the Redis store is not writable \(.+\); check REDIS_URL or unset it to run without checkpoints$/m);
    // The --out folders are made at start (a bad one fails at once); no report is written in them.
    expect(existsSync(join(demoOut, 'summary.json')) || existsSync(join(backtestOut, 'summary.json'))).toBe(false);
  }, 30_000);
});
