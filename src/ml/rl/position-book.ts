import type { MarketRules, Order, OrderEvent } from '../../core/index.js';
import { roundPrice, type SimulatedExchange } from '../../exchange/index.js';
import { applyFill, DUST, hasFill, held, initialPositionContext, isFullyFilled, newSlot, positionResult, slotFromOrder, type OrderSlot, type PositionContext, type PositionResult } from '../../../machines/index.js';
import type { PositionView } from '../../../strategies/index.js';
import { positionView } from '../../engine/index.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type PositionState = Exclude<PositionView['state'], 'settled'>;

/** One position as the engine's position actor holds it (same context shape, same client ids). */
export interface BookPosition {
  readonly ctx: Mutable<PositionContext>;
  state: PositionState;
  readonly marketIndex: number;
}

type Event =
  | OrderEvent
  | { readonly type: 'order.queryResult'; readonly ts: number; readonly clientId: string; readonly order: Order | undefined }
  | { readonly type: 'clock.tick'; readonly ts: number };

function clientIdOf(e: Event): string | undefined {
  switch (e.type) {
    case 'order.accepted':
    case 'order.fill':
    case 'order.cancelled':
      return e.order.clientId;
    case 'order.rejected':
    case 'order.queryResult':
      return e.clientId;
    default:
      return undefined;
  }
}

function updateSlot(slot: OrderSlot, e: Event): OrderSlot {
  switch (e.type) {
    case 'order.accepted':
    case 'order.cancelled':
      return slotFromOrder(slot, e.order);
    case 'order.fill':
      return applyFill(slot, e.order, e.fill) ?? slot;
    case 'order.queryResult':
      return e.order ? slotFromOrder(slot, e.order) : slot;
    default:
      return slot;
  }
}

export interface PositionBookOptions {
  readonly exchange: SimulatedExchange;
  readonly rules: (market: string) => MarketRules | undefined;
  readonly botId: string;
  readonly ackTimeoutMs: number;
  readonly buyTimeoutMs: number;
  /** Market name → index (for the environment's per-market arrays). */
  readonly marketIndex: (market: string) => number;
  readonly onSettled?: (p: BookPosition, result: PositionResult | undefined) => void;
}

/**
 * The engine's positions without the actor runtime: the position machine's transitions
 * (machines/position-machine.ts), guard for guard, on a plain mutable context, plus the engine's own
 * rules around them (TradingEngine: a buy that ends unfilled closes its position; a sell under the
 * exchange minimum writes the dust off; positions are numbered `${botId}-${n}`, orders `-b1`, `-s2`…).
 * Orders go to the real SimulatedExchange; its order events come back through `onOrderEvent`. The parity
 * spec checks this against the full engine, fill for fill.
 */
export class PositionBook {
  readonly positions = new Map<string, BookPosition>();
  readonly byMarket = new Map<string, BookPosition>();
  readonly results: PositionResult[] = [];
  seq = 0;
  orphanOrderEvents = 0;
  readonly #o: PositionBookOptions;

  constructor(options: PositionBookOptions) {
    this.#o = options;
  }

