import { and, assign, not, setup, type ActorRefFrom, type EventObject, type NonReducibleUnknown } from 'xstate';
import type { Order, OrderEvent } from '../src/core/index.js';
import { applyFill, hasFill, isFullyFilled, netBought, netBuyValue, newSlot, slotFromOrder, DUST, type OrderSlot, type PositionResult } from './position-logic.js';

export interface PositionInput {
  readonly positionId: string;
  readonly market: string;
  /** An order (or a cancel) unacknowledged this long is looked up on the exchange; an unanswered look-up is asked again after as long. */
  readonly ackTimeoutMs: number;
  /** A buy is cancelled this long after it was placed (0: never). The one buy timeout: strategies do not repeat it. */
  readonly buyTimeoutMs: number;
}

export type PositionEvent =
  /** `market`: for a position spawned ahead without one (a spare, market ''), the market it buys; ignored once it has one. */
  | { readonly type: 'decision.buy'; readonly ts: number; readonly price: number; readonly amount: number; readonly market?: string }
  | { readonly type: 'decision.sell'; readonly ts: number; readonly price: number; readonly amount?: number; readonly reason?: string }
  | { readonly type: 'decision.cancelBuy'; readonly ts: number }
  | { readonly type: 'decision.cancelSell'; readonly ts: number }
  | { readonly type: 'position.close'; readonly ts: number; readonly reason?: string }
  | { readonly type: 'order.queryResult'; readonly ts: number; readonly clientId: string; readonly order: Order | undefined }
  | OrderEvent;

export interface PositionContext extends PositionInput {
  /** Orders placed so far: numbers the next client id. */
  readonly orderCount: number;
  readonly buy: OrderSlot | undefined;
  readonly sell: OrderSlot | undefined;
  /** Totals of the finished orders (the current ones are in `buy`/`sell`): base, quote value before fees, fees. */
  readonly boughtBefore: number;
  readonly buyValueBefore: number;
  readonly buyFeesBefore: number;
  readonly soldBefore: number;
  readonly sellValueBefore: number;
  readonly sellFeesBefore: number;
  /** Event time a cancel was requested (its acknowledgement deadline starts then). */
  readonly cancelTs: number | undefined;
  readonly openedTs: number | undefined;
  /**
   * Event time of the latest thing that happened to the position. A state's timers count from it: it is
   * the time the state was entered (a timer that fires sets it to its due time), see `delays` below.
   */
  readonly lastTs: number;
  /**
   * When the current state's timers were started, on the actor's clock, and `lastTs` then (see
   * `clockIn`): what rearmTimers needs to restore them as they were. Undefined before a timed state.
   */
  readonly timersFrom: number | undefined;
  readonly timersBase: number | undefined;
  readonly reason: string;
}

/** What an effect needs to know about an order. */
export interface OrderEffect {
  readonly positionId: string;
  readonly market: string;
  readonly slot: OrderSlot;
}

/** Base bought so far, net of any fee taken from the coins (`netBought`). */
export function bought(c: PositionContext): number {
  return c.boughtBefore + (c.buy ? netBought(c.buy) : 0);
}
export function sold(c: PositionContext): number {
  return c.soldBefore + (c.sell?.filled ?? 0);
}
/** Base currently held by the position. */
export function held(c: PositionContext): number {
  return heldOf(bought(c), sold(c));
}
function heldOf(bought: number, sold: number): number {
  const h = bought - sold;
  return h > DUST ? h : 0;
}
/** What `held` gives once the current sell is folded into the totals (closeSell). */
function heldAfterSell(c: PositionContext): number {
  return heldOf(bought(c), c.sell ? c.soldBefore + c.sell.filled : c.soldBefore);
}

function eventClientId(event: PositionEvent): string | undefined {
  switch (event.type) {
    case 'order.accepted':
    case 'order.fill':
    case 'order.cancelled':
      return event.order.clientId;
    case 'order.rejected':
    case 'order.queryResult':
      return event.clientId;
    default:
      return undefined;
  }
}

