import type { Fill, KnownOrder, Order, OrderSide } from '../src/core/index.js';

/**
 * One order of a position, as the position knows it (the kernel's port names the shape `KnownOrder`).
 * Client ids are `${positionId}-b1`, `-s1`, `-s2`…: unique per order, so a retry or a restart finds it.
 */
export type OrderSlot = KnownOrder;

/** Base amounts below this count as nothing (float noise of fill arithmetic). */
export const DUST = 1e-12;

/**
 * A copy of `slot` with `patch` applied (keys in the same order as `{ ...slot, ...patch }`). Written with
 * Object.assign: on Node 20's V8 an object literal that spreads and then adds keys costs about a
 * microsecond a key, 20 to 50 times as much, and this runs on every order event.
 */
function patched(slot: OrderSlot, patch: Partial<OrderSlot>): OrderSlot {
  return Object.assign({}, slot, patch);
}

export function newSlot(side: OrderSide, clientId: string, price: number, amount: number, ts: number): OrderSlot {
  return { side, clientId, price, amount, filled: 0, cost: 0, fee: 0, submittedTs: ts, acked: false };
}

/** The exchange's view of the order replaces ours when it is further along (cumulative fields). */
export function slotFromOrder(slot: OrderSlot, order: Order): OrderSlot {
  // The exchange's amount stands: a live sell may have been cut to the coins the account holds.
  const amount = order.amount > 0 ? order.amount : slot.amount;
  if (order.filled + DUST < slot.filled) return patched(slot, { id: order.id, acked: true, amount });
  const next = patched(slot, { id: order.id, acked: true, amount, filled: order.filled, cost: order.cost, fee: order.fee });
  return order.baseFee === undefined ? next : Object.assign(next, { baseFee: order.baseFee });
}

/**
 * Applies one fill. A fill is identified by the order's cumulative `filled` it brings: the event carries
 * the order after the fill, so a fill whose cumulative amount we already have is a duplicate and is
 * applied once (returns undefined).
 */
export function applyFill(slot: OrderSlot, order: Order, fill: Fill): OrderSlot | undefined {
  if (order.filled <= slot.filled + DUST) return undefined;
  const added = order.filled - slot.filled;
  // Exchanges report cumulative cost and fee; when a fill is missing from our view the totals still add up.
  const cost = order.cost > 0 ? order.cost : slot.cost + fill.price * fill.amount;
  const fee = order.fee > 0 ? order.fee : slot.fee + fill.fee;
  const next = patched(slot, { id: order.id, acked: true, filled: slot.filled + added, cost, fee });
  return order.baseFee === undefined ? next : Object.assign(next, { baseFee: order.baseFee });
}

/**
 * The coins a buy brought into the account: its fills less what the exchange took of them as its fee
 * (`Order.baseFee`, Binance without BNB). Counted gross, the position kept the fee's coins as held after
 * its sell (cut to the account's coins) and its round trip paid that fee twice: as the fee, and as coins
 * bought and never sold.
 */
export function netBought(slot: OrderSlot): number {
  return slot.baseFee === undefined ? slot.filled : slot.filled - slot.baseFee;
}

/**
 * The quote value of `netBought` at the buy's average price. The rest of its cost went to the fee, which
 * `fee` counts: value + fee is what the buy cost the account, once.
 */
export function netBuyValue(slot: OrderSlot): number {
  return slot.baseFee === undefined || slot.filled <= 0 ? slot.cost : (slot.cost * (slot.filled - slot.baseFee)) / slot.filled;
}

export function isFullyFilled(slot: OrderSlot): boolean {
  return slot.filled >= slot.amount - Math.max(DUST, slot.amount * 1e-9);
}

export function hasFill(slot: OrderSlot | undefined): boolean {
  return slot !== undefined && slot.filled > DUST;
}

/** The round trip of a settled position. */
export interface PositionResult {
  readonly positionId: string;
  readonly market: string;
  readonly openedTs: number;
  readonly closedTs: number;
  /** Base bought and sold. */
  readonly amount: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  /** Quote spent on buys including fees, and received from sells net of fees. */
  readonly spent: number;
  readonly received: number;
  readonly fees: number;
  readonly pnl: number;
  readonly return: number;
  /** Why the position closed without trading, or the exit reason given with the sell. */
  readonly reason: string;
}

/**
 * A settled round trip with one of its orders' fees corrected by `delta` (quote; the exchange's own figure
 * for fills reported at an estimate): the buy side's cost or the sell side's proceeds, the fees, P&L and
 * return move with it. The amount moves only by `baseFeeDelta`, coins the buy's trades show were taken as
 * its fee: they were never the position's, and their value at the entry price leaves the buy's value.
 */
export function resultWithFee(r: PositionResult, side: OrderSide, delta: number, baseFeeDelta = 0): PositionResult {
  const coins = side === 'buy' ? baseFeeDelta : 0;
  const spent = side === 'buy' ? r.spent + delta - coins * r.entryPrice : r.spent;
  const received = side === 'sell' ? r.received - delta : r.received;
  const corrected = { ...r, spent, received, fees: r.fees + delta, pnl: received - spent, return: spent > 0 ? (received - spent) / spent : 0 };
  return coins === 0 ? corrected : { ...corrected, amount: r.amount - coins };
}
