import { configForQuote, type Config } from '../config.js';
import { EventClock, InputError, quoteOf, type MarketEvent, type MarketRules, type MarketSymbol } from '../core/index.js';
import { SimulatedVenue, type InferredRules, type SimulatedExchange } from '../exchange/index.js';
import type { PerformanceTracker, TrackerState } from '../report/performance.js';
import { runResults, type RunResults } from '../report/results.js';
import { noEventInRangeError, rangeTime, type TimeRange } from '../core/time-range.js';
import type { PositionView, Strategy } from '../../strategies/index.js';
import type { BatchScorer } from '../../streams/index.js';
import type { Store } from '../store/index.js';
import { createKernel, type GateRecord, type Kernel } from './kernel.js';
import { dataGaps, type DataGaps } from './data-gaps.js';
import { withFeatureThread } from './feature-thread.js';
import { PrecomputedFeatures } from './precomputed-features.js';
import type { EngineCheckpoint, TradingEngine } from './trading-engine.js';

export { configuredStrategy } from './configured-strategy.js';

export { quoteOf };

/** A point to continue a run from: how many events were fed, and the engine's and statistics' state then. */
export interface BacktestCheckpoint {
  readonly v: 1;
  readonly quote: string;
  /** Events fed before the checkpoint (the input's first `index` events are replayed as warm-up on resume). */
  readonly index: number;
  /** The configuration the run used: a resume under another configuration is refused. */
  readonly config: Config;
  readonly engine: EngineCheckpoint;
  readonly tracker: TrackerState;
  /** The kernel clock's time then (absent in older checkpoints: the engine's time is taken). */
  readonly now?: number;
}

/** The data gave no event at all (empty files, or only malformed or ignored records). */
export class NoMarketEventsError extends InputError {
  override name = 'NoMarketEventsError';
}

/** The run of one backtest: the engine on a simulated exchange, fed one event at a time. */
export interface BacktestRun {
  readonly quote: string;
  /** The configuration for the traded quote (see configForQuote): what the run used. */
  readonly config: Config;
  readonly kernel: Kernel;
  readonly engine: TradingEngine;
  readonly venue: SimulatedVenue;
  readonly exchange: SimulatedExchange;
  readonly tracker: PerformanceTracker;
  readonly rules: InferredRules;
  /** Events of other quote currencies are not traded (they still reach the features). */
  feed(event: MarketEvent): void;
  /** Warm-up after a restore: features only (see TradingEngine.warm). */
  warm(event: MarketEvent): void;
  checkpoint(index: number): BacktestCheckpoint;
}

export interface BacktestResult {
  readonly quote: string;
  /** The configuration the run used (its quote and starting balance resolved); summary.json writes it. */
  readonly config?: Config;
  readonly events: number;
  readonly span: { readonly from: number; readonly to: number } | undefined;
  /** The time range asked for (`--timerange`), and how many events before it only warmed the features up. */
  readonly range?: { readonly from: number | null; readonly to: number | null; readonly warmupEvents: number };
  /** The tables a trader reads (per pair, exit reasons, days, months, market change, halts, decisions). */
  readonly results?: RunResults;
  readonly summary: Record<string, unknown>;
  readonly tracker: PerformanceTracker;
  readonly open: readonly PositionView[];
  /** Open positions valued at a stale price at the end, and gaps in a held market's data; absent when none. */
  readonly dataGaps?: DataGaps;
  readonly balances: Readonly<Record<string, { free: number; locked: number }>>;
  /** The entry gate's last estimate and the BUYs it held back (printed, not in summary.json). */
  readonly gate?: GateRecord;
}

