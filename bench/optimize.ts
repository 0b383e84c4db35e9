/**
 * `npm run bench -- optimize`: the parameter search on the 30-coin 5m candles of ../shared/data
 * (config/backtest-candles.json with bench/backtest's loose kill switch, config/space-example.json, 3
 * walk-forward folds over 2021 Q1).
 *
 * - `plain_backtest_s`: what `coinrx backtest` of the whole span costs (files read, gunzipped, parsed
 *   and backtested), and `plain_backtest_in_memory_s` the same run on events already in memory.
 * - `trial_s`: one trial of the same configuration (one backtest of the span, its equity sampled hourly
 *   for the walk-forward cuts) on the events in memory, as a worker runs it: a trial must cost no more
 *   than the plain backtest. The three are run RUNS times interleaved; medians, every run printed.
 * - `in_process_trials_per_min`: the search (TRIALS trials of the space) in this process.
 * - `workers_1_trials_per_min`, `workers_2_trials_per_min`: the same search as BullMQ jobs on a local
 *   redis-server, run by 1 and then 2 `coinrx worker` processes (started and given the data first, so
 *   the figure is the steady rate), in one run.
 * - `job_round_trip_ms`: the fixed cost of a job — queued, taken by a worker, its answer back — for a
 *   job with nothing to backtest (median of 20, one at a time), next to `job_backtest_s`, the
 *   backtest a job of this search carries (one trial).
 * - `load_average`: the 1-minute load average at the start and at the end (on 2 cores, above 2 means
 *   the figures were taken on a busy machine: compare them only within one run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../src/config.js';
import { runBacktest } from '../src/engine/backtest.js';
import { batched, openReplay, readAll } from '../src/market-data/index.js';
import { describeDataset } from '../src/optimize/dataset.js';
import { InProcessRunner, type JobRunner } from '../src/optimize/job-runner.js';
import { runSearch, type SearchOptions } from '../src/optimize/optimize-search.js';
import { QueueRunner } from '../src/optimize/queue-runner.js';
import { loadSearchSpace } from '../src/optimize/search-space.js';
import { runTrialJob, specKey, type TrialJobSpec } from '../src/optimize/trial-job.js';
import { hasRedisServer, RedisTestServer } from '../test/helpers/redis-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../bin/coinrx.js');
const TRIALS = 4;
const RUNS = 3;
const FOLDS = 3;

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function timedSearch(options: SearchOptions, runner: JobRunner): Promise<number> {
  const started = process.hrtime.bigint();
  await runSearch(options, runner);
  return seconds(started);
}

/** A worker process and the jobs it has finished so far (from its log). */
interface BenchWorker {
  readonly child: ChildProcess;
  jobsDone(): number;
}

