import type { Fill, Order, OrderEvent } from '../../core/index.js';

/**
 * Executed amounts closer than this are the same amount. Relative as well as absolute: a restored slot's
 * `filled` is the sum of its fills' differences, which can land a unit in the last place (2.9e-11 at
 * 200,000) away from the exchange's own figure; an absolute 1e-12 took that for a fill, or for a stale
 * snapshot whose status (a cancel made while the bot was down) was then ignored.
 */
function tolerance(a: number, b: number): number {
  return 1e-12 + Math.max(Math.abs(a), Math.abs(b)) * 1e-14;
}

/**
 * The last known state of every order, and the events that take an order from one known state to the
 * next. Both the private websocket and REST polling feed it whole snapshots of an order; it emits only
 * what changed, so the two sources can overlap and arrive in any order without duplicate events:
 * a new order → `order.accepted`; more executed volume → one `order.fill` for the difference (price
 * from the difference in executed funds); `cancel` → `order.cancelled`. A snapshot that knows less
 * than we do (older executed volume) is ignored.
 */
export class OrderTracker {
  readonly #byId = new Map<string, Order>();
  readonly #byClientId = new Map<string, string>();

  get(ref: { readonly id?: string; readonly clientId?: string }): Order | undefined {
    const id = ref.id ?? (ref.clientId !== undefined ? this.#byClientId.get(ref.clientId) : undefined);
    const order = id === undefined ? undefined : this.#byId.get(id);
    if (order && ref.clientId !== undefined && order.clientId !== ref.clientId) return undefined;
    return order;
  }

  /** Orders not yet filled or cancelled. */
  open(): Order[] {
    return [...this.#byId.values()].filter((o) => o.status === 'open');
  }

  /**
   * Records what the engine already knows of an order (a restored position's order slot) without any
   * event, so the next snapshot from the exchange emits only what happened since: after a restart a
   * fill is applied exactly once. A snapshot that knows less than the one already kept is ignored.
   */
  seed(order: Order): void {
    const prev = this.#byId.get(order.id);
    if (prev && prev.filled >= order.filled) return;
    this.#byId.set(order.id, order);
    if (order.clientId) this.#byClientId.set(order.clientId, order.id);
  }

  /**
   * The exchange's own fee for the order's executed amount `filled` (its trades' commission, read after
   * the fills were reported at an estimate): an `order.feeCorrected` event when it differs from the fee
   * reported so far and the order has executed nothing since (else the figure is for an older amount:
   * nothing, the caller asks again). The amount never moves, so the fill is not counted twice. `baseFee`:
   * the part of the fee the trades show taken from the coins bought (base units).
   */
  correctFee(id: string, filled: number, fee: number, ts: number, baseFee = 0): OrderEvent | undefined {
    const order = this.#byId.get(id);
    if (!order || Math.abs(order.filled - filled) > tolerance(order.filled, filled)) return undefined;
    const delta = fee - order.fee;
    const baseFeeDelta = baseFee - (order.baseFee ?? 0);
    const quoteSame = Math.abs(delta) <= 1e-12 + Math.abs(fee) * 1e-9;
    const baseSame = Math.abs(baseFeeDelta) <= 1e-12 + baseFee * 1e-9;
    if (quoteSame && baseSame) return undefined;
    const corrected: Order = baseFee > 0 ? { ...order, fee, baseFee } : { ...withoutBaseFee(order), fee };
    this.#byId.set(id, corrected);
    return baseSame ? { type: 'order.feeCorrected', ts, order: corrected, delta } : { type: 'order.feeCorrected', ts, order: corrected, delta, baseFeeDelta };
  }

  /** Records a snapshot and returns the events it implies, in order. */
  apply(next: Order, ts: number): OrderEvent[] {
    const prev = this.#byId.get(next.id);
    const events: OrderEvent[] = [];
    if (prev && (next.filled < prev.filled - tolerance(next.filled, prev.filled) || (prev.status !== 'open' && next.status === 'open'))) return events; // stale
    const before = prev ?? { filled: 0, cost: 0, fee: 0 };
    const amount = next.filled - before.filled;
    const filled = amount > tolerance(next.filled, before.filled);
    const fillFee = filled ? Math.max(0, next.fee - before.fee) : 0;
    // The fee kept is what the fill events reported (and `correctFee` set): a snapshot that moves no amount
    // moves no fee (ccxt.pro's order after a CANCELED report holds only the trade reports this process
    // saw), so a later correction is measured against what the positions were told. So do the coins taken.
    const baseFee = Math.max(prev?.baseFee ?? 0, filled ? (next.baseFee ?? 0) : 0);
    const fields = { clientId: next.clientId || prev?.clientId || '', fee: before.fee + fillFee };
    const merged: Order = baseFee > 0 ? { ...next, ...fields, baseFee } : { ...withoutBaseFee(next), ...fields };
    this.#byId.set(merged.id, merged);
    if (merged.clientId) this.#byClientId.set(merged.clientId, merged.id);
    if (!prev) events.push({ type: 'order.accepted', ts, order: { ...withoutBaseFee(merged), status: 'open', filled: 0, cost: 0, fee: 0 } });
    if (filled) {
      const cost = merged.cost - before.cost;
      const fillBaseFee = baseFee - (prev?.baseFee ?? 0);
      const fill: Fill = {
        orderId: merged.id,
        clientId: merged.clientId,
        market: merged.market,
        side: merged.side,
        price: cost > 0 ? cost / amount : merged.price,
        amount,
        fee: fillFee,
        ...(fillBaseFee > 0 ? { baseFee: fillBaseFee } : {}),
        ts,
      };
      events.push({ type: 'order.fill', ts, order: merged, fill });
    }
    if (merged.status === 'cancelled' && prev?.status !== 'cancelled') events.push({ type: 'order.cancelled', ts, order: merged });
    return events;
  }
}

/** The order without a `baseFee` field (none taken from the coins). */
function withoutBaseFee(order: Order): Order {
  if (order.baseFee === undefined) return order;
  const { baseFee: _, ...rest } = order;
  return rest;
}