/** What a backtest's kernel may be given besides the configuration (see KernelOptions). */
export interface BacktestExtras {
  /** Asked before opening positions (false while the store cannot write snapshots). */
  readonly canOpenPositions?: () => boolean;
  /** Report position transitions to listeners (store, dashboard); see EngineOptions.observeTransitions. */
  readonly observeTransitions?: boolean;
  /** Scores the ranking (a learned model, see `ranking.model`); default the heuristic score. */
  readonly score?: BatchScorer;
  /** The strategy for a fee rate (the RL agent of `strategy.agent`); default the rule-based one. */
  readonly strategy?: (feeRate: number) => Strategy;
  /** The exchange's own market rules and their fee (paper trading on a live exchange); markets it lacks get inferred ones. */
  readonly rules?: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number };
  /** The store (see KernelOptions.store): entries wait while it cannot write; with Redis the run is recorded there. */
  readonly store?: Store;
  /** See EngineOptions.equityHeartbeatMs (default a minute; `runBacktest` makes it Infinity unless transitions are observed). */
  readonly equityHeartbeatMs?: number;
  /** Warm up (features only) until the first feature batch at or after this time: a time range's start. */
  readonly warmUntil?: number;
  /** See KernelOptions.features: the feature batches computed elsewhere (`BacktestOptions.featureThread`). */
  readonly features?: PrecomputedFeatures;
}

/**
 * The kernel of a backtest (demo, paper) for a quote currency: an event clock and the simulated venue —
 * Upbit's real rules for KRW, the exchange's own (`extras.rules`) or inferred rules elsewhere (see
 * `inferredRulesSource`), a simulated account holding `simulator.initialBalance` of the quote, the
 * configured fill model and latency (order submission and cancels take `latency` of event time).
 */
export function createBacktest(given: Config, quote: string, startTs = 0, strategy?: Strategy, restore?: BacktestCheckpoint, extras: BacktestExtras = {}): BacktestRun {
  const config = configForQuote(given, quote);
  if (restore && !restore.engine.exchange) throw new Error('backtest: the checkpoint holds no simulated exchange (it was written by a live session)');
  const sim = config.simulator;
  // One event clock for the positions' timers and the venue's orders in flight: both play out in time order.
  // A restored run's clock starts where the checkpoint's stood, not at the data's first event: the restored
  // timers are set for what is left of them from there (a delay from the data's start could exceed the
  // longest a timer takes, 2^31 - 1 ms, and fire during the warm-up), and the warm-up runs none.
  const clock = new EventClock(restore ? (restore.now ?? restore.engine.ts) : startTs);
  const venue = new SimulatedVenue({
    quote,
    initialBalance: sim.initialBalance,
    feeRate: sim.feeRate,
    fillModel: { mode: sim.fillModel, participation: sim.participation },
    latencyMs: sim.latency,
    startTs,
    ...(extras.rules ? { own: extras.rules } : {}),
    ...(restore?.engine.exchange ? { state: restore.engine.exchange } : {}),
    clock,
  });
  const kernel = createKernel({
    config,
    quote,
    clock,
    venue,
    ...(strategy ? { strategy: () => strategy } : extras.strategy ? { strategy: extras.strategy } : {}),
    ...(extras.score ? { scorer: extras.score } : {}),
    ...(extras.store ? { store: extras.store } : {}),
    ...(extras.canOpenPositions ? { canOpenPositions: extras.canOpenPositions } : {}),
    ...(extras.observeTransitions !== undefined ? { observeTransitions: extras.observeTransitions } : {}),
    ...(restore ? { restore: { engine: restore.engine, tracker: restore.tracker } } : {}),
    ...(extras.equityHeartbeatMs !== undefined ? { equityHeartbeatMs: extras.equityHeartbeatMs } : {}),
    ...(extras.warmUntil !== undefined ? { warmUntil: extras.warmUntil } : {}),
    ...(extras.features ? { features: extras.features } : {}),
  });
  return {
    quote,
    config,
    kernel,
    engine: kernel.engine,
    venue,
    exchange: venue.exchange,
    tracker: kernel.tracker,
    rules: venue.inferred,
    // The kernel's own functions (they use no `this`): no extra call per event.
    feed: kernel.feed,
    warm: kernel.warm,
    checkpoint(index) {
      return { v: 1, quote, index, config, engine: kernel.checkpoint(), tracker: kernel.tracker.state(), now: clock.now() };
    },
  };
}

