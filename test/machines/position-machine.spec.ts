import { afterEach, describe, expect, it, vi } from 'vitest';
import { held, resultWithFee, type PositionEvent } from '../../machines/index.js';
import { buy, cancelBuy, cancelSell, close, ExchangeOrder, INPUT, sell, startPosition, advance, type Position } from './position-fixtures.js';

/** A position whose buy of 2 @ 100 (p1-b1) was placed at t=1000. */
function buying(): Position & { b1: ExchangeOrder } {
  const p = startPosition();
  p.send(buy(1_000, 100, 2));
  return { ...p, b1: ExchangeOrder.placed(p.effects) };
}

/** A position holding 2 (bought 2 @ 100, fee 0.2) that placed a sell of all of it @ 110 (p1-s2) at t=10 000. */
function selling(): Position & { s2: ExchangeOrder } {
  const p = buying();
  p.send(p.b1.accepted(1_100), p.b1.fill(2_000, 2, 100, 0.2), sell(10_000, 110));
  return { ...p, s2: ExchangeOrder.placed(p.effects) };
}

const output = (p: Position) => p.actor.getSnapshot().output;
const ctx = (p: Position) => p.actor.getSnapshot().context;

describe('position: round trip', () => {
  it('buys and sells in partial fills and reports the round trip computed from the fills', () => {
    const p = startPosition();
    p.send(buy(1_000, 100, 2));
    expect(p.state()).toBe('buying');
    expect(p.effects).toEqual([{ kind: 'place', positionId: 'p1', market: 'BTC/KRW', clientId: 'p1-b1', side: 'buy', price: 100, amount: 2 }]);

    const b1 = ExchangeOrder.placed(p.effects);
    p.send(b1.accepted(1_100), b1.fill(2_000, 0.5, 100, 0.05));
    expect(p.state()).toBe('buying');
    expect(held(ctx(p))).toBe(0.5);
    p.send(b1.fill(3_000, 1.5, 99, 0.1485));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBe(2);

    p.send(sell(4_000, 110, undefined, 'take-profit'));
    expect(p.state()).toBe('selling');
    expect(p.effects[1]).toEqual({ kind: 'place', positionId: 'p1', market: 'BTC/KRW', clientId: 'p1-s2', side: 'sell', price: 110, amount: 2 });
    const s2 = ExchangeOrder.placed(p.effects);
    p.send(s2.accepted(4_100), s2.fill(5_000, 1.2, 110, 0.132));
    expect(p.state()).toBe('selling');
    expect(held(ctx(p))).toBeCloseTo(0.8, 12);
    p.send(s2.fill(6_000, 0.8, 111, 0.0888));

    expect(p.actor.getSnapshot().status).toBe('done');
    expect(p.effects).toHaveLength(2);
    // Buys: 0.5 × 100 + 1.5 × 99 = 198.5 quote, fees 0.05 + 0.1485; sells: 1.2 × 110 + 0.8 × 111 = 220.8, fees 0.132 + 0.0888.
    const r = output(p)!;
    expect(r).toMatchObject({ positionId: 'p1', market: 'BTC/KRW', openedTs: 1_000, closedTs: 6_000, amount: 2, reason: 'take-profit' });
    expect(r.entryPrice).toBeCloseTo(99.25, 9);
    expect(r.exitPrice).toBeCloseTo(110.4, 9);
    expect(r.spent).toBeCloseTo(198.6985, 9);
    expect(r.received).toBeCloseTo(220.5792, 9);
    expect(r.fees).toBeCloseTo(0.4193, 9);
    expect(r.pnl).toBeCloseTo(21.8807, 9);
    expect(r.return).toBeCloseTo(21.8807 / 198.6985, 12);
  });

  it('a sell of part of the holding returns to holding; the next sell gets the next client id and the result adds both up', () => {
    const p = buying();
    p.send(p.b1.fill(2_000, 2, 100, 0.2), sell(3_000, 120, 0.5));
    const s2 = ExchangeOrder.placed(p.effects);
    expect(s2).toMatchObject({ clientId: 'p1-s2', amount: 0.5 });
    p.send(s2.fill(4_000, 0.5, 120, 0.06));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBe(1.5);

    // Asking for more than is held sells what is held.
    p.send(sell(5_000, 90, 10, 'stop-loss'));
    const s3 = ExchangeOrder.placed(p.effects);
    expect(s3).toMatchObject({ clientId: 'p1-s3', amount: 1.5, price: 90 });
    p.send(s3.fill(6_000, 1.5, 90, 0.135));
    const r = output(p)!;
    expect(r.amount).toBe(2);
    expect(r.spent).toBeCloseTo(200.2, 9);
    expect(r.received).toBeCloseTo(60 - 0.06 + 135 - 0.135, 9);
    expect(r.exitPrice).toBeCloseTo(195 / 2, 9);
    expect(r.pnl).toBeCloseTo(194.805 - 200.2, 9);
    expect(r.reason).toBe('stop-loss');
  });

  it('applies a repeated fill once and keeps fills an out-of-order acknowledgement does not know of', () => {
    const p = buying();
    const stale = p.b1.accepted(1_100);
    const f = p.b1.fill(2_000, 0.5, 100, 0.05);
    p.send(f, f, stale);
    expect(p.state()).toBe('buying');
    expect(ctx(p).buy).toMatchObject({ filled: 0.5, cost: 50, fee: 0.05, acked: true, id: 'x-p1-b1' });
    p.send(p.b1.fill(3_000, 1.5, 100, 0.15));
    expect(p.state()).toBe('holding');
    expect(ctx(p)).toMatchObject({ boughtBefore: 2, buyValueBefore: 200, buyFeesBefore: 0.2 });
  });

  it('takes the exchange cumulative totals when a fill was missed', () => {
    const p = buying();
    p.b1.fill(1_500, 0.5, 100, 0.05); // never delivered
    p.send(p.b1.fill(2_000, 1.5, 100, 0.15));
    expect(p.state()).toBe('holding');
    expect(ctx(p)).toMatchObject({ boughtBefore: 2, buyValueBefore: 200, buyFeesBefore: 0.2 });
  });

  it('ignores invalid decisions', () => {
    const p = startPosition();
    p.send(buy(1_000, 0, 1), buy(1_000, 100, 0), buy(1_000, 100, -1));
    expect(p.state()).toBe('idle');
    expect(p.effects).toEqual([]);
    const q = buying();
    q.send(q.b1.fill(2_000, 2), sell(3_000, 0));
    expect(q.state()).toBe('holding');
    expect(q.effects).toHaveLength(1);
  });
});

