import { Subject, type Subscription } from 'rxjs';
import { createActor, type Actor } from 'xstate';
import type { Config } from '../../config.js';
import { EventClock } from '../../core/clock.js';
import { quoteOf } from '../../core/market-symbol.js';
import type { Decision, FeatureSnapshot, Fill, MarketEvent, OrderEvent } from '../../core/index.js';
import { SimulatedVenue } from '../../exchange/index.js';
import { botMachine, clockIn, equityMatters, held, positionMachine, type PositionContext, type PositionEvent, type PositionResult } from '../../../machines/index.js';
import type { EdgeEstimate, PositionView, StrategyInput } from '../../../strategies/index.js';
import { buysDrained, cancelOpenBuys, configuredStrategy, entryDenial, exitEvent, exitPrice, liquidateHoldings, orderRouter, Portfolio, positionIdOf, positionView, sizeEntries } from '../../engine/index.js';
import type { Candidate } from '../../trading/order-sizing.js';
import { FEATURE_COUNT } from '../feature-vector.js';
import type { Normalizer } from '../normalizer.js';
import { ACTION_COUNT, BUY, CANCEL_BUY, CANCEL_SELL, entryOffered, groupOf, SELL, writeMask } from './actions.js';
import type { Episode } from './episode.js';
import type { MarketTape } from './market-tape.js';
import { SIGNAL_FEATURES } from './market-signal.js';
import { NO_POSITION, OBSERVATION_SIZE, writeObservation, type PositionInputs } from './observation.js';
import { PositionStepper, type SteppedPosition } from './position-stepper.js';
import { tradeReward } from './reward.js';
import type { ActionConfig, RewardConfig } from './rl-config.js';

export interface EnvOptions {
  readonly tape: MarketTape;
  readonly config: Config;
  readonly reward: RewardConfig;
  readonly normalizer: Normalizer;
  /** The agent's action space (rl-config.ts `actions`); absent: BUY wherever a slot is free (the parity specs' random agents). */
  readonly actions?: ActionConfig;
  /** Keep every fill and equity point (parity checks, evaluation); off for training speed. */
  readonly record?: boolean;
  /**
   * `strategy` action source: feed the rule strategy every batch from the tape's first one before an
   * episode (evaluation, as the backtest warms it from the data's start) instead of `actions.warmDays`.
   */
  readonly warmFromStart?: boolean;
}

export interface EnvRecord {
  readonly fills: Fill[];
  readonly equity: { ts: number; equity: number }[];
  readonly decisions: { ts: number; market: string; action: number; score: number }[];
  /** Every state the bot actor entered, with the time and its stop reason (the kill switch's halts among them). */
  readonly bot: { ts: number; state: string; reason: string | undefined }[];
}

/** The configured rule strategy run inside the environment (the `strategy` action source). */
interface StrategyRun {
  readonly inputs: Subject<StrategyInput>;
  readonly subscription: Subscription;
}

/** A position of the episode: its machine, run by the stepper, and what the environment keeps of it. */
interface EnvPosition {
  readonly positionId: string;
  readonly market: string;
  readonly marketIndex: number;
  readonly machine: SteppedPosition;
  /** The position's value at the last step (equity reward): what it received less what it spent, its holding at the bid net of the fee. */
  mark: number;
}

/** The bot machine with the environment's stop actions (the engine's, src/engine/trading-engine.ts). */
function envBot(env: { cancelOpenBuys(): void; liquidateHoldings(): void }) {
  return botMachine.provide({ actions: { cancelOpenBuys: () => env.cancelOpenBuys(), liquidateHoldings: () => env.liquidateHoldings() } });
}

/**
 * The training environment: one episode at a time on a market tape, trading through the engine's own
 * parts — the backtest's simulated venue (src/exchange/simulated/simulated-venue.ts: the real
 * SimulatedExchange with ticks, the venue's fees, minimum order, latency, participation, partial fills),
 * order sizing (src/trading/order-sizing.ts), the real position machine (machines/position-machine.ts,
 * run by PositionStepper: XState's pure transition, its timers on the environment's clock) and the real
 * bot machine (machines/bot-machine.ts: the kill switch, its halts, the stop policy). An event clock is
 * moved to each market event's time before the exchange sees it, as the kernel moves its own, so the
 * positions' timers and the venue's orders in flight fire in time order. The recorded events are fed in
 * the engine's order: the event that triggers a batch reaches the exchange before the batch's decisions,
 * buys are sized and placed only at batches where the engine's ranking emits, the last batch of an
 * episode is handled like the engine's end of data (the bot stopped: open buys cancelled, holdings kept).
 * Features are precomputed (MarketTape), so a step costs the exchange's matching of the batch's events,
 * the machines' steps for what happened, and a few array writes.
 *
 * Per step the agent gives one action per episode market (`obs`/`mask` rows, in `episode.markets`
 * order); `rewards` holds each market's reward earned since the previous step.
 */