export interface BacktestOptions {
  /** Quote currency to trade; default: the quote of the first event's market. */
  readonly quote?: string;
  /** Called after every batch of events with the count so far and the event time reached. */
  readonly onProgress?: (events: number, ts: number) => void;
  readonly signal?: AbortSignal;
  /** Continue from this checkpoint: its first `index` events are replayed as warm-up, then trading resumes. */
  readonly resume?: BacktestCheckpoint;
  /** Save a checkpoint at the end of an input batch once `every` events passed since the last one. */
  readonly checkpoint?: { readonly every: number; save(checkpoint: BacktestCheckpoint): void | Promise<void> };
  readonly extras?: BacktestExtras;
  /** Called once the engine exists (to attach listeners: store, dashboard). */
  readonly onRun?: (run: BacktestRun) => void;
  /**
   * Trade only the events inside `[from, to)` by their `rangeTime` (a candle by its open time, so the candle
   * opening at `to - timeframe` is traded, at its close `to`): earlier events warm the features, the ranking
   * and the strategy's view up (never the exchange, the positions or the statistics); reading stops at the
   * first event at or after `to`.
   */
  readonly range?: TimeRange;
  /**
   * Compute the features in a thread of their own, beside the engine's (see withFeatureThread): the same
   * results in less time with a core to spare. A whole run only: ignored with `resume` or `range` (whose
   * warm-up and end the thread does not follow).
   */
  readonly featureThread?: boolean;
}

function sameConfig(a: Config, b: Config): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Runs the whole engine over recorded (or generated) events in event-time order. Deterministic: no wall
 * clock, no unseeded randomness, so the same inputs give the same result to the byte.
 */