describe('position: a buy whose fee the exchange takes from the coins bought (Binance without BNB)', () => {
  /** A fill of `amount` at `price` whose fee, `rate` of the coins, the order reports in base and in quote. */
  function coinFeeFill(o: ExchangeOrder, ts: number, amount: number, price: number, rate: number): PositionEvent {
    const e = o.fill(ts, amount, price, amount * rate * price);
    if (e.type !== 'order.fill') throw new Error('not a fill');
    return { ...e, order: { ...e.order, baseFee: o.filled * rate } };
  }

  it('holds and sells the coins the account received, and its round trip pays the fee once', () => {
    const p = startPosition();
    p.send(buy(1_000, 100, 2));
    const b1 = ExchangeOrder.placed(p.effects);
    p.send(b1.accepted(1_100), coinFeeFill(b1, 2_000, 2, 100, 0.001));
    expect(p.state()).toBe('holding');
    // 2 bought, 0.002 of them taken as the fee: 1.998 held, and the sell asks for all of it.
    expect(held(ctx(p))).toBeCloseTo(1.998, 12);
    p.send(sell(4_000, 110));
    expect(p.effects[1]).toMatchObject({ kind: 'place', side: 'sell', amount: 1.998 });
    const s2 = ExchangeOrder.placed(p.effects);
    p.send(s2.accepted(4_100), s2.fill(5_000, 1.998, 110, 0.2198));
    expect(p.actor.getSnapshot().status).toBe('done');
    const r = output(p)!;
    // The account paid 200 and received 1.998 × 110 − 0.2198: the P&L is that, the fee (0.2 in coins) once.
    expect(r.amount).toBeCloseTo(1.998, 12);
    expect(r.entryPrice).toBeCloseTo(100, 12);
    expect(r.spent).toBeCloseTo(200, 9);
    expect(r.fees).toBeCloseTo(0.2 + 0.2198, 9);
    expect(r.pnl).toBeCloseTo(1.998 * 110 - 0.2198 - 200, 9);
  });

  it('coins found taken as the fee after the fill was reported (its trades read): the position counts them out, in the buy or after it', () => {
    const p = startPosition();
    p.send(buy(1_000, 100, 2));
    const b1 = ExchangeOrder.placed(p.effects);
    // Reported at the taker estimate in quote (an order query carries no commission): 2 coins held.
    p.send(b1.accepted(1_100), b1.fill(2_000, 1, 100, 0.1));
    expect(held(ctx(p))).toBe(1);
    p.send({ type: 'order.feeCorrected', ts: 2_100, order: { ...b1.order(2_100), baseFee: 0.001 }, delta: 0, baseFeeDelta: 0.001 });
    expect(held(ctx(p))).toBeCloseTo(0.999, 12);
    p.send(b1.fill(3_000, 1, 100, 0.1));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBeCloseTo(1.999, 12);
    // The finished buy's second fill: its coin fee found now.
    p.send({ type: 'order.feeCorrected', ts: 3_100, order: { ...b1.order(3_100), baseFee: 0.002 }, delta: 0, baseFeeDelta: 0.001 });
    expect(held(ctx(p))).toBeCloseTo(1.998, 12);
    p.send(sell(4_000, 110));
    expect(p.effects[1]).toMatchObject({ kind: 'place', side: 'sell', amount: expect.closeTo(1.998, 12) });
    const s2 = ExchangeOrder.placed(p.effects);
    p.send(s2.accepted(4_100), s2.fill(5_000, 1.998, 110, 0));
    const r = output(p)!;
    expect(r.spent).toBeCloseTo(200, 9);
    expect(r.pnl).toBeCloseTo(1.998 * 110 - 200, 9);
  });

  it('a settled round trip corrected with coins taken as its buy’s fee: the amount and the buy’s value leave, the fee stays', () => {
    const r = { positionId: 'p1', market: 'BTC/KRW', openedTs: 0, closedTs: 1, amount: 2, entryPrice: 100, exitPrice: 110, spent: 200.2, received: 219.78, fees: 0.42, pnl: 19.58, return: 19.58 / 200.2, reason: 'take-profit' };
    const c = resultWithFee(r, 'buy', 0, 0.002);
    expect(c.amount).toBeCloseTo(1.998, 12);
    expect(c.spent).toBeCloseTo(200, 12);
    expect(c.fees).toBe(0.42);
    expect(c.pnl).toBeCloseTo(19.78, 9);
    expect(resultWithFee(r, 'buy', 0.05)).toMatchObject({ amount: 2, spent: 200.25 });
  });
});

