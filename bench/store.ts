/**
 * `npm run bench -- store`: what snapshotting and publishing add to the trading loop, per event. Each
 * event is one position transition as the engine reports it: the actor's persisted snapshot (JSON,
 * ~0.6 kB) written to the store, one order event appended to the log and one message published on the
 * positions channel; 50 positions take turns, so rewrites of a key coalesce as they do in a run. The
 * loop yields to the event loop every 500 events (as a live or replayed run does between batches).
 *
 * The same loop runs without the store (baseline), with the in-memory store and with the Redis store
 * (REDIS_URL, else a throwaway redis-server on a free loopback port when one is installed). Figures
 * per event: `loop` is the time the caller spends (the store's sync work plus the flush work that shares
 * the thread), `drained` also waits until Redis acknowledged everything.
 */
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import { hasRedisServer, RedisTestServer } from '../test/helpers/redis-server.js';

const EVENTS = 200_000;
const POSITIONS = 50;
const YIELD_EVERY = 500;

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A persisted position snapshot shaped like XState's `getPersistedSnapshot()` of the position machine. */
function positionSnapshot(i: number): object {
  const p = i % POSITIONS;
  return {
    status: 'active',
    value: ['buying', 'holding', 'selling'][i % 3],
    historyValue: {},
    context: {
      positionId: `bench-${p}`,
      market: `C${p}/KRW`,
      ackTimeoutMs: 60_000,
      buyTimeoutMs: 600_000,
      orderCount: 2,
      buy: { side: 'buy', clientId: `bench-${p}-b1`, price: 1000 + p, amount: 12.5, filled: 12.5, cost: 12_500 + p, fee: 6.25, submittedTs: 1_700_000_000_000 + i, orderId: `o${i}`, acked: true },
      sell: { side: 'sell', clientId: `bench-${p}-s2`, price: 1010 + p, amount: 12.5, filled: 0, cost: 0, fee: 0, submittedTs: 1_700_000_000_000 + i, orderId: undefined, acked: false },
      boughtBefore: 0,
      buyValueBefore: 0,
      buyFeesBefore: 0,
      soldBefore: 0,
      sellValueBefore: 0,
      sellFeesBefore: 0,
      cancelTs: undefined,
      openedTs: 1_700_000_000_000,
      lastTs: 1_700_000_000_000 + i,
      reason: '',
    },
    children: {},
  };
}

function orderEvent(i: number): object {
  const p = i % POSITIONS;
  return {
    type: 'order.fill',
    ts: 1_700_000_000_000 + i,
    order: { id: `o${i}`, clientId: `bench-${p}-b1`, market: `C${p}/KRW`, side: 'buy', price: 1000 + p, amount: 12.5, status: 'open', filled: 6, cost: 6000, fee: 3, ts: 1_700_000_000_000 + i },
    fill: { orderId: `o${i}`, clientId: `bench-${p}-b1`, market: `C${p}/KRW`, side: 'buy', price: 1000 + p, amount: 6, fee: 3, ts: 1_700_000_000_000 + i },
  };
}

let sink = 0;

/** Runs the loop; returns seconds spent in it and seconds until the store drained. */
async function runLoop(store: Store | undefined): Promise<{ loop: number; drained: number }> {
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const snapshot = positionSnapshot(i);
    const event = orderEvent(i);
    const p = i % POSITIONS;
    if (store) {
      store.putSnapshot('position', `bench-${p}`, JSON.stringify(snapshot));
      store.appendEvent({ type: 'order.event', ts: 1_700_000_000_000 + i, data: event });
      store.publish('positions', { ts: 1_700_000_000_000 + i, positionId: `bench-${p}`, market: `C${p}/KRW`, from: 'buying', state: 'holding', event: 'order.fill', amount: 6 });
    } else {
      sink += (snapshot as { status: string }).status.length + (event as { type: string }).type.length;
    }
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldNow();
  }
  const t1 = performance.now();
  if (store && !(await store.flush(120_000))) throw new Error('store did not drain within 120 s');
  const t2 = performance.now();
  return { loop: (t1 - t0) / 1000, drained: (t2 - t0) / 1000 };
}

async function measure(open: () => Store | undefined): Promise<{ loop: number; drained: number }> {
  const store = open();
  if (store) {
    store.putSnapshot('bot', 'bot', '{}');
    if (!(await store.flush(10_000))) throw new Error(`store not healthy: ${store.health.reason}`);
  }
  const result = await runLoop(store);
  if (store && store.health.droppedEvents > 0) throw new Error(`store dropped ${store.health.droppedEvents} events`);
  await store?.close();
  return result;
}

const us = (seconds: number, base: number): number => Number((((seconds - base) / EVENTS) * 1e6).toFixed(2));

export async function run(): Promise<Record<string, unknown>> {
  let server: RedisTestServer | undefined;
  let url = process.env['REDIS_URL'] ?? '';
  if (url === '' && hasRedisServer()) {
    server = await RedisTestServer.start();
    url = server.url;
  }
  try {
    // Warm the JIT on every path first; figures come from the second round.
    await measure(() => undefined);
    await measure(() => new MemoryStore({ botId: 'bench' }));
    if (url) await measure(() => new RedisStore({ url, botId: 'bench-warm' }));
    const baseline = await measure(() => undefined);
    const memory = await measure(() => new MemoryStore({ botId: 'bench' }));
    const redis = url ? await measure(() => new RedisStore({ url, botId: 'bench' })) : undefined;
    const figures: Record<string, unknown> = {
      events: EVENTS,
      positions: POSITIONS,
      baseline_us_per_event: Number(((baseline.loop / EVENTS) * 1e6).toFixed(2)),
      memory_us_per_event: us(memory.loop, baseline.loop),
    };
    if (redis) {
      figures['redis_loop_us_per_event'] = us(redis.loop, baseline.loop);
      figures['redis_drained_us_per_event'] = us(redis.drained, baseline.loop);
    }
    figures['backend'] = redis ? 'redis' : 'memory';
    figures['snapshot_publish_us_per_event'] = redis ? us(redis.drained, baseline.loop) : us(memory.loop, baseline.loop);
    if (sink < 0) figures['sink'] = sink;
    return figures;
  } finally {
    await server?.stop();
  }
}
