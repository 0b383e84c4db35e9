import type { MarketEvent } from '../core/market.js';
import type { StrategyFactory } from '../../strategies/index.js';
import { runTrialJob, type TrialJobLabel, type TrialJobSpec, type TrialOutcome } from './trial-job.js';

export interface TrialJob {
  /** Content hash of the spec (see specKey). */
  readonly key: string;
  readonly spec: TrialJobSpec;
  readonly label: TrialJobLabel;
}

/** Runs a search's jobs: in this process, or as BullMQ jobs on workers (queue-runner.ts). */
export interface JobRunner {
  /** Every job's outcome, in the order of `jobs`; rejects with the first job that failed for good. */
  run(jobs: readonly TrialJob[], onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<TrialOutcome[]>;
  close(): Promise<void>;
}

/** The search without Redis: one job after the other on the events already in memory. */
export class InProcessRunner implements JobRunner {
  constructor(
    readonly events: readonly MarketEvent[],
    /** The loaded `--strategy` module, for jobs that name one. */
    readonly user?: { readonly create: StrategyFactory },
  ) {}

  async run(jobs: readonly TrialJob[], onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<TrialOutcome[]> {
    const out: TrialOutcome[] = [];
    for (const job of jobs) {
      if (signal?.aborted) throw new Error('interrupted');
      out.push(await runTrialJob(this.events, job.spec, signal, job.spec.strategy ? this.user : undefined));
      onDone(out.length, jobs.length);
    }
    return out;
  }

  async close(): Promise<void> {}
}
