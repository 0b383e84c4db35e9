/**
 * `coinrx worker`: takes the trials of `coinrx optimize --redis` and the training folds of `coinrx
 * ranker train --redis` from the queue and runs them on this machine's copy of the data, found by
 * content hash. While a job runs its lock is renewed; a
 * worker killed mid-job stops renewing it, and another worker's stall check puts the job back in the
 * queue for someone else (BullMQ's stalled-job recovery).
 */
import type { Job, Worker } from 'bullmq';
import type { MarketEvent } from '../core/market.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataLocator, DatasetMissingError, loadDataset, sha256File, type Dataset } from './dataset.js';
import { loadStrategyModule } from '../engine/user-strategy.js';
import type { StrategyFactory } from '../../strategies/index.js';
import { redactSecrets } from '../store/redact-url.js';
import { connectionOf, OPTIMIZE_QUEUE, type QueueJobData, type QueueJobName, type TrialJobData } from './queue-runner.js';
import { runTrialJob, type TrialStrategy } from './trial-job.js';
import type { RankerFoldLabel, RankerFoldSpec } from '../ml/fold-job.js';

export interface OptimizeWorkerOptions {
  readonly url: string;
  /** Folders (or files) where the data is looked for. */
  readonly roots: readonly string[];
  readonly queue?: string;
  /** Jobs at once in this process (they share its one core: more processes use more cores). */
  readonly concurrency?: number;
  /** A job's lock lasts this long unless renewed (renewed every half of it while the job runs), ms. */
  readonly lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (locks that ran out), ms. */
  readonly stalledIntervalMs?: number;
  /** Name shown on the jobs it takes. */
  readonly name: string;
  readonly log: (line: string) => void;
}

export interface RunningWorker {
  /** Resolves with the exit code: 0 after close(), 2 when the data of a job is not on this machine. */
  readonly finished: Promise<number>;
  close(): Promise<void>;
}

/** Datasets kept in memory (the events of the last ones asked for). */
const KEEP_DATASETS = 2;

export async function startOptimizeWorker(options: OptimizeWorkerOptions): Promise<RunningWorker> {
  const { Worker: BullWorker } = await import('bullmq');
  const locator = new DataLocator(options.roots);
  const cache = new Map<string, Promise<MarketEvent[]>>();
  const eventsOf = (dataset: Dataset): Promise<MarketEvent[]> => {
    let loading = cache.get(dataset.id);
    if (!loading) {
      loading = loadDataset(dataset, locator);
      loading.catch(() => cache.delete(dataset.id));
      cache.set(dataset.id, loading);
      while (cache.size > KEEP_DATASETS) cache.delete(cache.keys().next().value as string);
    }
    return loading;
  };
  // A search's --strategy module, found in this checkout at the path the coordinator gave, with the same content.
  const strategies = new Map<string, Promise<{ create: StrategyFactory }>>();
  const strategyOf = (s: TrialStrategy): Promise<{ create: StrategyFactory }> => {
    let loading = strategies.get(s.sha256);
    if (!loading) {
      loading = (async () => {
        const file = resolve(s.module);
        const sha256 = existsSync(file) ? await sha256File(file) : undefined;
        if (sha256 !== s.sha256) {
          const found = sha256 === undefined ? 'there is no such file' : `${file} differs (sha256 ${sha256.slice(0, 16)}…)`;
          throw new DatasetMissingError(`the search's strategy module ${s.module} (sha256 ${s.sha256.slice(0, 16)}…) is not in this checkout: ${found}; copy it to the same path in the coinrx folder this worker runs in`);
        }
        return loadStrategyModule(file, process.cwd());
      })();
      loading.catch(() => strategies.delete(s.sha256));
      strategies.set(s.sha256, loading);
    }
    return loading;
  };
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let closing = false;
  let worker: Worker | undefined;
  const close = async (code: number): Promise<void> => {
    if (closing) return;
    closing = true;
    await worker?.close();
    finish(code);
  };

  /** Each kind of job: what it is called in the log, its work, and a note on its result. */
  const handlers: Record<QueueJobName, (data: QueueJobData<unknown, unknown>) => { what: string; run: () => Promise<{ value: unknown; note: string }> }> = {
    trial: (data) => {
      const { spec, label } = data as TrialJobData;
      return {
        what: `trial ${label.trial}`,
        run: async () => {
          const events = await eventsOf(spec.dataset);
          const outcome = await runTrialJob(events, spec, undefined, spec.strategy ? await strategyOf(spec.strategy) : undefined);
          return { value: outcome, note: `${outcome.trades.reduce((a, b) => a + b, 0)} trades` };
        },
      };
    },
    'ranker-fold': (data) => {
      const { spec, label } = data as QueueJobData<RankerFoldSpec, RankerFoldLabel>;
      return {
        what: `${label.model} fold ${label.fold + 1}/${label.folds}`,
        run: async () => {
          // TensorFlow.js loads only in a worker that trains.
          const { runRankerFoldJob } = await import('../ml/fold-job.js');
          const outcome = await runRankerFoldJob(spec, locator);
          return { value: outcome, note: `validation log-loss ${outcome.bestValLoss.toFixed(4)}` };
        },
      };
    },
  };

  const processor = async (job: Job<QueueJobData<unknown, unknown>>): Promise<unknown> => {
    const handler = handlers[job.name as QueueJobName];
    if (!handler) throw new Error(`unknown job "${job.name}" (a newer coinrx queued it? update this worker)`);
    const { what, run } = handler(job.data);
    const started = Date.now();
    options.log(`job ${String(job.id)} started: ${what} (attempt ${job.attemptsStarted ?? 1})`);
    try {
      const { value, note } = await run();
      options.log(`job ${String(job.id)} done in ${((Date.now() - started) / 1000).toFixed(2)} s: ${what}, ${note}`);
      return value;
    } catch (error) {
      if (error instanceof DatasetMissingError) {
        // Every job of this run needs the same files: leave the queue to workers that have them.
        options.log(`error: ${error.message}; this worker stops (its jobs go to other workers)`);
        setImmediate(() => void close(2));
      }
      throw error;
    }
  };

  worker = new BullWorker<QueueJobData<unknown, unknown>, unknown>(options.queue ?? OPTIMIZE_QUEUE, processor, {
    connection: connectionOf(options.url),
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    // A job may be orphaned a few times (several workers lost) before it is declared failed.
    maxStalledCount: 3,
    name: options.name,
  });
  // While Redis is away the connection retries (with backoff) and reports every attempt: say it once a minute.
  let lastWarning = '';
  let lastWarningAt = 0;
  worker.on('error', (error) => {
    const text = redactSecrets(error.message, options.url);
    if (text === lastWarning && Date.now() - lastWarningAt < 60_000) return;
    lastWarning = text;
    lastWarningAt = Date.now();
    options.log(`warning: ${text} (retrying)`);
  });
  await worker.waitUntilReady();
  return { finished, close: () => close(0) };
}