function ts(event: PositionEvent): number {
  return event.ts;
}

/** A new position: nothing ordered, nothing bought (the machine's initial context). */
export function initialPositionContext(input: PositionInput): PositionContext {
  // Fields named one by one: a spread followed by more keys is slow on Node 20 (see patched() in position-logic.ts).
  return {
    positionId: input.positionId,
    market: input.market,
    ackTimeoutMs: input.ackTimeoutMs,
    buyTimeoutMs: input.buyTimeoutMs,
    orderCount: 0,
    buy: undefined,
    sell: undefined,
    boughtBefore: 0,
    buyValueBefore: 0,
    buyFeesBefore: 0,
    soldBefore: 0,
    sellValueBefore: 0,
    sellFeesBefore: 0,
    cancelTs: undefined,
    openedTs: undefined,
    lastTs: 0,
    timersFrom: undefined,
    timersBase: undefined,
    reason: '',
  };
}

/** Folds the current order into the finished totals. */
function closeBuy(c: PositionContext): Partial<PositionContext> {
  if (!c.buy) return {};
  return { buy: undefined, boughtBefore: c.boughtBefore + netBought(c.buy), buyValueBefore: c.buyValueBefore + netBuyValue(c.buy), buyFeesBefore: c.buyFeesBefore + c.buy.fee };
}
function closeSell(c: PositionContext): Partial<PositionContext> {
  if (!c.sell) return {};
  return { sell: undefined, soldBefore: c.soldBefore + c.sell.filled, sellValueBefore: c.sellValueBefore + c.sell.cost, sellFeesBefore: c.sellFeesBefore + c.sell.fee };
}

function updateSlot(slot: OrderSlot, event: PositionEvent): OrderSlot {
  switch (event.type) {
    case 'order.accepted':
    case 'order.cancelled':
      return slotFromOrder(slot, event.order);
    case 'order.fill':
      return applyFill(slot, event.order, event.fill) ?? slot;
    case 'order.queryResult':
      return event.order ? slotFromOrder(slot, event.order) : slot;
    default:
      return slot;
  }
}

/** Why a position ends without trading, from the event that ends it. */
function reasonOf(event: PositionEvent): string {
  return event.type === 'position.close' ? (event.reason ?? 'closed') : event.type === 'order.rejected' ? `rejected: ${event.reason}` : 'cancelled';
}

/** What updateBuy, finishBuy and (with `reason`) setReason give in turn, in one patch. */
function endBuy(c: PositionContext, event: PositionEvent, reason: string | undefined): Partial<PositionContext> {
  if (!c.buy) return reason === undefined ? {} : { reason };
  const slot = updateSlot(c.buy, event);
  const patch: Partial<PositionContext> = { buy: undefined, boughtBefore: c.boughtBefore + netBought(slot), buyValueBefore: c.buyValueBefore + netBuyValue(slot), buyFeesBefore: c.buyFeesBefore + slot.fee, lastTs: Math.max(c.lastTs, ts(event)) };
  return reason === undefined ? patch : Object.assign(patch, { reason });
}

/** What updateSell then finishSell give, in one patch. */
function endSell(c: PositionContext, event: PositionEvent): Partial<PositionContext> {
  if (!c.sell) return {};
  const slot = updateSlot(c.sell, event);
  return { sell: undefined, soldBefore: c.soldBefore + slot.filled, sellValueBefore: c.sellValueBefore + slot.cost, sellFeesBefore: c.sellFeesBefore + slot.fee, lastTs: Math.max(c.lastTs, ts(event)) };
}

/**
 * The exchange's own fee of an order's fills the position was told at an estimate (`order.feeCorrected`):
 * the fees move by the difference, in the current order's slot or, for a finished order of this position
 * (folded into the totals), in its side's totals. No amount moves (the fills stay counted once) but the
 * coins a buy's trades show were taken as its fee (`baseFeeDelta`): they were never the position's.
 */