  /** `position.open` + `decision.buy` (the engine's flushBuys for one sized order). */
  open(market: string, price: number, amount: number, ts: number): BookPosition {
    const positionId = `${this.#o.botId}-${++this.seq}`;
    const ctx: Mutable<PositionContext> = initialPositionContext({ positionId, market, ackTimeoutMs: this.#o.ackTimeoutMs, buyTimeoutMs: this.#o.buyTimeoutMs });
    const p: BookPosition = { ctx, state: 'idle', marketIndex: this.#o.marketIndex(market) };
    this.positions.set(positionId, p);
    this.byMarket.set(market, p);
    if (price > 0 && amount > 0) {
      this.#closeBuy(p);
      ctx.orderCount++;
      ctx.buy = newSlot('buy', `${positionId}-b${ctx.orderCount}`, price, amount, ts);
      ctx.openedTs ??= ts;
      ctx.lastTs = ts;
      ctx.cancelTs = undefined;
      p.state = 'buying';
      this.#place(p, ctx.buy);
    }
    return p;
  }

  /** The engine's `#sell`: price rounded up to the tick, dust under the minimum written off. */
  sell(p: BookPosition, price: number, reason: string, now: number): void {
    const rules = this.#o.rules(p.ctx.market);
    if (!rules) return;
    const sellPrice = roundPrice(rules, price, 'up');
    const amount = held(p.ctx);
    if (amount * sellPrice < rules.minTotal) {
      if (p.state === 'idle' || p.state === 'holding') this.#settle(p, now, 'dust below the minimum order');
      return;
    }
    if (p.state !== 'holding') return;
    const c = p.ctx;
    if (!(held({ ...c, ...this.#closedSell(c) }) > DUST && sellPrice > 0)) return;
    const closed = this.#closedSell(c);
    const sellAmount = held({ ...c, ...closed });
    Object.assign(c, closed);
    c.orderCount++;
    c.sell = newSlot('sell', `${c.positionId}-s${c.orderCount}`, sellPrice, sellAmount, now);
    c.lastTs = now;
    c.cancelTs = undefined;
    c.reason = reason;
    p.state = 'selling';
    this.#place(p, c.sell);
  }

  cancelBuy(p: BookPosition, ts: number): void {
    if (p.state !== 'buying') return;
    p.ctx.cancelTs = ts;
    p.state = 'cancellingBuy';
    this.#cancel(p, p.ctx.buy as OrderSlot, ts);
  }

  cancelSell(p: BookPosition, ts: number): void {
    if (p.state !== 'selling') return;
    p.ctx.cancelTs = ts;
    p.state = 'cancellingSell';
    this.#cancel(p, p.ctx.sell as OrderSlot, ts);
  }

  /** `clock.tick` to every position, in creation order. */
  tick(ts: number): void {
    for (const p of [...this.positions.values()]) this.#handle(p, { type: 'clock.tick', ts });
  }

  onOrderEvent(e: OrderEvent): void {
    const clientId = e.type === 'order.rejected' ? e.clientId : e.order.clientId;
    const positionId = clientId.slice(0, clientId.lastIndexOf('-'));
    const p = this.positions.get(positionId);
    if (p) this.#handle(p, e);
    else this.orphanOrderEvents++;
  }

  /** What the strategy sees of a position (TradingEngine's `#view`). */
  view(p: BookPosition): PositionView {
    return positionView(p.ctx, p.state, this.#o.rules(p.ctx.market));
  }

  // ---- effects -----------------------------------------------------------------------------

  #place(p: BookPosition, slot: OrderSlot): void {
    void this.#o.exchange.createLimitOrder({ clientId: slot.clientId, market: p.ctx.market, side: slot.side, price: slot.price, amount: slot.amount });
  }

  #cancel(p: BookPosition, slot: OrderSlot, ts: number): void {
    const order = this.#o.exchange.getOrder({ clientId: slot.clientId });
    if (order) void this.#o.exchange.cancelOrder(order.id);
    else this.#handle(p, { type: 'order.queryResult', ts, clientId: slot.clientId, order: undefined });
  }

  #query(p: BookPosition, slot: OrderSlot, ts: number): void {
    this.#handle(p, { type: 'order.queryResult', ts, clientId: slot.clientId, order: this.#o.exchange.getOrder({ clientId: slot.clientId }) });
  }

  // ---- context helpers (the machine's actions) ----------------------------------------------

  #closeBuy(p: BookPosition): void {
    const c = p.ctx;
    if (!c.buy) return;
    c.boughtBefore += c.buy.filled;
    c.buyValueBefore += c.buy.cost;
    c.buyFeesBefore += c.buy.fee;
    c.buy = undefined;
  }

  #closedSell(c: PositionContext): Partial<PositionContext> {
    if (!c.sell) return {};
    return { sell: undefined, soldBefore: c.soldBefore + c.sell.filled, sellValueBefore: c.sellValueBefore + c.sell.cost, sellFeesBefore: c.sellFeesBefore + c.sell.fee };
  }

  #finishSell(p: BookPosition): void {
    Object.assign(p.ctx, this.#closedSell(p.ctx));
  }

  #updateBuy(p: BookPosition, e: Event): void {
    const c = p.ctx;
    if (!c.buy) return;
    c.buy = updateSlot(c.buy, e);
    c.lastTs = Math.max(c.lastTs, e.ts);
  }

  #updateSell(p: BookPosition, e: Event): void {
    const c = p.ctx;
    if (!c.sell) return;
    c.sell = updateSlot(c.sell, e);
    c.lastTs = Math.max(c.lastTs, e.ts);
  }

  #markTime(p: BookPosition, e: Event): void {
    p.ctx.lastTs = Math.max(p.ctx.lastTs, e.ts);
  }

