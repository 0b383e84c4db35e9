import { createActor, type Actor } from 'xstate';
import { EventClock } from '../../src/core/clock.js';
import type { Order, OrderSide, OrderStatus, RejectReason } from '../../src/core/index.js';
import { positionMachine, type OrderEffect, type OrderSlot, type PositionEvent, type PositionInput } from '../../machines/index.js';

/** Shared by the position specs: a position with a 5 s acknowledgement deadline and a 60 s buy timeout. */
export const INPUT: PositionInput = { positionId: 'p1', market: 'BTC/KRW', ackTimeoutMs: 5_000, buyTimeoutMs: 60_000 };

/** One effect the machine asked the engine for, as recorded by the provided actions. */
export interface RecordedEffect {
  readonly kind: 'place' | 'cancel' | 'query';
  readonly positionId: string;
  readonly market: string;
  readonly clientId: string;
  readonly side: OrderSide;
  readonly price: number;
  readonly amount: number;
}

function recorder(effects: RecordedEffect[], kind: RecordedEffect['kind']) {
  return (_: unknown, p: OrderEffect): void => {
    effects.push({ kind, positionId: p.positionId, market: p.market, clientId: p.slot.clientId, side: p.slot.side, price: p.slot.price, amount: p.slot.amount });
  };
}

/** The position machine with its three effects recording into `effects`. */
export function recordingMachine(effects: RecordedEffect[]) {
  return positionMachine.provide({
    actions: { placeOrder: recorder(effects, 'place'), cancelOrder: recorder(effects, 'cancel'), queryOrder: recorder(effects, 'query') },
  });
}

/** The clock moving to `ts` (the timers due by then fire, in time order): written among the events. */
export interface ClockStep {
  readonly type: 'clock.advance';
  readonly ts: number;
}
export type Step = PositionEvent | ClockStep;

/** Moves the clock to each step's time, then sends the event (as the kernel does: the clock is at event time). */
export function play(actor: { send(event: PositionEvent): void }, clock: EventClock, steps: readonly Step[]): void {
  for (const s of steps) {
    clock.advanceTo(s.ts);
    if (s.type !== 'clock.advance') actor.send(s);
  }
}

export interface Position {
  readonly actor: Actor<ReturnType<typeof recordingMachine>>;
  readonly clock: EventClock;
  readonly effects: RecordedEffect[];
  readonly send: (...steps: Step[]) => void;
  readonly state: () => string;
}

/** A position actor on its own event clock (at `start`). */
export function startPosition(input: PositionInput = INPUT, start = 0): Position {
  const effects: RecordedEffect[] = [];
  const clock = new EventClock(start);
  const actor = createActor(recordingMachine(effects), { input, clock }).start();
  return {
    actor,
    clock,
    effects,
    send: (...steps) => play(actor, clock, steps),
    state: () => String(actor.getSnapshot().value),
  };
}

/**
 * The exchange's side of one order: cumulative filled, cost and fee, as an exchange reports them. Every
 * event method returns the event the exchange would send after the change.
 */
export class ExchangeOrder {
  filled = 0;
  cost = 0;
  fee = 0;
  status: OrderStatus = 'open';

  constructor(
    readonly clientId: string,
    readonly side: OrderSide,
    readonly price: number,
    readonly amount: number,
    readonly market = INPUT.market,
  ) {}

  /** The order as the position's slot knows it (cumulative fields included). */
  static fromSlot(slot: OrderSlot, market = INPUT.market): ExchangeOrder {
    const o = new ExchangeOrder(slot.clientId, slot.side, slot.price, slot.amount, market);
    o.filled = slot.filled;
    o.cost = slot.cost;
    o.fee = slot.fee;
    return o;
  }

  /** The order the machine asked for with its last `place` effect. */
  static placed(effects: readonly RecordedEffect[]): ExchangeOrder {
    const e = [...effects].reverse().find((x) => x.kind === 'place');
    if (!e) throw new Error('no order was placed');
    return new ExchangeOrder(e.clientId, e.side, e.price, e.amount, e.market);
  }

  get id(): string {
    return `x-${this.clientId}`;
  }

  get remaining(): number {
    return this.amount - this.filled;
  }

  order(ts: number): Order {
    const { clientId, market, side, price, amount, status, filled, cost, fee } = this;
    return { id: this.id, clientId, market, side, price, amount, status, filled, cost, fee, ts };
  }

  accepted(ts: number): PositionEvent {
    return { type: 'order.accepted', ts, order: this.order(ts) };
  }

  /** A fill of `amount` at `price` (the limit price by default) costing `fee` quote. */
  fill(ts: number, amount: number, price = this.price, fee = 0): PositionEvent {
    this.filled += amount;
    this.cost += amount * price;
    this.fee += fee;
    if (this.filled >= this.amount) this.status = 'filled';
    return { type: 'order.fill', ts, order: this.order(ts), fill: { orderId: this.id, clientId: this.clientId, market: this.market, side: this.side, price, amount, fee, ts } };
  }

  cancelled(ts: number): PositionEvent {
    this.status = 'cancelled';
    return { type: 'order.cancelled', ts, order: this.order(ts) };
  }

  rejected(ts: number, reason: RejectReason = 'insufficient_funds'): PositionEvent {
    return { type: 'order.rejected', ts, clientId: this.clientId, market: this.market, side: this.side, reason, message: reason };
  }

  /** The exchange's answer to a look-up: the order as it stands, or not found. */
  queryResult(ts: number, found = true): PositionEvent {
    return { type: 'order.queryResult', ts, clientId: this.clientId, order: found ? this.order(ts) : undefined };
  }

  /** A copy, to build alternative futures of the same order. */
  clone(): ExchangeOrder {
    const o = new ExchangeOrder(this.clientId, this.side, this.price, this.amount, this.market);
    o.filled = this.filled;
    o.cost = this.cost;
    o.fee = this.fee;
    o.status = this.status;
    return o;
  }
}

export const buy = (ts: number, price: number, amount: number): PositionEvent => ({ type: 'decision.buy', ts, price, amount });
export const sell = (ts: number, price: number, amount?: number, reason?: string): PositionEvent => ({
  type: 'decision.sell',
  ts,
  price,
  ...(amount === undefined ? {} : { amount }),
  ...(reason === undefined ? {} : { reason }),
});
export const advance = (ts: number): ClockStep => ({ type: 'clock.advance', ts });
export const cancelBuy = (ts: number): PositionEvent => ({ type: 'decision.cancelBuy', ts });
export const cancelSell = (ts: number): PositionEvent => ({ type: 'decision.cancelSell', ts });
export const close = (ts: number, reason?: string): PositionEvent => ({ type: 'position.close', ts, ...(reason === undefined ? {} : { reason }) });