describe('position: cancelling a buy', () => {
  it('an unfilled buy cancelled settles by itself with nothing traded (no one has to close it)', () => {
    const p = buying();
    p.send(p.b1.accepted(1_100), cancelBuy(2_000));
    expect(p.state()).toBe('cancellingBuy');
    expect(p.effects[1]).toMatchObject({ kind: 'cancel', clientId: 'p1-b1', side: 'buy' });
    p.send(p.b1.cancelled(2_100));
    expect(p.actor.getSnapshot().status).toBe('done');
    expect(output(p)).toMatchObject({ amount: 0, spent: 0, pnl: 0, openedTs: 1_000, closedTs: 2_100, reason: 'cancelled' });
    // Settled: no timer of the buy is left to fire.
    p.send(advance(10 ** 9));
    expect(p.effects).toHaveLength(2);
  });

  it('a buy cancelled after a partial fill holds the partial amount', () => {
    const p = buying();
    p.send(p.b1.accepted(1_100), p.b1.fill(1_500, 0.5, 100, 0.05), cancelBuy(2_000), p.b1.cancelled(2_100));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBe(0.5);
    expect(ctx(p)).toMatchObject({ buy: undefined, boughtBefore: 0.5, buyValueBefore: 50, buyFeesBefore: 0.05 });
    p.send(sell(3_000, 110));
    expect(p.effects.at(-1)).toMatchObject({ kind: 'place', clientId: 'p1-s2', amount: 0.5 });
  });

  it('a cancel confirmation reporting a fill we never saw holds that fill', () => {
    const p = buying();
    p.send(cancelBuy(2_000));
    p.b1.fill(2_050, 0.3, 100, 0.03); // the fill event is lost; the cancel carries the cumulative total
    p.send(p.b1.cancelled(2_100));
    expect(p.state()).toBe('holding');
    expect(ctx(p)).toMatchObject({ boughtBefore: 0.3, buyValueBefore: 30, buyFeesBefore: 0.03 });
  });

  it('a fill racing the cancel: partial fills are applied while cancelling; a complete fill ends the cancel in holding', () => {
    const p = buying();
    p.send(p.b1.accepted(1_100), cancelBuy(2_000), p.b1.fill(2_010, 0.5));
    expect(p.state()).toBe('cancellingBuy');
    expect(held(ctx(p))).toBe(0.5);
    p.send(p.b1.fill(2_020, 1.5));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBe(2);
    // The late answer to the cancel (refused: the order is done) and a stale duplicate change nothing.
    const before = ctx(p);
    p.send(p.b1.rejected(2_030, 'unknown_order'), p.b1.cancelled(2_040));
    expect(p.state()).toBe('holding');
    expect(ctx(p)).toEqual(before);
    expect(p.effects.map((e) => e.kind)).toEqual(['place', 'cancel']);
  });

  describe('cancel refused → unknownBuy → the exchange is queried', () => {
    const cases: Array<{ name: string; answer: (b1: ExchangeOrder) => PositionEvent; state: string; held: number; acked?: boolean }> = [
      { name: 'still open: back to buying (acknowledged)', answer: (b1) => b1.queryResult(3_000), state: 'buying', held: 0, acked: true },
      { name: 'still open with a partial fill: buying with the fill', answer: (b1) => (b1.fill(2_900, 0.5), b1.queryResult(3_000)), state: 'buying', held: 0.5, acked: true },
      { name: 'filled: holding everything', answer: (b1) => (b1.fill(2_900, 2), b1.queryResult(3_000)), state: 'holding', held: 2 },
      { name: 'cancelled after a partial fill: holding the fill', answer: (b1) => (b1.fill(2_900, 0.75), b1.cancelled(2_950), b1.queryResult(3_000)), state: 'holding', held: 0.75 },
      { name: 'cancelled unfilled: settled', answer: (b1) => (b1.cancelled(2_950), b1.queryResult(3_000)), state: 'settled', held: 0 },
      { name: 'not found: settled', answer: (b1) => b1.queryResult(3_000, false), state: 'settled', held: 0 },
    ];
    it.each(cases)('$name', ({ answer, state, held: h, acked }) => {
      const p = buying();
      p.send(cancelBuy(2_000), p.b1.rejected(2_100, 'unknown_order'));
      expect(p.state()).toBe('unknownBuy');
      expect(p.effects.map((e) => `${e.kind} ${e.clientId}`)).toEqual(['place p1-b1', 'cancel p1-b1', 'query p1-b1']);
      p.send(answer(p.b1));
      expect(p.actor.getSnapshot().status === 'done' ? 'settled' : p.state()).toBe(state);
      expect(held(ctx(p))).toBe(h);
      if (acked) expect(ctx(p).buy).toMatchObject({ acked: true, id: 'x-p1-b1' });
      if (state === 'settled') expect(output(p)).toMatchObject({ amount: 0, reason: 'cancelled' });
      expect(p.effects).toHaveLength(3);
    });

    it('an order event arriving before the answer resolves it too', () => {
      const p = buying();
      p.send(cancelBuy(2_000), p.b1.rejected(2_100, 'unknown_order'), p.b1.fill(2_200, 2));
      expect(p.state()).toBe('holding');
      const q = buying();
      q.send(cancelBuy(2_000), q.b1.rejected(2_100, 'unknown_order'), q.b1.accepted(2_200));
      expect(q.state()).toBe('buying');
    });
  });

  it('buy rejected: settled with the reason', () => {
    const p = buying();
    p.send(p.b1.rejected(1_100, 'under_minimum'));
    expect(p.actor.getSnapshot().status).toBe('done');
    expect(ctx(p)).toMatchObject({ buy: undefined, reason: 'rejected: under_minimum', lastTs: 1_100 });
    expect(output(p)).toMatchObject({ amount: 0, closedTs: 1_100, reason: 'rejected: under_minimum' });
  });
});

