import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestCheckpoint } from '../../src/engine/backtest.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const CLI = new URL('../../bin/coinrx.js', import.meta.url).pathname;
const CANDLES = 'candles/binance-spot-2021-5m';
const skip = skipWithoutSharedData() || skipWithoutRedis();

function cli(args: readonly string[], env: Record<string, string>): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>; kill: () => void; pause: () => void; resume: () => void } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { done, kill: () => child.kill('SIGKILL'), pause: () => child.kill('SIGSTOP'), resume: () => child.kill('SIGCONT') };
}

describe.skipIf(skip)('crash recovery: kill -9 mid-trade, restart against the same Redis', () => {
  let redis: RedisTestServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('restores actors and exchange from the checkpoint and ends with the same trades and portfolio as an uninterrupted run', async () => {
    const work = mkdtempSync(join(tmpdir(), 'coinrx-crash-'));
    const files = readdirSync(sharedData(CANDLES)).filter((f) => /^(BTC|ETH|SOL|ADA|XRP|DOGE|LINK|DOT)_/.test(f)).map((f) => sharedData(CANDLES, f));
    const profile = JSON.parse(readFileSync(new URL('../../config/backtest-candles.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const config = join(work, 'config.json');
    writeFileSync(config, JSON.stringify({ ...profile, botId: 'crash', bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9 }, simulator: { ...(profile['simulator'] as object), latency: '1h' } }));
    const data = files.flatMap((f) => ['--data', f]);

    // The uninterrupted run, on the in-memory store.
    const reference = await cli(['backtest', ...data, '--config', config, '--out', join(work, 'reference')], {}).done;
    expect(reference.code, reference.err).toBe(0);

    // The run that crashes checkpoints to Redis at every batch end (the finest moment the CLI offers), and is
    // killed at one chosen by its own state, not by where the reader's batches end: it is paused, and killed if
    // the checkpoint it last stored holds positions mid-trade (an order resting or an action in flight; an hour
    // of latency leaves one at many batch ends), else let go on. test/engine/resume.spec.ts resumes from the
    // exact event where both are.
    const crashing = cli(['backtest', ...data, '--config', config, '--checkpoint-every', '1', '--out', join(work, 'crashed')], { REDIS_URL: redis.url });
    const midTrade = (cp: BacktestCheckpoint | undefined): boolean =>
      cp !== undefined && cp.index > 10_000 && Object.keys((cp.engine.bot as { children: Record<string, unknown> }).children).length > 0 && cp.engine.exchange !== undefined && cp.engine.exchange.open.length + cp.engine.exchange.queue.entries.length > 0;
    const stored = async (): Promise<BacktestCheckpoint | undefined> => {
      const json = await client.hget('coinrx:crash:snapshots:bot', 'checkpoint');
      return json ? (JSON.parse(json) as BacktestCheckpoint) : undefined;
    };
    let killedAt: BacktestCheckpoint | undefined;
    let exited = false;
    void crashing.done.then(() => (exited = true));
    const deadline = Date.now() + 60_000;
    while (!killedAt && !exited && Date.now() < deadline) {
      if (midTrade(await stored())) {
        crashing.pause();
        // A write sent before the pause lands meanwhile: what is stored now is what --resume reads.
        await new Promise((r) => setTimeout(r, 50));
        const cp = await stored();
        if (midTrade(cp)) {
          crashing.kill();
          killedAt = cp;
        } else crashing.resume();
      } else await new Promise((r) => setTimeout(r, 2));
    }
    const crashed = await crashing.done;
    expect(killedAt, 'a mid-trade checkpoint before the end of the run').toBeDefined();
    expect(crashed.signal).toBe('SIGKILL');
    // Position actors were live in Redis at the crash.
    expect(Object.keys(await client.hgetall('coinrx:crash:snapshots:position')).length).toBeGreaterThan(0);

    const resumed = await cli(['backtest', ...data, '--config', config, '--resume', '--out', join(work, 'resumed')], { REDIS_URL: redis.url }).done;
    expect(resumed.code, resumed.err).toBe(0);
    // It resumed from the mid-trade checkpoint the run was killed at.
    expect(resumed.err).toContain(`resuming from the checkpoint after ${(killedAt as BacktestCheckpoint).index} events`);
    for (const name of ['trades.csv', 'equity.csv', 'hourly.csv']) {
      expect(readFileSync(join(work, 'resumed', name), 'utf8'), name).toBe(readFileSync(join(work, 'reference', name), 'utf8'));
    }
    const a = JSON.parse(readFileSync(join(work, 'reference', 'summary.json'), 'utf8')) as Record<string, unknown>;
    const b = JSON.parse(readFileSync(join(work, 'resumed', 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(b['balances']).toEqual(a['balances']);
    expect(b['statistics']).toEqual(a['statistics']);
    expect((a['statistics'] as { trades: number }).trades).toBeGreaterThan(10);
    // The finished run removed its checkpoint: a second --resume is refused with a clear message.
    const again = await cli(['backtest', ...data, '--config', config, '--resume', '--out', join(work, 'again')], { REDIS_URL: redis.url }).done;
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/no checkpoint of bot "crash" in the redis store/);
  });
});
