import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { waitHealthy } from '../../src/store/index.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

describe.skipIf(skipWithoutRedis())('Redis store close', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("delivers every pub/sub message queued before close, the run's last one included", async () => {
    const listener = new RedisStore({ botId: 'close', url: redis.url });
    const received: number[] = [];
    const sub = await listener.subscribe({ botId: 'close', channels: ['ranking'] }, (m) => received.push((m.message as { ts: number }).ts));
    // Small pipelines, so most of the messages are still queued when close is called.
    const store = new RedisStore({ botId: 'close', url: redis.url, maxBatch: 50 });
    expect(await waitHealthy(store, 5_000)).toBe(true);
    const n = 20_000;
    for (let i = 1; i <= n; i++) store.publish('ranking', { ts: i, ranking: [{ market: 'BTC/KRW', score: i }] });
    await store.close(30_000);
    expect(store.health.droppedMessages).toBe(0);
    await waitFor(() => received.length === n, 'every message at the subscriber', 10_000);
    expect(received[received.length - 1]).toBe(n);
    expect(received).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    await sub.unsubscribe();
    await listener.close();
  });

  it('counts the messages it could not send before closing, never dropping them silently', async () => {
    const store = new RedisStore({ botId: 'close2', url: redis.url, maxBatch: 10 });
    expect(await waitHealthy(store, 5_000)).toBe(true);
    for (let i = 1; i <= 5_000; i++) store.publish('ranking', { ts: i, ranking: [] });
    // No time to send them all: what is left is counted.
    await store.close(0);
    const h = store.health;
    expect(h.droppedMessages).toBeGreaterThan(0);
    expect(h.reason).toMatch(/pub\/sub messages not written to redis/);
  });
});
