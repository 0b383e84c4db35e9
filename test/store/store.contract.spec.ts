/**
 * One behaviour, two stores: every test here runs against the in-memory store and against the Redis
 * store on a real redis-server (loopback, free port, persistence off, stopped afterwards).
 */
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, parseChannelMessage, type ChannelName, type ChannelPayload } from '../../src/store/channels.js';
import { compareEventIds } from '../../src/store/event-id.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { EventLogLimits, ReceivedMessage, Store } from '../../src/store/store.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const skipRedis = skipWithoutRedis();
let server: RedisTestServer | undefined;
let seq = 0;

interface Backend {
  readonly name: 'memory' | 'redis';
  open(options?: { botId?: string; eventLog?: EventLogLimits; now?: () => number }): Store;
}

const backends: Backend[] = [
  { name: 'memory', open: (o = {}) => new MemoryStore({ botId: o.botId ?? `bot${++seq}`, ...(o.eventLog ? { eventLog: o.eventLog } : {}), ...(o.now ? { now: o.now } : {}) }) },
  {
    name: 'redis',
    open: (o = {}) =>
      new RedisStore({ url: (server as RedisTestServer).url, botId: o.botId ?? `bot${++seq}`, ...(o.eventLog ? { eventLog: o.eventLog } : {}), ...(o.now ? { now: o.now } : {}) }),
  },
];

