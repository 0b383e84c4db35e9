import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { UpbitServer } from '../helpers/upbit-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { bareProfile } from '../helpers/bare-profile.js';

const CLI = new URL('../../bin/coinrx.js', import.meta.url).pathname;

interface Child {
  readonly out: () => string;
  readonly err: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

function start(args: readonly string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { out: () => out, err: () => err, exit, kill: (s) => child.kill(s) };
}

describe.skipIf(skipWithoutRedis())('live: kill -9 with a buy partly filled, restart against the same Redis and exchange', () => {
  let redis: RedisTestServer;
  let server: UpbitServer;
  let client: Redis;
  let seen = false;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    server = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-BTC', price: 95_000_000 }, { code: 'KRW-XRP', price: 3000 }] });
    client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.close();
    await redis?.stop();
  });

  it('restores the position and applies the fills that happened while it was down, once', async () => {
    const env = { REDIS_URL: redis.url, UPBIT_ACCESS_KEY: server.accessKey, UPBIT_SECRET_KEY: server.secretKey, CI: '' };
    const args = ['live', '--live', '--config', bareProfile(), '--exchange-url', server.restUrl, '--set', 'botId=liverestart', '--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1', '--set', 'exchange.markets=["XRP/KRW"]', '--set', 'strategy.skipBearMarket=false', '--set', 'strategy.buyTimeout=1d', '--set', 'allocation.maxPerCoin=0.5'];
    const first = start([...args, '--out', mkdtempSync(join(tmpdir(), 'coinrx-live-1-'))], env);
    await waitFor(() => server.subscriptions.length > 0, 'the first session to subscribe', 20_000);
    const t0 = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    [3000, 3005, 3010, 3015, 3020].forEach((price, i) => server.publishTrade('KRW-XRP', { price, volume: 1000, ts: t0 + (i + 1) * 60_000 }));
    await waitFor(() => server.requestsTo('/v1/orders', 'POST').length > 0, 'a buy order', 20_000);
    const identifier = String((server.requestsTo('/v1/orders', 'POST')[0]?.body as Record<string, unknown>)['identifier']);
    const order = server.order({ identifier }) as { uuid: string; volume: string };
    const volume = Number(order.volume);
    server.fillOrder(order.uuid, volume / 2);
    // The partial fill reached the position and its snapshot is in Redis.
    await waitFor(() => /fill buy/.test(first.out()), 'the partial fill', 20_000);
    const positionId = identifier.slice(0, identifier.lastIndexOf('-'));
    let snapshotJson: string | null = null;
    await waitFor(() => {
      void client.hget('coinrx:liverestart:snapshots:position', positionId).then((json) => (snapshotJson = json));
      return snapshotJson !== null && (JSON.parse(snapshotJson) as { context: { buy?: { filled: number } } }).context.buy?.filled === volume / 2;
    }, 'the position snapshot with the partial fill', 20_000);
    first.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');

    // While the engine is down the rest of the order fills.
    server.fillOrder(order.uuid);
    const out = mkdtempSync(join(tmpdir(), 'coinrx-live-2-'));
    const second = start([...args, '--out', out], env);
    await waitFor(() => /restored the bot and 1 position\(s\) from Redis/.test(second.err()), 'the restore', 20_000);
    await waitFor(() => server.subscriptions.length > 1, 'the second session to subscribe', 20_000);
    server.publishTrade('KRW-XRP', { price: 3025, volume: 10, ts: t0 + 7 * 60_000 });
    await waitFor(() => new RegExp(`${identifier}: filled ${volume / 2} more`).test(second.err()), 'the reconciliation of the order', 20_000);
    await waitFor(() => /live: reconciled; trading/.test(second.err()), 'trading to resume after the reconciliation', 20_000);
    // The bot's own coins are never reported as held outside its positions (the check runs after the reconciliation).
    expect(second.err()).not.toMatch(/held outside/);
    second.kill('SIGINT');
    expect((await second.exit).code).toBe(130);
    // Exactly once in the event log: the fills of this order add up to what the exchange executed, each fill id once.
    const entries = (await client.xrange('coinrx:liverestart:events', '-', '+')) as [string, string[]][];
    const fills = entries
      .map(([, fields]) => Object.fromEntries(fields.reduce<[string, string][]>((a, v, i) => (i % 2 === 0 ? [...a, [v, fields[i + 1] as string]] : a), [])))
      .filter((f) => f['t'] === 'fill')
      .map((f) => JSON.parse(f['d'] as string) as { id: string; clientId: string; amount: number })
      .filter((f) => f.clientId === identifier);
    expect(fills.reduce((a, f) => a + f.amount, 0)).toBeCloseTo(volume, 8);
    expect(new Set(fills.map((f) => f.id)).size).toBe(fills.length);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { openPositions: { positionId: string; state: string; amount: number }[] };
    expect(summary.openPositions).toEqual([expect.objectContaining({ positionId, state: 'holding', amount: volume })]);
    // Exactly one order was ever placed: the restart placed no duplicate.
    expect(server.requestsTo('/v1/orders', 'POST')).toHaveLength(1);
  });

