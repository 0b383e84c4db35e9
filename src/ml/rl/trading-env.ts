import type { Config } from '../../config.js';
import { DAY_MS, type Fill, type MarketEvent, type OrderEvent } from '../../core/index.js';
import { inferredRulesSource } from '../../exchange/inferred-rules.js';
import { SimulatedExchange } from '../../exchange/index.js';
import { held, type PositionResult } from '../../../machines/index.js';
import { sizeOrders, type Candidate } from '../../trading/order-sizing.js';
import { FEATURE_COUNT } from '../feature-vector.js';
import type { Normalizer } from '../normalizer.js';
import { ACTION_COUNT, BUY, CANCEL_BUY, CANCEL_SELL, groupOf, SELL, writeMask } from './actions.js';
import type { Episode } from './episode.js';
import type { MarketTape } from './market-tape.js';
import { SIGNAL_FEATURES } from './market-signal.js';
import { NO_POSITION, OBSERVATION_SIZE, writeObservation, type PositionInputs } from './observation.js';
import { PositionBook, type BookPosition } from './position-book.js';
import { tradeReward } from './reward.js';
import type { RewardConfig } from './rl-config.js';

const UPBIT_KRW_FEE = 0.0005;

export function quoteOfMarket(market: string): string {
  return market.slice(market.indexOf('/') + 1).split(':')[0] as string;
}

/** The bot actor's kill switches (machines/bot-machine.ts): daily loss limit, max drawdown, stop draining. */
class BotGuard {
  state: 'running' | 'stopping' | 'stopped' = 'running';
  day = -1;
  dayOpen = 0;
  peak = 0;
  haltedDay: number | undefined;
  drawdownHalt = false;
  constructor(
    readonly dailyLossLimit: number,
    readonly maxDrawdown: number,
  ) {}

  #kill(ts: number, equity: number): string | undefined {
    const day = Math.floor(ts / DAY_MS);
    const dayOpen = day === this.day ? this.dayOpen : equity;
    const peak = Math.max(this.peak, equity);
    if (dayOpen > 0 && (dayOpen - equity) / dayOpen >= this.dailyLossLimit) return 'daily';
    if (peak > 0 && (peak - equity) / peak >= this.maxDrawdown) return 'drawdown';
    return undefined;
  }

  #track(ts: number, equity: number): void {
    const day = Math.floor(ts / DAY_MS);
    this.dayOpen = day === this.day ? this.dayOpen : equity;
    this.day = day;
    this.peak = Math.max(this.peak, equity);
  }

  /** Returns true when the update trips a kill switch (the caller then cancels the open buys). */
  update(ts: number, equity: number): boolean {
    if (this.state === 'running') {
      const kill = this.#kill(ts, equity);
      this.#track(ts, equity);
      if (!kill) return false;
      const reason = this.#kill(ts, equity) ?? kill;
      const drawdown = this.peak > 0 && (this.peak - equity) / this.peak >= this.maxDrawdown;
      if (reason === 'daily') {
        this.haltedDay = Math.floor(ts / DAY_MS);
        this.drawdownHalt ||= drawdown;
      } else this.drawdownHalt = true;
      this.state = 'stopping';
      return true;
    }
    if (this.state === 'stopped' && !this.drawdownHalt && this.haltedDay !== undefined && Math.floor(ts / DAY_MS) > this.haltedDay) {
      this.#track(ts, equity);
      this.haltedDay = undefined;
      this.state = 'running';
      return false;
    }
    this.#track(ts, equity);
    return false;
  }
}

export interface EnvOptions {
  readonly tape: MarketTape;
  readonly config: Config;
  readonly reward: RewardConfig;
  readonly normalizer: Normalizer;
  /** Keep every fill and equity point (parity checks, evaluation); off for training speed. */
  readonly record?: boolean;
}

export interface EnvRecord {
  readonly fills: Fill[];
  readonly equity: { ts: number; equity: number }[];
  readonly decisions: { ts: number; market: string; action: number; score: number }[];
}

