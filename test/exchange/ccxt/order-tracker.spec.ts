import { describe, expect, it } from 'vitest';
import type { Order, OrderEvent } from '../../../src/core/index.js';
import { Random } from '../../../src/core/random.js';
import { OrderTracker } from '../../../src/exchange/ccxt/order-tracker.js';
import { upbitRawToOrder } from '../../../src/exchange/ccxt/upbit-order.js';

/**
 * The tracker is what makes every fill reach the account once: the private stream and REST deliver
 * whole snapshots of an order, in any order, some of them stale, after a seed from a restored position.
 * LiveAccount moves its cash view on every fill event it gets, so these invariants are what the cash
 * view relies on.
 */

const order = (o: Partial<Order> & { filled: number }): Order => ({
  id: '1000002',
  clientId: 'fm-2-b1',
  market: 'XRP/USDT',
  side: 'buy',
  price: 0.5,
  amount: 39960,
  status: 'open',
  cost: o.filled * 0.5,
  fee: 0,
  ts: 0,
  ...o,
});

/** `x` on an 8-decimal grid, as the exchanges' strings parse. */
const grid = (x: number): number => Number((Math.round(x * 1e8) / 1e8).toFixed(8));

const fills = (events: readonly OrderEvent[]): Extract<OrderEvent, { type: 'order.fill' }>[] => events.filter((e): e is Extract<OrderEvent, { type: 'order.fill' }> => e.type === 'order.fill');

describe('OrderTracker', () => {
  it('emits each executed amount once whatever the interleaving of stream, REST (stale or not) and a restored seed (brute-force reference, 300 seeded runs)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = new Random(seed);
      const amount = grid(1 + rng.next() * 300_000);
      // The order's true history: cumulative executed amounts on the 8-decimal grid, then filled or cancelled.
      const states: Order[] = [order({ amount, filled: 0 })];
      for (let f = states[0]!.filled; f < amount && states.length < 8; ) {
        f = rng.next() < 0.3 ? amount : grid(f + (amount - f) * rng.next() * 0.6 + 1e-8);
        states.push(order({ amount, filled: Math.min(f, amount), status: f >= amount ? 'filled' : 'open' }));
      }
      const last = states[states.length - 1] as Order;
      if (last.status === 'open') states.push(order({ amount, filled: last.filled, status: 'cancelled' }));
      const final = states[states.length - 1] as Order;
      // What the restored position knew: any state up to the crash point.
      const crash = rng.int(states.length);
      const tracker = new OrderTracker();
      const seeded = rng.next() < 0.8 ? (states[crash] as Order).filled : undefined;
      if (seeded !== undefined) tracker.seed({ ...(states[crash] as Order), status: 'open' });
      // Deliveries: the stream in order with gaps, REST at any time with any state up to the truth then.
      const events: OrderEvent[] = [];
      let ws = 0;
      for (let truth = crash; truth < states.length; truth++) {
        for (let k = rng.int(4); k > 0; k--) {
          if (rng.next() < 0.5) {
            ws = Math.max(ws, truth - rng.int(2));
            events.push(...tracker.apply(states[ws] as Order, truth));
          } else events.push(...tracker.apply(states[rng.int(truth + 1)] as Order, truth));
        }
      }
      events.push(...tracker.apply(final, states.length));
      const emitted = fills(events);
      // Reference: the fills' cumulative amounts strictly increase and add up to what was executed since the seed.
      for (let i = 1; i < emitted.length; i++) expect(emitted[i]!.order.filled).toBeGreaterThan(emitted[i - 1]!.order.filled);
      const total = emitted.reduce((a, e) => a + e.fill.amount, 0);
      expect(total, `seed ${seed}`).toBeCloseTo(final.filled - (seeded ?? 0), 6);
      expect(events.filter((e) => e.type === 'order.cancelled')).toHaveLength(final.status === 'cancelled' ? 1 : 0);
      expect(tracker.get({ clientId: 'fm-2-b1' })?.status).toBe(final.status);
    }
  });

  it('a restored slot one rounding step off the exchange’s executed amount: the cancel made while down still arrives, no ghost fill', () => {
    // A position adds each fill's difference (slot.filled + (order.filled - slot.filled)), which can land a
    // unit in the last place away from the exchange's own figure: 2.9e-11 at these amounts.
    const exchange = 259_830.318;
    const known = 32_328.6302;
    const slotFilled = known + (exchange - known);
    expect(Math.abs(slotFilled - exchange)).toBeGreaterThan(1e-12);
    for (const noisy of [exchange + Math.abs(slotFilled - exchange), exchange - Math.abs(slotFilled - exchange)]) {
      const tracker = new OrderTracker();
      tracker.seed(order({ amount: 300_000, filled: noisy }));
      const events = tracker.apply(order({ amount: 300_000, filled: exchange, status: 'cancelled' }), 1);
      expect(events.map((e) => e.type)).toEqual(['order.cancelled']);
      expect(tracker.get({ id: '1000002' })?.status).toBe('cancelled');
    }
  });

  it('a snapshot that knows less is ignored: an older executed amount, or open after closed', () => {
    const tracker = new OrderTracker();
    expect(fills(tracker.apply(order({ filled: 100 }), 1)).map((e) => e.fill.amount)).toEqual([100]);
    expect(tracker.apply(order({ filled: 50 }), 2)).toEqual([]);
    expect(tracker.apply(order({ filled: 100, status: 'cancelled' }), 3).map((e) => e.type)).toEqual(['order.cancelled']);
    expect(tracker.apply(order({ filled: 100 }), 4)).toEqual([]);
    expect(tracker.get({ id: '1000002' })?.status).toBe('cancelled');
  });
});