function correctedFee(c: PositionContext, event: PositionEvent): Partial<PositionContext> {
  if (event.type !== 'order.feeCorrected') return {};
  const { order, delta } = event;
  const coins = order.side === 'buy' ? (event.baseFeeDelta ?? 0) : 0;
  if (c.buy?.clientId === order.clientId) return { buy: coins === 0 ? { ...c.buy, fee: c.buy.fee + delta } : { ...c.buy, fee: c.buy.fee + delta, baseFee: (c.buy.baseFee ?? 0) + coins } };
  if (c.sell?.clientId === order.clientId) return { sell: { ...c.sell, fee: c.sell.fee + delta } };
  if (!order.clientId.startsWith(`${c.positionId}-`)) return {};
  if (order.side === 'sell') return { sellFeesBefore: c.sellFeesBefore + delta };
  if (coins === 0 || c.boughtBefore <= 0) return { buyFeesBefore: c.buyFeesBefore + delta };
  // Coins found taken as the finished buy's fee leave the position at its entry price (netBuyValue).
  const entry = c.buyValueBefore / c.boughtBefore;
  return { buyFeesBefore: c.buyFeesBefore + delta, boughtBefore: c.boughtBefore - coins, buyValueBefore: c.buyValueBefore - coins * entry };
}

function isBuyEvent(c: PositionContext, event: PositionEvent): boolean {
  return c.buy !== undefined && eventClientId(event) === c.buy.clientId;
}
function buyHasFill(c: PositionContext, event: PositionEvent): boolean {
  return hasFill(c.buy && updateSlot(c.buy, event));
}

/**
 * The context a position in `cancellingBuy` settles with when `event` is the answer to its cancel that
 * ends it without a fill (that state's `order.cancelled` transition to `settled`, below); undefined for
 * any other state or event. The engine counts such a position settled at once and lets the actor take
 * the step after the batch's orders (docs/latency.md), so this says exactly what the machine does.
 */
export function settledByCancelAnswer(state: string, c: PositionContext, event: PositionEvent): PositionContext | undefined {
  if (state !== 'cancellingBuy' || event.type !== 'order.cancelled' || !isBuyEvent(c, event) || buyHasFill(c, event)) return undefined;
  return Object.assign({}, c, endBuy(c, event, reasonOf(event)));
}

function validBuy(event: PositionEvent): boolean {
  return event.type === 'decision.buy' && event.price > 0 && event.amount > 0;
}

/** What the `startBuy` assign patches into the context for a `decision.buy`. */
function startBuy(c: PositionContext, event: Extract<PositionEvent, { type: 'decision.buy' }>): Partial<PositionContext> {
  const n = c.orderCount + 1;
  const patch = Object.assign(closeBuy(c), { orderCount: n, buy: newSlot('buy', `${c.positionId}-b${n}`, event.price, event.amount, event.ts), openedTs: c.openedTs ?? event.ts, lastTs: event.ts, cancelTs: undefined });
  return c.market === '' && event.market !== undefined ? Object.assign(patch, { market: event.market }) : patch;
}

/**
 * The order a position in `state` places on `event` when that is the `idle` state's `decision.buy` (its
 * guard, its assign and its `placeOrder` effect as the machine has them); undefined for any other state or
 * event, or a buy the guard refuses. The engine places a batch's buys with it before their positions take
 * their steps (docs/latency.md), so this says exactly what the machine would place.
 */
export function buyOrderAhead(state: string, c: PositionContext, event: PositionEvent): OrderEffect | undefined {
  if (state !== 'idle' || event.type !== 'decision.buy' || !validBuy(event)) return undefined;
  const patch = startBuy(c, event);
  return effect(Object.assign({}, c, patch), 'buy');
}

/** What the `markCancel` assign patches into the context: a cancel asked at the event's time. */
function markCancel(c: PositionContext, event: PositionEvent): Partial<PositionContext> {
  return { cancelTs: ts(event), lastTs: Math.max(c.lastTs, ts(event)) };
}

