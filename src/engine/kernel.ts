import { baseOf, type MarketEvent, type TimerClock, type Venue } from '../core/index.js';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import { PerformanceTracker, type TrackerState } from '../report/performance.js';
import type { EdgeEstimate, GateHold, PositionView, Strategy } from '../../strategies/index.js';
import type { BatchScorer } from '../../streams/index.js';
import { configuredStrategy } from './configured-strategy.js';
import type { FillLedger } from './fill-ledger.js';
import { activeModels, recordToStore } from './store-recorder.js';
import type { PrecomputedFeatures } from './precomputed-features.js';
import { TradingEngine, type EngineCheckpoint } from './trading-engine.js';
import { sellOrder } from './risk.js';
import { roundAmountDown } from '../exchange/index.js';

/** Makes the strategy for the venue's fee rate (a strategy prices its exits with the fee). */
export type StrategyFactory = (feeRate: number) => Strategy;

export interface KernelOptions {
  /** The configuration of the traded quote (see configForQuote). */
  readonly config: Config;
  readonly quote: string;
  /** Event time in a replay (EventClock), the wall clock live (wallTimerClock). */
  readonly clock: TimerClock;
  /** Where orders go and what the market rules and fees are (src/core/exchange.ts). */
  readonly venue: Venue;
  /** Default: the rule-based strategy of the configuration. */
  readonly strategy?: StrategyFactory;
  /** Scores the ranking (a learned model); default the heuristic score. */
  readonly scorer?: BatchScorer;
  /**
   * The store: new entries wait while it cannot write; with Redis the kernel records what it does there
   * (snapshots, event log, monitor channels; see store-recorder.ts). Absent: nothing recorded, nothing blocked.
   */
  readonly store?: Store;
  /** Overrides the store's say on new entries (default: while the store can write). */
  readonly canOpenPositions?: () => boolean;
  /** Fills and orders already in the store (a live restart): none recorded twice. */
  readonly ledger?: FillLedger;
  /** Continue from a checkpoint: the engine warms up until `resume()`; the statistics continue from `tracker`. */
  readonly restore?: { readonly engine: EngineCheckpoint; readonly tracker?: TrackerState };
  /** Warm up (features only) until the first feature batch at or after this time (a time range's start). */
  readonly warmUntil?: number;
  /** See EngineOptions.equityHeartbeatMs. */
  readonly equityHeartbeatMs?: number;
  /** See EngineOptions.positionPrefix (live: a session token). */
  readonly positionPrefix?: string;
  /** Report position transitions (default: with a Redis store, whose recorder writes them). */
  readonly observeTransitions?: boolean;
  /** See EngineOptions.features (a backtest's feature thread); default computed in the kernel's thread. */
  readonly features?: PrecomputedFeatures;
  /** See EngineOptions.log. */
  readonly log?: (line: string) => void;
}

/**
 * The configured strategy's entry gate: its estimate as of the last BUY it judged (undefined before one,
 * without `strategy.gate.edge` or with another strategy), and the BUYs it held back by reason.
 */
export interface GateRecord {
  readonly estimate: EdgeEstimate | undefined;
  readonly held: Readonly<Record<GateHold, number>>;
  /** Why the last BUY it judged was held back; undefined when it went through (or none was judged yet). */
  readonly lastHold: GateHold | undefined;
}

/** What the start-up found: per restored order what became of it, and what no position accounts for. */
export interface StartReport {
  readonly reconciled: readonly string[];
  readonly unaccounted: readonly string[];
}

/**
 * One trading kernel, the same for backtest, demo, paper and live (the nodes in ./nodes differ only in
 * the clock, the venue, where the events come from and what is written at the end).
 */
export interface Kernel {
  readonly config: Config;
  readonly quote: string;
  readonly clock: TimerClock;
  readonly venue: Venue;
  readonly engine: TradingEngine;
  readonly tracker: PerformanceTracker;
  /** The configured strategy's entry gate: what a session says while it holds cash (see GateRecord). */
  readonly gate: GateRecord;
  /** One market event to trade on. An event older than the last one is fed at the last time: the kernel's time never goes back. */
  feed(event: MarketEvent): void;
  /** One market event of the warm-up (features only; see TradingEngine.warm), clamped as `feed`. */
  warm(event: MarketEvent): void;
  /**
   * The start-up, one path for every mode (fresh or restored): every order the restored positions wait on
   * is asked of the venue (a real one looks each up; a simulated one was restored with its book), then
   * what no position accounts for is reported. Trading starts with `resume()` once the warm-up is done.
   * A replay calls it after its warm-up events (the simulated venue infers its rules from their prices);
   * live calls it at once and warms up on the live feed while the look-ups run.
   */
  start(log?: (line: string) => void): Promise<StartReport>;
  /** Ends the warm-up: trading starts. */
  resume(): void;
  readonly warming: boolean;
  checkpoint(): EngineCheckpoint;
  /** Ends the run (see TradingEngine.finish): the venue plays out what is in flight; what is still open. */
  finish(): { open: PositionView[] };
}