function startWorker(url: string, data: string, name: string): Promise<BenchWorker> {
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', url, '--data', data, '--name', name], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, REDIS_URL: '' } });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('waiting for jobs')) resolve({ child, jobsDone: () => text.match(/ done in /g)?.length ?? 0 });
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}: ${text}`)));
  });
}

async function stopWorker({ child }: BenchWorker): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function run(): Promise<Record<string, unknown>> {
  const loadAtStart = Number((loadavg()[0] as number).toFixed(2));
  const dataRoot = join(here, '../../shared/data');
  const candles = join(dataRoot, 'candles/binance-spot-2021-5m');
  const profile = JSON.parse(readFileSync(join(here, '../config/backtest-candles.json'), 'utf8')) as Record<string, unknown>;
  // As bench/backtest: a loose kill switch, so every trial trades the whole span.
  const config: Config = parseConfig({ ...profile, bot: { dailyLossLimit: 0.5, maxDrawdown: 0.9, onStop: 'keep' } });
  const space = loadSearchSpace(join(here, '../config/space-example.json'), config);

  const { events, stats } = await readAll([candles]);
  const dataset = await describeDataset([candles], { stats });
  const first = events[0]?.ts ?? 0;
  const last = events[events.length - 1]?.ts ?? 0;
  const hour = 3_600_000;
  const from = Math.floor(first / hour) * hour;
  const to = Math.ceil(last / hour) * hour;
  const quote = 'USDT';
  // The plain backtest (files read, as `coinrx backtest`; and on events in memory) and one trial of the
  // same configuration over the same span, RUNS times interleaved: on a shared machine the load moves
  // between runs, and interleaving spreads it evenly; the medians are compared.
  const plainRuns: number[] = [];
  const memoryRuns: number[] = [];
  const trialRuns: number[] = [];
  const trialSpec: TrialJobSpec = { v: 1, dataset, config, quote, from, to, cuts: [] };
  for (let i = 0; i < RUNS; i++) {
    let started = process.hrtime.bigint();
    await runBacktest(openReplay([candles]).batches(), config, { quote, range: { from, to } });
    plainRuns.push(seconds(started));
    started = process.hrtime.bigint();
    await runBacktest(batched(events, 8192), config, { quote, range: { from, to } });
    memoryRuns.push(seconds(started));
    started = process.hrtime.bigint();
    await runTrialJob(events, trialSpec);
    trialRuns.push(seconds(started));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const round = (xs: number[]): number[] => xs.map((x) => Number(x.toFixed(2)));

  const options: SearchOptions = { space, trials: TRIALS, objective: 'sharpe', seed: 1, folds: FOLDS, from, to, base: config, quote, dataset };
  const inProcess = await timedSearch(options, new InProcessRunner(events));

  const figures: Record<string, unknown> = {
    load_average: [loadAtStart],
    events: events.length,
    plain_backtest_s: Number(median(plainRuns).toFixed(2)),
    plain_backtest_runs: round(plainRuns),
    plain_backtest_in_memory_s: Number(median(memoryRuns).toFixed(2)),
    trial_s: Number(median(trialRuns).toFixed(2)),
    trial_runs: round(trialRuns),
    trial_vs_plain_backtest: Number((median(trialRuns) / median(plainRuns)).toFixed(2)),
    search_trials: TRIALS,
    in_process_trials_per_min: Number(((TRIALS / inProcess) * 60).toFixed(1)),
  };
  if (!hasRedisServer()) return { ...figures, workers: 'skipped: no redis-server' };

  const redis = await RedisTestServer.start();
  const workers: BenchWorker[] = [];
  try {
    const runner = new QueueRunner({ url: redis.url });
    // A worker reads the data on its first job: every worker runs a short search's job first (its last
    // eight days), so the rates below are steady ones and no worker loads the data while they are timed.
    const warmUp = async (): Promise<void> => {
      for (let seed = 100; workers.some((w) => w.jobsDone() === 0); seed++) {
        if (seed > 110) throw new Error('a worker took no warm-up job');
        await runSearch({ ...options, trials: workers.length, seed, from: to - 8 * 86_400_000 }, runner);
      }
    };
    workers.push(await startWorker(redis.url, dataRoot, 'bench-1'));
    await warmUp();
    const one = await timedSearch(options, runner);

    // The fixed cost of a job: one with nothing to backtest (a span after the data), one at a time.
    const empty: TrialJobSpec = { v: 1, dataset, config, quote, from: to + 10 * 86_400_000, to: to + 11 * 86_400_000, cuts: [] };
    const trips: number[] = [];
    for (let i = 0; i < 20; i++) {
      const spec = { ...empty, from: empty.from + i * hour };
      const started = process.hrtime.bigint();
      await runner.run([{ key: specKey(spec), spec, label: { trial: i } }], () => undefined);
      trips.push(seconds(started) * 1000);
    }
    trips.sort((a, b) => a - b);

    workers.push(await startWorker(redis.url, dataRoot, 'bench-2'));
    await warmUp();
    const two = await timedSearch(options, runner);
    await runner.close();
    return {
      ...figures,
      workers_1_trials_per_min: Number(((TRIALS / one) * 60).toFixed(1)),
      workers_2_trials_per_min: Number(((TRIALS / two) * 60).toFixed(1)),
      workers_2_speedup: Number((one / two).toFixed(2)),
      job_round_trip_ms: Number((trips[10] as number).toFixed(1)),
      job_backtest_s: Number((inProcess / TRIALS).toFixed(2)),
      job_round_trip_ms_range: [Number((trips[0] as number).toFixed(1)), Number((trips[19] as number).toFixed(1))],
      load_average: [loadAtStart, Number((loadavg()[0] as number).toFixed(2))],
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await redis.stop();
  }
}
