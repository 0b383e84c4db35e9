/**
 * One unit of work of a search: a trial, i.e. one backtest of the trial's configuration over the whole
 * searched span, every event of the data before the span warming the features up (as `coinrx backtest
 * --timerange` does), its equity sampled every hour. The walk-forward segments are cuts of that one
 * run. A pure function of its spec and the dataset's events, so it gives the same answer in this
 * process or on any worker.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import { HOUR_MS } from '../core/windows.js';
import type { MarketEvent } from '../core/market.js';
import { runBacktest } from '../engine/backtest.js';
import { strategyContext } from '../engine/user-strategy.js';
import { configuredAgent, configuredScorer } from '../engine/configured-models.js';
import type { StrategyFactory } from '../../strategies/index.js';
import type { Dataset } from './dataset.js';

export interface TrialJobSpec {
  readonly v: 1;
  readonly dataset: Dataset;
  /** The trial's whole configuration (no Redis URL: a trial writes nowhere). */
  readonly config: Config;
  readonly quote: string;
  /** Traded span [from, to), whole hours apart. */
  readonly from: number;
  readonly to: number;
  /** Segment boundaries inside the span (exclusive of from and to): trades are counted per segment. */
  readonly cuts: readonly number[];
  /** A user strategy module (`--strategy`) instead of the rule-based strategy: as given (relative to the checkout) and its content hash. */
  readonly strategy?: TrialStrategy;
}

export interface TrialStrategy {
  readonly module: string;
  readonly sha256: string;
}

/** What a job is, for logs and progress (not part of the result). */
export interface TrialJobLabel {
  readonly trial: number;
}

export interface TrialOutcome {
  /** Events traded (inside the span). */
  readonly events: number;
  /** Round trips closed in each segment, and how many of them made money. */
  readonly trades: readonly number[];
  readonly wins: readonly number[];
  readonly fees: number;
  /** Returns on the hourly grid from `from`: equity at from + h·1h (the last report at or before it) over the equity an hour before. */
  readonly returns: readonly number[];
  /** Each change of the bot's state, [ts, state, why]: a kill-switch halt stops a trial for the rest of the day or, at max drawdown, of the span. */
  readonly botStates: readonly (readonly [number, string, string | null])[];
}

/** Content hash of a spec: equal specs are the same job (one run serves every trial that asks for it). */
export function specKey(spec: TrialJobSpec): string {
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
async function* chunks(events: readonly MarketEvent[], end: number, signal?: AbortSignal): AsyncGenerator<readonly MarketEvent[]> {
  for (let i = 0; i < end; i += CHUNK) {
    if (signal?.aborted) return;
    yield events.slice(i, Math.min(end, i + CHUNK));
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** Equity sampled on an hourly grid: the last report at or before each point. */
export class HourlyGrid {
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

/** Runs one trial on the dataset's events (in time order); `user`: the loaded module of `spec.strategy`, built with the trial's configuration. */
export async function runTrialJob(events: readonly MarketEvent[], spec: TrialJobSpec, signal?: AbortSignal, user?: { readonly create: StrategyFactory }): Promise<TrialOutcome> {
  const end = lowerBound(events, spec.to);
  const grid = new HourlyGrid(spec.from, Math.ceil((spec.to - spec.from) / HOUR_MS));
  const segments = spec.cuts.length + 1;
  const trades = new Array<number>(segments).fill(0);
  const wins = new Array<number>(segments).fill(0);
  const botStates: [number, string, string | null][] = [];
  if (lowerBound(events, spec.from) >= end) return { events: 0, trades, wins, fees: 0, returns: grid.returns(), botStates };
  // The profile's learned parts run as in `coinrx backtest`, loaded afresh for each trial (a sequence
  // model keeps each market's history); a model folder must be at the same path on every worker.
  const score = await configuredScorer(spec.config);
  const strategy = user ? (feeRate: number) => user.create(strategyContext(spec.config, feeRate)) : await configuredAgent(spec.config);
  // Every event from the start: the backtest stops where its range does (a candle closing at `to` opened inside it).
  const result = await runBacktest(chunks(events, events.length, signal), spec.config, {
    quote: spec.quote,
    range: { from: spec.from, to: spec.to },
    onRun: (run) => {
      run.engine.listen(grid);
      run.engine.listen({ onBotState: (ts, state, reason) => void botStates.push([ts, state, reason ?? null]) });
    },
    ...(signal ? { signal } : {}),
    ...(score || strategy ? { extras: { ...(score ? { score } : {}), ...(strategy ? { strategy } : {}) } } : {}),
  });
  for (const t of result.tracker.trades) {
    let s = 0;
    while (s < spec.cuts.length && t.closedTs >= (spec.cuts[s] as number)) s++;
    trades[s] = (trades[s] as number) + 1;
    if (t.pnl > 0) wins[s] = (wins[s] as number) + 1;
  }
  const summary = result.summary as { feesPaid?: number };
  return {
    events: result.range ? result.events - result.range.warmupEvents : result.events,
    trades,
    wins,
    fees: summary.feesPaid ?? 0,
    returns: grid.returns(),
    botStates,
  };
}
