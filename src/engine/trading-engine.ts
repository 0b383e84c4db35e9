import type { Subscription } from 'rxjs';
import { createActor, enqueueActions, type Actor, type AnyActorRef, type InspectionEvent, type Snapshot } from 'xstate';
import { baseOf, DAY_MS, type Balance, type Decision, type MarketEvent, type OrderEvent, type PendingOrder, type Ranking, type TimerClock, type Venue } from '../core/index.js';
import type { Config } from '../config.js';
import type { SimulatedExchangeSnapshot } from '../exchange/index.js';
import { botMachine, bought, buyOrderAhead, cancelBuyAhead, clockIn, equityMatters, held, killReason, positionMachine, positionResult, rearmTimers, resultWithFee, settledByCancelAnswer, type OrderEffect, type PositionContext, type PositionEvent, type PositionResult } from '../../machines/index.js';
import type { PositionView, Strategy, StrategyInput } from '../../strategies/index.js';
import { positionView } from './position-view.js';
import type { BatchScorer } from '../../streams/index.js';
import type { Candidate } from '../trading/order-sizing.js';
import { buysDrained } from './buys-drained.js';
import { cancelOpenBuys, liquidateHoldings } from './stop-orders.js';
import { EventFeed } from './event-feed.js';
import { marketPipeline, rankedPipeline, type MarketPipeline } from './market-pipeline.js';
import type { PrecomputedFeatures } from './precomputed-features.js';
import { orderRouter, type OrderCommand } from './order-router.js';
import { HoldingGaps } from './holding-gaps.js';
import { LastSnapshots } from './last-snapshots.js';
import { Portfolio } from './portfolio.js';
import { entryDenial, exitEvent, exitPrice, sellOrder, sizeEntries, skippedOutcome, type DecisionOutcome } from './risk.js';
import { RejectCooldown } from './reject-cooldown.js';
import { objectArray } from '../core/object-array.js';

export type { OrderCommand } from './order-router.js';
export type { DecisionOutcome } from './risk.js';

export interface EngineOptions {
  readonly config: Config;
  /** The venue the engine trades on (src/core/exchange.ts): the simulated one, or a real account. */
  readonly venue: Venue;
  /** The kernel's clock: look-up retries are scheduled on it (event time in a replay, the wall clock live). */
  readonly clock: TimerClock;
  readonly quote: string;
  readonly strategy: Strategy;
  /**
   * Resume from a checkpoint (bot and position actors, exchange state as passed in `exchange`): the
   * engine starts warming up — `warm()` rebuilds the features from the events before the checkpoint —
   * and trades again after `resume()`. Absent: a fresh start. Both go through the same constructor.
   */
  readonly restore?: EngineCheckpoint;
  /**
   * Report every position transition with its cause (`onPositionTransition`: store, dashboard). Off by
   * default: XState's inspection costs on every event of every actor.
   */
  readonly observeTransitions?: boolean;
  /**
   * Position ids are `{positionPrefix}-{n}` and client ids `{positionId}-b1`… (default: the bot id). Live
   * trading adds a session token: an exchange refuses a client id it has seen before, even days ago.
   */
  readonly positionPrefix?: string;
  /** Scores the ranking (a learned model); default the heuristic score of streams/heuristic-score.ts. */
  readonly score?: BatchScorer;
  /** Asked before opening positions; false (e.g. snapshots cannot be written) blocks new entries, never exits. */
  readonly canOpenPositions?: () => boolean;
  /**
   * The bot hears equity at least this often (event time), besides every update that matters to it (a
   * new peak, a new UTC day, a kill-switch trip): it keeps the equity shown by `status` and the dashboard
   * fresh. Default a minute; a backtest nobody watches passes Infinity (each update is an actor step).
   */
  readonly equityHeartbeatMs?: number;
  /**
   * Start warming up without a restore (a backtest's events before its time range): `warm()` feeds the
   * features only, and trading starts with the first feature batch at or after this time (or `resume()`).
   * Events fed with `onMarketEvent` before that batch reach the exchange but open nothing.
   */
  readonly warmUntil?: number;
  /**
   * The feature batches computed elsewhere from the same events (another thread: see feature-thread.ts),
   * each emitted when the event that emitted it there is fed here. Default: computed in this thread.
   */
  readonly features?: PrecomputedFeatures;
  /** Where the engine says what it did on its own (positions closed because their coins are gone). */
  readonly log?: (line: string) => void;
}

/** How long a kill-switch trip or a new day's opening waits, live, for a trade of each held coin after it (#tripHeld, #dayHeld). */
const TRIP_PRICE_WAIT_MS = 60_000;

/** What the engine must remember to continue a run exactly where it was. */
export interface EngineCheckpoint {
  readonly v: 1;
  /** Event time of the last event fed. */
  readonly ts: number;
  readonly seq: number;
  readonly decisions: number;
  readonly lastPrice: readonly (readonly [string, number])[];
  readonly regimeAtEntry: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly settled: readonly string[];
  readonly results: readonly PositionResult[];
  /** The bot actor's persisted snapshot, its position children included. */
  readonly bot: unknown;
  /** A simulated exchange's state; absent for a live exchange, which keeps its own. */
  readonly exchange?: SimulatedExchangeSnapshot;
  /** When equity was last sent to the bot (null: never). */
  readonly sentEquityTs: number | null;
}

/** One state change of a position actor, with the event that caused it. */
export interface PositionTransition {
  readonly ts: number;
  readonly positionId: string;
  readonly market: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly event: string;
  readonly view: PositionView;
  /** The actor's persisted snapshot after the transition (JSON-safe). */
  readonly snapshot: unknown;
}

/** What the engine tells its observers (statistics, reports, snapshots, monitors). */
export interface EngineListener {
  onDecision?(decision: Decision): void;
  onOrderEvent?(event: OrderEvent): void;
  onPositionSettled?(result: PositionResult, regimeAtEntry: Readonly<Record<string, string>>): void;
  onEquity?(ts: number, equity: number, invested: number): void;
  onRanking?(ranking: Ranking): void;
  onOrderCommand?(command: OrderCommand): void;
  /** Every snapshot change of a position actor (`from` = `to` for context-only changes such as a partial fill). */
  onPositionTransition?(transition: PositionTransition): void;
  /** What became of each decision (see DecisionOutcome), once known. */
  onDecisionOutcome?(decision: Decision, outcome: DecisionOutcome): void;
  /** The bot actor changed state (`running`, `paused`, `stopping`, `stopped`) at event time `ts`; `reason` is why it stopped. */
  onBotState?(ts: number, state: string, reason: string | undefined): void;
}

interface Tracked {
  readonly positionId: string;
  readonly market: string;
  readonly ref: AnyActorRef;
  readonly subscription: { unsubscribe(): void };
  readonly regimeAtEntry: Readonly<Record<string, string>>;
}

/** At most this many spare positions are kept (one a position slot up to it): about two batches' buys. */
const SPARES_MAX = 16;

/** Position id → client ids are `${positionId}-b1`, `-s2`…: the position is everything before the last dash. */
export function positionIdOf(clientId: string): string {
  return clientId.slice(0, clientId.lastIndexOf('-'));
}

/**
 * The one trading kernel of backtest, paper and live: market events → features → ranking → strategy
 * decisions → order sizing → position actors (children of the bot actor) → exchange → order events
 * back to the actors. Everything runs synchronously in event order, so a replay is deterministic.
 */