describe('position: timeouts (XState delays on the event clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an unacknowledged buy is looked up at the acknowledgement deadline of the event clock, not before, not by the wall clock', () => {
    vi.useFakeTimers();
    const p = buying();
    vi.advanceTimersByTime(3_600_000);
    expect(p.state()).toBe('buying');
    p.send(advance(1_000 + INPUT.ackTimeoutMs - 1));
    expect(p.state()).toBe('buying');
    expect(p.effects).toHaveLength(1);
    p.send(advance(1_000 + INPUT.ackTimeoutMs));
    expect(p.state()).toBe('unknownBuy');
    expect(p.effects[1]).toMatchObject({ kind: 'query', clientId: 'p1-b1' });
    expect(ctx(p).lastTs).toBe(6_000);
  });

  it('an acknowledged buy is not looked up; it is cancelled at the buy timeout, and a cancel unanswered is looked up', () => {
    const p = buying();
    p.send(p.b1.accepted(1_100), advance(1_000 + INPUT.buyTimeoutMs - 1));
    expect(p.state()).toBe('buying');
    expect(p.effects).toHaveLength(1);
    p.send(advance(1_000 + INPUT.buyTimeoutMs));
    expect(p.state()).toBe('cancellingBuy');
    expect(p.effects[1]).toMatchObject({ kind: 'cancel', clientId: 'p1-b1' });
    const cancelTs = 1_000 + INPUT.buyTimeoutMs;
    p.send(advance(cancelTs + INPUT.ackTimeoutMs - 1));
    expect(p.state()).toBe('cancellingBuy');
    p.send(advance(cancelTs + INPUT.ackTimeoutMs));
    expect(p.state()).toBe('unknownBuy');
    expect(p.effects[2]).toMatchObject({ kind: 'query', clientId: 'p1-b1' });
  });

  it('buyTimeoutMs 0 never cancels a resting buy', () => {
    const p = startPosition({ ...INPUT, buyTimeoutMs: 0 });
    p.send(buy(1_000, 100, 2));
    const b1 = ExchangeOrder.placed(p.effects);
    p.send(b1.accepted(1_100), advance(1_000 + 365 * 86_400_000));
    expect(p.state()).toBe('buying');
    expect(p.effects).toHaveLength(1);
  });

  it('an unacknowledged sell is looked up at its deadline; the answer resolves it', () => {
    const outcomes: Array<[string, (s2: ExchangeOrder) => PositionEvent, string, number]> = [
      ['open', (s2) => s2.queryResult(16_000), 'selling', 2],
      ['not found', (s2) => s2.queryResult(16_000, false), 'holding', 2],
      ['cancelled after a partial fill', (s2) => (s2.fill(15_500, 0.5), s2.cancelled(15_600), s2.queryResult(16_000)), 'holding', 1.5],
      ['filled', (s2) => (s2.fill(15_500, 2), s2.queryResult(16_000)), 'settled', 0],
    ];
    for (const [name, answer, state, h] of outcomes) {
      const p = selling();
      p.send(advance(10_000 + INPUT.ackTimeoutMs - 1));
      expect(p.state(), name).toBe('selling');
      p.send(advance(10_000 + INPUT.ackTimeoutMs));
      expect(p.state(), name).toBe('unknownSell');
      expect(p.effects.at(-1), name).toMatchObject({ kind: 'query', clientId: 'p1-s2' });
      p.send(answer(p.s2));
      expect(p.state(), name).toBe(state);
      expect(held(ctx(p)), name).toBe(h);
    }
  });

  it('an unanswered look-up is asked again on its own delay, each time from the last asking, until an answer comes', () => {
    const p = buying();
    // One step of the clock far ahead: every timer due on the way fires at its own time, in order.
    p.send(advance(1_000 + 3 * INPUT.ackTimeoutMs + 10));
    expect(p.state()).toBe('unknownBuy');
    expect(p.effects.map((e) => e.kind)).toEqual(['place', 'query', 'query', 'query']);
    expect(ctx(p).lastTs).toBe(1_000 + 3 * INPUT.ackTimeoutMs);
    p.send(p.b1.queryResult(16_500, false));
    expect(p.actor.getSnapshot().status).toBe('done');
    p.send(advance(10 ** 9));
    expect(p.effects).toHaveLength(4);
  });

  it('a buy still unacknowledged at its timeout (shorter than the acknowledgement deadline) is cancelled', () => {
    const p = startPosition({ ...INPUT, ackTimeoutMs: 120_000, buyTimeoutMs: 60_000 });
    p.send(buy(1_000, 100, 2), advance(60_999));
    expect(p.state()).toBe('buying');
    p.send(advance(61_000));
    expect(p.state()).toBe('cancellingBuy');
    expect(ctx(p)).toMatchObject({ cancelTs: 61_000, lastTs: 61_000 });
    expect(p.effects.map((e) => e.kind)).toEqual(['place', 'cancel']);
  });

  it('a buy found still open after its timeout is cancelled at once (the timeout counts from the placing)', () => {
    const p = buying();
    p.send(p.b1.accepted(1_100), cancelBuy(2_000), p.b1.rejected(2_100, 'unknown_order'));
    expect(p.state()).toBe('unknownBuy');
    p.send(p.b1.queryResult(1_000 + INPUT.buyTimeoutMs + 500));
    expect(p.state()).toBe('buying');
    p.send(advance(1_000 + INPUT.buyTimeoutMs + 500));
    expect(p.state()).toBe('cancellingBuy');
    expect(p.effects.at(-1)).toMatchObject({ kind: 'cancel', clientId: 'p1-b1' });
  });

  it('an acknowledged sell rests without a timeout', () => {
    const p = selling();
    p.send(p.s2.accepted(10_100), advance(10_000 + 365 * 86_400_000));
    expect(p.state()).toBe('selling');
  });
});