  it.each([
    ['still resting, a quarter filled', 0.25, 'resting on the exchange'],
    ['filled completely while down', 1, 'filled on the exchange'],
  ] as const)('adopts an order of its own that no snapshot knows (killed before the snapshot was written), %s, and applies its fills once', async (_name, part, listed) => {
    const env = { REDIS_URL: redis.url, UPBIT_ACCESS_KEY: server.accessKey, UPBIT_SECRET_KEY: server.secretKey, CI: '' };
    const args = ['live', '--live', '--config', bareProfile(), '--exchange-url', server.restUrl, '--set', `botId=orphan${part * 4}`, '--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1', '--set', 'exchange.markets=["XRP/KRW"]', '--set', 'strategy.skipBearMarket=false', '--set', 'strategy.buyTimeout=1d', '--set', 'allocation.maxPerCoin=0.4'];
    const posts = server.requestsTo('/v1/orders', 'POST').length;
    const subscriptions = server.subscriptions.length;
    const first = start([...args, '--out', mkdtempSync(join(tmpdir(), 'coinrx-orphan-1-'))], env);
    await waitFor(() => server.subscriptions.length > subscriptions, 'the first session to subscribe', 20_000);
    const t0 = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    [3000, 3005, 3010, 3015, 3020].forEach((price, i) => server.publishTrade('KRW-XRP', { price, volume: 1000, ts: t0 + (i + 1) * 60_000 }));
    await waitFor(() => server.requestsTo('/v1/orders', 'POST').length > posts, 'a buy order', 20_000);
    const identifier = String((server.requestsTo('/v1/orders', 'POST')[posts]?.body as Record<string, unknown>)['identifier']);
    const positionId = identifier.slice(0, identifier.lastIndexOf('-'));
    await waitFor(() => {
      void client.hexists(`coinrx:orphan${part * 4}:snapshots:position`, positionId).then((n) => (seen = n === 1));
      return seen;
    }, 'the position snapshot', 20_000);
    first.kill('SIGKILL');
    await first.exit;
    // As if the kill came between the order and its snapshot: the store has never heard of the position.
    await client.hdel(`coinrx:orphan${part * 4}:snapshots:position`, positionId);
    await client.hdel(`coinrx:orphan${part * 4}:snapshots:order`, identifier);
    const order = server.order({ identifier }) as { uuid: string; volume: string };
    const volume = Number(order.volume);
    server.fillOrder(order.uuid, volume * part);
    const out = mkdtempSync(join(tmpdir(), 'coinrx-orphan-2-'));
    const second = start([...args, '--out', out], env);
    await waitFor(() => /live: reconciled; trading/.test(second.err()), 'the restart procedure', 30_000);
    expect(second.err()).toMatch(new RegExp(`${identifier}: ${listed} but unknown to the snapshots .*adopted by ${positionId}, now buying`));
    expect(second.err()).toMatch(new RegExp(`${identifier}: filled ${volume * part} more`));
    expect(second.err()).not.toMatch(new RegExp(`${identifier}\\).*belongs to no position`));
    second.kill('SIGINT');
    expect((await second.exit).code).toBe(130);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { openPositions: { positionId: string; state: string; amount: number }[] };
    // A resting buy is cancelled on Ctrl-C (bot.onStop keeps holdings, cancels buys), and the stop waits for
    // the cancel's answer: the position ends holding what was bought, not still cancelling.
    expect(summary.openPositions).toEqual([expect.objectContaining({ positionId, state: 'holding', amount: volume * part })]);
    // No second order beside the adopted one.
    expect(server.requestsTo('/v1/orders', 'POST')).toHaveLength(posts + 1);
  });

