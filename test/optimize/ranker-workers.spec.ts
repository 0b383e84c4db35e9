/**
 * `coinrx ranker train --redis`: the training folds as BullMQ jobs on a real redis-server, taken by
 * `coinrx worker` processes (the search's workers) that find the data by content hash, one of them
 * killed with SIGKILL in the middle of a fold. The saved model must be the one trained in process,
 * weights bit for bit and metrics the same (timings and the creation time aside).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { RedisTestServer, skipWithoutRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWorker, type OnWorkerOutput, type WorkerProcess } from '../helpers/worker-process.js';

const skip = skipWithoutRedis();

/** Four USDT coins of 5m candles over six days, swinging out of phase (both labels occur in every fold). */
function writeCandles(dir: string): void {
  const start = Date.UTC(2024, 0, 1);
  for (const [name, period, amplitude] of [['AAA_USDT', 70, 0.03], ['BBB_USDT', 110, 0.02], ['CCC_USDT', 45, 0.04], ['DDD_USDT', 160, 0.025]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 100;
    for (let i = 0; i < 6 * 288; i++) {
      const next = 100 * (1 + amplitude * Math.sin((2 * Math.PI * i) / period) + 0.01 * Math.sin(i / 7));
      rows.push(`${start + i * 300_000},${price},${Math.max(price, next) * 1.003},${Math.min(price, next) * 0.997},${next},${50 + ((i * 7) % 13)}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-5m.csv`), `${rows.join('\n')}\n`);
  }
}

const RANKER = JSON.stringify({ label: { target: 0.01, stop: 0.01, horizon: '2h' }, split: { folds: 2, validation: '1d', embargo: '1h' }, train: { epochs: 2, patience: 2, stride: 2, sequenceStride: 6, models: ['mlp', 'gru'] } });

/** The saved version: every file as is, meta.json without what a run cannot repeat (when, and how long each fit took). */
function savedModel(out: string): Record<string, string> {
  const dir = join(out, 'v1');
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    const bytes = readFileSync(join(dir, f));
    files[f] = f === 'meta.json' ? JSON.stringify(JSON.parse(bytes.toString('utf8'), (k, v: unknown) => (k === 'createdAt' || k === 'seconds' ? undefined : v))) : bytes.toString('base64');
  }
  return files;
}

describe.skipIf(skip)('coinrx ranker train over coinrx worker processes', () => {
  let redis: RedisTestServer;
  let root: string;
  let data: string;
  let reference: Record<string, string>;
  const workers: WorkerProcess[] = [];
  const args = (out: string): string[] => ['ranker', 'train', '--data', data, '--ranker-config', RANKER, '--to', '2024-01-06', '--out', out];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    root = mkdtempSync(join(tmpdir(), 'coinrx-ranker-workers-'));
    data = join(root, 'data');
    mkdirSync(data);
    writeCandles(data);
    // The workers' copy: elsewhere, under other names; found by content.
    mkdirSync(join(root, 'elsewhere', 'nested'), { recursive: true });
    for (const f of readdirSync(data)) copyFileSync(join(data, f), join(root, 'elsewhere', 'nested', `copy-of-${f}`));
    const out = join(root, 'in-process');
    const { io, err } = captureIo();
    expect(await main(args(out), io), err()).toBe(0);
    reference = savedModel(out);
    expect(Object.keys(reference)).toContain('meta.json');
    expect(reference['meta.json']).toMatch(/"selection":\[\{"kind":"mlp".*"kind":"gru"/);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('trains the in-process model with three workers, one killed with SIGKILL mid-fold', async () => {
    let done = 0;
    let victim: WorkerProcess | undefined;
    let jobId = '';
    const onOutput: OnWorkerOutput = (worker, chunk) => {
      done += chunk.match(/ done in /g)?.length ?? 0;
      const started = / job (\S+) started: (mlp|gru) fold /.exec(chunk);
      if (victim === undefined && done >= 1 && started && !chunk.includes(`job ${started[1] as string} done`)) {
        victim = worker;
        jobId = started[1] as string;
        worker.child.kill('SIGKILL');
      }
    };
    const three = ['w1', 'w2', 'w3'].map((name) => startWorker(redis.url, join(root, 'elsewhere'), name, [], onOutput));
    workers.push(...three);
    await waitFor(() => three.every((w) => w.log().includes('waiting for jobs')), 'the workers to connect', 60_000);
    const out = join(root, 'three');
    const { io, err } = captureIo();
    const training = main([...args(out), '--redis', redis.url], io);
    await waitFor(() => victim !== undefined, 'a worker killed mid-fold', 60_000);
    expect(await (victim as WorkerProcess).exited).toBe(null);
    expect(await training, err()).toBe(0);
    expect((victim as WorkerProcess).log()).not.toContain(`job ${jobId} done`);
    const others = three.filter((w) => w !== victim);
    expect(others.some((w) => w.log().includes(`job ${jobId} done`))).toBe(true);
    expect(err()).toContain(`job ${jobId} stalled`);
    expect(savedModel(out)).toEqual(reference);
    for (const w of others) w.child.kill('SIGTERM');
    await Promise.all(others.map((w) => w.exited));
  }, 60_000);

  it('a worker without the data names the file it lacks and leaves; one worker that has it trains the same model', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const lacking = startWorker(redis.url, empty, 'lacking');
    workers.push(lacking);
    await waitFor(() => lacking.log().includes('waiting for jobs'), 'the worker to connect', 60_000);
    const out = join(root, 'late');
    const { io, err } = captureIo();
    const training = main([...args(out), '--redis', redis.url], io);
    expect(await lacking.exited).toBe(2);
    expect(lacking.log()).toMatch(/error: no file with the content of [A-D]{3}_USDT-5m\.csv \([\d,]+ bytes, sha256 [0-9a-f]{16}…\) under .*empty: copy the search's data to this machine/);
    const good = startWorker(redis.url, join(root, 'elsewhere'), 'good');
    workers.push(good);
    expect(await training, err()).toBe(0);
    expect(savedModel(out)).toEqual(reference);
    expect(good.log()).toMatch(/job \S+ done in [\d.]+ s: gru fold 2\/2, validation log-loss \d\.\d{4}/);
    good.child.kill('SIGTERM');
    expect(await good.exited).toBe(0);
  }, 60_000);
});

describe('coinrx ranker train --redis without a Redis', () => {
  it('says so in one line before building the dataset', async () => {
    const data = mkdtempSync(join(tmpdir(), 'coinrx-ranker-noredis-'));
    writeCandles(data);
    const { io, err } = captureIo();
    expect(await main(['ranker', 'train', '--data', data, '--ranker-config', RANKER, '--redis', 'redis://127.0.0.1:1', '--out', join(data, 'models')], io)).toBe(1);
    expect(err().trim().split('\n')).toEqual(['coinrx ranker: cannot reach Redis at redis://127.0.0.1:1']);
  }, 30_000);
});