describe('an Upbit acknowledgement without executed funds, then the myOrder frame', () => {
  it('makes one fill at the funds the frame reports, not at the limit price', () => {
    const tracker = new OrderTracker();
    const ack = { uuid: 'u-1', market: 'KRW-XRP', side: 'bid', ord_type: 'limit', price: '3200', state: 'done', volume: '10', remaining_volume: '0', executed_volume: '10', paid_fee: '15.75', identifier: 'bot-1-b1', created_at: '2026-01-01T09:00:00+09:00' };
    const frame = { type: 'myOrder', code: 'KRW-XRP', uuid: 'u-1', ask_bid: 'BID', state: 'done', price: 3150, volume: 10, remaining_volume: 0, executed_volume: 10, executed_funds: 31_500, paid_fee: 15.75, identifier: 'bot-1-b1', order_timestamp: 1 };
    const events: OrderEvent[] = [];
    const first = upbitRawToOrder(ack, tracker.get({ id: 'u-1' }), 1);
    events.push(...tracker.apply(first!, 1));
    events.push(...tracker.apply(upbitRawToOrder(frame, tracker.get({ id: 'u-1' }), 2)!, 2));
    const fills = events.flatMap((e) => (e.type === 'order.fill' ? [e.fill] : []));
    // Before: the acknowledgement's fill at 3,200, and the frame, with the same executed amount, added nothing.
    expect(fills.map((f) => [f.amount, f.price, f.fee])).toEqual([[10, 3_150, 15.75]]);
    expect(tracker.get({ id: 'u-1' })).toMatchObject({ status: 'filled', filled: 10, cost: 31_500 });
  });
});

describe('a fee corrected after its fill was reported at an estimate', () => {
  it('is measured against the fees the fill events reported: a snapshot that moves no amount moves no fee, and the correction comes once', () => {
    const tracker = new OrderTracker();
    // A cancel answer's fill at the taker estimate (0.01), then ccxt.pro's order after the CANCELED report,
    // holding the fees of the trade reports this process saw (none): 0.
    const estimate = tracker.apply(order({ filled: 20, amount: 20, cost: 10, fee: 0.01, status: 'filled' }), 1);
    expect(fills(estimate).map((e) => e.fill.fee)).toEqual([0.01]);
    expect(tracker.apply(order({ filled: 20, amount: 20, cost: 10, fee: 0, status: 'filled' }), 2)).toEqual([]);
    // Before, that snapshot set the order's fee to 0, and the exchange's 0.0075 would have been a correction of +0.0075.
    expect(tracker.get({ id: '1000002' })?.fee).toBe(0.01);
    const corrected = tracker.correctFee('1000002', 20, 0.0075, 3);
    expect(corrected).toMatchObject({ type: 'order.feeCorrected', delta: expect.closeTo(-0.0025, 12), order: { filled: 20, fee: 0.0075 } });
    expect(tracker.correctFee('1000002', 20, 0.0075, 4)).toBeUndefined();
    // A figure for another executed amount than the one reported is no correction (the caller asks again).
    expect(tracker.correctFee('1000002', 10, 0.004, 5)).toBeUndefined();
  });
});

describe('the fee a buy paid in the coins it bought (Binance without BNB)', () => {
  it('is kept like the fee: moved only by a snapshot that moves the amount, and corrected in coins once its trades are read', () => {
    const tracker = new OrderTracker();
    tracker.apply(order({ side: 'buy', filled: 10, amount: 20, cost: 5, fee: 0.005, baseFee: 0.01 }), 1);
    // A snapshot without it (ccxt.pro's order after a CANCELED report) takes nothing back.
    expect(tracker.apply(order({ side: 'buy', filled: 10, amount: 20, cost: 5, fee: 0, status: 'cancelled' }), 2).map((e) => e.type)).toEqual(['order.cancelled']);
    expect(tracker.get({ id: '1000002' })?.baseFee).toBe(0.01);
    // The trades say 0.0075 of the coins (a quote fee of 0.00375): both move, once.
    const corrected = tracker.correctFee('1000002', 10, 0.00375, 3, 0.0075);
    expect(corrected).toMatchObject({ type: 'order.feeCorrected', delta: expect.closeTo(-0.00125, 12), baseFeeDelta: expect.closeTo(-0.0025, 12), order: { fee: 0.00375, baseFee: 0.0075 } });
    expect(tracker.correctFee('1000002', 10, 0.00375, 4, 0.0075)).toBeUndefined();
    // The fee in quote right but the coins news (an estimate in quote that matched): still a correction.
    tracker.apply(order({ id: '7', clientId: 'c-7', side: 'buy', filled: 1, amount: 1, cost: 1, fee: 0.001, status: 'filled' }), 5);
    expect(tracker.correctFee('7', 1, 0.001, 6, 0.001)).toMatchObject({ delta: 0, baseFeeDelta: 0.001, order: { baseFee: 0.001 } });
  });
});