export class TradingEnv {
  readonly tape: MarketTape;
  readonly config: Config;
  readonly quote: string;
  /** The venue's fee rate for the quote currency (what the engine's strategy gets). */
  readonly feeRate: number;
  readonly target: number;
  obs = new Float32Array(0);
  mask = new Uint8Array(0);
  rewards = new Float32Array(0);
  /** Episode market count. */
  k = 0;
  batch = 0;
  done = true;
  record: EnvRecord | undefined;
  /** Round trips with something bought, in settlement order (TradingEngine.results). */
  readonly results: PositionResult[] = [];
  /** Order events of no live position (TradingEngine.orphanOrderEvents). */
  orphanOrderEvents = 0;
  #o: EnvOptions;
  #episode: Episode | undefined;
  #slotOf: Int32Array;
  #venue!: SimulatedVenue;
  #clock!: EventClock;
  #bot!: Actor<ReturnType<typeof envBot>>;
  #stepper!: PositionStepper;
  /** Open positions in creation order, and by market. */
  readonly #positions = new Map<string, EnvPosition>();
  /** Stepper state → position. */
  readonly #ofMachine = new Map<SteppedPosition, EnvPosition>();
  /** What the bot's stop actions tell the positions, delivered once its step is done (as the engine's bot does). */
  readonly #afterBot: (() => void)[] = [];
  readonly #byMarket = new Map<string, EnvPosition>();
  #seq = 0;
  /** The engine's `#now`: the last event's time, the batch's while it decides. */
  #now = 0;
  /** The engine's portfolio on the episode's venue: balances, last prices, equity. */
  #portfolio!: Portfolio;
  #cursor = 0;
  readonly #marketIndex = new Map<string, number>();
  #buys: Candidate[] = [];
  /** `strategy` action source: the configured rule strategy, fed the engine's inputs (null otherwise). */
  #strategy: StrategyRun | null = null;
  /** While the strategy warms up its decisions are dropped, as the engine drops them before it trades. */
  #warming = false;
  /** The strategy's BUYs of the current batch: at its features, then at its ranking (the engine sizes each group on its own). */
  readonly #featureBuys: Decision[] = [];
  readonly #rankingBuys: Decision[] = [];
  /** Per tape market: 1 when the strategy offered it at the current batch; 1 when the agent took it. */
  #offered: Uint8Array;
  #taken: Uint8Array;
  /** Per tape market: the volatility of its last snapshot (what the engine sizes a BUY with). */
  #lastVolatility: Float64Array;
  /** The gate's last estimate as the agent's signal inputs: 2p − 1 and the expected net return in percent. */
  readonly #gate = new Float32Array(SIGNAL_FEATURES);
  /** The same once the batch's features were fed, before its ranking: what the agent observes (the engine's agent decides there). */
  readonly #gateSeen = new Float32Array(SIGNAL_FEATURES);

