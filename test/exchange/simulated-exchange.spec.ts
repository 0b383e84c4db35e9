import { describe, expect, it } from 'vitest';
import type { BookTopEvent, CandleEvent, LimitOrderRequest, OrderEvent, RejectReason, TradeEvent } from '../../src/core/index.js';
import { defaultRulesSource } from '../../src/exchange/market-rules.js';
import { SimulatedExchange, type SimulatedExchangeOptions } from '../../src/exchange/simulated/simulated-exchange.js';

const BTC = 'BTC/KRW';
const P = 50_000_000; // tick 1,000
const TICK = 1_000;
const FEE = 0.0005;

function setup(options: Partial<SimulatedExchangeOptions> = {}) {
  const ex = new SimulatedExchange({ rules: defaultRulesSource(), balances: { KRW: 10_000_000, BTC: 1 }, ...options });
  const events: OrderEvent[] = [];
  ex.orderEvents$.subscribe((e) => events.push(e));
  return { ex, events };
}

const trade = (ts: number, price: number, amount: number, market = BTC): TradeEvent => ({ kind: 'trade', market, ts, price, amount });
const book = (ts: number, bidPrice: number, askPrice: number, size: number, market = BTC): BookTopEvent => ({
  kind: 'book', market, ts, bidPrice, bidSize: size, askPrice, askSize: size,
});
const candle = (openTime: number, low: number, high: number, volume: number, market = BTC): CandleEvent => ({
  kind: 'candle', market, ts: openTime + 300_000, openTime, open: (low + high) / 2, high, low, close: (low + high) / 2, volume,
});
const buy = (clientId: string, price: number, amount: number, market = BTC): LimitOrderRequest => ({ clientId, market, side: 'buy', price, amount });
const sell = (clientId: string, price: number, amount: number, market = BTC): LimitOrderRequest => ({ clientId, market, side: 'sell', price, amount });

const types = (events: readonly OrderEvent[]) => events.map((e) => e.type);
const fills = (events: readonly OrderEvent[]) => events.flatMap((e) => (e.type === 'order.fill' ? [e.fill] : []));

function expectSortedByTs(events: readonly OrderEvent[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.ts).toBeGreaterThanOrEqual(events[i - 1]!.ts);
}

