import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';

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