/**
 * The step of a position in `state` on `event` when that is the `buying` state's `decision.cancelBuy`: the
 * cancel it sends (its `cancelOrder` effect) and the context it reaches (`markCancel`, then the
 * `cancellingBuy` state's entry with the engine's clockIn at the clock's `now`); undefined for any other
 * state or event. The engine sends a CANCEL_BUY's cancel with it and, when the venue's answer settles the
 * position at once, lets the actor take both steps after the batch's orders (docs/latency.md).
 */
export function cancelBuyAhead(state: string, c: PositionContext, event: PositionEvent, now: number): { readonly context: PositionContext; readonly cancel: OrderEffect } | undefined {
  if (state !== 'buying' || event.type !== 'decision.cancelBuy') return undefined;
  const marked = Object.assign({}, c, markCancel(c, event));
  return { context: Object.assign(marked, clockedIn(marked, now)), cancel: effect(marked, 'buy') };
}

/** The round trip so far, from the finished orders. */
export function positionResult(c: PositionContext): PositionResult {
  const spent = c.buyValueBefore + c.buyFeesBefore;
  const received = c.sellValueBefore - c.sellFeesBefore;
  return {
    positionId: c.positionId,
    market: c.market,
    openedTs: c.openedTs ?? c.lastTs,
    closedTs: c.lastTs,
    amount: c.boughtBefore,
    entryPrice: c.boughtBefore > 0 ? c.buyValueBefore / c.boughtBefore : 0,
    exitPrice: c.soldBefore > 0 ? c.sellValueBefore / c.soldBefore : 0,
    spent,
    received,
    fees: c.buyFeesBefore + c.sellFeesBefore,
    pnl: received - spent,
    return: spent > 0 ? (received - spent) / spent : 0,
    reason: c.reason,
  };
}

