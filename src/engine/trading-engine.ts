import { Subject, type Subscription } from 'rxjs';
import { createActor, type Actor, type AnyActorRef } from 'xstate';
import type { Decision, FeatureSnapshot, MarketEvent, MarketRules, OrderEvent, Ranking } from '../core/index.js';
import type { Config } from '../config.js';
import { roundPrice, type SimulatedExchange } from '../exchange/index.js';
import { botMachine, held, positionMachine, type OrderEffect, type PositionContext, type PositionEvent, type PositionResult } from '../../machines/index.js';
import type { PositionView, Strategy, StrategyInput } from '../../strategies/index.js';
import { sizeOrders, type Candidate } from '../trading/order-sizing.js';
import { marketPipeline, type MarketPipeline } from './market-pipeline.js';

export interface EngineOptions {
  readonly config: Config;
  /** The exchange the engine trades on; the simulated one for backtest and paper trading. */
  readonly exchange: SimulatedExchange;
  readonly rules: (market: string) => MarketRules | undefined;
  readonly quote: string;
  readonly strategy: Strategy;
}

/** What the engine tells its observers (statistics, reports, snapshots, monitors). */
export interface EngineListener {
  onDecision?(decision: Decision): void;
  onOrderEvent?(event: OrderEvent): void;
  onPositionSettled?(result: PositionResult, regimeAtEntry: Readonly<Record<string, string>>): void;
  onEquity?(ts: number, equity: number, invested: number): void;
  onRanking?(ranking: Ranking): void;
}