describe('position: selling', () => {
  it('sell rejected: back to holding, the holding unchanged, and a new sell can be placed', () => {
    const p = selling();
    p.send(p.s2.rejected(10_100, 'invalid_price'));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBe(2);
    expect(ctx(p).sell).toBeUndefined();
    p.send(sell(11_000, 109));
    expect(p.effects.at(-1)).toMatchObject({ kind: 'place', clientId: 'p1-s3', amount: 2, price: 109 });
  });

  it('a sell cancelled after a partial fill holds the rest', () => {
    const p = selling();
    p.send(p.s2.accepted(10_100), p.s2.fill(10_200, 0.5, 110, 0.055), cancelSell(11_000));
    expect(p.state()).toBe('cancellingSell');
    expect(p.effects.at(-1)).toMatchObject({ kind: 'cancel', clientId: 'p1-s2', side: 'sell' });
    p.send(p.s2.cancelled(11_100));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBe(1.5);
    expect(ctx(p)).toMatchObject({ sell: undefined, soldBefore: 0.5, sellValueBefore: 55, sellFeesBefore: 0.055 });
  });

  it('a fill racing the sell cancel: a fill selling everything settles', () => {
    const p = selling();
    p.send(cancelSell(11_000), p.s2.fill(11_010, 1), p.s2.fill(11_020, 1, 110, 0.22));
    expect(p.actor.getSnapshot().status).toBe('done');
    expect(output(p)).toMatchObject({ amount: 2, closedTs: 11_020 });
    expect(output(p)!.pnl).toBeCloseTo(220 - 0.22 - 200.2, 9);
  });

  it('sell cancel refused → unknownSell → the answer resolves it', () => {
    const p = selling();
    p.send(cancelSell(11_000), p.s2.rejected(11_100, 'unknown_order'));
    expect(p.state()).toBe('unknownSell');
    expect(p.effects.map((e) => `${e.kind} ${e.clientId}`)).toEqual(['place p1-b1', 'place p1-s2', 'cancel p1-s2', 'query p1-s2']);
    p.s2.fill(11_050, 0.5);
    p.send(p.s2.cancelled(11_060));
    expect(p.state()).toBe('holding');
    expect(held(ctx(p))).toBe(1.5);
  });

  it('a sell cancel unanswered at the deadline is looked up', () => {
    const p = selling();
    p.send(p.s2.accepted(10_100), cancelSell(11_000), advance(11_000 + INPUT.ackTimeoutMs - 1));
    expect(p.state()).toBe('cancellingSell');
    p.send(advance(11_000 + INPUT.ackTimeoutMs));
    expect(p.state()).toBe('unknownSell');
    expect(p.effects.at(-1)).toMatchObject({ kind: 'query', clientId: 'p1-s2' });
  });
});

