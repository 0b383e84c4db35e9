import type { MarketEvent } from '../core/market.js';
import { runSegmentJob, type SegmentJobLabel, type SegmentJobSpec, type SegmentOutcome } from './segment-job.js';

export interface SegmentJob {
  /** Content hash of the spec (see specKey). */
  readonly key: string;
  readonly spec: SegmentJobSpec;
  readonly label: SegmentJobLabel;
}

/** Runs a search's jobs: in this process, or as BullMQ jobs on workers (queue-runner.ts). */
export interface JobRunner {
  /** Every job's outcome, in the order of `jobs`; rejects with the first job that failed for good. */
  run(jobs: readonly SegmentJob[], onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<SegmentOutcome[]>;
  close(): Promise<void>;
}

/** The search without Redis: one job after the other on the events already in memory. */
export class InProcessRunner implements JobRunner {
  constructor(readonly events: readonly MarketEvent[]) {}

  async run(jobs: readonly SegmentJob[], onDone: (done: number, total: number) => void, signal?: AbortSignal): Promise<SegmentOutcome[]> {
    const out: SegmentOutcome[] = [];
    for (const job of jobs) {
      if (signal?.aborted) throw new Error('interrupted');
      out.push(await runSegmentJob(this.events, job.spec, signal));
      onDone(out.length, jobs.length);
    }
    return out;
  }

  async close(): Promise<void> {}
}