export async function runBacktest(batches: AsyncIterable<readonly MarketEvent[]> | Iterable<readonly MarketEvent[]>, config: Config, options: BacktestOptions = {}): Promise<BacktestResult> {
  const resume = options.resume;
  if (resume) {
    if (resume.v !== 1) throw new Error(`backtest: unsupported checkpoint version ${String(resume.v)}`);
    if (!sameConfig(resume.config, configForQuote(config, resume.quote))) throw new Error('backtest: the checkpoint was written under another configuration; resume with the same configuration or start afresh');
  }
  let run: BacktestRun | undefined;
  let from: number | undefined;
  let lastCheckpoint = resume?.index ?? 0;
  const rangeFrom = options.range?.from ?? -Infinity;
  const rangeTo = options.range?.to ?? Infinity;
  let warmupEvents = 0;
  let tradedFrom: number | undefined;
  let ended = false;
  let started = false;
  // Until an event of the traded quote shows up, the quotes the data does have (for the error below).
  let tradedSeen = false;
  const quotesSeen = new Set<string>();
  // Nobody reads the bot's equity during an unwatched run: it hears only the updates it decides on.
  const watched = options.extras?.observeTransitions ?? options.extras?.store?.backend === 'redis';
  const features = options.featureThread === true && !resume && !options.range ? new PrecomputedFeatures() : undefined;
  if (features) batches = withFeatureThread(batches, config, features);
  const extras: BacktestExtras = { ...(watched ? {} : { equityHeartbeatMs: Infinity }), ...(rangeFrom > -Infinity ? { warmUntil: rangeFrom } : {}), ...(features ? { features } : {}), ...options.extras };
  // Events fed and the last one's time, in an object's number fields: counted in the async function or a
  // closure's variables, each event's time would be a new heap number.
  const fed = { events: 0, to: 0 };
  // The engine leaves its warm-up once and never goes back: after the first traded event the steady state
  // need not ask (the kernel's `warming` getter, per event, was a fair share of the loop).
  let awake = false;
  /**
   * The run's steady state, written out as a plain function (the async loop below is not where V8
   * optimises best): every event of `batch` from `i` on that trades, until one needs the general path (the
   * end of the range, a warm-up event, the checkpoint's replay). Returns the index it stopped at.
   */
  const trade = (batch: readonly MarketEvent[], i: number, r: BacktestRun): number => {
    for (; i < batch.length; i++) {
      const event = batch[i] as MarketEvent;
      const t = rangeTime(event);
      if (t >= rangeTo || t < rangeFrom || (resume !== undefined && fed.events < resume.index)) return i;
      if (!awake) {
        awake = true;
        if (r.kernel.warming && (resume || rangeFrom === -Infinity)) r.kernel.resume();
      }
      r.feed(event);
      fed.events++;
      fed.to = event.ts;
    }
    return i;
  };
  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i++) {
      if (started && tradedSeen && run) {
        i = trade(batch, i, run);
        if (i >= batch.length) break;
      }
      const event = batch[i] as MarketEvent;
      // A candle is in the range when it opens there (rangeTime): the help's "the end day is included".
      const t = rangeTime(event);
      if (t >= rangeTo) {
        ended = true;
        break;
      }
      if (!run) {
        run = createBacktest(config, resume?.quote ?? options.quote ?? quoteOf(event.market), event.ts, undefined, resume, extras);
        // The market change's first and last prices: every event fed or replayed, not a time range's warm-up.
        run.engine.portfolio.startSpan();
        options.onRun?.(run);
        from = event.ts;
      }
      if (!tradedSeen) {
        const q = quoteOf(event.market);
        if (q === run.quote) tradedSeen = true;
        else quotesSeen.add(q);
      }
      if (resume && fed.events < resume.index) {
        // A resumed run's span starts at its first event: the market change too (the portfolio notes it).
        run.warm(event);
      } else if (t < rangeFrom && !started && run.kernel.warming) {
        // (A candle opening before a start off its grid closes after it: if its warm-up already ended the
        // engine's, it and any such later one are traded.)
        run.engine.portfolio.pauseSpan();
        run.warm(event);
        run.engine.portfolio.startSpan();
        warmupEvents++;
      } else {
        // A time range's engine starts trading by itself at the first feature batch inside the range
        // (the event that closes the last batch before it already lies in it).
        if (!started) {
          // The kernel's start-up once the warm-up is replayed, as in every mode (a simulated venue restored
          // with its book has nothing to look up; what no position accounts for would be reported).
          started = true;
          await run.kernel.start();
        }
        if (run.kernel.warming && (resume || rangeFrom === -Infinity)) run.kernel.resume();
        tradedFrom ??= t;
        run.feed(event);
      }
      fed.events++;
      fed.to = event.ts;
    }
    options.onProgress?.(fed.events, fed.to);
    if (options.checkpoint && run && !run.engine.warming && fed.events - lastCheckpoint >= options.checkpoint.every) {
      lastCheckpoint = fed.events;
      await options.checkpoint.save(run.checkpoint(fed.events));
    }
    if (options.signal?.aborted || ended) break;
  }
  const { events, to } = fed;
  if (!run) throw new NoMarketEventsError('the data holds no market events');
  if (!tradedSeen) throw new InputError(`the data has no ${run.quote} market (its markets are quoted in ${[...quotesSeen].sort().join(', ')}): trade one of those (--quote) or give data of ${run.quote} markets`);
  if (resume && events < resume.index) throw new Error(`backtest: the data ends after ${events} events, before the checkpoint (${resume.index}); resume needs the same data`);
  if (options.range && tradedFrom === undefined) throw noEventInRangeError(options.range, from ?? 0, to);
  if (!started) await run.kernel.start();
  if (run.kernel.warming) run.kernel.resume();
  const { open } = run.kernel.finish();
  const summary = { ...run.tracker.summary(), orphanOrderEvents: run.engine.orphanOrderEvents };
  const results = runResults(run.tracker, run.engine.portfolio.span(), run.quote, (summary as Record<string, unknown>)['totalReturn'] as number);
  // With a range the span is the traded one, from its first event's range time (a candle's open); without, it
  // starts at the first event (as a resumed run's does).
  const spanFrom = rangeFrom > -Infinity ? tradedFrom : from;
  const range = options.range ? { from: options.range.from ?? null, to: options.range.to ?? null, warmupEvents } : undefined;
  const balances = Object.fromEntries(run.exchange.getBalances().map((b) => [b.currency, { free: b.free, locked: b.locked }]));
  const portfolio = run.engine.portfolio;
  const gaps = dataGaps(open, (market) => portfolio.lastSeen(market), run.engine.holdingGaps.list(), to);
  return { quote: run.quote, config: run.config, events, span: spanFrom === undefined ? undefined : { from: spanFrom, to }, ...(range ? { range } : {}), results, summary, tracker: run.tracker, open, ...(gaps ? { dataGaps: gaps } : {}), balances, gate: run.kernel.gate };
}