describe('position: close', () => {
  it('from idle: settled with nothing traded and the reason', () => {
    const p = startPosition();
    p.send(close(500, 'buy cancelled'));
    expect(p.actor.getSnapshot().status).toBe('done');
    expect(output(p)).toEqual({
      positionId: 'p1', market: 'BTC/KRW', openedTs: 500, closedTs: 500, amount: 0, entryPrice: 0, exitPrice: 0,
      spent: 0, received: 0, fees: 0, pnl: 0, return: 0, reason: 'buy cancelled',
    });
  });

  it('from holding (a dust remainder written off): the loss is what was spent minus what was received', () => {
    const p = selling();
    p.send(p.s2.fill(10_100, 1.9999, 110, 0.22));
    expect(p.state()).toBe('selling');
    p.send(cancelSell(10_200), p.s2.cancelled(10_300), close(10_400));
    expect(p.actor.getSnapshot().status).toBe('done');
    const r = output(p)!;
    expect(r).toMatchObject({ amount: 2, openedTs: 1_000, closedTs: 10_400, reason: 'closed' });
    expect(r.received).toBeCloseTo(1.9999 * 110 - 0.22, 9);
    expect(r.pnl).toBeCloseTo(1.9999 * 110 - 0.22 - 200.2, 9);
  });

  it('is ignored while an order is open', () => {
    const p = buying();
    p.send(close(1_500));
    expect(p.state()).toBe('buying');
    const q = selling();
    q.send(close(10_500));
    expect(q.state()).toBe('selling');
  });
});