describe('trade fill model', () => {
  it('a resting buy never fills at the touch in the default (through) mode, fills one tick through, at its own price', async () => {
    const { ex, events } = setup();
    const order = await ex.createLimitOrder(buy('b1', P, 0.01));
    expect(order).toMatchObject({ id: 'sim-1', status: 'open' });
    for (let i = 0; i < 50; i++) ex.onMarketEvent(trade(1000 + i, P, 10));
    ex.onMarketEvent(trade(2000, P + TICK, 10));
    expect(fills(events)).toEqual([]);
    ex.onMarketEvent(trade(3000, P - TICK, 10));
    expect(fills(events)).toEqual([{ orderId: 'sim-1', clientId: 'b1', market: BTC, side: 'buy', price: P, amount: 0.01, fee: expect.closeTo(P * 0.01 * FEE, 6), ts: 3000 }]);
    expect(ex.getOrder({ id: 'sim-1' })).toMatchObject({ status: 'filled', filled: 0.01, cost: P * 0.01 });
    expect(types(events)).toEqual(['order.accepted', 'order.fill']);
  });

  it('a resting sell fills only when a trade prints at least one tick above it', async () => {
    const { ex, events } = setup();
    await ex.createLimitOrder(sell('s1', P, 0.2));
    ex.onMarketEvent(trade(1000, P, 5));
    expect(fills(events)).toHaveLength(0);
    ex.onMarketEvent(trade(1001, P + TICK, 5));
    expect(fills(events)).toMatchObject([{ side: 'sell', price: P, amount: 0.2 }]);
  });

  it('at a band edge "one tick through" is the lower band tick below and the upper band tick above', async () => {
    const { ex, events } = setup({ balances: { KRW: 100_000_000, ETH: 10 } });
    await ex.createLimitOrder(buy('b', 1_000_000, 1, 'ETH/KRW'));
    await ex.createLimitOrder(sell('s', 999_500, 1, 'ETH/KRW'));
    // Both would be marketable against each other's prices, but prints at 999,500 / 1,000,000 are each the other's limit.
    ex.onMarketEvent(trade(1, 999_500, 5, 'ETH/KRW'));
    expect(fills(events).map((f) => f.clientId)).toEqual(['b']);
    ex.onMarketEvent(trade(2, 1_000_000, 5, 'ETH/KRW'));
    expect(fills(events).map((f) => f.clientId)).toEqual(['b', 's']);
  });

  it('fills at the touch in touch mode', async () => {
    const { ex, events } = setup({ fillModel: { mode: 'touch' } });
    await ex.createLimitOrder(buy('b1', P, 0.01));
    ex.onMarketEvent(trade(1000, P + TICK, 10));
    expect(fills(events)).toHaveLength(0);
    ex.onMarketEvent(trade(1001, P, 10));
    expect(fills(events)).toMatchObject([{ price: P, amount: 0.01 }]);
  });

  it('partial fills are bounded by the traded amount times the participation', async () => {
    const { ex, events } = setup({ fillModel: { participation: 0.5 } });
    await ex.createLimitOrder(buy('b1', P, 0.05));
    ex.onMarketEvent(trade(1000, P - TICK, 0.02));
    expect(fills(events).map((f) => f.amount)).toEqual([0.01]);
    expect(ex.getOrder({ clientId: 'b1' })).toMatchObject({ status: 'open', filled: 0.01 });
    ex.onMarketEvent(trade(1001, P - 2 * TICK, 0.04));
    ex.onMarketEvent(trade(1002, P - 2 * TICK, 1));
    expect(fills(events).map((f) => f.amount)).toEqual([0.01, 0.02, expect.closeTo(0.02, 12)]);
    expect(ex.getOrder({ clientId: 'b1' })).toMatchObject({ status: 'filled', filled: 0.05 });
    expect(ex.getBalance('BTC').free).toBeCloseTo(1.05, 12);
  });

  it('completes an order when the offered volume misses its remainder only by float noise', async () => {
    const { ex } = setup();
    await ex.createLimitOrder(buy('b', P, 0.03));
    ex.onMarketEvent(trade(1, P - TICK, 0.01));
    ex.onMarketEvent(trade(2, P - TICK, (0.03 - 0.01) * (1 - 1e-15)));
    expect(ex.getOrder({ clientId: 'b' })).toMatchObject({ status: 'filled', filled: 0.03 });
    expect(ex.getBalance('KRW').locked).toBe(0);
  });

  it('shares one trade between orders best price first, then first come', async () => {
    const { ex, events } = setup();
    await ex.createLimitOrder(buy('low', P - 5 * TICK, 0.01));
    await ex.createLimitOrder(buy('high-late', P, 0.01));
    await ex.createLimitOrder(buy('high-early', P, 0.01));
    ex.onMarketEvent(trade(1000, P - 10 * TICK, 0.015));
    // high-late was submitted before high-early, so it is first at the same price.
    expect(fills(events).map((f) => [f.clientId, f.amount])).toEqual([
      ['high-late', 0.01],
      ['high-early', expect.closeTo(0.005, 12)],
    ]);
  });

  it('rounds partial fills down to the lot step of generic markets', async () => {
    const rules = defaultRulesSource({
      ccxtMarkets: { 'BTC/USDT': { symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', precision: { price: 0.01, amount: 0.001 }, limits: { cost: { min: 5 } }, taker: 0.001 } },
    });
    const { ex, events } = setup({ rules, balances: { USDT: 10_000 } });
    await ex.createLimitOrder(buy('b', 30_000, 0.01, 'BTC/USDT'));
    ex.onMarketEvent(trade(1, 29_999.99, 0.0047, 'BTC/USDT'));
    expect(fills(events).map((f) => f.amount)).toEqual([0.004]);
    expect(fills(events)[0]!.fee).toBeCloseTo(30_000 * 0.004 * 0.001, 10);
  });

  it('ticker and book events never fill resting orders', async () => {
    const { ex, events } = setup();
    await ex.createLimitOrder(buy('b', P, 0.01));
    ex.onMarketEvent({ kind: 'ticker', market: BTC, ts: 1, price: P - 10 * TICK });
    ex.onMarketEvent(book(2, P - 20 * TICK, P - 10 * TICK, 5));
    expect(fills(events)).toEqual([]);
  });
});

describe('fees and locked balances', () => {
  it('locks price × amount × (1 + fee) for a buy and releases it on cancel', async () => {
    const { ex, events } = setup();
    await ex.createLimitOrder(buy('b', P, 0.1));
    const lock = P * 0.1 * (1 + FEE);
    expect(ex.getBalance('KRW')).toEqual({ currency: 'KRW', free: 10_000_000 - lock, locked: lock });
    await ex.cancelOrder('sim-1');
    expect(ex.getBalance('KRW')).toEqual({ currency: 'KRW', free: 10_000_000, locked: 0 });
    expect(types(events)).toEqual(['order.accepted', 'order.cancelled']);
    expect(await ex.openOrders()).toEqual([]);
  });

  it('charges the fee per fill in quote: a buy pays cost + fee, a sell receives cost − fee', async () => {
    const { ex } = setup();
    await ex.createLimitOrder(buy('b', P, 0.1));
    ex.onMarketEvent(trade(1, P - TICK, 0.04));
    // Partial: part of the lock became BTC, the rest stays locked.
    expect(ex.getBalance('BTC').free).toBeCloseTo(1.04, 12);
    expect(ex.getBalance('KRW').locked).toBeCloseTo(P * 0.06 * (1 + FEE), 4);
    ex.onMarketEvent(trade(2, P - TICK, 1));
    expect(ex.getBalance('KRW')).toMatchObject({ free: expect.closeTo(10_000_000 - P * 0.1 * (1 + FEE), 4), locked: 0 });
    await ex.createLimitOrder(sell('s', P + 10 * TICK, 0.5));
    expect(ex.getBalance('BTC')).toMatchObject({ free: expect.closeTo(0.6, 12), locked: 0.5 });
    ex.onMarketEvent(trade(3, P + 11 * TICK, 1));
    const proceeds = (P + 10 * TICK) * 0.5;
    expect(ex.getBalance('KRW').free).toBeCloseTo(10_000_000 - P * 0.1 * (1 + FEE) + proceeds * (1 - FEE), 4);
    expect(ex.getBalance('BTC')).toMatchObject({ free: expect.closeTo(0.6, 12), locked: 0 });
    expect(ex.feesPaid()['KRW']).toBeCloseTo(P * 0.1 * FEE + proceeds * FEE, 6);
    expect(ex.getOrder({ clientId: 's' })).toMatchObject({ status: 'filled', cost: proceeds, fee: expect.closeTo(proceeds * FEE, 6) });
  });

  it('releases only the unfilled part of the lock when a partly filled order is cancelled', async () => {
    const { ex, events } = setup();
    await ex.createLimitOrder(sell('s', P, 0.5));
    ex.onMarketEvent(trade(1, P + TICK, 0.2));
    await ex.cancelOrder('sim-1');
    expect(ex.getBalance('BTC')).toMatchObject({ free: expect.closeTo(0.8, 12), locked: 0 });
    expect(events.at(-1)).toMatchObject({ type: 'order.cancelled', order: { status: 'cancelled', filled: 0.2 } });
  });
});

describe('rejects', () => {
  const cases: readonly [string, LimitOrderRequest, RejectReason, RegExp][] = [
    ['buy beyond the free KRW', buy('x', P, 0.2), 'insufficient_funds', /needs 10005000 KRW, 10000000 free/],
    ['sell beyond the free BTC', sell('x', P, 1.5), 'insufficient_funds', /needs 1.5 BTC, 1 free/],
    ['total under 5,000 KRW', buy('x', 40_000_000, 0.0001), 'under_minimum', /total 4000 KRW is under the minimum 5000/],
    ['price off the tick', buy('x', P + 500, 0.01), 'invalid_price', /price 50000500 is not a valid price of BTC\/KRW \(tick 1000\)/],
    ['float-noise-free but off tick', buy('x', 1234.5000000001, 10, 'XRP/KRW'), 'invalid_price', /1234.5000000001/],
    ['zero amount', buy('x', P, 0), 'invalid_amount', /amount 0/],
    ['NaN amount', buy('x', P, Number.NaN), 'invalid_amount', /amount NaN/],
    ['unknown market', buy('x', 10, 1, 'FOO/BAR'), 'unknown_market', /unknown market FOO\/BAR/],
  ];
  it.each(cases)('%s → %s', async (_name, request, reason, message) => {
    const { ex, events } = setup();
    const before = ex.getBalances();
    expect(await ex.createLimitOrder(request)).toBeUndefined();
    expect(events).toEqual([{ type: 'order.rejected', ts: 0, clientId: 'x', market: request.market, side: request.side, reason, message: expect.stringMatching(message) }]);
    expect(ex.getBalances()).toEqual(before);
    expect(ex.getOpenOrders()).toEqual([]);
  });

  it('accepts a total of exactly 5,000 KRW and a price that is on tick up to float noise', async () => {
    const { ex } = setup();
    expect(await ex.createLimitOrder(buy('a', 5_000_000, 0.001))).toMatchObject({ status: 'open' });
    const noisy = await ex.createLimitOrder(buy('b', 0.1 + 0.2, 20_000, 'XRP/KRW'));
    expect(noisy).toMatchObject({ status: 'open', price: 0.3 });
  });

  it('refuses malformed requests with an error naming the field', async () => {
    const { ex } = setup();
    await expect(ex.createLimitOrder(buy('', P, 0.01))).rejects.toThrow(/clientId must be a non-empty string/);
    await expect(ex.createLimitOrder({ ...buy('c', P, 0.01), side: 'hold' as never })).rejects.toThrow(/invalid side "hold"/);
    await expect(ex.cancelOrder('sim-99')).rejects.toThrow(/unknown order id "sim-99"/);
  });

  it('counts and ignores malformed market events', async () => {
    const { ex, events } = setup();
    await ex.createLimitOrder(buy('b', P, 0.01));
    ex.onMarketEvent(trade(1, Number.NaN, 1));
    ex.onMarketEvent(trade(2, -5, 1));
    ex.onMarketEvent({ ...candle(0, P, P - 5 * TICK, 1) });
    expect(ex.malformedEvents).toBe(3);
    expect(fills(events)).toEqual([]);
  });
});

describe('duplicate client ids', () => {
  it('returns the existing order instead of creating a second one', async () => {
    const { ex, events } = setup();
    const first = await ex.createLimitOrder(buy('pos-1-buy', P, 0.1));
    const retry = await ex.createLimitOrder(buy('pos-1-buy', P, 0.1));
    expect(retry).toEqual(first);
    expect(ex.getOpenOrders()).toHaveLength(1);
    expect(ex.getBalance('KRW').locked).toBeCloseTo(P * 0.1 * (1 + FEE), 4);
    ex.onMarketEvent(trade(1, P - TICK, 1));
    const afterFill = await ex.createLimitOrder(buy('pos-1-buy', P, 0.1));
    expect(afterFill).toMatchObject({ id: 'sim-1', status: 'filled' });
    expect(types(events)).toEqual(['order.accepted', 'order.fill']);
  });

  it('lets a refused client id be retried', async () => {
    const { ex } = setup();
    expect(await ex.createLimitOrder(buy('pos-2', P, 1))).toBeUndefined();
    expect(await ex.createLimitOrder(buy('pos-2', P, 0.1))).toMatchObject({ id: 'sim-2', status: 'open' });
  });

  it('returns the in-flight order for a retry before the first attempt reached the exchange', async () => {
    const { ex, events } = setup({ latency: { submitMs: 100 } });
    const first = await ex.createLimitOrder(buy('pos-3', P, 0.1));
    expect(await ex.createLimitOrder(buy('pos-3', P, 0.1))).toEqual(first);
    ex.advanceTo(100);
    expect(ex.getOpenOrders()).toHaveLength(1);
    expect(types(events)).toEqual(['order.accepted']);
  });
});

describe('latency and races', () => {
  it('an order becomes visible, locks funds and is acknowledged only after its latencies', async () => {
    const { ex, events } = setup({ latency: { submitMs: 100, ackReportMs: 20 }, startTs: 1000 });
    const order = await ex.createLimitOrder(buy('b', P, 0.1));
    expect(order).toMatchObject({ id: 'sim-1', status: 'open', filled: 0, ts: 1000 });
    expect(ex.getOrder({ id: 'sim-1' })).toBeUndefined();
    expect(ex.getBalance('KRW').locked).toBe(0);
    ex.onMarketEvent(trade(1099, P, 1));
    expect(ex.getOrder({ id: 'sim-1' })).toBeUndefined();
    ex.advanceTo(1100);
    expect(ex.getOrder({ clientId: 'b' })).toMatchObject({ status: 'open' });
    expect(ex.getBalance('KRW').locked).toBeGreaterThan(0);
    expect(events).toEqual([]);
    ex.advanceTo(1119);
    expect(events).toEqual([]);
    ex.advanceTo(1120);
    expect(events).toMatchObject([{ type: 'order.accepted', ts: 1120 }]);
  });

  it('a trade at the exact arrival time can fill the order (actions due by an event run first)', async () => {
    const { ex, events } = setup({ latency: { submitMs: 100 } });
    await ex.createLimitOrder(buy('b', P, 0.1));
    ex.onMarketEvent(trade(100, P - TICK, 1));
    expect(types(events)).toEqual(['order.accepted', 'order.fill']);
  });

  it('delivers a fill before the acknowledgement when fills report faster than acks', async () => {
    const { ex, events } = setup({ latency: { ackReportMs: 50, fillReportMs: 5 } });
    ex.onMarketEvent(book(1000, P - 2 * TICK, P - TICK, 0.04));
    await ex.createLimitOrder(buy('b', P, 0.1));
    // Marketable on arrival: takes the 0.04 at the ask, at its own limit price; the rest rests.
    ex.advanceTo(2000);
    expect(events.map((e) => [e.type, e.ts])).toEqual([
      ['order.fill', 1005],
      ['order.accepted', 1050],
    ]);
    expect(fills(events)[0]).toMatchObject({ price: P, amount: 0.04, ts: 1000 });
    expect(ex.getOrder({ id: 'sim-1' })).toMatchObject({ status: 'open', filled: 0.04 });
  });

  it('a fill that lands before the cancel takes effect wins; the late cancel is a silent no-op', async () => {
    const { ex, events } = setup({ latency: { cancelMs: 100 } });
    await ex.createLimitOrder(buy('b', P, 0.1));
    ex.advanceTo(2000);
    await ex.cancelOrder('sim-1');
    ex.onMarketEvent(trade(2050, P - TICK, 1));
    ex.advanceTo(3000);
    expect(types(events)).toEqual(['order.accepted', 'order.fill']);
    expect(ex.getOrder({ id: 'sim-1' })).toMatchObject({ status: 'filled', filled: 0.1 });
    expect(ex.getBalance('KRW').locked).toBe(0);
    // Cancelling it again later: still nothing.
    await ex.cancelOrder('sim-1');
    expect(types(events)).toEqual(['order.accepted', 'order.fill']);
  });

  it('a partial fill before the cancel takes effect is kept and the rest is cancelled', async () => {
    const { ex, events } = setup({ latency: { cancelMs: 100, cancelReportMs: 10 } });
    await ex.createLimitOrder(buy('b', P, 0.1));
    await ex.cancelOrder('sim-1');
    ex.onMarketEvent(trade(50, P - TICK, 0.03));
    ex.advanceTo(200);
    expect(events.map((e) => [e.type, e.ts])).toEqual([
      ['order.accepted', 0],
      ['order.fill', 50],
      ['order.cancelled', 110],
    ]);
    expect(events.at(-1)).toMatchObject({ order: { status: 'cancelled', filled: 0.03 } });
    expect(ex.getBalance('KRW')).toMatchObject({ free: expect.closeTo(10_000_000 - P * 0.03 * (1 + FEE), 4), locked: 0 });
  });

  it('a cancel that reaches the exchange before the order is refused, and the order still rests', async () => {
    const { ex, events } = setup({ latency: { submitMs: 100, cancelMs: 10 } });
    await ex.createLimitOrder(buy('b', P, 0.1));
    await ex.cancelOrder('sim-1');
    ex.advanceTo(500);
    expect(events).toMatchObject([
      { type: 'order.rejected', ts: 10, clientId: 'b', reason: 'unknown_order' },
      { type: 'order.accepted', ts: 100 },
    ]);
    expect(ex.getOpenOrders()).toHaveLength(1);
  });

  it('delivers events in event-time order whatever the mix of latencies', async () => {
    const { ex, events } = setup({ latency: { submitMs: 7, cancelMs: 3, ackReportMs: 40, fillReportMs: 1, cancelReportMs: 25 } });
    for (let i = 0; i < 20; i++) {
      await ex.createLimitOrder(buy(`b${i}`, P - i * TICK, 0.01));
      if (i % 3 === 0) await ex.cancelOrder(`sim-${i + 1}`);
      ex.onMarketEvent(trade(i * 10 + 5, P - (i + 2) * TICK, 0.015));
    }
    ex.advanceTo(10_000);
    expect(events.length).toBeGreaterThan(30);
    expectSortedByTs(events);
  });

  it('an order placed from inside an event subscriber is processed in order', async () => {
    const { ex, events } = setup();
    ex.orderEvents$.subscribe((e) => {
      if (e.type === 'order.fill' && e.order.status === 'filled' && e.order.side === 'buy') {
        void ex.createLimitOrder(sell(`${e.order.clientId}-tp`, P + 5 * TICK, e.order.filled));
      }
    });
    await ex.createLimitOrder(buy('b', P, 0.1));
    ex.onMarketEvent(trade(10, P - TICK, 1));
    expect(types(events)).toEqual(['order.accepted', 'order.fill', 'order.accepted']);
    expect(ex.getOpenOrders()).toMatchObject([{ clientId: 'b-tp', side: 'sell', amount: 0.1 }]);
  });
});

describe('candle fill model', () => {
  it('fills a buy when low ≤ price − 1 tick, bounded by the candle volume times the participation', async () => {
    const { ex, events } = setup({ fillModel: { participation: 0.1 } });
    await ex.createLimitOrder(buy('b', P, 0.1));
    ex.onMarketEvent(candle(0, P, P + 10 * TICK, 100));
    expect(fills(events)).toEqual([]);
    ex.onMarketEvent(candle(300_000, P - TICK, P + 10 * TICK, 0.5));
    expect(fills(events)).toMatchObject([{ price: P, amount: 0.05, ts: 600_000 }]);
    ex.onMarketEvent(candle(600_000, P - TICK, P + 10 * TICK, 100));
    expect(ex.getOrder({ clientId: 'b' })).toMatchObject({ status: 'filled', filled: 0.1 });
  });

  it('fills a sell when high ≥ price + 1 tick; touch mode fills on high = price', async () => {
    const through = setup();
    await through.ex.createLimitOrder(sell('s', P, 0.1));
    through.ex.onMarketEvent(candle(0, P - 10 * TICK, P, 100));
    expect(fills(through.events)).toEqual([]);
    through.ex.onMarketEvent(candle(300_000, P - 10 * TICK, P + TICK, 100));
    expect(fills(through.events)).toMatchObject([{ side: 'sell', amount: 0.1 }]);
    const touch = setup({ fillModel: { mode: 'touch' } });
    await touch.ex.createLimitOrder(sell('s', P, 0.1));
    touch.ex.onMarketEvent(candle(0, P - 10 * TICK, P, 100));
    expect(fills(touch.events)).toMatchObject([{ side: 'sell', amount: 0.1 }]);
  });

  it('only orders live for the whole candle qualify', async () => {
    const { ex, events } = setup({ latency: { submitMs: 1 } });
    await ex.createLimitOrder(buy('b', P, 0.1));
    // Arrives at 1 ms, after this candle opened at 0: unknown whether the low printed before or after.
    ex.onMarketEvent(candle(0, P - 50 * TICK, P + 10 * TICK, 100));
    expect(fills(events)).toEqual([]);
    ex.onMarketEvent(candle(300_000, P - 50 * TICK, P + 10 * TICK, 100));
    expect(fills(events)).toHaveLength(1);
  });
});

describe('marketable orders on arrival', () => {
  it('take the book top size at their own limit price; the rest rests', async () => {
    const { ex, events } = setup();
    ex.onMarketEvent(book(1, P - 3 * TICK, P - 2 * TICK, 0.03));
    await ex.createLimitOrder(buy('b', P, 0.1));
    expect(fills(events)).toMatchObject([{ price: P, amount: 0.03 }]);
    // The book top was used up: a second order finds nothing left there.
    await ex.createLimitOrder(buy('b2', P, 0.05));
    expect(fills(events)).toHaveLength(1);
    expect(ex.getOpenOrders().map((o) => o.clientId)).toEqual(['b', 'b2']);
  });

  it('without a fresher book, take the unused volume of the last trade when it printed through', async () => {
    const { ex, events } = setup();
    ex.onMarketEvent(book(1, P - 3 * TICK, P + TICK, 5));
    ex.onMarketEvent(trade(2, P - TICK, 0.02));
    await ex.createLimitOrder(buy('b', P, 0.1));
    expect(fills(events)).toMatchObject([{ amount: 0.02 }]);
    // A last trade at the limit is not through: the order rests.
    ex.onMarketEvent(trade(3, P, 1));
    await ex.createLimitOrder(buy('c', P, 0.1));
    expect(fills(events)).toHaveLength(1);
  });

  it('share one print between resting orders and later arrivals, never counting its volume twice', async () => {
    const { ex, events } = setup({ fillModel: { participation: 0.5 } });
    await ex.createLimitOrder(buy('resting', P, 0.01));
    ex.onMarketEvent(trade(1, P - TICK, 0.05));
    await ex.createLimitOrder(buy('arrival-1', P, 0.01));
    await ex.createLimitOrder(buy('arrival-2', P, 0.01));
    await ex.createLimitOrder(buy('arrival-3', P, 0.01));
    await ex.createLimitOrder(sell('sell-at-print', P - TICK, 0.01));
    await ex.createLimitOrder(sell('sell-below-print', P - 2 * TICK, 0.04));
    // Buys share 0.5 × 0.05 = 0.025: 0.01 resting, then 0.01 and 0.005 arriving, nothing for the third.
    // Sells have their own 0.025; one at the print's price is not through it.
    expect(fills(events).map((f) => [f.clientId, f.amount])).toEqual([
      ['resting', 0.01],
      ['arrival-1', 0.01],
      ['arrival-2', expect.closeTo(0.005, 12)],
      ['sell-below-print', 0.025],
    ]);
  });

  it('rest in the book when marketableOnArrival is rest', async () => {
    const { ex, events } = setup({ fillModel: { marketableOnArrival: 'rest' } });
    ex.onMarketEvent(book(1, P - 3 * TICK, P - 2 * TICK, 5));
    await ex.createLimitOrder(buy('b', P, 0.1));
    expect(fills(events)).toEqual([]);
    expect(ex.getOpenOrders()).toHaveLength(1);
  });
});

describe('determinism and options', () => {
  async function script(): Promise<string> {
    const { ex, events } = setup({ latency: { submitMs: 5, cancelMs: 9, ackReportMs: 2, fillReportMs: 4, cancelReportMs: 1 }, fillModel: { participation: 0.3 } });
    for (let i = 0; i < 30; i++) {
      await ex.createLimitOrder(i % 2 ? sell(`s${i}`, P + (i % 7) * TICK, 0.013) : buy(`b${i}`, P - (i % 5) * TICK, 0.017));
      if (i % 4 === 0) await ex.cancelOrder(`sim-${i + 1}`);
      ex.onMarketEvent(trade(i * 7, P + ((i * 13) % 11) * TICK - 5 * TICK, 0.01 + (i % 3) * 0.01));
    }
    ex.advanceTo(1000);
    return JSON.stringify({ events, balances: ex.getBalances(), open: ex.getOpenOrders() });
  }

  it('gives identical events and state for identical inputs', async () => {
    const a = await script();
    expect(a.length).toBeGreaterThan(1000);
    expect(await script()).toBe(a);
  });

  it('refuses bad options with the option named', () => {
    const rules = defaultRulesSource();
    expect(() => new SimulatedExchange({ rules, balances: {}, fillModel: { participation: 0 } })).toThrow(/fillModel.participation 0/);
    expect(() => new SimulatedExchange({ rules, balances: {}, latency: { cancelMs: -1 } })).toThrow(/latency.cancelMs -1/);
    expect(() => new SimulatedExchange({ rules, balances: { KRW: -5 } })).toThrow(/initial balance KRW -5/);
  });

  it('lists the markets it has rules for', async () => {
    const { ex } = setup();
    await ex.createLimitOrder(buy('x', 10, 1, 'FOO/BAR'));
    ex.onMarketEvent(trade(1, P, 1));
    expect((await ex.markets()).map((r) => r.market)).toEqual([BTC]);
  });
});