  #setReason(p: BookPosition, e: Event): void {
    p.ctx.reason = e.type === 'order.rejected' ? `rejected: ${e.reason}` : 'cancelled';
  }

  /** Buy ended with nothing bought: the engine closes the position (`position.close` with the context's time). */
  #toIdle(p: BookPosition): void {
    p.state = 'idle';
    if (p.ctx.orderCount > 0) this.#settle(p, p.ctx.lastTs, p.ctx.reason || 'buy ended unfilled');
  }

  #settle(p: BookPosition, ts: number, reason?: string): void {
    const c = p.ctx;
    if (reason !== undefined) {
      c.lastTs = Math.max(c.lastTs, ts);
      c.reason = reason;
    }
    const result = positionResult(c);
    this.positions.delete(c.positionId);
    if (this.byMarket.get(c.market) === p) this.byMarket.delete(c.market);
    if (result.amount > 0) this.results.push(result);
    this.#o.onSettled?.(p, result.amount > 0 ? result : undefined);
  }

  #stillHolding(p: BookPosition, e: Event): boolean {
    const c = p.ctx;
    return held({ ...c, sell: c.sell && updateSlot(c.sell, e) }) > DUST;
  }

  // ---- transitions (machines/position-machine.ts) -------------------------------------------

  #handle(p: BookPosition, e: Event): void {
    const c = p.ctx;
    const isBuy = c.buy !== undefined && clientIdOf(e) === c.buy.clientId;
    const isSell = c.sell !== undefined && clientIdOf(e) === c.sell.clientId;
    const buyComplete = (): boolean => c.buy !== undefined && isFullyFilled(updateSlot(c.buy, e));
    const sellComplete = (): boolean => c.sell !== undefined && isFullyFilled(updateSlot(c.sell, e));
    const buyHasFill = (): boolean => hasFill(c.buy && updateSlot(c.buy, e));
    const tick = e.type === 'clock.tick';
    switch (p.state) {
      case 'idle':
      case 'holding':
        return;
      case 'buying':
      case 'cancellingBuy':
      case 'unknownBuy': {
        if (tick) {
          if (p.state === 'buying') {
            const slot = c.buy;
            if (slot && !slot.acked && e.ts >= slot.submittedTs + c.ackTimeoutMs) {
              this.#markTime(p, e);
              p.state = 'unknownBuy';
              return this.#query(p, slot, e.ts);
            }
            if (c.buyTimeoutMs > 0 && slot && slot.acked && e.ts >= slot.submittedTs + c.buyTimeoutMs) {
              c.cancelTs = e.ts;
              p.state = 'cancellingBuy';
              return this.#cancel(p, slot, e.ts);
            }
          } else if (p.state === 'cancellingBuy' && c.cancelTs !== undefined && e.ts >= c.cancelTs + c.ackTimeoutMs) {
            this.#markTime(p, e);
            p.state = 'unknownBuy';
            return this.#query(p, c.buy as OrderSlot, e.ts);
          }
          return;
        }
        if (!isBuy) return;
        switch (e.type) {
          case 'order.accepted':
            this.#updateBuy(p, e);
            if (p.state === 'unknownBuy') p.state = 'buying';
            return;
          case 'order.fill':
            if (buyComplete()) {
              this.#updateBuy(p, e);
              this.#closeBuy(p);
              p.state = 'holding';
            } else {
              this.#updateBuy(p, e);
              if (p.state === 'unknownBuy') p.state = 'buying';
            }
            return;
          case 'order.cancelled':
            if (buyHasFill()) {
              this.#updateBuy(p, e);
              this.#closeBuy(p);
              p.state = 'holding';
            } else {
              this.#updateBuy(p, e);
              this.#closeBuy(p);
              this.#setReason(p, e);
              this.#toIdle(p);
            }
            return;
          case 'order.rejected':
            if (p.state === 'buying') {
              this.#markTime(p, e);
              this.#closeBuy(p);
              this.#setReason(p, e);
              this.#toIdle(p);
            } else if (p.state === 'cancellingBuy') {
              this.#markTime(p, e);
              p.state = 'unknownBuy';
              this.#query(p, c.buy as OrderSlot, e.ts);
            }
            return;
          case 'order.queryResult':
            if (p.state !== 'unknownBuy') return;
            if (e.order?.status === 'open') {
              this.#updateBuy(p, e);
              p.state = 'buying';
            } else if (buyHasFill()) {
              this.#updateBuy(p, e);
              this.#closeBuy(p);
              p.state = 'holding';
            } else {
              this.#updateBuy(p, e);
              this.#closeBuy(p);
              this.#setReason(p, e);
              this.#toIdle(p);
            }
            return;
        }
        return;
      }
      case 'selling':
      case 'cancellingSell':
      case 'unknownSell': {
        if (tick) {
          if (p.state === 'selling') {
            if (c.sell && !c.sell.acked && e.ts >= c.sell.submittedTs + c.ackTimeoutMs) {
              this.#markTime(p, e);
              p.state = 'unknownSell';
              this.#query(p, c.sell, e.ts);
            }
          } else if (p.state === 'cancellingSell' && c.cancelTs !== undefined && e.ts >= c.cancelTs + c.ackTimeoutMs) {
            this.#markTime(p, e);
            p.state = 'unknownSell';
            this.#query(p, c.sell as OrderSlot, e.ts);
          }
          return;
        }
        if (!isSell) return;
        switch (e.type) {
          case 'order.accepted':
            this.#updateSell(p, e);
            if (p.state === 'unknownSell') p.state = 'selling';
            return;
          case 'order.fill':
            if (!this.#stillHolding(p, e)) {
              this.#updateSell(p, e);
              this.#finishSell(p);
              this.#settle(p, c.lastTs);
            } else if (sellComplete()) {
              this.#updateSell(p, e);
              this.#finishSell(p);
              p.state = 'holding';
            } else {
              this.#updateSell(p, e);
              if (p.state === 'unknownSell') p.state = 'selling';
            }
            return;
          case 'order.cancelled':
            this.#updateSell(p, e);
            this.#finishSell(p);
            p.state = 'holding';
            return;
          case 'order.rejected':
            if (p.state === 'selling') {
              this.#markTime(p, e);
              this.#finishSell(p);
              p.state = 'holding';
            } else if (p.state === 'cancellingSell') {
              this.#markTime(p, e);
              p.state = 'unknownSell';
              this.#query(p, c.sell as OrderSlot, e.ts);
            }
            return;
          case 'order.queryResult':
            if (p.state !== 'unknownSell') return;
            if (e.order?.status === 'open') {
              this.#updateSell(p, e);
              p.state = 'selling';
            } else if (this.#stillHolding(p, e)) {
              this.#updateSell(p, e);
              this.#finishSell(p);
              p.state = 'holding';
            } else {
              this.#updateSell(p, e);
              this.#finishSell(p);
              this.#settle(p, c.lastTs);
            }
            return;
        }
      }
    }
  }
}