  it('asks again for a cancel that was in flight when it was killed: the buy does not rest on after the restart', async () => {
    // An exchange of its own: the runs above spent the shared account's cash.
    const server = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3000 }] });
    try {
      const env = { REDIS_URL: redis.url, UPBIT_ACCESS_KEY: server.accessKey, UPBIT_SECRET_KEY: server.secretKey, CI: '' };
      const args = ['live', '--live', '--config', bareProfile(), '--exchange-url', server.restUrl, '--set', 'botId=cancelling', '--set', 'features.every=1m', '--set', 'filter.minValue1d=0', '--set', 'filter.minTrades1d=0', '--set', 'ranking.top=1', '--set', 'exchange.markets=["XRP/KRW"]', '--set', 'strategy.skipBearMarket=false', '--set', 'strategy.buyTimeout=1s', '--set', 'allocation.maxPerCoin=0.2'];
      const posts = server.requestsTo('/v1/orders', 'POST').length;
      const subscriptions = server.subscriptions.length;
      // The first cancel fails (each of the adapter's 4 tries): its position waits in cancellingBuy for its deadline (a minute).
      server.failNext(503, 4, '/v1/order', 'DELETE');
      const first = start([...args, '--out', mkdtempSync(join(tmpdir(), 'coinrx-cancel-1-'))], env);
      await waitFor(() => server.subscriptions.length > subscriptions, 'the first session to subscribe', 20_000);
      const t0 = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
      [3000, 3005, 3010, 3015, 3020, 3025, 3030].forEach((price, i) => server.publishTrade('KRW-XRP', { price, volume: 1000, ts: t0 + (i + 1) * 60_000 }));
      await waitFor(() => server.requestsTo('/v1/orders', 'POST').length > posts, 'a buy order', 20_000);
      const identifier = String((server.requestsTo('/v1/orders', 'POST')[posts]?.body as Record<string, unknown>)['identifier']);
      const positionId = identifier.slice(0, identifier.lastIndexOf('-'));
      // The buy times out a batch later: a cancel goes out (and fails).
      server.publishTrade('KRW-XRP', { price: 3040, volume: 10, ts: t0 + 9 * 60_000 });
      await waitFor(() => server.requestsTo('/v1/order', 'DELETE').length > 0, 'a cancel request', 20_000);
      let state = '';
      await waitFor(() => {
        void client.hget('coinrx:cancelling:snapshots:position', positionId).then((json) => (state = json ? (JSON.parse(json) as { value: string }).value : ''));
        return state === 'cancellingBuy';
      }, 'the position snapshot in cancellingBuy', 20_000);
      first.kill('SIGKILL');
      await first.exit;
      const second = start([...args, '--out', mkdtempSync(join(tmpdir(), 'coinrx-cancel-2-'))], env);
      await waitFor(() => /live: reconciled; trading/.test(second.err()), 'the restart procedure', 30_000);
      expect(second.err()).toMatch(new RegExp(`${identifier}: its cancel was in flight; asked again`));
      await waitFor(() => (server.order({ identifier }) as { state: string }).state === 'cancel', 'the buy cancelled on the exchange', 20_000);
      second.kill('SIGINT');
      await second.exit;
      // A later buy of the coin (still ranked) is fine; two resting at once never.
      const ours = server.allOrders().filter((o) => o.identifier?.startsWith('cancelling-')).sort((a, b) => a.createdAt - b.createdAt);
      expect(ours[0]?.identifier).toBe(identifier);
      for (let i = 1; i < ours.length; i++) expect(ours[i]!.createdAt).toBeGreaterThanOrEqual(ours[i - 1]!.closedAt ?? Infinity);
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(skipWithoutRedis())('live: a restart while Redis does not answer', () => {
  let redis: RedisTestServer;
  let server: UpbitServer;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    server = await UpbitServer.start({ enforceRateLimits: false, balances: { KRW: 1_000_000 }, markets: [{ code: 'KRW-XRP', price: 3000 }] });
  });
  afterAll(async () => {
    if (redis?.pid) process.kill(redis.pid, 'SIGCONT');
    await server?.close();
    await redis?.stop();
  });

  it('waits with a countdown, then exits with one line and places nothing: never an empty restore beside the positions it had', async () => {
    const pid = redis.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      const env = { REDIS_URL: redis.url, UPBIT_ACCESS_KEY: server.accessKey, UPBIT_SECRET_KEY: server.secretKey, CI: '' };
      const child = start(['live', '--live', '--config', bareProfile(), '--exchange-url', server.restUrl, '--set', 'botId=frozen', '--set', 'redis.restoreWaitMs=6s', '--set', 'exchange.markets=["XRP/KRW"]', '--out', mkdtempSync(join(tmpdir(), 'coinrx-live-frozen-'))], env);
      const exit = await child.exit;
      expect(exit.code).toBe(1);
      expect(child.err()).toMatch(/waiting for the store .* s left before giving up/);
      expect(child.err()).toMatch(/coinrx live: the store does not answer .* not trading without the restore/);
      expect(child.err()).not.toMatch(/^\s+at /m);
      expect(server.requestsTo('/v1/orders', 'POST')).toHaveLength(0);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