/**
 * The training environment: one episode at a time on a market tape, with the engine's own order path —
 * the real SimulatedExchange (ticks, fees, minimum order, latency, participation, partial fills),
 * order sizing (src/trading/order-sizing.ts), the position machine's transitions (PositionBook) and
 * the bot's kill switches — fed the recorded events in the engine's order: the event that triggers a
 * batch reaches the exchange before the batch's decisions, buys are sized and placed only at batches
 * where the engine's ranking emits, the last batch of an episode is handled like the engine's end of
 * data (open buys cancelled, holdings kept). Features are precomputed (MarketTape), so a step costs
 * the exchange's matching of the batch's events plus a few array writes.
 *
 * Per step the agent gives one action per episode market (`obs`/`mask` rows, in `episode.markets`
 * order); `rewards` holds each market's reward earned since the previous step.
 */
export class TradingEnv {
  readonly tape: MarketTape;
  readonly config: Config;
  readonly quote: string;
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
  #o: EnvOptions;
  #episode: Episode | undefined;
  #slotOf: Int32Array;
  #exchange!: SimulatedExchange;
  #rules!: ReturnType<typeof inferredRulesSource>;
  #book!: PositionBook;
  #bot!: BotGuard;
  #lastPrice: Float64Array;
  #cursor = 0;
  #marketByCurrency = new Map<string, number>();
  #buys: Candidate[] = [];
  #buyMarket: number[] = [];

  constructor(options: EnvOptions) {
    this.#o = options;
    this.tape = options.tape;
    this.config = options.config;
    this.quote = quoteOfMarket(options.tape.markets[0] as string);
    this.feeRate = this.quote === 'KRW' ? UPBIT_KRW_FEE : options.config.simulator.feeRate;
    this.target = options.reward.target ?? options.config.strategy.takeProfit;
    this.#slotOf = new Int32Array(options.tape.markets.length).fill(-1);
    this.#lastPrice = new Float64Array(options.tape.markets.length);
    options.tape.markets.forEach((m, i) => {
      if (quoteOfMarket(m) === this.quote) this.#marketByCurrency.set(m.slice(0, m.indexOf('/')), i);
    });
  }

  get episode(): Episode | undefined {
    return this.#episode;
  }

  get exchange(): SimulatedExchange {
    return this.#exchange;
  }