export const positionMachine = setup({
  types: {
    context: {} as PositionContext,
    events: {} as PositionEvent,
    input: {} as PositionInput,
    output: {} as PositionResult,
  },
  actions: {
    /** Effects, supplied by the engine with `.provide()`: the machine itself does no I/O. */
    placeOrder: (_, _params: OrderEffect) => {},
    cancelOrder: (_, _params: OrderEffect) => {},
    queryOrder: (_, _params: OrderEffect) => {},
    startBuy: assign(({ context, event }) => (event.type === 'decision.buy' ? startBuy(context, event) : {})),
    startSell: assign(({ context, event }) => {
      if (event.type !== 'decision.sell') return {};
      const n = context.orderCount + 1;
      const amount = Math.min(event.amount ?? Infinity, heldAfterSell(context));
      return Object.assign(closeSell(context), { orderCount: n, sell: newSlot('sell', `${context.positionId}-s${n}`, event.price, amount, event.ts), lastTs: event.ts, cancelTs: undefined, reason: event.reason ?? context.reason });
    }),
    updateBuy: assign(({ context, event }) => (context.buy ? { buy: updateSlot(context.buy, event), lastTs: Math.max(context.lastTs, ts(event)) } : {})),
    updateSell: assign(({ context, event }) => (context.sell ? { sell: updateSlot(context.sell, event), lastTs: Math.max(context.lastTs, ts(event)) } : {})),
    finishBuy: assign(({ context }) => closeBuy(context)),
    finishSell: assign(({ context }) => closeSell(context)),
    /**
     * updateBuy then finishBuy (and setReason) as one assign: each assign is a copy of the context and of
     * the snapshot in XState, and these end every buy (its last fill, its cancel) on the order path.
     */
    endBuy: assign(({ context, event }) => endBuy(context, event, undefined)),
    endBuyWithReason: assign(({ context, event }) => endBuy(context, event, reasonOf(event))),
    /** updateSell then finishSell as one assign (see endBuy). */
    endSell: assign(({ context, event }) => endSell(context, event)),
    /** A cancel asked at the event's time: its acknowledgement timer counts from then. */
    markCancel: assign(({ context, event }) => markCancel(context, event)),
    markTime: assign(({ context, event }) => ({ lastTs: Math.max(context.lastTs, ts(event)) })),
    /** What a timer does at its due time `at` (a delayed event carries no time of its own). */
    markCancelAt: assign(({ context }, at: number) => ({ cancelTs: at, lastTs: Math.max(context.lastTs, at) })),
    markTimeAt: assign(({ context }, at: number) => ({ lastTs: Math.max(context.lastTs, at) })),
    /**
     * Entering a timed state: notes when its timers start. Without a clock that is `lastTs`; the engine
     * provides clockIn(clock), which notes the clock's time (a decision stamped with its batch's time is
     * taken once a later event moved the clock on, and its timers run from then).
     */
    clockIn: assign(({ context }) => ({ timersFrom: context.lastTs, timersBase: context.lastTs })),
    setReason: assign(({ event }) => ({ reason: reasonOf(event) })),
    correctFee: assign(({ context, event }) => correctedFee(context, event)),
  },
  /**
   * The timers (see dueOf), as XState delays on the actor's clock (the kernel's: event time in a backtest,
   * the wall clock live). Here each is the time from entering its state (at `lastTs`) to its due time; the
   * engine provides delaysOn(clock), the time from the clock's now to the due time. A timer restored from
   * a checkpoint is re-armed for what is left of it (rearmTimers).
   */
  delays: {
    buyAck: ({ context }) => untilDue(context, 'buyAck'),
    sellAck: ({ context }) => untilDue(context, 'sellAck'),
    buyTimeout: ({ context }) => untilDue(context, 'buyTimeout'),
    cancelAck: ({ context }) => untilDue(context, 'cancelAck'),
    lookup: ({ context }) => untilDue(context, 'lookup'),
  },
  guards: {
    isBuyEvent: ({ context, event }) => isBuyEvent(context, event),
    isSellEvent: ({ context, event }) => context.sell !== undefined && eventClientId(event) === context.sell.clientId,
    buyAcked: ({ context }) => context.buy?.acked === true,
    sellAcked: ({ context }) => context.sell?.acked === true,
    buyComplete: ({ context, event }) => context.buy !== undefined && isFullyFilled(updateSlot(context.buy, event)),
    sellComplete: ({ context, event }) => context.sell !== undefined && isFullyFilled(updateSlot(context.sell, event)),
    buyHasFill: ({ context, event }) => buyHasFill(context, event),
    /** Something is still held once this sell event is applied. */
    stillHolding: ({ context, event }) => heldOf(bought(context), context.soldBefore + (context.sell ? updateSlot(context.sell, event).filled : 0)) > DUST,
    canSell: ({ context, event }) => event.type === 'decision.sell' && heldAfterSell(context) > DUST && event.price > 0,
    validBuy: ({ event }) => validBuy(event),
    buyUnacked: ({ context }) => context.buy !== undefined && !context.buy.acked,
    sellUnacked: ({ context }) => context.sell !== undefined && !context.sell.acked,
    /** The buy has a timeout (0: never). */
    buyTimeoutOn: ({ context }) => context.buyTimeoutMs > 0,
    /** The looked-up order is still resting. */
    foundOpen: ({ event }) => event.type === 'order.queryResult' && event.order?.status === 'open',
  },
}).createMachine({
  id: 'position',
  initial: 'idle',
  context: ({ input }) => initialPositionContext(input),
  // In every state until settled (a fee is often corrected after its order ended: a cancel answer, a look-up).
  on: {
    'order.feeCorrected': { actions: 'correctFee' },
  },
  states: {
    idle: {
      on: {
        'decision.buy': { guard: 'validBuy', target: 'buying', actions: ['startBuy', { type: 'placeOrder', params: ({ context }) => effect(context, 'buy') }] },
        'position.close': { target: 'settled', actions: ['markTime', 'setReason'] },
      },
    },
    buying: {
      entry: 'clockIn',
      on: {
        'order.accepted': { guard: 'isBuyEvent', actions: 'updateBuy' },
        'order.fill': [
          { guard: and(['isBuyEvent', 'buyComplete']), target: 'holding', actions: 'endBuy' },
          { guard: 'isBuyEvent', actions: 'updateBuy' },
        ],
        'order.cancelled': [
          { guard: and(['isBuyEvent', 'buyHasFill']), target: 'holding', actions: 'endBuy' },
          { guard: 'isBuyEvent', target: 'settled', actions: 'endBuyWithReason' },
        ],
        // A reject of an order the exchange already acknowledged contradicts what we know: ask, never give it up.
        'order.rejected': [
          { guard: and(['isBuyEvent', 'buyAcked']), target: 'unknownBuy', actions: ['markTime', { type: 'queryOrder', params: ({ context }) => effect(context, 'buy') }] },
          { guard: 'isBuyEvent', target: 'settled', actions: ['markTime', 'finishBuy', 'setReason'] },
        ],
        'decision.cancelBuy': { target: 'cancellingBuy', actions: ['markCancel', { type: 'cancelOrder', params: ({ context }) => effect(context, 'buy') }] },
      },
      after: {
        buyAck: { guard: 'buyUnacked', target: 'unknownBuy', actions: [{ type: 'markTimeAt', params: ({ context }) => dueOf(context, 'buyAck') }, { type: 'queryOrder', params: ({ context }) => effect(context, 'buy') }] },
        buyTimeout: { guard: 'buyTimeoutOn', target: 'cancellingBuy', actions: [{ type: 'markCancelAt', params: ({ context }) => dueOf(context, 'buyTimeout') }, { type: 'cancelOrder', params: ({ context }) => effect(context, 'buy') }] },
      },
    },
    cancellingBuy: {
      entry: 'clockIn',
      on: {
        'order.accepted': { guard: 'isBuyEvent', actions: 'updateBuy' },
        // A fill that wins the race against the cancel is applied; a complete fill ends the cancel.
        'order.fill': [
          { guard: and(['isBuyEvent', 'buyComplete']), target: 'holding', actions: 'endBuy' },
          { guard: 'isBuyEvent', actions: 'updateBuy' },
        ],
        'order.cancelled': [
          { guard: and(['isBuyEvent', 'buyHasFill']), target: 'holding', actions: 'endBuy' },
          { guard: 'isBuyEvent', target: 'settled', actions: 'endBuyWithReason' },
        ],
        // The cancel was refused (order unknown or already done): ask the exchange what became of it.
        'order.rejected': { guard: 'isBuyEvent', target: 'unknownBuy', actions: ['markTime', { type: 'queryOrder', params: ({ context }) => effect(context, 'buy') }] },
      },
      after: {
        cancelAck: { target: 'unknownBuy', actions: [{ type: 'markTimeAt', params: ({ context }) => dueOf(context, 'cancelAck') }, { type: 'queryOrder', params: ({ context }) => effect(context, 'buy') }] },
      },
    },
    unknownBuy: {
      entry: 'clockIn',
      on: {
        'order.queryResult': [
          { guard: and(['isBuyEvent', 'foundOpen']), target: 'buying', actions: 'updateBuy' },
          { guard: and(['isBuyEvent', 'buyHasFill']), target: 'holding', actions: 'endBuy' },
          { guard: 'isBuyEvent', target: 'settled', actions: 'endBuyWithReason' },
        ],
        'order.accepted': { guard: 'isBuyEvent', target: 'buying', actions: 'updateBuy' },
        'order.fill': [
          { guard: and(['isBuyEvent', 'buyComplete']), target: 'holding', actions: 'endBuy' },
          { guard: 'isBuyEvent', target: 'buying', actions: 'updateBuy' },
        ],
        'order.cancelled': [
          { guard: and(['isBuyEvent', 'buyHasFill']), target: 'holding', actions: 'endBuy' },
          { guard: 'isBuyEvent', target: 'settled', actions: 'endBuyWithReason' },
        ],
      },
      after: {
        lookup: { target: 'unknownBuy', reenter: true, actions: [{ type: 'markTimeAt', params: ({ context }) => dueOf(context, 'lookup') }, { type: 'queryOrder', params: ({ context }) => effect(context, 'buy') }] },
      },
    },
    holding: {
      on: {
        'decision.sell': { guard: 'canSell', target: 'selling', actions: ['startSell', { type: 'placeOrder', params: ({ context }) => effect(context, 'sell') }] },
        // A remainder too small to sell (under the exchange minimum) is written off.
        'position.close': { target: 'settled', actions: ['markTime', 'setReason'] },
      },
    },
    selling: {
      entry: 'clockIn',
      on: {
        'order.accepted': { guard: 'isSellEvent', actions: 'updateSell' },
        'order.fill': [
          { guard: and(['isSellEvent', not('stillHolding')]), target: 'settled', actions: 'endSell' },
          { guard: and(['isSellEvent', 'sellComplete']), target: 'holding', actions: 'endSell' },
          { guard: 'isSellEvent', actions: 'updateSell' },
        ],
        'order.cancelled': { guard: 'isSellEvent', target: 'holding', actions: 'endSell' },
        'order.rejected': [
          { guard: and(['isSellEvent', 'sellAcked']), target: 'unknownSell', actions: ['markTime', { type: 'queryOrder', params: ({ context }) => effect(context, 'sell') }] },
          { guard: 'isSellEvent', target: 'holding', actions: ['markTime', 'finishSell'] },
        ],
        'decision.cancelSell': { target: 'cancellingSell', actions: ['markCancel', { type: 'cancelOrder', params: ({ context }) => effect(context, 'sell') }] },
      },
      after: {
        sellAck: { guard: 'sellUnacked', target: 'unknownSell', actions: [{ type: 'markTimeAt', params: ({ context }) => dueOf(context, 'sellAck') }, { type: 'queryOrder', params: ({ context }) => effect(context, 'sell') }] },
      },
    },
    cancellingSell: {
      entry: 'clockIn',
      on: {
        'order.accepted': { guard: 'isSellEvent', actions: 'updateSell' },
        'order.fill': [
          { guard: and(['isSellEvent', not('stillHolding')]), target: 'settled', actions: 'endSell' },
          { guard: and(['isSellEvent', 'sellComplete']), target: 'holding', actions: 'endSell' },
          { guard: 'isSellEvent', actions: 'updateSell' },
        ],
        'order.cancelled': { guard: 'isSellEvent', target: 'holding', actions: 'endSell' },
        'order.rejected': { guard: 'isSellEvent', target: 'unknownSell', actions: ['markTime', { type: 'queryOrder', params: ({ context }) => effect(context, 'sell') }] },
      },
      after: {
        cancelAck: { target: 'unknownSell', actions: [{ type: 'markTimeAt', params: ({ context }) => dueOf(context, 'cancelAck') }, { type: 'queryOrder', params: ({ context }) => effect(context, 'sell') }] },
      },
    },
    unknownSell: {
      entry: 'clockIn',
      on: {
        'order.queryResult': [
          { guard: and(['isSellEvent', 'foundOpen']), target: 'selling', actions: 'updateSell' },
          { guard: and(['isSellEvent', 'stillHolding']), target: 'holding', actions: 'endSell' },
          { guard: 'isSellEvent', target: 'settled', actions: 'endSell' },
        ],
        'order.accepted': { guard: 'isSellEvent', target: 'selling', actions: 'updateSell' },
        'order.fill': [
          { guard: and(['isSellEvent', not('stillHolding')]), target: 'settled', actions: 'endSell' },
          { guard: and(['isSellEvent', 'sellComplete']), target: 'holding', actions: 'endSell' },
          { guard: 'isSellEvent', target: 'selling', actions: 'updateSell' },
        ],
        'order.cancelled': { guard: 'isSellEvent', target: 'holding', actions: 'endSell' },
      },
      after: {
        lookup: { target: 'unknownSell', reenter: true, actions: [{ type: 'markTimeAt', params: ({ context }) => dueOf(context, 'lookup') }, { type: 'queryOrder', params: ({ context }) => effect(context, 'sell') }] },
      },
    },
    settled: {
      type: 'final',
    },
  },
  output: ({ context }) => positionResult(context),
});

