import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createStore, storeFromConfig } from '../../src/store/create-store.js';

describe('createStore', () => {
  it('uses the in-memory store without a Redis URL', async () => {
    const store = storeFromConfig(loadConfig({ env: {} }));
    expect(store.backend).toBe('memory');
    expect(store.botId).toBe('coinrx');
    expect(store.health.status).toBe('ok');
    await store.close();
    expect(createStore({ botId: 'b', url: '  ' }).backend).toBe('memory');
  });

  it('uses Redis when REDIS_URL is set, without connecting until used, and never shows the password', async () => {
    const config = loadConfig({ env: { REDIS_URL: 'redis://:pw-123@127.0.0.1:1/0' }, set: ['botId=alpha', 'redis.eventLogMaxAge=1h', 'redis.maxPendingEvents=10'] });
    expect(config.redis.eventLogMaxAge).toBe(3_600_000);
    const store = storeFromConfig(config);
    expect(store.backend).toBe('redis');
    expect(store.botId).toBe('alpha');
    expect(store.health.status).toBe('degraded');
    expect(store.health.reason).toContain('redis://:***@127.0.0.1:1/0');
    expect(store.health.reason).not.toContain('pw-123');
    await store.close(0);
  });
});