  constructor(options: EnvOptions) {
    this.#o = options;
    this.tape = options.tape;
    this.config = options.config;
    this.quote = quoteOf(options.tape.markets[0] as string);
    this.feeRate = this.#newVenue(0).feeRate(this.quote);
    this.target = options.reward.target ?? options.config.strategy.takeProfit;
    this.#slotOf = new Int32Array(options.tape.markets.length).fill(-1);
    this.#offered = new Uint8Array(options.tape.markets.length);
    this.#taken = new Uint8Array(options.tape.markets.length);
    this.#lastVolatility = new Float64Array(options.tape.markets.length);
    if (this.#fromStrategy && !(options.tape.snapshots && options.tape.rankings)) throw new Error('actions.source strategy needs a tape built with keepSnapshots (the engine strategy\'s inputs)');
    options.tape.markets.forEach((m, i) => this.#marketIndex.set(m, i));
  }

  get episode(): Episode | undefined {
    return this.#episode;
  }

  get venue(): SimulatedVenue {
    return this.#venue;
  }

  /** The bot actor's state (`running`, `stopping`, `stopped`…) and why it stopped. */
  get bot(): { readonly state: string; readonly stopReason: string | undefined } {
    const s = this.#bot.getSnapshot();
    return { state: String(s.value), stopReason: s.context.stopReason };
  }

  /** What the strategy would see of the open positions (TradingEngine.openPositions). */
  openPositions(): PositionView[] {
    return [...this.#positions.values()].map((p) => this.#view(p));
  }

  /** Starts an episode: a fresh account, events fed up to the first decision batch. */
  reset(episode: Episode): void {
    const { tape, config } = this;
    if (!(episode.start >= 0 && episode.end >= episode.start && episode.end < tape.batches)) throw new Error(`episode [${episode.start}, ${episode.end}] outside the tape's ${tape.batches} batches`);
    this.#episode = episode;
    this.k = episode.markets.length;
    this.#slotOf.fill(-1);
    episode.markets.forEach((m, k) => (this.#slotOf[m] = k));
    this.obs = new Float32Array(this.k * OBSERVATION_SIZE);
    this.mask = new Uint8Array(this.k * ACTION_COUNT);
    this.rewards = new Float32Array(this.k);
    this.record = this.#o.record ? { fills: [], equity: [], decisions: [], bot: [] } : undefined;
    // Start feeding an hour of batches early: the exchange remembers each market's last print (marketable arrivals).
    const from = episode.start >= 12 ? (tape.emitIndex[episode.start - 12] as number) : 0;
    const firstTs = (tape.events[from] as MarketEvent | undefined)?.ts ?? 0;
    this.#bot?.stop();
    for (const p of this.#positions.values()) this.#stepper.stop(p.machine);
    this.#positions.clear();
    this.#ofMachine.clear();
    this.#afterBot.length = 0;
    this.#byMarket.clear();
    this.results.length = 0;
    this.orphanOrderEvents = 0;
    this.#seq = 0;
    this.#now = firstTs;
    this.#clock = new EventClock(firstTs);
    this.#venue = this.#newVenue(firstTs, this.#clock);
    this.#portfolio = new Portfolio(this.#venue, this.quote);
    // The venue infers each market's rules from its first price in the data, as the engine's does.
    tape.markets.forEach((m, i) => this.#venue.inferred.observe(m, tape.firstPrice[i] as number));
    this.#venue.orderEvents$.subscribe((e) => this.#onOrderEvent(e));
    // The engine's order router: the same placing, cancelling and look-ups (retried on the clock) on the venue.
    const { placeOrder, cancelOrder, queryOrder } = orderRouter(this.#venue, this.#clock, {
      now: () => this.#now,
      send: (positionId, event) => this.#send(positionId, event),
      isOpen: (positionId) => this.#positions.has(positionId),
      onCommand: undefined,
    });
    const positions = positionMachine.provide({ actions: { placeOrder, cancelOrder, queryOrder, clockIn: clockIn(this.#clock) } });
    this.#stepper = new PositionStepper(positions, this.#clock, (m) => {
      const p = this.#ofMachine.get(m);
      // The engine's strategy hears every step of a position (its actor's snapshots), its end included.
      if (p && this.#strategy) this.#strategy.inputs.next({ kind: 'position', position: this.#view(p) });
      if (m.snapshot.status !== 'done') return;
      if (p && m.snapshot.output) this.#settle(p, m.snapshot.output);
    });
    this.#bot = createActor(
      envBot({ cancelOpenBuys: () => void this.#afterBot.push(() => this.#cancelOpenBuys()), liquidateHoldings: () => void this.#afterBot.push(() => this.#liquidateHoldings()) }),
      { input: { botId: config.botId, dailyLossLimit: config.bot.dailyLossLimit, maxDrawdown: config.bot.maxDrawdown, onStop: config.bot.onStop }, clock: this.#clock },
    );
    this.#bot.start();
    this.#sendBot({ type: 'bot.start' });
    const record = this.record;
    if (record) {
      let state = String(this.#bot.getSnapshot().value);
      this.#bot.subscribe((snapshot) => {
        if (String(snapshot.value) === state) return;
        state = String(snapshot.value);
        record.bot.push({ ts: this.#now, state, reason: snapshot.context.stopReason });
      });
    }
    this.#cursor = from;
    this.done = false;
    this.batch = episode.start;
    if (this.#fromStrategy) this.#startStrategy(episode.start);
    this.#feedToBatch(episode.start);
    this.#observe();
  }

  /** Applies one action per episode market at the current batch, then runs the market to the next decision. */
  step(actions: ArrayLike<number>, scores?: ArrayLike<number>): boolean {
    if (this.done || !this.#episode) throw new Error('TradingEnv.step: no episode running (reset first)');
    const { tape } = this;
    const M = tape.markets.length;
    const b = this.batch;
    const ts = tape.ts[b] as number;
    this.#now = ts;
    this.rewards.fill(0);
    this.#buys.length = 0;
    // Decisions in the batch's market order, as the strategy emits them (TradingEngine.#onDecision).
    for (let i = tape.orderStart[b] as number, e = tape.orderStart[b + 1] as number; i < e; i++) {
      const m = tape.order[i] as number;
      const k = this.#slotOf[m] as number;
      if (k < 0) continue;
      const a = actions[k] as number;
      if (a === 0) continue;
      const market = tape.markets[m] as string;
      const p = this.#byMarket.get(market);
      if (this.record) this.record.decisions.push({ ts, market, action: a, score: scores ? (scores[k] as number) : 0 });
      if (a === SELL) {
        if (p) this.#sell(p, tape.bid[b * M + m] as number, 'agent');
      } else if (a === CANCEL_BUY) {
        if (p) this.#send(p.positionId, { type: 'decision.cancelBuy', ts });
      } else if (a === CANCEL_SELL) {
        if (p) this.#send(p.positionId, { type: 'decision.cancelSell', ts });
      } else if (a === BUY && !p) {
        if (this.#strategy) this.#taken[m] = 1;
        else this.#buys.push({ market, score: scores ? (scores[k] as number) : 0, price: tape.bid[b * M + m] as number, volatility: tape.volatility[b * M + m] as number });
      }
    }
    if (this.#strategy) {
      // The engine's order: the BUYs of the strategy's features sized, equity reported, then those of its ranking.
      this.#takeStrategyBuys(this.#featureBuys);
      if (this.#buys.length > 0) this.#flushBuys(ts);
      this.#reportEquity(ts);
      this.#strategyRanking(b);
      this.#takeStrategyBuys(this.#rankingBuys);
      if (this.#buys.length > 0) this.#flushBuys(ts);
      this.#taken.fill(0);
    } else {
      this.#reportEquity(ts);
      if (tape.ranked[b] === 1 && this.#buys.length > 0) this.#flushBuys(ts);
    }
    if (b === this.#episode.end) {
      this.#finish(ts);
      return true;
    }
    this.batch = b + 1;
    this.#feedToBatch(this.batch);
    this.#markRewards();
    this.#observe();
    return false;
  }

  /** Equity in the quote currency, every balance at its last price (the engine's Portfolio). */
  equity(): number {
    return this.#portfolio.equity().equity;
  }

  fees(): number {
    return this.#venue.exchange.feesPaid()[this.quote] ?? 0;
  }

  // ---- internals ---------------------------------------------------------------------------

  /** The backtest's venue (src/engine/backtest.ts), on the environment's clock. */
  #newVenue(startTs: number, clock?: EventClock): SimulatedVenue {
    const sim = this.config.simulator;
    return new SimulatedVenue({ quote: this.quote, initialBalance: sim.initialBalance, feeRate: sim.feeRate, fillModel: { mode: sim.fillModel, participation: sim.participation }, latencyMs: sim.latency, startTs, ...(clock ? { clock } : {}) });
  }

  /**
   * Runs the market up to batch `b`'s decisions as the engine does (TradingEngine.onMarketEvent): every
   * event before its trigger event (the first one past the batch's end) reaches the exchange. A point
   * trigger (a trade) does too; a bar trigger spans the time after the batch's moment: the clock moves to
   * its time (due timers fire) and the bar reaches the exchange after the decisions. For the episode's last
   * batch the trigger is left unfed.
   */
  #feedToBatch(b: number): void {
    const { events, emitIndex } = this.tape;
    const e = emitIndex[b] as number;
    if (b === this.#episode!.end || e >= events.length) return this.#feedUntil(e);
    const trigger = events[e] as MarketEvent;
    if (trigger.kind !== 'candle') return this.#feedUntil(e + 1);
    this.#feedUntil(e);
    const ts = trigger.ts;
    this.#clock.advanceTo(ts);
    this.#now = ts;
  }

  /** The kernel's feed: the clock moves to the event (due timers fire), then the exchange matches it. */
  #feedUntil(end: number): void {
    const { events } = this.tape;
    const ex = this.#venue.exchange;
    const clock = this.#clock;
    const portfolio = this.#portfolio;
    for (let i = this.#cursor; i < end; i++) {
      const e = events[i] as MarketEvent;
      clock.advanceTo(e.ts);
      this.#now = e.ts;
      portfolio.notePrice(e);
      ex.onMarketEvent(e);
    }
    this.#cursor = Math.max(this.#cursor, end);
  }

  #onOrderEvent(e: OrderEvent): void {
    if (this.record && e.type === 'order.fill') this.record.fills.push(e.fill);
    const positionId = positionIdOf(e.type === 'order.rejected' ? e.clientId : e.order.clientId);
    const p = this.#positions.get(positionId);
    if (p) this.#send(positionId, e);
    else this.orphanOrderEvents++;
    this.#checkDrained();
  }

  /** The engine's drain check: stopping ends once no buy of the bot rests on the venue. */
  #checkDrained(): void {
    if (buysDrained(this.#bot.getSnapshot().value, this.#venue)) this.#sendBot({ type: 'positions.drained' });
  }

  /** One step of the bot; what its actions told the positions is delivered after it. */
  #sendBot(event: Parameters<Actor<ReturnType<typeof envBot>>['send']>[0]): void {
    this.#bot.send(event);
    while (this.#afterBot.length > 0) (this.#afterBot.shift() as () => void)();
  }

  #reportEquity(ts: number): void {
    const equity = this.equity();
    // What the engine tells the bot, less its heartbeat (which changes nothing the bot decides on).
    const bot = this.#bot.getSnapshot();
    if (equityMatters(bot.value, bot.context, ts, equity)) this.#sendBot({ type: 'equity.update', ts, equity });
    this.#checkDrained();
    if (this.record) this.record.equity.push({ ts, equity });
  }

  /** The bot's `stopping` entry: the engine's stop actions on the open positions. */
  #cancelOpenBuys(): void {
    cancelOpenBuys(this.#positions.values(), (p) => this.#state(p), this.#now, (p, event) => this.#send(p.positionId, event));
  }

  #liquidateHoldings(): void {
    liquidateHoldings(this.#positions.values(), (p) => this.#state(p), (p) => this.#exit(p, this.#exitPrice(p.marketIndex), 'liquidate'), (p, event) => this.#send(p.positionId, event));
  }

  #send(positionId: string, event: PositionEvent): void {
    const p = this.#positions.get(positionId);
    if (p) this.#stepper.send(p.machine, event);
  }

  /** The engine's exit (risk.ts): whole lots at a price on the tick, or the dust closed. */
  #sell(p: EnvPosition, price: number, reason: string): void {
    const event = this.#exit(p, price, reason);
    if (event) this.#send(p.positionId, event);
  }

  #exit(p: EnvPosition, price: number, reason: string): PositionEvent | undefined {
    const rules = this.#venue.rules(p.market);
    return rules ? exitEvent(rules, held(this.#context(p)), price, reason, this.#now).event : undefined;
  }

  /** The engine's exit price; the tape's bid is a book's where it differs from the price (candles and trades carry no book). */
  #exitPrice(m: number): number {
    const cell = this.batch * this.tape.markets.length + m;
    const bid = this.tape.bid[cell] as number;
    return exitPrice(bid !== this.tape.price[cell] ? bid : undefined, this.#portfolio.price(this.tape.markets[m] as string), bid);
  }
  get #fromStrategy(): boolean {
    return this.#o.actions?.source === 'strategy';
  }

  /**
   * The `strategy` action source: a fresh configured strategy (the engine's `configuredStrategy`, the one
   * copy of the rule), fed the batches before the episode — from the tape's start, or `actions.warmDays`
   * of them — with its decisions dropped, as the engine feeds it before it trades.
   */
  #startStrategy(start: number): void {
    this.#strategy?.subscription.unsubscribe();
    this.#gate.fill(0);
    this.#gateSeen.fill(0);
    this.#lastVolatility.fill(0);
    const inputs = new Subject<StrategyInput>();
    const onEstimate = (e: EdgeEstimate): void => {
      this.#gate[0] = 2 * e.p - 1;
      const pct = e.expected * 100;
      this.#gate[1] = pct > 5 ? 5 : pct < -5 ? -5 : pct;
    };
    const subscription = inputs.pipe(configuredStrategy(this.config, this.feeRate, { onEstimate })).subscribe({ next: (d) => this.#onStrategyDecision(d) });
    this.#strategy = { inputs, subscription };
    const perDay = Math.round(86_400_000 / this.config.features.every);
    const from = this.#o.warmFromStart ? 0 : Math.max(0, start - Math.round((this.#o.actions?.warmDays ?? 0) * perDay));
    this.#warming = true;
    for (let b = from; b < start; b++) {
      this.#strategyFeatures(b);
      this.#strategyRanking(b);
    }
    this.#warming = false;
  }

  /** Batch `b`'s features to the strategy, as the engine gives them; the gate's estimate then is what the agent observes. */
  #strategyFeatures(b: number): void {
    const { tape } = this;
    const snapshots = (tape.snapshots as NonNullable<MarketTape['snapshots']>)[b] as readonly FeatureSnapshot[];
    // Each market's volatility at its last snapshot: what the engine sizes `allocation.mode volatility` with.
    for (let i = tape.orderStart[b] as number, j = 0, e = tape.orderStart[b + 1] as number; i < e; i++, j++) this.#lastVolatility[tape.order[i] as number] = (snapshots[j] as FeatureSnapshot).volatility;
    (this.#strategy as StrategyRun).inputs.next({ kind: 'features', ts: tape.ts[b] as number, snapshots });
    this.#gateSeen.set(this.#gate);
  }

  /** The ranking the engine emitted with batch `b`, if any, to the strategy (after the features' BUYs were sized, as in the engine). */
  #strategyRanking(b: number): void {
    const ranking = (this.tape.rankings as NonNullable<MarketTape['rankings']>)[b];
    if (!ranking) return;
    this.#inRanking = true;
    (this.#strategy as StrategyRun).inputs.next({ kind: 'ranking', ranking });
    this.#inRanking = false;
  }

  #inRanking = false;

  /**
   * Batch `b` up to the agent's decision: the strategy's features (its exits carried out at once, as the
   * engine's `#onDecision`; its BUYs kept). BUY can be taken in the markets it offered and in those of the
   * batch's ranking, which reaches the strategy only after the agent's own exits and the features' BUYs
   * (the engine's order): a ranked market the strategy then does not offer (held, gate shut) stays unbought.
   */
  #strategyBatch(b: number): void {
    this.#featureBuys.length = 0;
    this.#rankingBuys.length = 0;
    this.#offered.fill(0);
    this.#strategyFeatures(b);
    const ranking = (this.tape.rankings as NonNullable<MarketTape['rankings']>)[b];
    if (ranking) for (const e of ranking.ranking) {
      const m = this.#marketIndex.get(e.market);
      if (m !== undefined) this.#offered[m] = 1;
    }
  }

  #onStrategyDecision(d: Decision): void {
    if (this.#warming) return;
    const m = this.#marketIndex.get(d.market);
    if (m === undefined || (this.#slotOf[m] as number) < 0) return;
    const p = this.#byMarket.get(d.market);
    switch (d.kind) {
      case 'BUY':
        if (p) return;
        if (this.#inRanking) this.#rankingBuys.push(d);
        else {
          this.#featureBuys.push(d);
          this.#offered[m] = 1;
        }
        return;
      case 'SELL':
        if (p) this.#sell(p, d.price ?? this.#exitPrice(m), d.reason);
        return;
      case 'CANCEL_BUY':
        if (p) this.#send(p.positionId, { type: 'decision.cancelBuy', ts: d.ts });
        return;
      case 'CANCEL_SELL':
        if (p) this.#send(p.positionId, { type: 'decision.cancelSell', ts: d.ts });
        return;
    }
  }

  /** The strategy's BUYs of one group that the agent took, as the engine's sizing candidates (the strategy's score, price and stake). */
  #takeStrategyBuys(decisions: readonly Decision[]): void {
    this.#buys.length = 0;
    for (const d of decisions) {
      const m = this.#marketIndex.get(d.market) as number;
      if (this.#taken[m] !== 1 || this.#byMarket.has(d.market)) continue;
      this.#buys.push({ market: d.market, score: d.score ?? 0, price: d.price ?? this.#portfolio.price(d.market) ?? 0, volatility: this.#lastVolatility[m] as number, fraction: d.fraction });
    }
  }

  /** The engine's `#flushBuys` for the BUYs of one ranking: the same risk step and sizing. */
  #flushBuys(ts: number): void {
    const { config } = this;
    const venue = this.#venue;
    if (entryDenial({ openPositions: this.#positions.size, maxPositions: config.allocation.maxPositions, botState: this.#bot.getSnapshot().value, storeWritable: true }) !== undefined) return;
    const drawdown = { peakEquity: this.#bot.getSnapshot().context.peakEquity, maxDrawdown: config.bot.maxDrawdown };
    const sizing = sizeEntries(this.#buys, { portfolio: this.#portfolio, quote: this.quote, rules: venue.rules, openPositions: this.#positions.size, limits: config.allocation, drawdown });
    // The bot is running (checked above), so it would take every `position.open`.
    for (const order of sizing.orders) {
      const positionId = `${config.botId}-${++this.#seq}`;
      const p: EnvPosition = { positionId, market: order.market, marketIndex: this.#marketIndex.get(order.market) ?? -1, machine: this.#stepper.start({ positionId, market: order.market, ackTimeoutMs: venue.ackTimeoutMs, buyTimeoutMs: config.strategy.buyTimeout }), mark: 0 };
      this.#positions.set(positionId, p);
      this.#ofMachine.set(p.machine, p);
      this.#byMarket.set(order.market, p);
      this.#send(positionId, { type: 'decision.buy', ts, price: order.price, amount: order.amount });
    }
  }

  #settle(p: EnvPosition, result: PositionResult): void {
    this.#positions.delete(p.positionId);
    this.#ofMachine.delete(p.machine);
    if (this.#byMarket.get(p.market) === p) this.#byMarket.delete(p.market);
    const k = this.#slotOf[p.marketIndex] as number;
    // Equity reward: the round trip's last change of value (a buy cancelled unfilled: nothing; otherwise its P&L after every cost).
    if (this.#o.reward.mode === 'equity' && k >= 0) this.rewards[k] = (this.rewards[k] as number) + (result.pnl - p.mark);
    if (result.amount > 0) {
      this.results.push(result);
      if (this.#o.reward.mode === 'trade' && k >= 0) this.rewards[k] = (this.rewards[k] as number) + tradeReward(result, this.#o.reward, this.target, this.config.simulator.initialBalance);
    }
  }

  /**
   * Equity reward: each open position's change of value since the last step (spent and received so far,
   * the current orders' fills included, its holding at the last price net of the fee) joins what settled
   * during the step; then every market's step reward is put in percent of the starting balance and clipped.
   */
  #markRewards(): void {
    const reward = this.#o.reward;
    if (reward.mode !== 'equity') return;
    const M = this.tape.markets.length;
    for (const p of this.#positions.values()) {
      const k = this.#slotOf[p.marketIndex] as number;
      const c = this.#context(p);
      const spent = c.buyValueBefore + c.buyFeesBefore + (c.buy ? c.buy.cost + c.buy.fee : 0);
      const received = c.sellValueBefore - c.sellFeesBefore + (c.sell ? c.sell.cost - c.sell.fee : 0);
      const bid = this.#portfolio.price(p.market) || (this.tape.bid[this.batch * M + p.marketIndex] as number);
      const value = received - spent + held(c) * bid * (1 - this.feeRate);
      if (k >= 0) this.rewards[k] = (this.rewards[k] as number) + (value - p.mark);
      p.mark = value;
    }
    const scale = 100 / this.config.simulator.initialBalance;
    for (let k = 0; k < this.k; k++) {
      const r = (this.rewards[k] as number) * scale;
      this.rewards[k] = r > reward.clip ? reward.clip : r < -reward.clip ? -reward.clip : r;
    }
  }

  /** The engine's end of data: the bot stopped (open buys cancelled), what is in flight played out, equity reported. */
  #finish(ts: number): void {
    this.#sendBot({ type: 'bot.stop', reason: 'end of data' });
    this.#venue.settle(ts);
    this.#reportEquity(ts);
    // Equity reward: what is still open is marked like every step (its value counts, as in the episode's return).
    this.#markRewards();
    if (this.#o.reward.mode === 'trade' && this.#o.reward.openAtEnd) {
      const M = this.tape.markets.length;
      for (const p of this.#positions.values()) {
        const k = this.#slotOf[p.marketIndex] as number;
        const c = this.#context(p);
        const amount = held(c);
        if (k < 0 || !(amount > 0)) continue;
        const spent = c.buyValueBefore + c.buyFeesBefore + (c.buy ? c.buy.cost + c.buy.fee : 0);
        const bid = this.#portfolio.price(p.market) || (this.tape.bid[this.batch * M + p.marketIndex] as number);
        const received = c.sellValueBefore - c.sellFeesBefore + amount * bid * (1 - this.feeRate);
        if (spent > 0) this.rewards[k] = (this.rewards[k] as number) + tradeReward({ return: (received - spent) / spent, pnl: received - spent }, this.#o.reward, this.target, this.config.simulator.initialBalance);
      }
    }
    this.done = true;
  }

  #context(p: EnvPosition): PositionContext {
    return p.machine.snapshot.context;
  }

  #state(p: EnvPosition): string {
    return p.machine.snapshot.value as string;
  }

  #view(p: EnvPosition): PositionView {
    return positionView(this.#context(p), this.#state(p) as PositionView['state'], this.#venue.rules(p.market));
  }

  /** Writes `obs` and `mask` for the current batch. */
  #observe(): void {
    const { tape } = this;
    const ep = this.#episode!;
    const M = tape.markets.length;
    const b = this.batch;
    const ts = tape.ts[b] as number;
    // With the strategy as the source, its batch comes first (at the batch's time, as the engine's): its exits are carried out now, its BUYs are the offer.
    if (this.#strategy) {
      this.#now = ts;
      this.#strategyBatch(b);
    }
    const open = this.#positions.size;
    const maxPositions = this.config.allocation.maxPositions;
    const fromStrategy = this.#strategy !== null;
    // Not tied to a running bot, as the engine's agent is not (agent-policy.ts): a BUY decided while the bot is
    // halted is sized after the batch's equity report, which ends a daily halt at a new day's first batch.
    const canBuyNow = tape.ranked[b] === 1 && open < maxPositions;
    for (let k = 0; k < this.k; k++) {
      const m = ep.markets[k] as number;
      const cell = b * M + m;
      const market = tape.markets[m] as string;
      const p = open > 0 ? this.#byMarket.get(market) : undefined;
      let inputs: PositionInputs = NO_POSITION;
      if (p) {
        const v = this.#view(p);
        inputs = { group: groupOf(v.state), amount: v.amount, entryPrice: v.entryPrice, entryTs: v.entryTs, orderPrice: v.orderPrice, orderTs: v.orderTs };
      }
      const price = tape.price[cell] as number;
      const bid = tape.bid[cell] as number;
      if (fromStrategy) writeObservation(this.#o.normalizer, tape.features, cell * FEATURE_COUNT, this.#gateSeen, 0, inputs, price, bid, ts, this.feeRate, open / maxPositions, this.obs, k * OBSERVATION_SIZE);
      else writeObservation(this.#o.normalizer, tape.features, cell * FEATURE_COUNT, tape.signal, cell * SIGNAL_FEATURES, inputs, price, bid, ts, this.feeRate, open / maxPositions, this.obs, k * OBSERVATION_SIZE);
      if (fromStrategy) {
        // A market missing from the batch (not seen yet, or gone stale) is never sold here (no price), and step acts on the batch's markets only (the engine's agent decides on its snapshots): an offer of it is not taken.
        writeMask(tape.present[cell] === 1 ? inputs.group : 'busy', false, this.mask, k * ACTION_COUNT);
        // Not tied to a free slot or a running bot: the engine's sizing refuses then (as for the engine's agent), and the agent's own exits this step may free a slot.
        if (this.#offered[m] === 1 && inputs.group === 'flat') this.mask[k * ACTION_COUNT + BUY] = 1;
      }
      else if (tape.present[cell] === 1) writeMask(inputs.group, canBuyNow && entryOffered(this.#o.actions, tape.signal[cell * SIGNAL_FEATURES + 1] as number), this.mask, k * ACTION_COUNT);
      else writeMask('busy', false, this.mask, k * ACTION_COUNT);
    }
  }
}