interface Tracked {
  readonly positionId: string;
  readonly market: string;
  readonly ref: AnyActorRef;
  readonly subscription: { unsubscribe(): void };
  readonly regimeAtEntry: Readonly<Record<string, string>>;
}

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
  readonly bot: Actor<typeof botMachine>;
  readonly #options: EngineOptions;
  readonly #events$ = new Subject<MarketEvent>();
  readonly #inputs$ = new Subject<StrategyInput>();
  readonly #positions = new Map<string, Tracked>();
  readonly #byMarket = new Map<string, string>();
  readonly #last = new Map<string, FeatureSnapshot>();
  readonly #lastPrice = new Map<string, number>();
  readonly #pendingBuys: Decision[] = [];
  readonly #listeners: EngineListener[] = [];
  readonly #subscriptions: Subscription[] = [];
  /** Round trips with something bought, in settlement order. */
  readonly results: PositionResult[] = [];
  /** Ids of every position that reached `settled`, bought or not. */
  readonly settled: string[] = [];
  #seq = 0;
  #now = 0;
  decisions = 0;

  constructor(options: EngineOptions) {
    this.#options = options;
    const { config, exchange } = options;
    this.pipeline = marketPipeline(this.#events$, config);
    const placeOrder = (_: unknown, p: OrderEffect): void => {
      void exchange.createLimitOrder({ clientId: p.slot.clientId, market: p.market, side: p.slot.side, price: p.slot.price, amount: p.slot.amount });
    };
    const cancelOrder = (_: unknown, p: OrderEffect): void => {
      const order = exchange.getOrder({ clientId: p.slot.clientId });
      if (order) void exchange.cancelOrder(order.id);
      else this.#send(p.positionId, { type: 'order.queryResult', ts: this.#now, clientId: p.slot.clientId, order: undefined });
    };
    const queryOrder = (_: unknown, p: OrderEffect): void => {
      this.#send(p.positionId, { type: 'order.queryResult', ts: this.#now, clientId: p.slot.clientId, order: exchange.getOrder({ clientId: p.slot.clientId }) });
    };
    const machine = botMachine.provide({
      actors: { position: positionMachine.provide({ actions: { placeOrder, cancelOrder, queryOrder } }) },
      actions: {
        cancelOpenBuys: () => {
          for (const t of this.#positions.values()) if (this.#state(t) === 'buying') this.#send(t.positionId, { type: 'decision.cancelBuy', ts: this.#now });
        },
        liquidateHoldings: () => {
          for (const t of this.#positions.values()) if (this.#state(t) === 'holding') this.#sell(t, this.#exitPrice(t.market), 'liquidate');
        },
      },
    });
    this.bot = createActor(machine, { input: { botId: config.botId, dailyLossLimit: config.bot.dailyLossLimit, maxDrawdown: config.bot.maxDrawdown, onStop: config.bot.onStop } });
    this.bot.start();
    this.bot.send({ type: 'bot.start' });

    this.#subscriptions.push(
      this.#inputs$.pipe(options.strategy).subscribe((d) => this.#onDecision(d)),
      exchange.orderEvents$.subscribe((e) => this.#onOrderEvent(e)),
      this.pipeline.batches$.subscribe((batch) => {
        this.#now = batch.ts;
        for (const s of batch.snapshots) this.#last.set(s.market, s);
        this.#inputs$.next({ kind: 'features', ts: batch.ts, snapshots: batch.snapshots });
        for (const t of [...this.#positions.values()]) this.#send(t.positionId, { type: 'clock.tick', ts: batch.ts });
        this.#reportEquity(batch.ts);
      }),
      this.pipeline.ranking$.subscribe((ranking) => {
        for (const l of this.#listeners) l.onRanking?.(ranking);
        this.#inputs$.next({ kind: 'ranking', ranking });
        this.#flushBuys(ranking.ts);
      }),
    );
  }

  listen(listener: EngineListener): void {
    this.#listeners.push(listener);
  }

  /** Feeds one market event: the exchange matches first (fills are known before the features move). */
  onMarketEvent(event: MarketEvent): void {
    this.#now = event.ts;
    if (event.kind === 'trade' || event.kind === 'ticker') this.#lastPrice.set(event.market, event.price);
    else if (event.kind === 'candle') this.#lastPrice.set(event.market, event.close);
    this.#options.exchange.onMarketEvent(event);
    this.#events$.next(event);
  }

  /**
   * Ends the run: completes the streams (last snapshot batch), stops the bot with the configured stop
   * policy (open buys cancelled, holdings kept or liquidated) and reports what is still open.
   */
  finish(): { open: PositionView[] } {
    this.#events$.complete();
    this.bot.send({ type: 'bot.stop', reason: 'end of data' });
    this.#options.exchange.advanceTo(this.#now + 1);
    this.#options.exchange.advanceTo(this.#now + 10 * 60_000);
    this.#reportEquity(this.#now);
    const open = [...this.#positions.values()].map((t) => this.#view(t));
    for (const s of this.#subscriptions) s.unsubscribe();
    return { open };
  }

  /** Equity in quote currency: every balance, free and locked, at the last price. */
  equity(): { equity: number; invested: number } {
    let equity = 0;
    let invested = 0;
    for (const b of this.#options.exchange.getBalances()) {
      const total = b.free + b.locked;
      if (b.currency === this.#options.quote) equity += total;
      else {
        const market = `${b.currency}/${this.#options.quote}`;
        const value = total * (this.#lastPrice.get(market) ?? 0);
        equity += value;
        invested += value;
      }
    }
    return { equity, invested };
  }

  openPositions(): PositionView[] {
    return [...this.#positions.values()].map((t) => this.#view(t));
  }

  #reportEquity(ts: number): void {
    const { equity, invested } = this.equity();
    this.bot.send({ type: 'equity.update', ts, equity });
    this.#checkDrained();
    for (const l of this.#listeners) l.onEquity?.(ts, equity, invested);
  }

  #onDecision(decision: Decision): void {
    this.decisions++;
    for (const l of this.#listeners) l.onDecision?.(decision);
    const positionId = this.#byMarket.get(decision.market);
    const tracked = positionId ? this.#positions.get(positionId) : undefined;
    switch (decision.kind) {
      case 'BUY':
        if (!tracked) this.#pendingBuys.push(decision);
        return;
      case 'SELL':
        if (tracked) this.#sell(tracked, decision.price ?? this.#exitPrice(decision.market), decision.reason);
        return;
      case 'CANCEL_BUY':
        if (tracked) this.#send(tracked.positionId, { type: 'decision.cancelBuy', ts: decision.ts });
        return;
      case 'CANCEL_SELL':
        if (tracked) this.#send(tracked.positionId, { type: 'decision.cancelSell', ts: decision.ts });
        return;
    }
  }

  /** Sizes the BUY decisions of one ranking together, so the split of the balance sees them all. */
  #flushBuys(ts: number): void {
    if (this.#pendingBuys.length === 0) return;
    const decisions = this.#pendingBuys.splice(0);
    if (!this.bot.getSnapshot().matches('running')) return;
    const { config, exchange, quote } = this.#options;
    const cash = exchange.getBalance(quote).free;
    const candidates: Candidate[] = decisions.map((d) => ({ market: d.market, score: d.score ?? 0, price: d.price ?? this.#lastPrice.get(d.market) ?? 0, volatility: this.#last.get(d.market)?.volatility ?? 0 }));
    const sizing = sizeOrders({ candidates, cash, equity: this.equity().equity, openPositions: this.#positions.size, limits: config.allocation, rules: this.#options.rules });
    for (const order of sizing.orders) {
      const positionId = `${config.botId}-${++this.#seq}`;
      this.bot.send({ type: 'position.open', positionId, market: order.market, ackTimeoutMs: 60_000, buyTimeoutMs: config.strategy.buyTimeout });
      const ref = this.bot.getSnapshot().children[positionId] as AnyActorRef | undefined;
      if (!ref) continue;
      const regimeAtEntry = { ...(this.#last.get(order.market)?.regime ?? {}) };
      const tracked: Tracked = { positionId, market: order.market, ref, regimeAtEntry, subscription: { unsubscribe() {} } };
      const subscription = ref.subscribe((snapshot: { status: string; value: unknown; context: PositionContext; output?: PositionResult }) => {
        this.#inputs$.next({ kind: 'position', position: this.#view(tracked) });
        if (snapshot.status === 'done' && snapshot.output) this.#settle(tracked, snapshot.output);
        // A buy that ended with nothing bought (cancelled, rejected) leaves the position idle: close it to free the slot.
        else if (snapshot.value === 'idle' && snapshot.context.orderCount > 0) this.#send(positionId, { type: 'position.close', ts: snapshot.context.lastTs, reason: snapshot.context.reason || 'buy ended unfilled' });
      });
      this.#positions.set(positionId, { ...tracked, subscription });
      this.#byMarket.set(order.market, positionId);
      this.#send(positionId, { type: 'decision.buy', ts, price: order.price, amount: order.amount });
    }
  }

  #settle(t: Tracked, result: PositionResult): void {
    this.#positions.get(t.positionId)?.subscription.unsubscribe();
    this.#positions.delete(t.positionId);
    if (this.#byMarket.get(t.market) === t.positionId) this.#byMarket.delete(t.market);
    this.bot.send({ type: 'position.remove', positionId: t.positionId });
    this.settled.push(t.positionId);
    if (result.amount > 0) {
      this.results.push(result);
      for (const l of this.#listeners) l.onPositionSettled?.(result, t.regimeAtEntry);
    }
  }

  #onOrderEvent(event: OrderEvent): void {
    for (const l of this.#listeners) l.onOrderEvent?.(event);
    const clientId = event.type === 'order.rejected' ? event.clientId : event.order.clientId;
    this.#send(positionIdOf(clientId), event);
    this.#checkDrained();
  }

  /** Stopping ends once no buy of the bot rests on the exchange any more. */
  #checkDrained(): void {
    if (this.bot.getSnapshot().matches('stopping') && !this.#options.exchange.getOpenOrders().some((o) => o.side === 'buy')) this.bot.send({ type: 'positions.drained' });
  }

  #sell(t: Tracked, price: number, reason: string): void {
    const rules = this.#options.rules(t.market);
    const context = this.#context(t);
    if (!rules || !context) return;
    const sellPrice = roundPrice(rules, price, 'up');
    const amount = held(context);
    if (amount * sellPrice < rules.minTotal) {
      this.#send(t.positionId, { type: 'position.close', ts: this.#now, reason: 'dust below the minimum order' });
      return;
    }
    this.#send(t.positionId, { type: 'decision.sell', ts: this.#now, price: sellPrice, reason });
  }

  #exitPrice(market: string): number {
    const s = this.#last.get(market);
    return s?.touch?.bidPrice ?? this.#lastPrice.get(market) ?? s?.price ?? 0;
  }

  #send(positionId: string, event: PositionEvent): void {
    this.bot.send({ type: 'position.event', positionId, event });
  }

  #context(t: Tracked): PositionContext | undefined {
    return (t.ref.getSnapshot() as { context?: PositionContext }).context;
  }

  #state(t: Tracked): string {
    return String((t.ref.getSnapshot() as { value: unknown }).value);
  }

  #view(t: Tracked): PositionView {
    const c = this.#context(t) as PositionContext;
    const order = c.sell ?? c.buy;
    const boughtAmount = c.boughtBefore + (c.buy?.filled ?? 0);
    const buyValue = c.buyValueBefore + (c.buy?.cost ?? 0);
    const rules = this.#options.rules(t.market);
    return {
      positionId: t.positionId,
      market: t.market,
      state: this.#state(t) as PositionView['state'],
      amount: held(c),
      entryPrice: boughtAmount > 0 ? buyValue / boughtAmount : 0,
      entryTs: c.openedTs ?? c.lastTs,
      orderPrice: order?.price ?? 0,
      orderTs: order?.submittedTs ?? 0,
      tickSize: rules && order ? rules.tickSize(order.price) : 0,
    };
  }
}