export function createKernel(options: KernelOptions): Kernel {
  const { config, quote, clock, venue, store } = options;
  const redis = store?.backend === 'redis';
  const feeRate = venue.feeRate(quote);
  const gate = { estimate: undefined as EdgeEstimate | undefined, held: { regime: 0, 'paper-trades': 0, 'no-edge': 0 }, lastHold: undefined as GateHold | undefined };
  // Every BUY the gate judges is told either to onHeld (the regime filter's) or to onEstimate, then onHeld unless it passes.
  const strategy = options.strategy
    ? options.strategy(feeRate)
    : configuredStrategy(config, feeRate, {
        onEstimate: (estimate) => {
          gate.estimate = estimate;
          gate.lastHold = undefined;
        },
        onHeld: (reason) => {
          gate.held[reason]++;
          gate.lastHold = reason;
        },
      });
  const engine = new TradingEngine({
    config,
    venue,
    clock,
    quote,
    strategy,
    ...(options.restore ? { restore: options.restore.engine } : {}),
    ...(options.canOpenPositions ? { canOpenPositions: options.canOpenPositions } : store ? { canOpenPositions: () => store.health.status === 'ok' } : {}),
    ...((options.observeTransitions ?? redis) ? { observeTransitions: true } : {}),
    ...(options.scorer ? { score: options.scorer } : {}),
    ...(options.equityHeartbeatMs !== undefined ? { equityHeartbeatMs: options.equityHeartbeatMs } : {}),
    ...(options.warmUntil !== undefined ? { warmUntil: options.warmUntil } : {}),
    ...(options.positionPrefix !== undefined ? { positionPrefix: options.positionPrefix } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.features ? { features: options.features } : {}),
  });
  const tracker = options.restore?.tracker ? PerformanceTracker.fromState(options.restore.tracker) : new PerformanceTracker();
  engine.listen(tracker);
  // Only Redis has readers outside this process (monitors, status, a restart): the in-memory store would be write-only.
  if (store && redis) recordToStore(engine, store, activeModels(config), options.ledger);
  // The last event's time in an object's number field: kept in a closure's variable, every event's time
  // would be a new heap number.
  const last = { ts: -Infinity };
  return {
    config,
    quote,
    clock,
    venue,
    engine,
    tracker,
    gate,
    // Live events arrive in arrival order and replays merge files: an event older than the last one is fed
    // at the last time, so the kernel's time never goes back (written out: this runs for every event).
    feed(event) {
      if (event.ts >= last.ts) last.ts = event.ts;
      else event = Object.assign({}, event, { ts: last.ts });
      clock.advanceTo(last.ts);
      engine.onMarketEvent(event);
    },
    warm(event) {
      if (event.ts >= last.ts) last.ts = event.ts;
      else event = Object.assign({}, event, { ts: last.ts });
      clock.advanceTo(last.ts);
      engine.warm(event);
    },
    async start(log = () => {}) {
      const pending = engine.pendingOrders();
      const reconciled = await venue.restart(pending, (line) => log(`reconciliation: ${line}`));
      const own = new Set(engine.pendingOrders().map((o) => o.slot.clientId));
      // A position whose coins were sold or withdrawn by hand while the bot was down, or whose rest went to
      // the buy's fee, is closed: not left to ask for a sell the exchange refuses every time.
      // Every market at once: a shortfall is read again after the venue's balance lag (closeGone), not one market after another.
      const holdingMarkets = [...new Set(engine.openPositions().filter((p) => p.state === 'holding').map((p) => p.market))];
      const closed = await Promise.all(holdingMarkets.map((market) => {
        const b = venue.getBalance(baseOf(market));
        return engine.closeGone(market, b.free + b.locked);
      }));
      for (const line of closed.flat()) log(`reconciliation: ${line}`);
      const positions = engine.openPositions();
      const unaccounted: string[] = [];
      for (const o of venue.getOpenOrders()) {
        if (!own.has(o.clientId)) unaccounted.push(`open order ${o.id} (${o.side} ${o.amount} ${o.market} @ ${o.price}${o.clientId ? `, ${o.clientId}` : ''}) belongs to no position of this bot; left untouched`);
      }
      for (const b of venue.getBalances()) {
        if (b.currency === quote || b.free + b.locked <= 0) continue;
        const ours = positions.filter((p) => p.market.startsWith(`${b.currency}/`)).reduce((a, p) => a + p.amount, 0);
        const rest = b.free + b.locked - ours;
        if (rest <= 1e-8) continue;
        // What no order can sell (under the lot step or the minimum order: a buy's fee taken in the coin left
        // it, or a lot remainder) is nobody's to trade: said as dust, not as coins held outside the bot.
        const rules = venue.rules(`${b.currency}/${quote}`);
        const price = engine.portfolio.price(`${b.currency}/${quote}`);
        const dust = rules !== undefined && (roundAmountDown(rest, rules.amountStep) <= 0 || (price !== undefined && price > 0 && sellOrder(rules, rest, price) === 'below-minimum'));
        unaccounted.push(dust ? `${rest} ${b.currency} under the minimum order (dust) outside the bot's positions; left untouched` : `${rest} ${b.currency} held outside the bot's positions; left untouched`);
      }
      for (const line of unaccounted) log(`reconciliation: ${line}`);
      return { reconciled, unaccounted };
    },
    resume: () => engine.resume(),
    get warming() {
      return engine.warming;
    },
    checkpoint: () => engine.checkpoint(),
    finish: () => engine.finish(),
  };
}