describe('position: events of other orders', () => {
  // At the clock's time: a later one would let the state's timers fire.
  const foreign = (clientId: string, side: 'buy' | 'sell', t: number): PositionEvent[] => {
    const o = new ExchangeOrder(clientId, side, 100, 2);
    return [o.accepted(t), o.clone().fill(t, 2), o.clone().cancelled(t), o.rejected(t, 'unknown_order'), o.clone().fill(t, 1), o.queryResult(t), o.queryResult(t, false)];
  };
  const reach: Record<string, (p: Position) => void> = {
    buying: (p) => p.send(buy(1_000, 100, 2)),
    cancellingBuy: (p) => p.send(buy(1_000, 100, 2), cancelBuy(1_500)),
    unknownBuy: (p) => p.send(buy(1_000, 100, 2), advance(6_000)),
    selling: (p) => p.send(buy(1_000, 100, 2), new ExchangeOrder('p1-b1', 'buy', 100, 2).fill(1_100, 2), sell(2_000, 110)),
    cancellingSell: (p) => p.send(buy(1_000, 100, 2), new ExchangeOrder('p1-b1', 'buy', 100, 2).fill(1_100, 2), sell(2_000, 110), cancelSell(2_500)),
    unknownSell: (p) => p.send(buy(1_000, 100, 2), new ExchangeOrder('p1-b1', 'buy', 100, 2).fill(1_100, 2), sell(2_000, 110), advance(7_000)),
  };
  it.each(Object.keys(reach))('%s ignores events of other positions and of the finished order', (state) => {
    const p = startPosition();
    reach[state]!(p);
    expect(p.state()).toBe(state);
    const before = JSON.stringify(p.actor.getSnapshot());
    const effects = p.effects.length;
    const t = p.clock.now();
    const others = [...foreign('p2-b1', 'buy', t), ...foreign('p2-s2', 'sell', t), ...foreign('p1-b9', 'buy', t)];
    // On the sell side the finished buy is foreign too.
    if (state.endsWith('Sell') || state === 'selling') others.push(...foreign('p1-b1', 'buy', t));
    p.send(...others);
    expect(JSON.stringify(p.actor.getSnapshot())).toBe(before);
    expect(p.effects).toHaveLength(effects);
  });
});
