/**
 * Redis lost mid-run: the server is killed (SIGKILL) while the store keeps being written, then started
 * again on the same port with an empty dataset (persistence is off). The store must report `degraded`,
 * keep every write queued (bounded), never throw, and resync by itself: every latest snapshot present,
 * no event-log entry lost or duplicated, a health message on the channel saying what happened.
 */
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import type { ReceivedMessage, StoreHealth } from '../../src/store/store.js';
import { freePort, RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const skip = skipWithoutRedis();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function startServer(options?: Parameters<typeof RedisTestServer.start>[0]): Promise<RedisTestServer> {
  const server = await RedisTestServer.start(options);
  cleanup.push(() => server.stop());
  return server;
}

function openStore(url: string, botId: string, extra: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}): RedisStore {
  const store = new RedisStore({ url, botId, reconnect: { minMs: 20, maxMs: 200 }, ...extra });
  cleanup.push(() => store.close(500));
  return store;
}

function until(store: RedisStore, check: (h: StoreHealth) => boolean): Promise<StoreHealth> {
  return firstValueFrom(store.health$.pipe(filter(check)));
}

describe.skipIf(skip)('redis store across a redis restart', () => {
  it('queues writes while redis is down, says so, and resyncs every snapshot and log entry when it returns', async () => {
    const server = await startServer();
    // The heartbeat republishes the store's health, so the monitor sees the resync even if its own
    // connection came back after the store's.
    const store = openStore(server.url, 'restart', { healthIntervalMs: 100 });
    const healths: StoreHealth[] = [];
    store.health$.subscribe((h) => healths.push(h));
    const monitor = openStore(server.url, 'restart-monitor');
    const seen: ReceivedMessage[] = [];
    await monitor.subscribe({ botId: 'restart', channels: ['health', 'fills'] }, (m) => seen.push(m));

    // A run before the crash.
    const ids: string[] = [];
    const latest = new Map<string, string>();
    const put = (id: string, state: string, n: number): void => {
      const json = JSON.stringify({ value: state, context: { n } });
      latest.set(id, json);
      store.putSnapshot('position', id, json);
    };
    let n = 0;
    for (let p = 1; p <= 20; p++) put(`p-${p}`, 'buying', n++);
    store.putSnapshot('bot', 'bot', '{"value":"running"}');
    for (let i = 0; i < 300; i++) ids.push(store.appendEvent({ type: 'order.command', ts: i, data: { i } }));
    await until(store, (h) => h.status === 'ok');
    expect(await store.flush()).toBe(true);
    store.publish('fills', { ts: 1, orderId: 'o1', clientId: 'p-1-b1', market: 'BTC/KRW', side: 'buy', price: 1, amount: 1, fee: 0 });
    await waitFor(() => seen.some((m) => m.name === 'fills'), 'the fill published', 10_000, 20);

    // Redis dies mid-run; the loop goes on.
    await server.kill();
    await until(store, (h) => h.status === 'degraded');
    expect(store.health.reason).toMatch(/redis unavailable/);
    expect(() => {
      for (let p = 1; p <= 20; p += 2) put(`p-${p}`, 'holding', n++);
      store.deleteSnapshot('position', 'p-2');
      latest.delete('p-2');
      put('p-21', 'buying', n++);
      store.putSnapshot('bot', 'bot', '{"value":"paused"}');
      for (let i = 300; i < 800; i++) ids.push(store.appendEvent({ type: i % 2 ? 'fill' : 'order.event', ts: i, data: { i } }));
      store.publish('fills', { ts: 2, orderId: 'o2', clientId: 'p-1-s2', market: 'BTC/KRW', side: 'sell', price: 1, amount: 1, fee: 0 });
    }).not.toThrow();
    expect(await store.flush(200)).toBe(false);
    expect(store.health.status).toBe('degraded');
    expect(store.health.pendingEvents).toBeGreaterThanOrEqual(500);
    await new Promise((r) => setTimeout(r, 300)); // a few reconnect attempts, no crash

    // Redis is back, empty.
    await server.restart();
    const back = await until(store, (h) => h.status === 'ok');
    expect(back.reason).toMatch(/resynced after/);
    expect(back.reason).toMatch(/300 log entries rewritten/);
    for (let i = 800; i < 850; i++) ids.push(store.appendEvent({ type: 'decision', ts: i, data: { i } }));
    put('p-1', 'selling', n++);
    expect(await store.flush()).toBe(true);

    // A fresh reader sees exactly the latest state and the whole log, once, in order.
    const reader = openStore(server.url, 'restart');
    const positions = await reader.loadSnapshots('position');
    expect(Object.fromEntries(positions)).toEqual(Object.fromEntries(latest));
    expect((await reader.loadSnapshots('bot')).get('bot')).toBe('{"value":"paused"}');
    const log = await reader.readEvents(undefined, 10_000);
    expect(log.map((e) => e.id)).toEqual(ids);
    expect(log.map((e) => (e.data as { i: number }).i)).toEqual(ids.map((_, i) => i));

    // The monitor's subscription came back by itself and got the store's health message.
    await waitFor(() => seen.some((m) => m.name === 'health' && /resynced/.test((m.message as { reason: string }).reason)), 'the resynced health message', 10_000, 20);
    const health = seen.find((m) => m.name === 'health' && /resynced/.test((m.message as { reason: string }).reason))?.message as Record<string, unknown>;
    expect(health).toMatchObject({ v: 1, bot: 'restart', component: 'store', status: 'ok' });
    expect(health['droppedMessages']).toBeGreaterThanOrEqual(1);
    expect(healths.map((h) => h.status)).toEqual(expect.arrayContaining(['degraded', 'ok']));
    expect(store.health.droppedEvents).toBe(0);
  });

  it('caps the queue while redis is down, drops the oldest waiting entries and counts them', async () => {
    const server = await startServer();
    const store = openStore(server.url, 'capped', { maxPendingEvents: 100 });
    const before: string[] = [];
    for (let i = 0; i < 50; i++) before.push(store.appendEvent({ type: 'fill', ts: i, data: i }));
    await until(store, (h) => h.status === 'ok');
    expect(await store.flush()).toBe(true);
    await server.kill();
    await until(store, (h) => h.status === 'degraded');
    const during: string[] = [];
    for (let i = 50; i < 300; i++) during.push(store.appendEvent({ type: 'fill', ts: i, data: i }));
    expect(store.health.droppedEvents).toBe(150);
    expect(store.health.pendingEvents).toBe(100);
    expect(store.health.reason).toMatch(/queue full/);
    await server.restart();
    const back = await until(store, (h) => h.status === 'ok');
    expect(back.reason).toMatch(/150 log entries dropped \(buffer cap 100\)/);
    expect(await store.flush()).toBe(true);
    const log = await store.readEvents(undefined, 10_000);
    expect(log.map((e) => e.id)).toEqual([...before, ...during.slice(150)]);
  });

  it('starts without redis: degraded, reads fail with a clear error, writes are kept, no password in any message', async () => {
    const port = await freePort();
    const url = `redis://:hunter2secret@127.0.0.1:${port}`;
    const store = openStore(url, 'late', { readTimeoutMs: 300 });
    store.putSnapshot('portfolio', 'portfolio', '{"cash":5}');
    const id = store.appendEvent({ type: 'decision', ts: 1, data: 'first' });
    await until(store, (h) => h.status === 'degraded' && /ECONNREFUSED/.test(h.reason));
    expect(store.health.reason).not.toContain('hunter2secret');
    expect(store.health.reason).toContain('***');
    const error = await store.loadSnapshots('portfolio').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/redis unavailable/);
    expect(error?.message).not.toContain('hunter2secret');

    await startServer({ port, args: ['--requirepass', 'hunter2secret'] });
    await until(store, (h) => h.status === 'ok');
    expect(store.health.reason).not.toContain('hunter2secret');
    expect(await store.flush()).toBe(true);
    expect((await store.loadSnapshots('portfolio')).get('portfolio')).toBe('{"cash":5}');
    expect((await store.readEvents()).map((e) => e.id)).toEqual([id]);
  });

  it('keeps writes when redis refuses them (OOM) and writes them once it accepts again', async () => {
    const server = await startServer();
    const admin = new Redis(server.url);
    cleanup.push(async () => void admin.disconnect());
    const store = openStore(server.url, 'oom');
    store.putSnapshot('bot', 'bot', '"a"');
    await until(store, (h) => h.status === 'ok');
    expect(await store.flush()).toBe(true);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(store.appendEvent({ type: 'decision', ts: i, data: i }));
    store.putSnapshot('bot', 'bot', '"b"');
    const down = await until(store, (h) => h.status === 'degraded');
    expect(down.reason).toMatch(/OOM/);
    expect(await store.flush(200)).toBe(false);
    await admin.config('SET', 'maxmemory', '0');
    await until(store, (h) => h.status === 'ok');
    expect(await store.flush()).toBe(true);
    expect((await store.readEvents()).map((e) => e.id)).toEqual(ids);
    expect(await admin.hget('coinrx:oom:snapshots:bot', 'bot')).toBe('"b"');
  });

  it('sends one write per snapshot key however often it changes between flushes', async () => {
    const server = await startServer();
    const store = openStore(server.url, 'coalesce');
    store.putSnapshot('bot', 'x', '0');
    await until(store, (h) => h.status === 'ok');
    expect(await store.flush()).toBe(true);
    const admin = openStore(server.url, 'coalesce');
    await admin.loadSnapshots('bot');
    for (let i = 0; i < 1000; i++) store.putSnapshot('position', 'p-1', JSON.stringify({ i }));
    expect(await store.flush()).toBe(true);
    expect((await admin.loadSnapshots('position')).get('p-1')).toBe('{"i":999}');
    // Only the last of the thousand reached Redis: the key was written once.
    expect(await commandCalls(server.port, 'hset')).toBeLessThanOrEqual(2);
  });
});

/** Calls of one command since the server started, from INFO commandstats over a raw socket. */
async function commandCalls(port: number, command: string): Promise<number> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let text = '';
    socket.once('error', reject);
    socket.once('connect', () => socket.write('INFO commandstats\r\n'));
    socket.on('data', (d) => {
      text += d.toString();
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header && Buffer.byteLength(text) >= header[0].length + Number(header[1])) {
        socket.destroy();
        const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(text);
        resolve(match ? Number(match[1]) : 0);
      }
    });
  });
}