  get book(): PositionBook {
    return this.#book;
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
    this.#lastPrice.fill(0);
    this.record = this.#o.record ? { fills: [], equity: [], decisions: [] } : undefined;
    const sim = config.simulator;
    const rules = (this.#rules = inferredRulesSource(sim.feeRate));
    tape.markets.forEach((m, i) => rules.observe(m, tape.firstPrice[i] as number));
    // Start feeding an hour of batches early: the exchange remembers each market's last print (marketable arrivals).
    const from = episode.start >= 12 ? (tape.emitIndex[episode.start - 12] as number) : 0;
    const firstTs = (tape.events[from] as MarketEvent | undefined)?.ts ?? 0;
    this.#exchange = new SimulatedExchange({
      rules: (market) => rules.rules(market),
      balances: { [this.quote]: sim.initialBalance },
      fillModel: { mode: sim.fillModel, participation: sim.participation },
      latency: { submitMs: sim.latency, cancelMs: sim.latency },
      startTs: firstTs,
    });
    this.#bot = new BotGuard(config.bot.dailyLossLimit, config.bot.maxDrawdown);
    this.#book = new PositionBook({
      exchange: this.#exchange,
      rules: (m) => rules.rules(m),
      botId: config.botId,
      ackTimeoutMs: Math.max(60_000, 3 * sim.latency),
      buyTimeoutMs: config.strategy.buyTimeout,
      marketIndex: (m) => tape.markets.indexOf(m),
      onSettled: (p, result) => this.#onSettled(p, result),
    });
    this.#exchange.orderEvents$.subscribe((e) => this.#onOrderEvent(e));
    this.#cursor = from;
    this.done = false;
    this.batch = episode.start;
    this.#feedUntil(this.#feedEnd(episode.start));
    this.#observe();
  }

  /** Applies one action per episode market at the current batch, then runs the market to the next decision. */
  step(actions: ArrayLike<number>, scores?: ArrayLike<number>): boolean {
    if (this.done || !this.#episode) throw new Error('TradingEnv.step: no episode running (reset first)');
    const { tape } = this;
    const M = tape.markets.length;
    const b = this.batch;
    const ts = tape.ts[b] as number;
    this.rewards.fill(0);
    const book = this.#book;
    this.#buys.length = 0;
    this.#buyMarket.length = 0;
    // Decisions in the batch's market order, as the strategy emits them.
    for (let i = tape.orderStart[b] as number, e = tape.orderStart[b + 1] as number; i < e; i++) {
      const m = tape.order[i] as number;
      const k = this.#slotOf[m] as number;
      if (k < 0) continue;
      const a = actions[k] as number;
      if (a === 0) continue;
      const market = tape.markets[m] as string;
      const p = book.byMarket.get(market);
      if (this.record) this.record.decisions.push({ ts, market, action: a, score: scores ? (scores[k] as number) : 0 });
      if (a === SELL) {
        if (p) book.sell(p, tape.bid[b * M + m] as number, 'agent', ts);
      } else if (a === CANCEL_BUY) {
        if (p) book.cancelBuy(p, ts);
      } else if (a === CANCEL_SELL) {
        if (p) book.cancelSell(p, ts);
      } else if (a === BUY) {
        this.#buys.push({ market, score: scores ? (scores[k] as number) : 0, price: tape.bid[b * M + m] as number, volatility: tape.volatility[b * M + m] as number });
        this.#buyMarket.push(m);
      }
    }
    book.tick(ts);
    this.#reportEquity(ts);
    if (tape.ranked[b] === 1 && this.#buys.length > 0) this.#flushBuys(ts);
    if (b === this.#episode.end) {
      this.#finish(ts);
      return true;
    }
    this.batch = b + 1;
    this.#feedUntil(this.#feedEnd(this.batch));
    this.#observe();
    return false;
  }

  /** Equity in the quote currency, every balance at its last price (TradingEngine.equity). */
  equity(): number {
    let equity = 0;
    for (const bal of this.#exchange.getBalances()) {
      const total = bal.free + bal.locked;
      if (bal.currency === this.quote) equity += total;
      else {
        const m = this.#marketByCurrency.get(bal.currency);
        equity += total * (m === undefined ? 0 : (this.#lastPrice[m] as number));
      }
    }
    return equity;
  }

  /** Round trips closed so far in this episode. */
  get results(): readonly PositionResult[] {
    return this.#book.results;
  }

  fees(): number {
    return this.#exchange.feesPaid()[this.quote] ?? 0;
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Events fed before batch `b`'s decisions: through its trigger event, or up to it for the episode's last batch. */
  #feedEnd(b: number): number {
    const e = this.tape.emitIndex[b] as number;
    return b === this.#episode!.end ? e : Math.min(e + 1, this.tape.events.length);
  }

  #feedUntil(end: number): void {
    const { events, eventMarket } = this.tape;
    const ex = this.#exchange;
    const lastPrice = this.#lastPrice;
    for (let i = this.#cursor; i < end; i++) {
      const e = events[i] as MarketEvent;
      if (e.kind === 'candle') lastPrice[eventMarket[i] as number] = e.close;
      else if (e.kind === 'trade' || e.kind === 'ticker') lastPrice[eventMarket[i] as number] = e.price;
      ex.onMarketEvent(e);
    }
    this.#cursor = Math.max(this.#cursor, end);
  }

  #onOrderEvent(e: OrderEvent): void {
    if (this.record && e.type === 'order.fill') this.record.fills.push(e.fill);
    this.#book.onOrderEvent(e);
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#bot.state === 'stopping' && !this.#exchange.getOpenOrders().some((o) => o.side === 'buy')) this.#bot.state = 'stopped';
  }

  #reportEquity(ts: number): void {
    const equity = this.equity();
    if (this.#bot.update(ts, equity)) this.#stopEntries(ts);
    this.#checkDrained();
    if (this.record) this.record.equity.push({ ts, equity });
  }

  /** The bot's `stopping` entry: open buys cancelled; with `liquidate`, holdings sold at the exit price. */
  #stopEntries(ts: number): void {
    for (const p of [...this.#book.positions.values()]) if (p.state === 'buying') this.#book.cancelBuy(p, ts);
    if (this.config.bot.onStop === 'liquidate') {
      for (const p of [...this.#book.positions.values()]) if (p.state === 'holding') this.#book.sell(p, this.#exitPrice(p.marketIndex), 'liquidate', ts);
    }
  }

  /** TradingEngine's exit price: the book's bid when known, else the last price (candles and trades carry no book). */
  #exitPrice(m: number): number {
    const M = this.tape.markets.length;
    const cell = this.batch * M + m;
    const bid = this.tape.bid[cell] as number;
    return bid !== this.tape.price[cell] ? bid : (this.#lastPrice[m] as number) || bid;
  }

  #flushBuys(ts: number): void {
    if (this.#bot.state !== 'running') return;
    const book = this.#book;
    const candidates = this.#buys.filter((c) => !book.byMarket.has(c.market) && this.#rules.rules(c.market)?.quote === this.quote);
    if (candidates.length === 0) return;
    const cash = this.#exchange.getBalance(this.quote).free;
    const sizing = sizeOrders({ candidates, cash, equity: this.equity(), openPositions: book.positions.size, limits: this.config.allocation, rules: (m) => this.#rules.rules(m) });
    for (const order of sizing.orders) book.open(order.market, order.price, order.amount, ts);
  }

  #finish(ts: number): void {
    if (this.#bot.state === 'running') {
      this.#bot.state = 'stopping';
      this.#stopEntries(ts);
    }
    this.#exchange.advanceTo(ts + 1);
    this.#exchange.advanceTo(ts + 10 * 60_000);
    this.#checkDrained();
    const equity = this.equity();
    if (this.record) this.record.equity.push({ ts, equity });
    if (this.#o.reward.openAtEnd) {
      const M = this.tape.markets.length;
      for (const p of this.#book.positions.values()) {
        const k = this.#slotOf[p.marketIndex] as number;
        const amount = held(p.ctx);
        if (k < 0 || !(amount > 0)) continue;
        const c = p.ctx;
        const spent = c.buyValueBefore + c.buyFeesBefore + (c.buy ? c.buy.cost + c.buy.fee : 0);
        const bid = this.#lastPrice[p.marketIndex] || (this.tape.bid[this.batch * M + p.marketIndex] as number);
        const received = c.sellValueBefore - c.sellFeesBefore + amount * bid * (1 - this.feeRate);
        if (spent > 0) this.rewards[k] = (this.rewards[k] as number) + tradeReward({ return: (received - spent) / spent, pnl: received - spent }, this.#o.reward, this.target, this.config.simulator.initialBalance);
      }
    }
    this.done = true;
  }

  #onSettled(p: BookPosition, result: PositionResult | undefined): void {
    if (!result) return;
    const k = this.#slotOf[p.marketIndex] as number;
    if (k >= 0) this.rewards[k] = (this.rewards[k] as number) + tradeReward(result, this.#o.reward, this.target, this.config.simulator.initialBalance);
  }

  /** Writes `obs` and `mask` for the current batch. */
  #observe(): void {
    const { tape } = this;
    const ep = this.#episode!;
    const M = tape.markets.length;
    const b = this.batch;
    const ts = tape.ts[b] as number;
    const book = this.#book;
    const open = book.positions.size;
    const maxPositions = this.config.allocation.maxPositions;
    const canBuyNow = tape.ranked[b] === 1 && this.#bot.state === 'running' && open < maxPositions;
    for (let k = 0; k < this.k; k++) {
      const m = ep.markets[k] as number;
      const cell = b * M + m;
      const market = tape.markets[m] as string;
      const p = book.positions.size > 0 ? book.byMarket.get(market) : undefined;
      let inputs: PositionInputs = NO_POSITION;
      if (p) {
        const v = book.view(p);
        inputs = { group: groupOf(v.state), amount: v.amount, entryPrice: v.entryPrice, entryTs: v.entryTs, orderPrice: v.orderPrice, orderTs: v.orderTs };
      }
      const price = tape.price[cell] as number;
      const bid = tape.bid[cell] as number;
      writeObservation(this.#o.normalizer, tape.features, cell * FEATURE_COUNT, tape.signal, cell * SIGNAL_FEATURES, inputs, price, bid, ts, this.feeRate, open / maxPositions, this.obs, k * OBSERVATION_SIZE);
      if (tape.present[cell] === 1) writeMask(inputs.group, canBuyNow, this.mask, k * ACTION_COUNT);
      else writeMask('busy', false, this.mask, k * ACTION_COUNT);
    }
  }
}
