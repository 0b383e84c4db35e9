/**
 * Jobs as BullMQ jobs on Redis, run by `coinrx worker` processes on any machine: the search's trials
 * (trial-job.ts) and the ranker's training folds (src/ml/fold-job.ts), on one queue, told apart by the
 * job's name. A job's id is this run's id and the spec's content hash, so a retried or re-added job is
 * the same job. The outcomes come back as the jobs' return values and are put in job order, so the
 * answer does not depend on which worker ran what.
 */
import { randomUUID } from 'node:crypto';
import type { Job, Queue, QueueEvents } from 'bullmq';
import { redactSecrets, redactUrl } from '../store/redact-url.js';
import type { JobRunner, TrialJob } from './job-runner.js';
import type { TrialJobLabel, TrialJobSpec, TrialOutcome } from './trial-job.js';

/** The queue `coinrx optimize --redis` and `coinrx ranker train --redis` fill and `coinrx worker` empties. */
export const OPTIMIZE_QUEUE = 'coinrx-optimize';

/** The kinds of job on the queue (a BullMQ job's name): a worker runs each with its own handler. */
export type QueueJobName = 'trial' | 'ranker-fold';

/** What a queued job carries: its spec (all the worker needs) and a label for logs. */
export interface QueueJobData<S, L> {
  readonly spec: S;
  readonly label: L;
}

export type TrialJobData = QueueJobData<TrialJobSpec, TrialJobLabel>;

/** One job to queue: `key` is the content hash of `spec`, `what` names it in messages ("trial 3", "mlp fold 2/4"). */
export interface QueueJob<S, L> {
  readonly key: string;
  readonly spec: S;
  readonly label: L;
  readonly what: string;
}

export interface QueueRunnerOptions {
  readonly url: string;
  readonly queue?: string;
  /** Attempts per job before it fails for good (a failure, not a stall: a stalled job goes back to the queue). */
  readonly attempts?: number;
  /** Notes for the user (stalled jobs, waiting for workers). */
  readonly onNote?: (text: string) => void;
  /** How long to wait for Redis to answer at start, ms. */
  readonly connectTimeoutMs?: number;
}

/** A job that failed for good, or Redis out of reach: the message says which and why. */
export class QueueRunError extends Error {
  override name = 'QueueRunError';
}

export function connectionOf(url: string): { url: string; maxRetriesPerRequest: null } {
  // Workers block on Redis: BullMQ needs commands that wait for the connection instead of failing.
  return { url, maxRetriesPerRequest: null };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new QueueRunError(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export class QueueRunner implements JobRunner {
  readonly #options: QueueRunnerOptions;
  /** Tells this run's jobs from other searches' on the same queue. */
  readonly #runId = randomUUID().slice(0, 8);
  #queue: Queue | undefined;
  #events: QueueEvents | undefined;
  /** Stalled jobs seen (a worker died or froze mid-job; BullMQ put the job back for another worker). */
  stalled = 0;

  constructor(options: QueueRunnerOptions) {
    this.#options = options;
  }

  async #open(): Promise<{ queue: Queue; events: QueueEvents }> {
    if (this.#queue && this.#events) return { queue: this.#queue, events: this.#events };
    const { Queue, QueueEvents } = await import('bullmq');
    const name = this.#options.queue ?? OPTIMIZE_QUEUE;
    // The coordinator gives Redis 30 s to come back (a worker waits for ever): then its connections end, and so does the process.
    const connection = Object.assign(connectionOf(this.#options.url), { retryStrategy: (times: number) => (times > 30 ? null : 1_000) });
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    // Connection errors are retried by ioredis; the timeout below turns a Redis that never answers into one message.
    queue.on('error', () => undefined);
    events.on('error', () => undefined);
    this.#queue = queue;
    this.#events = events;
    const where = redactUrl(this.#options.url);
    await withTimeout(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), this.#options.connectTimeoutMs ?? 10_000, `cannot reach Redis at ${where}`);
    events.on('stalled', ({ jobId }) => {
      if (!jobId.startsWith(this.#runId)) return;
      this.stalled++;
      this.#options.onNote?.(`job ${jobId} stalled (its worker stopped renewing its lock: killed or frozen); it goes back to the queue for another worker`);
    });
    return { queue, events };
  }

  /** Connects now (a QueueRunError when Redis does not answer): a long run checks its Redis before its work, not after. */
  async ready(): Promise<void> {
    await this.#open();
  }

  run(jobs: readonly TrialJob[], onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<TrialOutcome[]> {
    return this.runJobs<TrialJobSpec, TrialJobLabel, TrialOutcome>('trial', jobs.map((job) => ({ ...job, what: `trial ${job.label.trial}` })), onDone, signal);
  }

  /** Queues `jobs` under `name` and resolves with their return values in job order; rejects with the first that failed for good. */
  async runJobs<S, L, O>(name: QueueJobName, jobs: readonly QueueJob<S, L>[], onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<O[]> {
    const { queue, events } = await this.#open();
    events.setMaxListeners(jobs.length + 16);
    const attempts = this.#options.attempts ?? 3;
    const added: Job[] = await queue.addBulk(
      jobs.map((job) => ({
        name,
        data: { spec: job.spec, label: job.label } satisfies QueueJobData<S, L>,
        opts: { jobId: `${this.#runId}-${job.key.slice(0, 32)}`, attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    let done = 0;
    let lastDone = Date.now();
    const idle = setInterval(() => {
      if (Date.now() - lastDone >= 30_000) {
        lastDone = Date.now();
        this.#options.onNote?.(`no job finished for 30 s (${done}/${jobs.length} done): are workers running? start them with coinrx worker --redis ${redactUrl(this.#options.url)}`);
      }
    }, 5_000);
    idle.unref();
    const aborted = new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(new QueueRunError('interrupted'));
      signal?.addEventListener('abort', () => reject(new QueueRunError('interrupted')), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      const results = added.map(async (job, i) => {
        try {
          const value = (await Promise.race([job.waitUntilFinished(events), aborted])) as O | string;
          onDone(++done, jobs.length);
          lastDone = Date.now();
          return typeof value === 'string' ? (JSON.parse(value) as O) : value;
        } catch (error) {
          if (error instanceof QueueRunError) throw error;
          throw new QueueRunError(`the job of ${(jobs[i] as QueueJob<S, L>).what} failed after ${attempts} attempt(s): ${redactSecrets((error as Error).message, this.#options.url)}`);
        }
      });
      return await Promise.all(results);
    } finally {
      clearInterval(idle);
      // This run's jobs leave Redis (a job still running elsewhere after a failure stays until its worker ends it).
      // A few at a time: each removal waits on the queue's connection (and adds a listener to it while it does).
      for (let i = 0; i < added.length; i += 8) await Promise.all(added.slice(i, i + 8).map((job) => queue.remove(job.id as string).catch(() => 0)));
    }
  }

  /** Closes the connections; one that does not close within 2 s (Redis gone) is dropped, so the process can end. */
  async close(): Promise<void> {
    const queue = this.#queue;
    const events = this.#events;
    const closed = Promise.all([events?.close(), queue?.close()]).then(() => true);
    closed.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2_000)));
    const clean = await Promise.race([closed.catch(() => false), late]);
    clearTimeout(timer);
    if (!clean) for (const c of [events, queue]) void c?.disconnect().catch(() => undefined);
  }
}
