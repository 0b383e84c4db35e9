import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { isPriceOnTick, roundPrice, SimulatedVenue } from '../../src/exchange/index.js';

const venue = (): SimulatedVenue => new SimulatedVenue({ quote: 'USDT', initialBalance: 1000, feeRate: 0.001, fillModel: { mode: 'through', participation: 1 }, latencyMs: 0, startTs: 0 });
const trade = (market: string, ts: number, price: number, amount = 1): MarketEvent => ({ kind: 'trade', market, ts, price, amount });

describe('SimulatedVenue rules inferred from the data', () => {
  it("takes a market's tick from its first priced event, a malformed one included, and keeps it while the price stays over 10 ticks", () => {
    const v = venue();
    expect(v.rules('A/USDT')).toBeUndefined();
    // Malformed (a negative amount) but priced: the tick is five significant digits of 5.
    v.onMarketEvent(trade('A/USDT', 1, 5, -1));
    v.onMarketEvent(trade('A/USDT', 2, 123));
    v.onMarketEvent(trade('A/USDT', 3, 0.5));
    expect(v.exchange.malformedEvents).toBe(1);
    const rules = v.rules('A/USDT');
    for (const price of [5, 123, 0.5, 0.001]) expect(rules?.tickSize(price)).toBeCloseTo(1e-4, 15);
  });

  it('re-ticks a coin that collapsed under 10 ticks (five significant digits at its price), so it can still be priced', () => {
    const v = venue();
    v.onMarketEvent(trade('LUNA/USDT', 1, 80.123));
    const rules = v.rules('LUNA/USDT');
    if (!rules) throw new Error('no rules');
    expect(rules.tickSize(0.01)).toBeCloseTo(0.001, 15);
    expect(rules.tickSize(0.000612771) / 1e-8).toBeCloseTo(1, 9);
    expect(roundPrice(rules, 0.000612771, 'down')).toBe(0.00061277);
    expect(roundPrice(rules, 0.000612771, 'up')).toBe(0.00061278);
    // Rounding up to a band's edge lands on a price of the band above, the old tick's band included.
    expect(isPriceOnTick(rules, roundPrice(rules, 0.000999996, 'up'))).toBe(true);
    expect(roundPrice(rules, 0.00999996, 'up')).toBe(0.01);
    expect(isPriceOnTick(rules, 0.01)).toBe(true);
  });

  it('learns nothing from an event without a price and learns from the next one', () => {
    const v = venue();
    v.onMarketEvent(trade('B/USDT', 1, Number.NaN));
    expect(v.rules('B/USDT')).toBeUndefined();
    v.onMarketEvent(trade('B/USDT', 2, 250));
    expect(v.rules('B/USDT')?.tickSize(250)).toBeCloseTo(0.01, 15);
  });
});
