import { describe, expect, it } from 'vitest';
import { Random, type CandleEvent, type OrderEvent } from '../../src/core/index.js';
import { genericMarketRules } from '../../src/exchange/market-rules.js';
import { SimulatedExchange, type SimulatedExchangeOptions } from '../../src/exchange/simulated/simulated-exchange.js';
import { roundAmountDown, roundPrice } from '../../src/exchange/tick-math.js';
import { readAll } from '../../src/market-data/index.js';
import { sharedData, skipWithoutSharedData } from '../helpers/shared-data.js';

const MARKET = 'BTC/USDT';
const RULES = genericMarketRules(
  { symbol: MARKET, base: 'BTC', quote: 'USDT', precision: { price: 0.01, amount: 0.00001 }, limits: { cost: { min: 10 } }, taker: 0.001 },
  { precisionMode: 'tickSize' },
);
const OPTIONS: SimulatedExchangeOptions = {
  rules: new Map([[MARKET, RULES]]),
  balances: { USDT: 100_000, BTC: 1 },
  latency: { submitMs: 2_000, cancelMs: 400_000, ackReportMs: 30_000, fillReportMs: 200_000, cancelReportMs: 10_000 },
  fillModel: { mode: 'touch', participation: 0.002 },
};

/** Feeds candles from `from` to `to`, placing and cancelling seeded random orders; returns what was emitted. */
function drive(ex: SimulatedExchange, candles: readonly CandleEvent[], from: number, to: number, random: Random, log: string[]): void {
  for (let i = from; i < to; i++) {
    const c = candles[i] as CandleEvent;
    ex.onMarketEvent(c);
    const r = random.next();
    if (r < 0.05) {
      const side = random.next() < 0.5 ? 'buy' : 'sell';
      const price = roundPrice(RULES, c.close * (1 + (random.next() - 0.5) * 0.01), side === 'buy' ? 'down' : 'up');
      void ex.createLimitOrder({ clientId: `o${i}`, market: MARKET, side, price, amount: roundAmountDown(0.01 + random.next() * 0.2, 0.00001) });
    } else if (r < 0.08) {
      const open = ex.getOpenOrders();
      const victim = open[random.int(Math.max(1, open.length))];
      if (victim) void ex.cancelOrder(victim.id);
    }
    log.push(JSON.stringify(ex.getBalances()));
  }
}

describe.skipIf(skipWithoutSharedData())('SimulatedExchange snapshot', () => {
  it('restored from JSON mid-run (orders resting, cancels and reports in flight), continues exactly like the original', async () => {
    const { events } = await readAll([sharedData('candles/binance-spot-2021-5m/BTC_USDT-5m.csv.gz')]);
    const candles = events.filter((e): e is CandleEvent => e.kind === 'candle').slice(0, 12_000);
    const original = new SimulatedExchange(OPTIONS);
    const originalEvents: OrderEvent[] = [];
    original.orderEvents$.subscribe((e) => originalEvents.push(e));
    const logA: string[] = [];
    const randomA = new Random(11);
    // A twin fed the same inputs advances randomB to the split point.
    const twin = new SimulatedExchange(OPTIONS);
    const randomB = new Random(11);
    // Split where something is in flight (a report or cancel scheduled) and orders rest, or the test proves little.
    let split = 5_000;
    drive(original, candles, 0, split, randomA, logA);
    drive(twin, candles, 0, split, randomB, []);
    while (!(original.pendingActions > 0 && original.getOpenOrders().length > 0)) {
      drive(original, candles, split, split + 1, randomA, logA);
      drive(twin, candles, split, split + 1, randomB, []);
      split++;
    }
    expect(split).toBeLessThan(8_000);
    const snapshot = JSON.parse(JSON.stringify(original.snapshot())) as ReturnType<SimulatedExchange['snapshot']>;

    const restored = new SimulatedExchange(OPTIONS);
    restored.restore(snapshot);
    expect(restored.getBalances()).toEqual(original.getBalances());
    expect(restored.getOpenOrders()).toEqual(original.getOpenOrders());
    expect(restored.pendingActions).toBe(original.pendingActions);
    const restoredEvents: OrderEvent[] = [];
    restored.orderEvents$.subscribe((e) => restoredEvents.push(e));
    const before = originalEvents.length;
    const logB: string[] = [];
    drive(original, candles, split, candles.length, randomA, logA);
    drive(restored, candles, split, candles.length, randomB, logB);
    expect(restoredEvents.length).toBeGreaterThan(10);
    expect(restoredEvents).toEqual(originalEvents.slice(before));
    expect(logB).toEqual(logA.slice(split));
    expect(restored.feesPaid()).toEqual(original.feesPaid());
    expect(restored.snapshot()).toEqual(original.snapshot());
  });

  it('refuses a snapshot of another version', () => {
    const ex = new SimulatedExchange(OPTIONS);
    expect(() => ex.restore({ ...ex.snapshot(), v: 2 } as unknown as ReturnType<SimulatedExchange['snapshot']>)).toThrow(/unsupported snapshot version 2/);
  });
});
