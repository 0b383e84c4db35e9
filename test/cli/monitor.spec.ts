/**
 * `coinrx monitor` as a user runs it: a child process on a real redis-server, lines printed for
 * messages a store publishes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const skip = skipWithoutRedis();
let server: RedisTestServer | undefined;

beforeAll(async () => {
  if (!skip) server = await RedisTestServer.start();
});
afterAll(async () => {
  await server?.stop();
});

interface Running {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
}

function monitor(args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [join(root, 'bin/coinrx.js'), 'monitor', ...args], { cwd: root, env: { ...process.env, REDIS_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

async function publisher(botId: string): Promise<RedisStore> {
  const store = new RedisStore({ url: (server as RedisTestServer).url, botId });
  store.putSnapshot('bot', 'bot', '{}');
  await firstValueFrom(store.health$.pipe(filter((h) => h.status === 'ok')));
  return store;
}

describe.skipIf(skip)('coinrx monitor', () => {
  it('prints one line per message of the bot it watches, until interrupted', async () => {
    const run = monitor(['--redis', (server as RedisTestServer).url, '--bot', 'alpha']);
    try {
      await waitFor(() => run.err().includes('subscribed'), () => `the subscription; output so far:\n${run.err()}`, 20_000, 25);
      const alpha = await publisher('alpha');
      const beta = await publisher('beta');
      alpha.publish('ranking', { ts: Date.UTC(2024, 0, 1), ranking: [{ market: 'BTC/KRW', score: 0.71 }, { market: 'ETH/KRW', score: 0.4 }] });
      beta.publish('ranking', { ts: 0, ranking: [{ market: 'XRP/KRW', score: 1 }] });
      alpha.publish('decisions', { ts: Date.UTC(2024, 0, 1), kind: 'BUY', market: 'BTC/KRW', reason: 'rank', score: 0.71, price: 100 });
      alpha.publish('positions', { ts: Date.UTC(2024, 0, 1), positionId: 'alpha-1', market: 'BTC/KRW', from: 'buying', state: 'holding', event: 'order.fill', amount: 0.5 });
      alpha.publish('fills', { ts: Date.UTC(2024, 0, 1), orderId: 'o1', clientId: 'alpha-1-b1', market: 'BTC/KRW', side: 'buy', price: 100, amount: 0.5, fee: 0.025 });
      alpha.publish('stats', { ts: Date.UTC(2024, 0, 1), equity: 1_000_000, invested: 50, openPositions: 1, winRate: 0.5 });
      await alpha.flush();
      await beta.flush();
      await waitFor(() => run.out().includes('equity'), () => `the equity line; output so far:\n${run.out()}${run.err()}`, 20_000, 25);
      const lines = run.out().trim().split('\n');
      // The store's own "connected" health message may come first.
      const shown = lines.filter((l) => !l.includes(' health '));
      expect(shown).toEqual([
        '2024-01-01T00:00:00.000Z alpha ranking   1.BTC/KRW 0.71  2.ETH/KRW 0.4',
        '2024-01-01T00:00:00.000Z alpha decisions BUY BTC/KRW @100 (rank, score 0.71)',
        '2024-01-01T00:00:00.000Z alpha positions alpha-1 BTC/KRW buying → holding on order.fill amount 0.5',
        '2024-01-01T00:00:00.000Z alpha fills     buy 0.5 BTC/KRW @100 fee 0.025 (alpha-1-b1)',
        '2024-01-01T00:00:00.000Z alpha stats     equity 1,000,000 invested 50 open 1 win 50.0%',
      ]);
      expect(run.out()).not.toContain('XRP');
      await Promise.all([alpha.close(), beta.close()]);
    } finally {
      run.child.kill('SIGINT');
      await once(run.child, 'exit');
    }
    expect(run.child.exitCode).toBe(0);
  });

  it('watches every bot with --json and exits by itself after --count messages', async () => {
    const run = monitor(['--json', '--channels', 'fills', '--count', '2'], { REDIS_URL: (server as RedisTestServer).url });
    await waitFor(() => run.err().includes('subscribed'), () => `the subscription; output so far:\n${run.err()}`, 20_000, 25);
    const a = await publisher('one');
    const b = await publisher('two');
    a.publish('health', { ts: 1, component: 'exchange', status: 'ok', reason: 'x' });
    a.publish('fills', { ts: 1, orderId: 'o1', clientId: 'c1', market: 'A/KRW', side: 'buy', price: 1, amount: 2, fee: 0 });
    b.publish('fills', { ts: 2, orderId: 'o2', clientId: 'c2', market: 'B/KRW', side: 'sell', price: 3, amount: 4, fee: 0 });
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(0);
    const lines = run.out().trim().split('\n').map((l) => JSON.parse(l) as { channel: string; message: { bot: string; v: number } });
    expect(lines.map((l) => l.channel).sort()).toEqual(['coinrx:one:fills', 'coinrx:two:fills']);
    expect(lines.every((l) => l.message.v === 1)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('says what it needs when no Redis is configured', async () => {
    const run = monitor([]);
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(run.err()).toMatch(/monitor needs Redis/);
  });
});
