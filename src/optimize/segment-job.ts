/**
 * One unit of work of a search: a backtest of one trial's configuration on one segment of the data,
 * the events of the `warmupMs` before it warming the features up. A pure function of its spec and the
 * dataset's events, so it gives the same answer in this process or on any worker.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import { HOUR_MS } from '../core/windows.js';
import type { MarketEvent } from '../core/market.js';
import { runBacktest } from '../engine/backtest.js';
import type { Dataset } from './dataset.js';

export interface SegmentJobSpec {
  readonly v: 1;
  readonly dataset: Dataset;
  /** The trial's whole configuration (no Redis URL: a segment writes nowhere). */
  readonly config: Config;
  readonly quote: string;
  /** Traded span [from, to). */
  readonly from: number;
  readonly to: number;
  /** Events from here to `from` warm the features up and are never traded. */
  readonly warmupFrom: number;
}

/** What a job reports, labelled for logs and progress (not part of the result). */
export interface SegmentJobLabel {
  readonly trial: number;
  readonly segment: number;
}

export interface SegmentOutcome {
  /** Events traded (inside the segment). */
  readonly events: number;
  readonly trades: number;
  readonly wins: number;
  readonly fees: number;
  /** Returns on the hourly grid from `from`: equity at from + h·1h over the equity an hour before (the last report at or before each point). */
  readonly returns: readonly number[];
}

/** Content hash of a spec: equal specs are the same job (one run serves every trial that asks for it). */
export function specKey(spec: SegmentJobSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

/** First index with `events[i].ts >= ts` (events in time order). */
export function lowerBound(events: readonly MarketEvent[], ts: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as MarketEvent).ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const CHUNK = 4096;

/** Slices of the events, yielding to the event loop between them (a worker's lock renewal and stall checks run meanwhile). */
async function* chunks(events: readonly MarketEvent[], start: number, end: number, signal?: AbortSignal): AsyncGenerator<readonly MarketEvent[]> {
  for (let i = start; i < end; i += CHUNK) {
    if (signal?.aborted) return;
    yield events.slice(i, Math.min(end, i + CHUNK));
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** Equity sampled on the hourly grid of a segment: the last report at or before each point. */
class HourlyGrid {
  readonly #points: number[] = [];
  #next: number;
  #last: number | undefined;

  constructor(
    readonly from: number,
    readonly hours: number,
  ) {
    this.#next = from;
  }

  onEquity(ts: number, equity: number): void {
    // The first report is the starting equity: nothing can be traded before the first feature batch.
    this.#last ??= equity;
    while (this.#points.length <= this.hours && this.#next < ts) this.#push();
    this.#last = equity;
  }

  #push(): void {
    this.#points.push(this.#last as number);
    this.#next += HOUR_MS;
  }

  returns(): number[] {
    if (this.#last === undefined) return new Array<number>(this.hours).fill(0);
    while (this.#points.length <= this.hours) this.#push();
    const out: number[] = [];
    for (let h = 1; h <= this.hours; h++) {
      const before = this.#points[h - 1] as number;
      out.push(before > 0 ? (this.#points[h] as number) / before - 1 : 0);
    }
    return out;
  }
}

/** Runs one segment job on the dataset's events (in time order). */
export async function runSegmentJob(events: readonly MarketEvent[], spec: SegmentJobSpec, signal?: AbortSignal): Promise<SegmentOutcome> {
  const start = lowerBound(events, spec.warmupFrom);
  const end = lowerBound(events, spec.to);
  const grid = new HourlyGrid(spec.from, Math.ceil((spec.to - spec.from) / HOUR_MS));
  if (lowerBound(events, spec.from) >= end) return { events: 0, trades: 0, wins: 0, fees: 0, returns: grid.returns() };
  const result = await runBacktest(chunks(events, start, end, signal), spec.config, {
    quote: spec.quote,
    range: { from: spec.from, to: spec.to },
    onRun: (run) => void run.engine.listen(grid),
    ...(signal ? { signal } : {}),
  });
  const trades = result.tracker.trades;
  const summary = result.summary as { feesPaid?: number };
  return {
    events: result.range ? result.events - result.range.warmupEvents : result.events,
    trades: trades.length,
    wins: trades.filter((t) => t.pnl > 0).length,
    fees: summary.feesPaid ?? 0,
    returns: grid.returns(),
  };
}