/** A delay that never comes due (a timer switched off): the largest a wall-clock timer takes. */
const NEVER = 2_147_483_647;

export type PositionTimer = 'buyAck' | 'sellAck' | 'buyTimeout' | 'cancelAck' | 'lookup';

/**
 * Event time a timer of the current state comes due (never before the state was entered):
 * - `buyAck`/`sellAck`: the order unacknowledged `ackTimeoutMs` after it was placed is looked up;
 * - `buyTimeout`: a buy is cancelled `buyTimeoutMs` after it was placed, acknowledged or not (0: never);
 * - `cancelAck`: a cancel unacknowledged `ackTimeoutMs` after it was asked: the order is looked up;
 * - `lookup`: a look-up unanswered for `ackTimeoutMs` is asked again (its own retry: the driver's are not relied on).
 */
export function dueOf(c: PositionContext, timer: PositionTimer): number {
  switch (timer) {
    case 'buyAck':
      return Math.max(c.lastTs, (c.buy?.submittedTs ?? c.lastTs) + c.ackTimeoutMs);
    case 'sellAck':
      return Math.max(c.lastTs, (c.sell?.submittedTs ?? c.lastTs) + c.ackTimeoutMs);
    case 'buyTimeout':
      return c.buyTimeoutMs > 0 ? Math.max(c.lastTs, (c.buy?.submittedTs ?? c.lastTs) + c.buyTimeoutMs) : Infinity;
    case 'cancelAck':
      return Math.max(c.lastTs, (c.cancelTs ?? c.lastTs) + c.ackTimeoutMs);
    case 'lookup':
      return c.lastTs + c.ackTimeoutMs;
  }
}

