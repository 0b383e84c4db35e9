import type { Order, OrderEvent } from '../core/index.js';

/**
 * A fill's identity: its order and the order's cumulative executed amount after it. The same fill
 * reported twice (the private stream and a REST look-up, or a restart's reconciliation) carries the same
 * cumulative amount, so it gets the same id whichever way it came.
 */
export function fillId(order: Order): string {
  return `${order.id}:${order.filled}`;
}

/** What the store keeps per order: the exchange's executed amount as last reported, and the fills applied. */
export interface OrderLedgerEntry {
  readonly orderId: string;
  readonly clientId: string;
  readonly market: string;
  readonly side: string;
  readonly amount: number;
  /** The exchange's cumulative executed amount in its last report. */
  readonly executed: number;
  readonly status: string;
  /** Sum of the fills recorded for this order (exactly once each). */
  readonly applied: number;
  readonly fills: number;
  readonly ts: number;
  /** The order's whole fee (quote) once a fill's estimate was corrected with the exchange's own (`order.feeCorrected`). */
  readonly fee?: number;
}

/** A fill as the store records it (`fill` snapshot, event log, fills channel). */
export interface FillRecord {
  readonly id: string;
  readonly orderId: string;
  readonly clientId: string;
  readonly market: string;
  readonly side: string;
  readonly price: number;
  readonly amount: number;
  readonly fee: number;
  readonly ts: number;
  readonly executed: number;
}

/** The orders whose last fill record is kept for a fee correction (the most recent ones; a correction comes within minutes). */
const LAST_FILLS_MAX = 10_000;

/**
 * Exactly-once bookkeeping of fills across restarts: the ids of the fills already recorded (read back
 * from the store at start) and, per order, what the exchange executed beside what was applied. A fill
 * whose id is known is a replay: recording it again is a no-op (counted in `replays`).
 */
export class FillLedger {
  readonly #seen: Set<string>;
  readonly #orders = new Map<string, OrderLedgerEntry>();
  /** Each recent order's last fill record (by exchange order id), oldest order first: a fee corrected later rewrites it. */
  readonly #lastFills = new Map<string, FillRecord>();
  replays = 0;

  /**
   * `recorded`: the fill records already in the store, so a fee corrected after a restart (the restart's
   * check of a fill recorded at an estimate by the process that crashed) reaches the record written before it.
   */
  constructor(knownFillIds: Iterable<string> = [], knownOrders: Iterable<OrderLedgerEntry> = [], recorded: Iterable<FillRecord> = []) {
    this.#seen = new Set(knownFillIds);
    for (const o of knownOrders) this.#orders.set(o.clientId, o);
    for (const r of [...recorded].sort((a, b) => a.ts - b.ts || a.executed - b.executed)) this.noteFill(r);
  }

  /** The order's last fill record written (this process or, restored, an earlier one), if it is among the recent ones. */
  lastFill(orderId: string): FillRecord | undefined {
    return this.#lastFills.get(orderId);
  }

  /** Notes the order's latest fill record (written or rewritten). */
  noteFill(record: FillRecord): void {
    this.#lastFills.delete(record.orderId);
    this.#lastFills.set(record.orderId, record);
    if (this.#lastFills.size > LAST_FILLS_MAX) this.#lastFills.delete(this.#lastFills.keys().next().value as string);
  }

  /** True when events of this order were recorded (its position knew it, even if it has settled since). */
  knows(clientId: string): boolean {
    return this.#orders.has(clientId);
  }

  /**
   * Takes an order event; returns the order's ledger entry when it changed, and whether a fill in it is
   * new (`fill`: record it) or a replay (`replay`: record nothing).
   */
  take(event: Exclude<OrderEvent, { type: 'order.rejected' }>): { entry: OrderLedgerEntry; fill: 'none' | 'new' | 'replay'; id?: string } {
    const order = event.order;
    const prev = this.#orders.get(order.clientId);
    let applied = prev?.applied ?? 0;
    let fills = prev?.fills ?? 0;
    let fill: 'none' | 'new' | 'replay' = 'none';
    let id: string | undefined;
    if (event.type === 'order.fill') {
      id = fillId(order);
      if (this.#seen.has(id)) {
        this.replays++;
        fill = 'replay';
      } else {
        this.#seen.add(id);
        applied += event.fill.amount;
        fills++;
        fill = 'new';
      }
    }
    const executed = Math.max(prev?.executed ?? 0, order.filled);
    const fee = event.type === 'order.feeCorrected' ? order.fee : prev?.fee;
    const entry: OrderLedgerEntry = { orderId: order.id, clientId: order.clientId, market: order.market, side: order.side, amount: order.amount, executed, status: order.status, applied, fills, ts: event.ts, ...(fee !== undefined ? { fee } : {}) };
    this.#orders.set(order.clientId, entry);
    return id === undefined ? { entry, fill } : { entry, fill, id };
  }
}