beforeAll(async () => {
  if (!skipRedis) server = await RedisTestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

const samples: { [C in ChannelName]: ChannelPayload<C> } = {
  ranking: { ts: 1, ranking: [{ market: 'BTC/KRW', score: 0.7 }, { market: 'ETH/KRW', score: 0.4 }] },
  decisions: { ts: 2, kind: 'BUY', market: 'BTC/KRW', reason: 'rank', score: 0.7, price: 100 },
  positions: { ts: 3, positionId: 'p-1', market: 'BTC/KRW', from: 'buying', state: 'holding', event: 'order.fill', amount: 0.1, entryPrice: 100 },
  fills: { ts: 4, positionId: 'p-1', orderId: 'o1', clientId: 'p-1-b1', market: 'BTC/KRW', side: 'buy', price: 100, amount: 0.1, fee: 0.005 },
  stats: { ts: 5, equity: 1_000_000, invested: 10, openPositions: 1, closedPositions: 0, winRate: 0, realizedPnl: 0 },
  health: { ts: 6, component: 'exchange', status: 'ok', reason: 'connected' },
};

describe.each(backends)('store contract: $name', (backend) => {
  const skip = backend.name === 'redis' && skipRedis;

  async function open(options?: Parameters<Backend['open']>[0]): Promise<Store> {
    const store = backend.open(options);
    store.putSnapshot('bot', '_warmup', '{}');
    store.deleteSnapshot('bot', '_warmup');
    await firstValueFrom(store.health$.pipe(filter((h) => h.status === 'ok')));
    return store;
  }

  it.skipIf(skip)('reports ok health once usable', async () => {
    const store = await open();
    expect(store.health.status).toBe('ok');
    expect(store.health.droppedEvents).toBe(0);
    expect(await store.flush()).toBe(true);
    await store.close();
  });

  it.skipIf(skip)('keeps the latest snapshot per kind and id, deletes, and coalesces rewrites', async () => {
    const store = await open();
    for (let i = 0; i < 100; i++) store.putSnapshot('position', 'p-1', JSON.stringify({ value: 'holding', n: i }));
    store.putSnapshot('position', 'p-2', '{"value":"buying"}');
    store.putSnapshot('position', 'p-3', '{"value":"selling"}');
    store.deleteSnapshot('position', 'p-3');
    store.putSnapshot('bot', 'bot', '{"value":"running"}');
    store.putSnapshot('portfolio', 'portfolio', '{"cash":1}');
    store.putSnapshot('model', 'ranker', '{"version":"v3"}');
    // Visible before and after the flush.
    expect((await store.loadSnapshots('position')).get('p-1')).toBe('{"value":"holding","n":99}');
    expect(await store.flush()).toBe(true);
    const positions = await store.loadSnapshots('position');
    expect([...positions.keys()].sort()).toEqual(['p-1', 'p-2']);
    expect(JSON.parse(positions.get('p-1') as string)).toEqual({ value: 'holding', n: 99 });
    expect((await store.loadSnapshots('bot')).get('bot')).toBe('{"value":"running"}');
    expect((await store.loadSnapshots('portfolio')).get('portfolio')).toBe('{"cash":1}');
    expect((await store.loadSnapshots('model')).get('ranker')).toBe('{"version":"v3"}');
    await store.close();
  });

  it.skipIf(skip)('namespaces snapshots and the log by bot id', async () => {
    const a = await open();
    const b = await open();
    a.putSnapshot('position', 'p-1', '"a"');
    a.appendEvent({ type: 'decision', ts: 1, data: { from: 'a' } });
    b.putSnapshot('position', 'p-1', '"b"');
    await Promise.all([a.flush(), b.flush()]);
    expect((await a.loadSnapshots('position')).get('p-1')).toBe('"a"');
    expect((await b.loadSnapshots('position')).get('p-1')).toBe('"b"');
    expect(await b.readEvents()).toEqual([]);
    expect(await a.readEvents()).toHaveLength(1);
    await Promise.all([a.close(), b.close()]);
  });

  it.skipIf(skip)('appends every event with increasing ids and reads them back in order, in pages', async () => {
    const store = await open();
    const ids: string[] = [];
    const types = ['decision', 'order.command', 'order.event', 'fill'] as const;
    for (let i = 0; i < 2500; i++) ids.push(store.appendEvent({ type: types[i % 4] as (typeof types)[number], ts: 1000 + i, data: { i, market: 'BTC/KRW', nested: { ok: true } } }));
    for (let i = 1; i < ids.length; i++) expect(compareEventIds(ids[i] as string, ids[i - 1] as string)).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await store.flush()).toBe(true);
    const all = [];
    let from: string | undefined;
    for (;;) {
      const page = await store.readEvents(from, 1000);
      if (page.length === 0) break;
      all.push(...page);
      from = page[page.length - 1]?.id;
    }
    expect(all.map((e) => e.id)).toEqual(ids);
    expect(all[7]).toEqual({ id: ids[7], type: 'fill', ts: 1007, data: { i: 7, market: 'BTC/KRW', nested: { ok: true } } });
    const after = await store.readEvents(ids[2497]);
    expect(after.map((e) => e.id)).toEqual([ids[2498], ids[2499]]);
    await store.close();
  });

  it.skipIf(skip)('bounds the log by length (approximately on Redis)', async () => {
    const store = await open({ eventLog: { maxLen: 100 } });
    let last = '';
    for (let i = 0; i < 3000; i++) last = store.appendEvent({ type: 'fill', ts: i, data: i });
    expect(await store.flush()).toBe(true);
    const kept = await store.readEvents(undefined, 10_000);
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept.length).toBeLessThan(1000);
    expect(kept.at(-1)?.id).toBe(last);
    await store.close();
  });

  it.skipIf(skip)('bounds the log by age (approximately on Redis)', async () => {
    let now = Date.now();
    const store = await open({ eventLog: { maxAgeMs: 3_600_000 }, now: () => now });
    for (let i = 0; i < 1000; i++) store.appendEvent({ type: 'decision', ts: i, data: 'old' });
    expect(await store.flush()).toBe(true);
    now += 2 * 3_600_000;
    for (let i = 0; i < 10; i++) store.appendEvent({ type: 'decision', ts: i, data: 'new' });
    expect(await store.flush()).toBe(true);
    const kept = await store.readEvents(undefined, 10_000);
    expect(kept.length).toBeLessThan(200);
    expect(kept.filter((e) => e.data === 'new')).toHaveLength(10);
    await store.close();
  });

  it.skipIf(skip)('publishes every channel with v:1 and the bot id, valid against its schema', async () => {
    const store = await open();
    const received: ReceivedMessage[] = [];
    const subscription = await store.subscribe({ botId: store.botId }, (m) => received.push(m));
    for (const name of CHANNEL_NAMES) store.publish(name, samples[name] as never);
    await waitFor(() => received.filter((m) => m.name !== 'health' || (m.message as { component?: string }).component === 'exchange').length >= CHANNEL_NAMES.length, 'a message on every channel');
    for (const name of CHANNEL_NAMES) {
      const got = received.find((m) => m.name === name && !(name === 'health' && (m.message as { component?: string }).component === 'store'));
      expect(got?.channel).toBe(`coinrx:${store.botId}:${name}`);
      expect(got?.botId).toBe(store.botId);
      expect(got?.message).toEqual({ v: 1, bot: store.botId, ...samples[name] });
      expect(parseChannelMessage(name, got?.message).ok).toBe(true);
    }
    await subscription.unsubscribe();
    await store.close();
  });

  it.skipIf(skip)('filters subscriptions by channel and stops after unsubscribe', async () => {
    const store = await open();
    const fills: ReceivedMessage[] = [];
    const subscription = await store.subscribe({ botId: store.botId, channels: ['fills'] }, (m) => fills.push(m));
    store.publish('ranking', samples.ranking);
    store.publish('fills', samples.fills);
    await waitFor(() => fills.length === 1, 'the fill');
    await new Promise((r) => setTimeout(r, 50));
    expect(fills.map((m) => m.name)).toEqual(['fills']);
    await subscription.unsubscribe();
    store.publish('fills', samples.fills);
    await new Promise((r) => setTimeout(r, 100));
    expect(fills).toHaveLength(1);
    await store.close();
  });

  it.skipIf(skip)('ignores writes after close without throwing', async () => {
    const store = await open();
    await store.close();
    expect(() => {
      store.putSnapshot('bot', 'bot', '{}');
      store.deleteSnapshot('bot', 'bot');
      store.appendEvent({ type: 'decision', ts: 1, data: null });
      store.publish('stats', samples.stats);
    }).not.toThrow();
  });
});