/** The delay of a timer: from entering the state (at `lastTs`) to its due time. */
function untilDue(c: PositionContext, timer: PositionTimer): number {
  return Math.min(NEVER, dueOf(c, timer) - c.lastTs);
}

function effect(context: PositionContext, side: 'buy' | 'sell'): OrderEffect {
  const slot = side === 'buy' ? context.buy : context.sell;
  if (!slot) throw new Error(`position ${context.positionId}: no ${side} order`);
  return { positionId: context.positionId, market: context.market, slot };
}

export type PositionMachine = typeof positionMachine;

/**
 * Re-arms the timers of a position restored from a persisted snapshot, for what is left of each at `now`
 * (an overdue one fires at the clock's next step). XState v5 persists no scheduled (delayed) event: a
 * restored actor has none, and a position waiting for an acknowledgement would wait forever. The timers
 * are those the machine's active state declares in `after`, due as dueOf says.
 */
export function rearmTimers(ref: ActorRefFrom<PositionMachine>, now: number): void {
  const snapshot = ref.getSnapshot();
  if (snapshot.status !== 'active') return;
  const c = snapshot.context;
  // Each timer fires where it would have: started at `timersFrom` for its delay as computed then (from
  // `timersBase`, the `lastTs` of that moment). A snapshot without them (older, or built by hand): at its due time.
  const base = c.timersBase ?? c.lastTs;
  const from = c.timersFrom ?? base;
  const then = c.lastTs === base ? c : Object.assign({}, c, { lastTs: base });
  for (const node of snapshot._nodes) {
    for (const t of node.after) {
      const fireAt = from + Math.min(NEVER, dueOf(then, t.delay as PositionTimer) - base);
      const event: EventObject = { type: t.eventType };
      ref.system.scheduler.schedule(ref, ref, event, Math.min(NEVER, Math.max(0, fireAt - now)), t.eventType);
    }
  }
}

/** The `clockIn` the engine provides: a timed state's timers start at the clock's time. */
export function clockIn(clock: { now(): number }) {
  return assign<PositionContext, PositionEvent, NonReducibleUnknown, PositionEvent, never>(({ context }) => clockedIn(context, clock.now()));
}

/** What clockIn(clock) patches into the context with the clock at `now`. */
function clockedIn(c: PositionContext, now: number): Partial<PositionContext> {
  return { timersFrom: now, timersBase: c.lastTs };
}