export class TradingEngine {
  readonly pipeline: MarketPipeline;
  /** Gaps in a market's data that ended while a position in it held coins. */
  readonly holdingGaps = new HoldingGaps();
  readonly bot: Actor<typeof botMachine>;
  #warming: boolean;
  /** With `warmUntil`: the first batch at or after this time ends the warm-up. */
  readonly #warmUntil: number;
  readonly #stateOf = new Map<string, string>();
  /** Every tracked position until its last transition is reported (it outlives `#positions` by a moment). */
  readonly #known = new Map<string, Tracked>();
  readonly #options: EngineOptions;
  /** Where each market event goes to reach the features: the pipeline's input, or precomputed batches' clock. */
  readonly #events: { next(event: MarketEvent): void; complete(): void };
  readonly #inputs = new EventFeed<StrategyInput>();
  readonly #positions = new Map<string, Tracked>();
  readonly #byMarket = new Map<string, string>();
  /** Each market's last feature snapshot (see LastSnapshots): no write a snapshot. */
  readonly #last = new LastSnapshots();
  /** Balances, last prices and equity. */
  readonly portfolio: Portfolio;
  readonly #pendingBuys = objectArray<Decision>();
  readonly #listeners: EngineListener[] = [];
  readonly #subscriptions: Subscription[] = [];
  /** Round trips with something bought, in settlement order. */
  readonly results: PositionResult[] = [];
  /** Ids of every position that reached `settled`, bought or not. */
  readonly settled: string[] = [];
  #seq = 0;
  /** The venue's rules as a function value (sizing takes one; a venue's `rules` may be a method). */
  readonly #rules: (market: string) => ReturnType<Venue['rules']>;
  /** Order events of no live position (an order given up for lost that turned up later): counted, never applied silently. */
  orphanOrderEvents = 0;
  /** Order events of orders this bot did not place (client id without its `<botId>-` prefix): ignored. */
  foreignOrderEvents = 0;
  #sentEquityTs = -Infinity;
  /** Set by a restore until every restored position's coins have a price (#unpricedHolding, #reportEquity). */
  #awaitingPrices: boolean;
  /** A kill-switch trip seen on a live venue's balances: its confirming read asked for, or answered (#tripHeld). */
  #trip: { read: boolean; since: number } | undefined;
  /** A new equity peak seen on a live venue's balances, not yet confirmed by a later read: the lowest equity since, and whether that read is in (#peakHeld). */
  #newPeak: { low: number; read: boolean; since: number } | undefined;
  /** A new UTC day seen on a live venue, its opening equity waiting for a read asked `balanceLagMs` later (#dayHeld). */
  #newDay: { day: number; read: boolean; since: number } | undefined;
  /**
   * Positions settled during the market event being fed, not yet removed from the bot: telling the bot
   * is a step of its own that gates no order, so it waits until the event's orders have left (#settle).
   */
  readonly #unremoved: string[] = [];
  #inMarketEvent = false;
  /**
   * Order events a venue answered while a batch's buys were being placed (a simulated venue answers at
   * once): applied once every buy of the batch has left (#flushBuys). An acknowledgement gates none of
   * the other buys (sized together beforehand, one position each).
   */
  readonly #heldOrderEvents: OrderEvent[] = [];
  #placingBuys = false;
  /**
   * The position a CANCEL_BUY is being sent to during a market event, and the venue's answers to it
   * meanwhile (a simulated venue answers at once): see #cancelBuy.
   */
  #cancelling: string | undefined = undefined;
  readonly #cancelAnswers: OrderEvent[] = [];
  /** Cancel answers counted as settling their position, for the actor to take once the event is handled. */
  readonly #settledAhead: { readonly ref: AnyActorRef; readonly decision: PositionEvent; readonly clientId: string; readonly event: OrderEvent }[] = [];
  /** Idle positions spawned ahead, in id order (#fillSpares), and their ids. */
  readonly #spares: { readonly positionId: string; readonly ref: AnyActorRef }[] = [];
  readonly #spareIds = new Set<string>();
  #refillSpares = false;
  #boughtInEvent = false;
  #now = 0;
  /** The last market event's time, and from the end of the run on the latest time a batch may have. */
  #lastEventTs = -Infinity;
  /** Markets whose last orders the exchange refused: the strategy's buys and sells of them wait (see RejectCooldown). */
  readonly #cooldown = new RejectCooldown();
  /**
   * Exits asked for while their market cooled down after a refusal, by position id (the exit's reason): carried
   * out at the first batch after the wait (#retryExits). The strategy asks an exit once per position state, so
   * one dropped there was never asked again: after a single refused sell, the position held on with no exit.
   */
  readonly #deferredExits = new Map<string, string>();
  /** The bot's stop ran its `liquidate` policy in this process (#liquidateLeft). */
  #liquidating = false;
  /** End of the feature batch being filled (the pipeline's rule, features.every): the first event past it closes the batch. */
  #batchEnd = -Infinity;
  readonly #batchEvery: number;
  #endTs = Infinity;
  #strategyError: unknown = undefined;
  decisions = 0;
  /** The order router's placement (the machines' `placeOrder` effect), for the buys placed ahead (#flushBuys). */
  readonly #placeOrder: (_: unknown, p: OrderEffect) => void;
  /** The client id of the buy placed ahead whose position is taking its step (its `placeOrder` is skipped once). */
  #placedAhead: string | undefined = undefined;
  /** The order router's cancel (the machines' `cancelOrder` effect), for the cancels sent ahead (#cancelBuy). */
  readonly #cancelOrder: (_: unknown, p: OrderEffect) => void;
  /** The client id of the buy whose cancel was sent ahead and whose position is taking its step (its `cancelOrder` is skipped once). */
  #cancelledAhead: string | undefined = undefined;
  /** A batch's buys placed ahead, each position's step still to take. */
  readonly #buysAhead: { readonly positionId: string; readonly market: string; readonly ref: AnyActorRef; readonly event: PositionEvent; readonly clientId: string }[] = [];

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#rules = (market) => options.venue.rules(market);
    const { config, venue: exchange, clock } = options;
    const listeners = this.#listeners;
    this.#warming = options.restore !== undefined || options.warmUntil !== undefined;
    this.#awaitingPrices = options.restore !== undefined;
    this.#warmUntil = options.warmUntil ?? Infinity;
    this.#batchEvery = config.features.every;
    const scored = options.score ? { score: options.score } : {};
    if (options.features) {
      this.#events = options.features;
      this.pipeline = rankedPipeline(options.features.batches$, options.features.counters, config, scored);
    } else {
      const events = new EventFeed<MarketEvent>();
      this.#events = events;
      this.pipeline = marketPipeline(events.observable, config, scored);
    }
    this.portfolio = new Portfolio(exchange, options.quote, options.restore?.lastPrice, config.features.staleAfter, options.restore?.ts);
    const { placeOrder, cancelOrder, queryOrder } = orderRouter(exchange, clock, {
      now: () => this.#now,
      send: (positionId, event) => this.#send(positionId, event),
      isOpen: (positionId) => this.#positions.has(positionId),
      get onCommand() {
        return listeners.length === 0 ? undefined : (c: OrderCommand): void => {
          for (const l of listeners) l.onOrderCommand?.(c);
        };
      },
    });
    this.#placeOrder = placeOrder;
    this.#cancelOrder = cancelOrder;
    const machine = botMachine.provide({
      // The timers run on the kernel's clock from when their state was entered (clockIn).
      actors: {
        position: positionMachine.provide({
          actions: {
            // A buy #flushBuys placed ahead of its position's step is not placed again by the step.
            placeOrder: (_, p) => {
              if (p.slot.clientId === this.#placedAhead) this.#placedAhead = undefined;
              else placeOrder(_, p);
            },
            // A cancel #cancelBuy sent ahead of its position's step is not sent again by the step.
            cancelOrder: (_, p) => {
              if (p.slot.clientId === this.#cancelledAhead) this.#cancelledAhead = undefined;
              else cancelOrder(_, p);
            },
            queryOrder,
            clockIn: clockIn(clock),
          },
        }),
      },
      actions: {
        // The bot stops its own children: these run inside its step and tell each position through XState's
        // sendTo (what a position is told — which buys to cancel, the exit order of a holding — is the
        // engine's to say: the positions' state and the venue's rules).
        cancelOpenBuys: enqueueActions(({ enqueue }) => cancelOpenBuys(this.#positions.values(), (t) => this.#state(t), this.#now, (t, event) => enqueue.sendTo(t.ref, event))),
        liquidateHoldings: enqueueActions(({ enqueue }) => {
          this.#liquidating = true;
          liquidateHoldings(
            this.#positions.values(),
            (t) => this.#state(t),
            (t) => this.#exit(t, this.#exitPrice(t.market), 'liquidate').event,
            (t, event) => enqueue.sendTo(t.ref, event),
          );
        }),
      },
    });
    const input = { botId: config.botId, dailyLossLimit: config.bot.dailyLossLimit, maxDrawdown: config.bot.maxDrawdown, onStop: config.bot.onStop };
    const restore = options.restore;
    const inspect = options.observeTransitions ? { inspect: (event: InspectionEvent): void => this.#inspect(event) } : {};
    // The positions' timeouts are XState delays on the kernel's clock.
    this.bot = restore ? createActor(machine, { input, clock, ...inspect, snapshot: restore.bot as Snapshot<unknown> }) : createActor(machine, { input, clock, ...inspect });
    this.bot.start();
    if (restore) {
      this.#seq = restore.seq;
      this.decisions = restore.decisions;
      this.#now = restore.ts;
      this.settled.push(...restore.settled);
      if (restore.sentEquityTs !== null) this.#sentEquityTs = restore.sentEquityTs;
      this.results.push(...restore.results);
      for (const [positionId, ref] of Object.entries(this.bot.getSnapshot().children)) {
        const context = (ref as AnyActorRef).getSnapshot().context as PositionContext;
        this.#track(positionId, context.market, ref as AnyActorRef, restore.regimeAtEntry[positionId] ?? {});
        // XState persists no delayed event: the restored position's timers are re-armed for what is left of them.
        rearmTimers(ref as Parameters<typeof rearmTimers>[0], clock.now());
      }
    } else this.bot.send({ type: 'bot.start' });
    let botState = String(this.bot.getSnapshot().value);
    this.bot.subscribe((snapshot) => {
      const state = String(snapshot.value);
      if (state === botState) return;
      botState = state;
      for (const l of this.#listeners) l.onBotState?.(this.#now, state, snapshot.context.stopReason);
    });

    this.#subscriptions.push(
      this.#inputs.observable.pipe(options.strategy).subscribe({
        next: (d) => this.#onDecision(d),
        // A strategy that fails (a bug, a malformed decision) stops the run at the next event, not silently.
        error: (error: unknown) => {
          this.#strategyError = error;
        },
      }),
      exchange.orderEvents$.subscribe((e) => (this.#placingBuys ? this.#heldOrderEvents.push(e) : this.#onOrderEvent(e))),
      this.pipeline.batches$.subscribe((batch) => {
        // The run's last, partial batch is due at the next cadence boundary, after the data (00:00 of a day
        // without market data when the data ends at 23:59): it is dated at the last event's time instead.
        this.#now = batch.ts > this.#endTs ? this.#endTs : batch.ts;
        if (this.#warming && batch.ts >= this.#warmUntil) this.resume();
        this.#last.note(batch.snapshots);
        this.#inputs.next({ kind: 'features', ts: batch.ts, snapshots: batch.snapshots });
        if (this.#warming) return;
        if (this.#deferredExits.size > 0) this.#retryExits();
        if (this.#liquidating) this.#liquidateLeft();
        // Buys the strategy asked for since the last ranking (a coin still ranked after its position ended).
        this.#flushBuys(this.#now);
        this.#reportEquity(this.#now);
      }),
      this.pipeline.ranking$.subscribe((ranking) => {
        if (!this.#warming) for (const l of this.#listeners) l.onRanking?.(ranking);
        this.#inputs.next({ kind: 'ranking', ranking });
        this.#flushBuys(ranking.ts);
      }),
    );
  }

  /** Adds a listener; the function returned removes it. */
  listen(listener: EngineListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Free and locked balance of every currency of the account. */
  balances(): readonly Balance[] {
    return this.portfolio.balances();
  }

  /**
   * Feeds one market event: the exchange matches first (fills are known before the features move) — except
   * a bar that closes a feature batch. A bar is stamped at its close and spans the time after the batch's
   * moment, so the batch's decisions are made before it and their orders must meet it, as every other
   * market's bar of that close does; matched first, it would give its market (the first in the files'
   * order) a bar-fresher price than the others (docs/fill-model.md). A point event (a trade, a ticker, a
   * book top: every frame in paper and live) that closes a batch happened before the decision could be
   * made, so it reaches the exchange first, and the orders cannot fill against it.
   */
  onMarketEvent(event: MarketEvent): void {
    if (this.#strategyError !== undefined) throw this.#strategyError;
    this.#now = this.#lastEventTs = event.ts;
    this.#inMarketEvent = true;
    try {
      const closesBatch = event.ts > this.#batchEnd;
      if (closesBatch) this.#batchEnd = Math.ceil(event.ts / this.#batchEvery) * this.#batchEvery;
      if (closesBatch && event.kind === 'candle') {
        this.#events.next(event);
        if (this.portfolio.notePrice(event)) this.#noteGap(event.market);
        this.#options.venue.onMarketEvent(event);
      } else {
        if (this.portfolio.notePrice(event)) this.#noteGap(event.market);
        this.#options.venue.onMarketEvent(event);
        this.#events.next(event);
      }
    } finally {
      this.#inMarketEvent = false;
      if (this.#settledAhead.length > 0) this.#stepSettledAhead();
      if (this.#unremoved.length > 0) this.#removeSettled();
      // Not in the frame that placed the buys (it has paid for the batch; frames may wait behind it): one
      // spare an event after it, until they are all there.
      if (this.#boughtInEvent) this.#boughtInEvent = false;
      else if (this.#refillSpares) this.#fillSpares(1);
    }
  }

  /** A gap in the market's data has just ended: counted when the bot holds some of it (see HoldingGaps). */
  #noteGap(market: string): void {
    const id = this.#byMarket.get(market);
    const t = id === undefined ? undefined : this.#positions.get(id);
    if (t !== undefined && this.#view(t).amount > 0) this.holdingGaps.note(market, this.portfolio.gapMs);
  }

  /**
   * Warm-up after a restore: the event reaches the features, the ranking and the strategy's view of the
   * market, but not the exchange (already at the checkpoint), the positions or the listeners; the
   * strategy's decisions are dropped.
   */
  warm(event: MarketEvent): void {
    if (!this.#warming) throw new Error('TradingEngine.warm: the engine is not warming up (only after a restore or with warmUntil, before resume())');
    this.#lastEventTs = event.ts;
    if (event.ts > this.#batchEnd) this.#batchEnd = Math.ceil(event.ts / this.#batchEvery) * this.#batchEvery;
    this.portfolio.notePrice(event);
    this.#options.venue.observe(event);
    this.#events.next(event);
  }

  /** Ends the warm-up: the restored positions are shown to the strategy and trading continues. */
  resume(): void {
    if (!this.#warming) return;
    this.#warming = false;
    this.#pendingBuys.length = 0;
    for (const t of this.#positions.values()) this.#inputs.next({ kind: 'position', position: this.#view(t) });
  }

  /** The orders the positions are waiting on (after a restore: what to look up on the exchange). */
  pendingOrders(): readonly PendingOrder[] {
    const out: PendingOrder[] = [];
    for (const t of this.#positions.values()) {
      const c = this.#context(t);
      const state = this.#state(t);
      const cancelling = state === 'cancellingBuy' || state === 'cancellingSell';
      if (c?.buy) out.push({ market: t.market, slot: c.buy, cancelling });
      if (c?.sell) out.push({ market: t.market, slot: c.sell, cancelling });
    }
    return out;
  }

  get warming(): boolean {
    return this.#warming;
  }

  /** Everything needed to continue from here (between two events), as JSON-safe data. */
  checkpoint(): EngineCheckpoint {
    const venue = this.#options.venue.snapshot() as SimulatedExchangeSnapshot | undefined;
    return {
      v: 1,
      ts: this.#now,
      seq: this.#seq,
      decisions: this.decisions,
      lastPrice: this.portfolio.prices(),
      regimeAtEntry: Object.fromEntries([...this.#positions.values()].map((t) => [t.positionId, t.regimeAtEntry])),
      settled: [...this.settled],
      results: this.results.map((r) => ({ ...r })),
      bot: this.persistedBot(),
      ...(venue !== undefined ? { exchange: venue } : {}),
      sentEquityTs: Number.isFinite(this.#sentEquityTs) ? this.#sentEquityTs : null,
    };
  }

  /**
   * Ends the run: stops the bot with the configured stop policy (open buys cancelled, holdings kept or
   * liquidated), then completes the streams (the last, partial snapshot batch) and reports what is still
   * open. The bot stops first: the last batch's decisions may still sell, but a BUY is `halted` — a
   * Ctrl-C of paper or live must not send new buys to the exchange on its way out.
   */
  finish(): { open: PositionView[] } {
    this.#stopTrading();
    return this.#end();
  }

  /**
   * `finish` for a venue on a network (a live session's stop): between stopping and no longer listening,
   * waits up to `timeoutMs` for the answers to the orders still in flight — the last batch's sells, the
   * stop's cancels — so their fills and cancels reach the positions, the event log and the summary now,
   * not at the next start. `unanswered`: requests still without an answer (the next start looks them up).
   */
  async finishDraining(timeoutMs: number): Promise<{ open: PositionView[]; unanswered: number }> {
    this.#stopTrading();
    const unanswered = await this.#options.venue.drained(timeoutMs);
    return { ...this.#end(), unanswered };
  }

  #stopTrading(): void {
    this.bot.send({ type: 'bot.stop', reason: 'end of data' });
    this.#endTs = this.#lastEventTs;
    this.#events.complete();
    this.#options.venue.settle(this.#now);
  }

  #end(): { open: PositionView[] } {
    // The run is over: the bot's children are its positions again.
    if (this.#spares.length > 0) this.#dropSpares();
    this.#reportEquity(this.#now);
    const open = [...this.#positions.values()].map((t) => this.#view(t));
    for (const s of this.#subscriptions) s.unsubscribe();
    return { open };
  }

  /** Equity in quote currency: every balance, free and locked, at the last price (see Portfolio). */
  equity(): { equity: number; invested: number } {
    return this.portfolio.equity();
  }

  openPositions(): PositionView[] {
    return [...this.#positions.values()].map((t) => this.#view(t));
  }

  /**
   * Closes the positions holding coins of `market` when the account (`held`: its coins of the market's base,
   * free and locked, read fresh) holds less than they do and too little for a sellable order (under the lot
   * step or the minimum order). Either the rest went to the buy's fee, taken in the coin bought (Binance
   * without BNB: the position counts the coins gross, the account got them net; within twice the fee rate of
   * what was bought and a lot step), so what is left is dust; or the coins were sold or withdrawn outside the
   * bot. Each settles with that reason, so it no longer takes a slot and asks again and again for a sell the
   * exchange refuses. Its round trip received nothing more: the proceeds of a sale by hand, if any, are in
   * the balances. Returns one line per position closed.
   */
  closeUnsellable(market: string, held: number): string[] {
    const rules = this.#options.venue.rules(market);
    const holding = [...this.#positions.values()].filter((t) => t.market === market && this.#state(t) === 'holding');
    if (!rules || holding.length === 0 || !this.#unsellable(market, held)) return [];
    const views = holding.map((t) => this.#view(t));
    const owned = views.reduce((a, v) => a + v.amount, 0);
    const boughtTotal = holding.reduce((a, t) => a + bought(this.#context(t) as PositionContext), 0);
    const toFee = owned - held <= 2 * rules.feeRate * boughtTotal + rules.amountStep;
    const base = baseOf(market);
    return holding.map((t, i) => {
      const amount = (views[i] as PositionView).amount;
      const reason = toFee
        ? `dust: the account holds ${held} ${base}, the position ${amount}; the rest went to the buy's fee, taken in the coin`
        : `coins gone: the account holds ${held} ${base}, the position ${amount} (sold or withdrawn outside the bot)`;
      this.#send(t.positionId, { type: 'position.close', ts: this.#now, reason });
      return `${t.positionId} ${market} closed: ${reason}`;
    });
  }

  /**
   * A sell refused for want of coins: the account's coins are read afresh (a live account asks the exchange;
   * a simulated one knows them) and, where too few are left to sell, the market's positions are closed (`closeUnsellable`).
   */
  #checkCoinsGone(market: string): void {
    const venue = this.#options.venue;
    const base = baseOf(market);
    const close = (held: number | undefined): void => {
      if (held === undefined) return;
      void this.closeGone(market, held).then((lines) => {
        for (const line of lines) this.#options.log?.(line);
      });
    };
    if (venue.heldNow) void venue.heldNow(base).then(close, () => undefined);
    else {
      const b = venue.getBalance(base);
      close(b.free + b.locked);
    }
  }

  /**
   * `closeUnsellable`, believed only once a later read confirms it where the venue's balance reads may lag
   * its fills (`Venue.balanceLagMs`): a read `held` short of the positions is asked again that much later
   * and the positions are closed on that second read. Closing is for good: on the first read alone, a buy
   * whose coins the account had not credited yet (filled while the bot was down, read at once by the
   * restart) was closed as "coins gone", and its coins, there a moment later, were managed by nobody.
   */
  async closeGone(market: string, held: number): Promise<string[]> {
    const venue = this.#options.venue;
    const lag = venue.balanceLagMs ?? 0;
    if (lag <= 0 || !venue.heldNow || !this.#unsellable(market, held)) return this.closeUnsellable(market, held);
    await new Promise<void>((resolve) => this.#options.clock.setTimeout(resolve, lag));
    const again = await venue.heldNow(baseOf(market)).catch(() => undefined);
    return again === undefined ? [] : this.closeUnsellable(market, again);
  }

  /** Whether `held` of the market's base is short of its holding positions and too little for a sellable order. */
  #unsellable(market: string, held: number): boolean {
    const rules = this.#options.venue.rules(market);
    const holding = [...this.#positions.values()].filter((t) => t.market === market && this.#state(t) === 'holding');
    if (!rules || holding.length === 0) return false;
    const views = holding.map((t) => this.#view(t));
    const owned = views.reduce((a, v) => a + v.amount, 0);
    const price = this.#exitPrice(market) || Math.max(...views.map((v) => v.entryPrice));
    return held < owned - 1e-12 * owned && price > 0 && sellOrder(rules, held, price) === 'below-minimum';
  }

  #reportEquity(ts: number): void {
    const { equity, invested } = this.equity();
    // The bot hears of a new peak, a new UTC day, anything that trips the kill switch, and at least one
    // heartbeat (equityHeartbeatMs); other moves change nothing it decides on (at 1 s cadence, sending them
    // all would be most of the engine's work).
    const bot = this.bot.getSnapshot();
    // After a restore the positions' coins are worth 0 until their market's first price (a live restart has
    // none): the bot hears nothing of equity until each has one, or the drop tripped the kill switch with
    // nothing lost (docs/restart.md).
    if (this.#awaitingPrices) this.#awaitingPrices = this.#unpricedHolding();
    const reason = bot.value === 'running' || bot.value === 'paused' ? killReason(bot.context, ts, equity) : undefined;
    // A trip gone before its read answered is over: that read confirms no later trip (it was asked for this one).
    if (reason === undefined) this.#trip = undefined;
    if (!this.#awaitingPrices && (equityMatters(bot.value, bot.context, ts, equity) || ts - this.#sentEquityTs >= (this.#options.equityHeartbeatMs ?? 60_000)) && (reason !== undefined ? !this.#tripHeld(reason, equity) : !this.#dayHeld(bot.context.day, ts))) {
      this.#sentEquityTs = ts;
      const peak = this.#peakHeld(bot.context.peakEquity, equity);
      this.bot.send(peak === undefined ? { type: 'equity.update', ts, equity } : { type: 'equity.update', ts, equity, peak });
    }
    this.#checkDrained();
    for (const l of this.#listeners) l.onEquity?.(ts, equity, invested);
  }

  /**
   * Whether an equity update that trips the kill switch waits, on a venue whose balance reads may be wrong for
   * a moment (`Venue.balanceLagMs`: a live account): the trip acts only once a read asked that much later still
   * gives it (the report after that read). A trip is for good (the drawdown halt waits for `bot.reset`, and
   * `bot.onStop: liquidate` sells every holding): on one read alone, an account endpoint answering `[]` for a
   * moment halted the bot with nothing lost. A failed read asks again at the next report.
   */
  #tripHeld(reason: string, equity: number): boolean {
    const venue = this.#options.venue;
    const lag = venue.balanceLagMs ?? 0;
    const heldNow = venue.heldNow?.bind(venue);
    if (lag <= 0 || heldNow === undefined) {
      this.#trip = undefined;
      return false;
    }
    if (this.#trip?.read === true) {
      // Prices are confirmed too: each coin the positions hold priced by a trade after the trip was first seen. One
      // print far from the market (a fat-finger sale in a thin market) stays its last price until the next trade,
      // and the read above re-reads balances only. A minute at most: a coin that no longer trades holds no trip for good.
      if (this.#pricedBefore(this.#trip.since) && this.#lastEventTs - this.#trip.since < TRIP_PRICE_WAIT_MS) return true;
      this.#trip = undefined;
      return false;
    }
    if (this.#trip === undefined) {
      // Since the newest event: the print itself can be later than the batch that reported it.
      const trip = { read: false, since: Math.max(this.#now, this.#lastEventTs) };
      this.#trip = trip;
      this.#options.log?.(`equity ${equity} ${this.#options.quote} trips the ${reason}: the balances are read again in ${lag / 1000} s before it acts`);
      this.#readLater(heldNow, lag, trip, () => {
        if (this.#trip === trip) this.#trip = undefined;
      });
    }
    return true;
  }

  /**
   * The most of `equity` the bot may take as its peak, on a venue whose balance reads may be wrong for a moment
   * (`Venue.balanceLagMs`): a new peak counts only once a read asked that much later is in, and then only as
   * high as the lowest equity reported since it was first seen (undefined: no new peak, or a simulated venue,
   * whose equity counts whole). The drawdown halt is measured from the peak and is for good: on one read alone,
   * an accounts answer too high for a moment (a deposit counted twice) raised the peak, the next right read
   * looked like a drawdown, and the bot halted (with `bot.onStop: liquidate`, sold everything) with nothing lost.
   */
  #peakHeld(peak: number, equity: number): number | undefined {
    const venue = this.#options.venue;
    const lag = venue.balanceLagMs ?? 0;
    const heldNow = venue.heldNow?.bind(venue);
    if (lag <= 0 || heldNow === undefined) return undefined;
    if (!(equity > peak)) {
      this.#newPeak = undefined;
      return undefined;
    }
    const seen = this.#newPeak;
    if (seen === undefined) {
      const candidate = { low: equity, read: false, since: Math.max(this.#now, this.#lastEventTs) };
      this.#newPeak = candidate;
      this.#readLater(heldNow, lag, candidate, () => {
        if (this.#newPeak === candidate) this.#newPeak = undefined;
      });
      return peak;
    }
    seen.low = Math.min(seen.low, equity);
    // And each held coin traded since (a print far above the market, its market then silent, is no peak).
    if (!seen.read || this.#pricedBefore(seen.since)) return peak;
    this.#newPeak = undefined;
    return seen.low;
  }

  /**
   * Whether the first equity update of a new UTC day waits, on a venue whose balance reads may be wrong for a
   * moment (`Venue.balanceLagMs`): the bot takes the day's opening equity, from which the daily loss limit is
   * measured, from it. It is sent once a read asked that much later is in (the report after that read). On one
   * read alone, an accounts answer too high for a moment at the day's first report opened the day there, and the
   * next right read tripped the daily loss limit (its confirming read, right too, confirmed it) with nothing lost.
   */
  #dayHeld(day: number, ts: number): boolean {
    const venue = this.#options.venue;
    const lag = venue.balanceLagMs ?? 0;
    const heldNow = venue.heldNow?.bind(venue);
    const today = Math.floor(ts / DAY_MS);
    if (lag <= 0 || heldNow === undefined || today === day) {
      this.#newDay = undefined;
      return false;
    }
    const pending = this.#newDay;
    if (pending?.day === today) {
      // And each held coin traded since (a print far above the market, its market then silent), a minute at most.
      if (!pending.read || (this.#pricedBefore(pending.since) && this.#lastEventTs - pending.since < TRIP_PRICE_WAIT_MS)) return true;
      this.#newDay = undefined;
      return false;
    }
    const asked = { day: today, read: false, since: Math.max(this.#now, this.#lastEventTs) };
    this.#newDay = asked;
    this.#readLater(heldNow, lag, asked, () => {
      if (this.#newDay === asked) this.#newDay = undefined;
    });
    return true;
  }

  /**
   * Asks the venue's balances again `lag` ms from now for a trip, a peak or a day's opening held back (`pending`):
   * its `read` is set once they are in; `drop` when the read fails or gives nothing (the next report asks again).
   */
  #readLater(heldNow: (quote: string) => Promise<unknown>, lag: number, pending: { read: boolean }, drop: () => void): void {
    this.#options.clock.setTimeout(() => {
      heldNow(this.#options.quote).then((read) => (read === undefined ? drop() : void (pending.read = true)), drop);
    }, lag);
  }

  /** Whether a position holds coins of a market whose last price is not later than `ts`. */
  #pricedBefore(ts: number): boolean {
    for (const t of this.#positions.values()) {
      if (held((t.ref.getSnapshot() as { context: PositionContext }).context) <= 0) continue;
      const seen = this.portfolio.lastSeen(t.market);
      if (seen === undefined || seen.ts <= ts) return true;
    }
    return false;
  }

  /** Whether a position holds coins of a market with no price yet. */
  #unpricedHolding(): boolean {
    for (const t of this.#positions.values()) {
      if (this.portfolio.price(t.market) === undefined && held((t.ref.getSnapshot() as { context: PositionContext }).context) > 0) return true;
    }
    return false;
  }

  #onDecision(decision: Decision): void {
    if (this.#warming) return;
    this.decisions++;
    for (const l of this.#listeners) l.onDecision?.(decision);
    const positionId = this.#byMarket.get(decision.market);
    const tracked = positionId ? this.#positions.get(positionId) : undefined;
    switch (decision.kind) {
      case 'BUY':
        if (tracked) this.#outcome(decision, 'already-holding');
        else if (this.#cooldown.cooling(decision.market, this.#now)) this.#outcome(decision, 'cooling-down');
        else this.#pendingBuys.push(decision);
        return;
      case 'SELL':
        if (!tracked) this.#outcome(decision, 'no-position');
        else if (this.#cooldown.cooling(decision.market, this.#now)) {
          this.#outcome(decision, 'cooling-down');
          this.#deferredExits.set(tracked.positionId, decision.reason);
        } else this.#sell(tracked, decision.price ?? this.#exitPrice(decision.market), decision.reason, decision);
        return;
      case 'CANCEL_BUY':
        if (tracked) this.#cancelBuy(tracked, decision.ts);
        this.#outcome(decision, tracked ? 'acted' : 'no-position');
        return;
      case 'CANCEL_SELL':
        if (tracked) this.#send(tracked.positionId, { type: 'decision.cancelSell', ts: decision.ts });
        this.#outcome(decision, tracked ? 'acted' : 'no-position');
        return;
    }
  }

  #outcome(decision: Decision, outcome: DecisionOutcome): void {
    for (const l of this.#listeners) l.onDecisionOutcome?.(decision, outcome);
  }

  #outcomes(decisions: readonly Decision[], outcome: DecisionOutcome): void {
    for (const d of decisions) this.#outcome(d, outcome);
  }

  /** Sizes the BUY decisions of one ranking together, so the split of the balance sees them all. */
  #flushBuys(ts: number): void {
    if (this.#pendingBuys.length === 0) return;
    const decisions = this.#pendingBuys.splice(0);
    if (this.#warming) return;
    // The risk step: with every slot taken, the bot halted, the store unwritable or the balances stale, sizing opens nothing
    // (and its balance and equity look-ups are skipped).
    const { config, quote } = this.#options;
    const canOpen = this.#options.canOpenPositions;
    const denied = entryDenial({ openPositions: this.#positions.size, maxPositions: config.allocation.maxPositions, botState: this.bot.getSnapshot().value, storeWritable: canOpen === undefined || canOpen(), balancesCurrent: this.#options.venue.balancesCurrent?.() ?? true });
    if (denied !== undefined) return this.#outcomes(decisions, denied);
    const candidates: Candidate[] = decisions.map((d) => ({ market: d.market, score: d.score ?? 0, price: d.price ?? this.portfolio.price(d.market) ?? 0, volatility: this.#last.find(d.market)?.volatility ?? 0, fraction: d.fraction }));
    const drawdown = { peakEquity: this.bot.getSnapshot().context.peakEquity, maxDrawdown: config.bot.maxDrawdown };
    const sizing = sizeEntries(candidates, { portfolio: this.portfolio, quote, rules: this.#rules, openPositions: this.#positions.size, limits: config.allocation, drawdown });
    const outcomes = new Map<string, DecisionOutcome>();
    this.#placingBuys = true;
    try {
      // Every buy is placed first, as its position would place it (buyOrderAhead, the machine's rule), then
      // the positions take their steps in the same order: a step (its assigns, timers, snapshot and the
      // strategy's view of it) gates none of the other buys, sized together beforehand, one position each.
      for (const order of sizing.orders) {
        const positionId = this.#positionId(++this.#seq);
        const ref = this.#open(positionId, order.market);
        outcomes.set(order.market, ref ? 'acted' : 'halted');
        if (!ref) continue;
        const event: PositionEvent = { type: 'decision.buy', ts, price: order.price, amount: order.amount, market: order.market };
        const snapshot = ref.getSnapshot() as { value: unknown; context: PositionContext };
        const effect = buyOrderAhead(String(snapshot.value), snapshot.context, event);
        if (effect === undefined) {
          this.#track(positionId, order.market, ref, { ...(this.#last.find(order.market)?.regime ?? {}) });
          this.#send(positionId, event);
          continue;
        }
        // A placement that throws (the venue is called last) is not stepped as placed: the error ends the run.
        this.#placeOrder(undefined, effect);
        // Tracked once the orders have left, before its step (its snapshots reach the strategy from then on).
        this.#buysAhead.push({ positionId, market: order.market, ref, event, clientId: effect.slot.clientId });
      }
      if (this.#inMarketEvent) this.#refillSpares = this.#boughtInEvent = true;
    } finally {
      // Also when a placement threw: every buy placed has its position's step.
      if (this.#buysAhead.length > 0) this.#stepBuysAhead();
      this.#placingBuys = false;
      // The venue's answers to these buys, in the order it gave them (also when a placement threw: none is left held).
      const held = this.#heldOrderEvents.splice(0);
      for (let i = 0; i < held.length; i++) this.#onOrderEvent(held[i] as OrderEvent);
    }
    if (this.#listeners.length === 0) return;
    for (const s of sizing.skipped) outcomes.set(s.market, skippedOutcome(s.reason));
    for (const d of decisions) this.#outcome(d, outcomes.get(d.market) ?? 'not-traded-quote');
  }

  /** The steps of the buys #flushBuys placed ahead: each position takes its `decision.buy` without placing it again. */
  #stepBuysAhead(): void {
    const ahead = this.#buysAhead.splice(0);
    for (let i = 0; i < ahead.length; i++) {
      const { positionId, market, ref, event, clientId } = ahead[i] as (typeof ahead)[number];
      this.#track(positionId, market, ref, { ...(this.#last.find(market)?.regime ?? {}) });
      this.#placedAhead = clientId;
      try {
        ref.send(event);
      } finally {
        const skipped = this.#placedAhead === undefined;
        this.#placedAhead = undefined;
        if (!skipped || (ref.getSnapshot() as { context: PositionContext }).context.buy?.clientId !== clientId) {
          throw new Error(`position ${ref.id}: its step on the buy placed ahead (${clientId}) did not place that buy`);
        }
      }
    }
  }

  #positionId(n: number): string {
    return `${this.#options.positionPrefix ?? this.#options.config.botId}-${n}`;
  }

  /**
   * The position actor of a buy: the spare spawned ahead with this id (the next one in order), else one
   * spawned now through the bot (`position.open`). Undefined when the bot takes no new position (not running).
   */
  #open(positionId: string, market: string): AnyActorRef | undefined {
    const spare = this.#spares[0];
    if (spare !== undefined && spare.positionId === positionId && this.bot.getSnapshot().value === 'running') {
      this.#spares.shift();
      this.#spareIds.delete(positionId);
      return spare.ref;
    }
    // The ids moved on without them (a buy the bot did not take): spares are used in id order only.
    if (this.#spares.length > 0) this.#dropSpares();
    this.bot.send({ type: 'position.open', positionId, market, ackTimeoutMs: this.#options.venue.ackTimeoutMs, buyTimeoutMs: this.#options.config.strategy.buyTimeout });
    return this.bot.getSnapshot().children[positionId] as AnyActorRef | undefined;
  }

  /**
   * Keeps idle spare positions (one a slot, up to SPARES_MAX), ids following the last one given: the next batch's
   * buys are then each one step of an existing actor instead of a bot step and a spawn (about half of a
   * buy's time). Spawns at most `max` a call, at the end of the market events after the one that placed
   * buys. Spares have no market (''), are never tracked, shown to the strategy or reported, and are left
   * out of the persisted bot (persistedBot).
   */
  #fillSpares(max: number): void {
    // Not one a free slot: the slots a batch's cancels free are taken by its buys at once.
    const want = Math.min(SPARES_MAX, this.#options.config.allocation.maxPositions);
    const running = this.bot.getSnapshot().value === 'running';
    if (!running || this.#spares.length + max >= want) this.#refillSpares = false;
    if (!running) return;
    const last = this.#spares.at(-1);
    let n = last ? Number(last.positionId.slice(last.positionId.lastIndexOf('-') + 1)) : this.#seq;
    for (let made = 0; made < max && this.#spares.length < want; made++) {
      const positionId = this.#positionId(++n);
      this.bot.send({ type: 'position.open', positionId, market: '', ackTimeoutMs: this.#options.venue.ackTimeoutMs, buyTimeoutMs: this.#options.config.strategy.buyTimeout });
      const ref = this.bot.getSnapshot().children[positionId] as AnyActorRef | undefined;
      if (!ref) return;
      this.#spares.push({ positionId, ref });
      this.#spareIds.add(positionId);
    }
  }

  #dropSpares(): void {
    const positionIds = this.#spares.splice(0).map((s) => s.positionId);
    this.#spareIds.clear();
    this.bot.send({ type: 'positions.remove', positionIds });
  }

  /** The bot's persisted snapshot without the spare positions (they are made again after a restore). */
  persistedBot(): unknown {
    const bot = this.bot.getPersistedSnapshot() as unknown as { children: Record<string, unknown>; context: { positions: Record<string, unknown> } };
    if (this.#spareIds.size === 0) return bot;
    const children: Record<string, unknown> = {};
    for (const id in bot.children) if (!this.#spareIds.has(id)) children[id] = bot.children[id];
    const positions: Record<string, unknown> = {};
    for (const id in bot.context.positions) if (!this.#spareIds.has(id)) positions[id] = bot.context.positions[id];
    return Object.assign({}, bot, { children, context: Object.assign({}, bot.context, { positions }) });
  }

  /** Follows a position actor: its snapshots reach the strategy; its end settles it. */
  #track(positionId: string, market: string, ref: AnyActorRef, regimeAtEntry: Readonly<Record<string, string>>): void {
    const tracked: Tracked = { positionId, market, ref, regimeAtEntry, subscription: { unsubscribe() {} } };
    const subscription = ref.subscribe((snapshot: { status: string; value: unknown; context: PositionContext; output?: PositionResult }) => {
      this.#inputs.next({ kind: 'position', position: this.#view(tracked) });
      if (snapshot.status === 'done' && snapshot.output) this.#settle(tracked, snapshot.output);
    });
    this.#positions.set(positionId, Object.assign({}, tracked, { subscription }));
    this.#known.set(positionId, tracked);
    this.#stateOf.set(positionId, String((ref.getSnapshot() as { value: unknown }).value));
    this.#byMarket.set(market, positionId);
  }

  /** Position transitions from the actor system's inspection stream, with the event that caused each. */
  #inspect(event: InspectionEvent): void {
    if (event.type !== '@xstate.snapshot') return;
    const positionId = (event.actorRef as AnyActorRef).id;
    const t = this.#known.get(positionId);
    if (!t || event.actorRef !== t.ref) return;
    const snapshot = event.snapshot as unknown as { value: unknown; status: string };
    const to = snapshot.status === 'done' ? 'settled' : String(snapshot.value);
    const from = this.#stateOf.get(positionId);
    if (to === 'settled') {
      this.#stateOf.delete(positionId);
      this.#known.delete(positionId);
    } else this.#stateOf.set(positionId, to);
    if (this.#listeners.length === 0) return;
    const transition: PositionTransition = { ts: this.#now, positionId, market: t.market, from, to, event: event.event.type, view: this.#view(t), snapshot: t.ref.getPersistedSnapshot() };
    for (const l of this.#listeners) l.onPositionTransition?.(transition);
  }

  #settle(t: Tracked, result: PositionResult): void {
    this.#positions.get(t.positionId)?.subscription.unsubscribe();
    this.#positions.delete(t.positionId);
    if (this.#byMarket.get(t.market) === t.positionId) this.#byMarket.delete(t.market);
    // During a market event the bot hears of it once the event is handled (the batch's orders first);
    // between events the bot is the same as if told at once. Nothing of the engine reads the bot's
    // children of settled positions: slots, sizing and the stop actions go by #positions.
    if (this.#inMarketEvent) this.#unremoved.push(t.positionId);
    else this.bot.send({ type: 'position.remove', positionId: t.positionId });
    this.settled.push(t.positionId);
    if (result.amount > 0) {
      this.results.push(result);
      for (const l of this.#listeners) l.onPositionSettled?.(result, t.regimeAtEntry);
    }
  }

  #removeSettled(): void {
    // One step of the bot for all of them.
    this.bot.send({ type: 'positions.remove', positionIds: this.#unremoved.splice(0) });
  }

  #onOrderEvent(event: OrderEvent): void {
    const clientId = event.type === 'order.rejected' ? event.clientId : event.order.clientId;
    // An order this bot did not place (by hand on the account: Upbit gives it no identifier; another bot)
    // is none of its accounting: recorded, every such order shared the ledger entry '' (a false
    // executed/applied difference in `coinrx status`) and its fills went to the bot's fill log and fees.
    if (!clientId.startsWith(`${this.#options.config.botId}-`)) {
      this.foreignOrderEvents++;
      return;
    }
    for (const l of this.#listeners) l.onOrderEvent?.(event);
    // An exit the exchange failed to take (a 5xx storm through every attempt) is asked again at once: the wait is for
    // refusals that do not go away by themselves; after a storm of two seconds, a stop-loss waited a minute, then two.
    if (event.type === 'order.rejected') {
      // A sell refused during a ban waits for the ban's end, not a doubling wait past it.
      if (event.side === 'sell' && event.retryAt !== undefined) this.#cooldown.refusedUntil(event.market, event.retryAt);
      else if (!(event.transient && event.side === 'sell')) this.#cooldown.refused(event.market, this.#now);
    } else if (event.type === 'order.accepted') this.#cooldown.accepted(event.order.market);
    if (this.#positions.has(positionIdOf(clientId))) {
      if (this.#cancelling === positionIdOf(clientId)) this.#cancelAnswers.push(event);
      else this.#deliver(event);
    } else if (event.type === 'order.feeCorrected') this.#correctResult(positionIdOf(clientId), event.order.side, event.delta, event.baseFeeDelta);
    else this.orphanOrderEvents++;
    this.#checkDrained();
  }

  /** An order event to its (tracked) position. */
  #deliver(event: OrderEvent): void {
    this.#send(positionIdOf(event.type === 'order.rejected' ? event.clientId : event.order.clientId), event);
    if (event.type === 'order.rejected' && event.side === 'sell' && event.reason === 'insufficient_funds') this.#checkCoinsGone(event.market);
  }

  /**
   * The strategy's CANCEL_BUY. A cancel was three actor steps before the batch's buys: the position's on
   * the decision, its own on the venue's answer (a simulated venue answers at once), which settles it,
   * and the bot's on hearing its child done. None of them gates the buys but for the cancel sent, the slot
   * (and the position's market) it frees and the cash the venue releases when it answers. So during a
   * market event, a position in `buying` has its cancel sent at once as its step would send it
   * (`cancelBuyAhead`, the machine's rule), and an answer that settles it without a fill
   * (`settledByCancelAnswer`) is counted at once as the actor would count it: the strategy sees the same
   * views (the position cancelling, then settled), the engine settles it (#settle), and the actor takes
   * both steps once the event's orders have left (#stepSettledAhead). The venue's answers reach the
   * listeners when they come, as before. Otherwise (no answer yet, or one that does not settle) the
   * position takes its step at once, its cancel already sent, and then the answers, where its mailbox
   * would have taken them.
   */
  #cancelBuy(t: Tracked, ts: number): void {
    const decision: PositionEvent = { type: 'decision.cancelBuy', ts };
    const snapshot = t.ref.getSnapshot() as { value: unknown; context: PositionContext };
    const ahead = this.#inMarketEvent && this.#cancelling === undefined ? cancelBuyAhead(String(snapshot.value), snapshot.context, decision, this.#options.clock.now()) : undefined;
    if (ahead === undefined) return this.#send(t.positionId, decision);
    const clientId = ahead.cancel.slot.clientId;
    this.#cancelling = t.positionId;
    try {
      this.#cancelOrder(undefined, ahead.cancel);
    } finally {
      this.#cancelling = undefined;
    }
    const answers = this.#cancelAnswers.splice(0);
    const answer = answers[0] as OrderEvent;
    const settled = answers.length === 1 ? settledByCancelAnswer('cancellingBuy', ahead.context, answer) : undefined;
    if (settled === undefined) {
      this.#stepCancelledAhead(t.ref, decision, clientId);
      for (const e of answers) this.#deliver(e);
      return;
    }
    this.#settledAhead.push({ ref: t.ref, decision, clientId, event: answer });
    // What the actor's subscription (#track) does on its two snapshots, from the same contexts.
    const rules = this.#options.venue.rules(t.market);
    this.#inputs.next({ kind: 'position', position: positionView(ahead.context, 'cancellingBuy', rules) });
    this.#inputs.next({ kind: 'position', position: positionView(settled, 'settled', rules) });
    this.#settle(t, positionResult(settled));
  }

  /** A position's step on a CANCEL_BUY whose cancel #cancelBuy sent ahead: not sent again. */
  #stepCancelledAhead(ref: AnyActorRef, decision: PositionEvent, clientId: string): void {
    this.#cancelledAhead = clientId;
    try {
      ref.send(decision);
    } finally {
      const skipped = this.#cancelledAhead === undefined;
      this.#cancelledAhead = undefined;
      if (!skipped || String((ref.getSnapshot() as { value: unknown }).value) !== 'cancellingBuy') {
        throw new Error(`position ${ref.id}: its step on the CANCEL_BUY sent ahead (${clientId}) did not send that cancel`);
      }
    }
  }

  /** The steps #cancelBuy left: each position's on its decision and on the answer (which settles it); the bot hears them done after. */
  #stepSettledAhead(): void {
    for (const { ref, decision, clientId, event } of this.#settledAhead.splice(0)) {
      this.#stepCancelledAhead(ref, decision, clientId);
      ref.send(event);
      if ((ref.getSnapshot() as { status: string }).status !== 'done') throw new Error(`position ${ref.id}: the answer to its cancel did not settle it, where the engine counted it settled`);
    }
  }

  /**
   * A fee corrected after its position settled (a sell's fill found by a cancel answer or a look-up ends the
   * position at once, its fee an estimate): the round trip's fees, cost or proceeds, P&L and return move by
   * the difference. A position still trading takes it itself (the position machine's `correctFee`).
   */
  #correctResult(positionId: string, side: 'buy' | 'sell', delta: number, baseFeeDelta: number | undefined): void {
    for (let i = this.results.length - 1; i >= 0; i--) {
      const r = this.results[i] as PositionResult;
      if (r.positionId !== positionId) continue;
      this.results[i] = resultWithFee(r, side, delta, baseFeeDelta);
      return;
    }
  }

  /** Stopping ends once no buy of the bot rests on the exchange any more. */
  #checkDrained(): void {
    if (buysDrained(this.bot.getSnapshot().value, this.#options.venue)) this.bot.send({ type: 'positions.drained' });
  }

  /**
   * A live bot stopped with the `liquidate` policy sells, at each batch, every position in `holding` its stop left:
   * one whose liquidation sell was refused or failed (a 5xx storm at the kill switch), or that came to hold coins
   * after the stop (a buy filled in part, then cancelled by it). The stop sold only those holding at that moment,
   * once: the rest kept their coins, with only the strategy's own exits. Live only (`Venue.balanceLagMs`): a
   * backtest liquidates as it always has.
   */
  #liquidateLeft(): void {
    const bot = this.bot.getSnapshot();
    if (bot.value === 'running' || bot.value === 'paused') {
      this.#liquidating = false;
      return;
    }
    if (!((this.#options.venue.balanceLagMs ?? 0) > 0)) return;
    for (const t of this.#positions.values()) {
      if (this.#state(t) !== 'holding' || this.#cooldown.cooling(t.market, this.#now)) continue;
      const exit = this.#exit(t, this.#exitPrice(t.market), 'liquidate');
      if (exit.event) this.#send(t.positionId, exit.event);
    }
  }

  /** The exits deferred by a cooldown (#deferredExits) whose market no longer cools down: placed at the exit price now. */
  #retryExits(): void {
    for (const [positionId, reason] of [...this.#deferredExits]) {
      const t = this.#positions.get(positionId);
      if (t === undefined || this.#state(t) !== 'holding') {
        this.#deferredExits.delete(positionId);
        continue;
      }
      if (this.#cooldown.cooling(t.market, this.#now)) continue;
      this.#deferredExits.delete(positionId);
      const exit = this.#exit(t, this.#exitPrice(t.market), reason);
      if (exit.event) this.#send(positionId, exit.event);
    }
  }

  /** Carries out the strategy's SELL `decision` (its outcome is reported). */
  #sell(t: Tracked, price: number, reason: string, decision: Decision): void {
    const exit = this.#exit(t, price, reason);
    this.#outcome(decision, exit.outcome);
    if (exit.event) this.#send(t.positionId, exit.event);
  }

  /**
   * What an exit tells the position, through the risk step: whole lots at a price on the tick, or — dust
   * below the minimum order — closing it. Nothing for a position without rules or context.
   */
  #exit(t: Tracked, price: number, reason: string): { readonly event?: PositionEvent; readonly outcome: DecisionOutcome } {
    const rules = this.#options.venue.rules(t.market);
    const context = this.#context(t);
    if (!rules || !context) return { outcome: 'no-position' };
    return exitEvent(rules, held(context), price, reason, this.#now);
  }

  #exitPrice(market: string): number {
    const s = this.#last.find(market);
    return exitPrice(s?.touch?.bidPrice, this.portfolio.price(market), s?.price);
  }

  /**
   * To the position actor itself: routing through the bot (`position.event`) would cost a step of the bot
   * as well. A position not tracked (any more) is told through the bot, which knows its children.
   */
  #send(positionId: string, event: PositionEvent): void {
    const tracked = this.#positions.get(positionId);
    if (tracked) tracked.ref.send(event);
    // One settled but not yet removed (#unremoved) has nothing to be told, as once removed.
    else if (!this.#unremoved.includes(positionId)) this.bot.send({ type: 'position.event', positionId, event });
  }

  #context(t: Tracked): PositionContext | undefined {
    return (t.ref.getSnapshot() as { context?: PositionContext }).context;
  }

  #state(t: Tracked): string {
    return String((t.ref.getSnapshot() as { value: unknown }).value);
  }

  #view(t: Tracked): PositionView {
    return positionView(this.#context(t) as PositionContext, this.#state(t) as PositionView['state'], this.#options.venue.rules(t.market));
  }
}
