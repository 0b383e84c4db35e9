/**
 * The search spread over BullMQ workers: a real redis-server, worker processes started through the CLI
 * (their data in another folder under other names, found by content hash), one killed with SIGKILL in
 * the middle of a job. The answer must be the in-process one, byte for byte.
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

/** Three KRW coins of 1m candles over six days, out of phase so the strategy trades in every segment (a job takes long enough to be killed in). */
function writeCandles(dir: string): void {
  const start = Date.UTC(2024, 0, 1);
  for (const [name, phase] of [['AAA_KRW', 0], ['BBB_KRW', 1], ['CCC_KRW', 2]] as const) {
    const rows = ['timestamp,open,high,low,close,volume'];
    let price = 10_000;
    for (let i = 0; i < 6 * 1440; i++) {
      const next = 10_000 * (1 + 0.04 * Math.sin((i + phase * 200) / 150) + 0.01 * Math.sin(i / 35));
      rows.push(`${start + i * 60_000},${price},${Math.max(price, next) * 1.001},${Math.min(price, next) * 0.999},${next},${1000 + ((i * 7) % 13) * 100}`);
      price = next;
    }
    writeFileSync(join(dir, `${name}-1m.csv`), `${rows.join('\n')}\n`);
  }
}

describe.skipIf(skip)('coinrx optimize over coinrx worker processes', () => {
  let redis: RedisTestServer;
  let root: string;
  let data: string;
  let workerData: string;
  let space: string;
  let reference: string;
  const workers: WorkerProcess[] = [];
  const args = (): string[] => ['optimize', '--data', data, '--space', space, '--trials', '6', '--folds', '2', '--seed', '3', '--timerange', '20240102-20240106'];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    root = mkdtempSync(join(tmpdir(), 'coinrx-workers-'));
    data = join(root, 'data');
    mkdirSync(data);
    writeCandles(data);
    // The workers' copy: another folder, other file names; found by content.
    workerData = join(root, 'elsewhere', 'nested');
    mkdirSync(workerData, { recursive: true });
    for (const f of readdirSync(data)) copyFileSync(join(data, f), join(workerData, `copy-of-${f}`));
    space = join(root, 'space.json');
    writeFileSync(space, JSON.stringify({ 'strategy.takeProfit': { min: 0.005, max: 0.03 }, 'strategy.stopLoss': { min: 0.005, max: 0.03 }, 'allocation.maxPositions': { min: 1, max: 3 } }));
    const out = join(root, 'in-process');
    const { io, err } = captureIo();
    expect(await main([...args(), '--out', out], io), err()).toBe(0);
    reference = readFileSync(join(out, 'optimize.json'), 'utf8');
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('gives the in-process answer with three workers, one killed with SIGKILL mid-job', async () => {
    // Kill the first worker seen starting a job once one job is done (a worker starting its second job has
    // the data loaded), from the output handler itself: within a millisecond of the job's start. Not a job it
    // has run before: on a loaded machine a worker can lose a job's lock after finishing it and start it again.
    let done = 0;
    let victim: WorkerProcess | undefined;
    let jobId = '';
    const onOutput: OnWorkerOutput = (worker, chunk) => {
      done += chunk.match(/ done in /g)?.length ?? 0;
      const started = / job (\S+) started: /.exec(chunk);
      if (victim === undefined && done >= 1 && started && !worker.log().includes(`job ${started[1] as string} done`)) {
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
    const search = main([...args(), '--out', out, '--redis', redis.url], io);
    await waitFor(() => victim !== undefined, 'a worker killed mid-job', 60_000);
    expect(await (victim as WorkerProcess).exited).toBe(null);
    expect(await search, err()).toBe(0);
    // The killed worker never finished its job; another one did, after BullMQ found it stalled.
    expect((victim as WorkerProcess).log()).not.toContain(`job ${jobId} done`);
    const others = three.filter((w) => w !== victim);
    expect(others.some((w) => w.log().includes(`job ${jobId} done`))).toBe(true);
    expect(err()).toContain(`job ${jobId} stalled`);
    expect(readFileSync(join(out, 'optimize.json'), 'utf8')).toBe(reference);
    for (const w of others) w.child.kill('SIGTERM');
    await Promise.all(others.map((w) => w.exited));
  }, 120_000);

  it('gives the same answer with one worker process running eight jobs at once', async () => {
    const one = startWorker(redis.url, workerData, 'solo', ['--concurrency', '8']);
    workers.push(one);
    await waitFor(() => one.log().includes('waiting for jobs'), 'the worker to connect', 60_000);
    const out = join(root, 'eight');
    const { io, err } = captureIo();
    expect(await main([...args(), '--out', out, '--redis', redis.url], io), err()).toBe(0);
    expect(readFileSync(join(out, 'optimize.json'), 'utf8')).toBe(reference);
    one.child.kill('SIGTERM');
    expect(await one.exited).toBe(0);
  }, 120_000);

  it('a worker without the data says which file it lacks and leaves; one that has it finishes the search', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const lacking = startWorker(redis.url, empty, 'lacking');
    workers.push(lacking);
    await waitFor(() => lacking.log().includes('waiting for jobs'), 'the worker to connect', 60_000);
    const out = join(root, 'late');
    const { io, err } = captureIo();
    const search = main([...args(), '--out', out, '--redis', redis.url], io);
    expect(await lacking.exited).toBe(2);
    expect(lacking.log()).toMatch(/error: no file with the content of [A-C]{3}_KRW-1m\.csv \([\d,]+ bytes, sha256 [0-9a-f]{16}…\) under .*empty: copy the search's data to this machine/);
    const good = startWorker(redis.url, workerData, 'good');
    workers.push(good);
    expect(await search, err()).toBe(0);
    expect(readFileSync(join(out, 'optimize.json'), 'utf8')).toBe(reference);
    good.child.kill('SIGTERM');
    await good.exited;
  }, 120_000);
});
