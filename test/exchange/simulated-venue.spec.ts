import { describe, expect, it } from 'vitest';
import type { MarketEvent } from '../../src/core/index.js';
import { SimulatedVenue } from '../../src/exchange/index.js';

const venue = (): SimulatedVenue => new SimulatedVenue({ quote: 'USDT', initialBalance: 1000, feeRate: 0.001, fillModel: { mode: 'through', participation: 1 }, latencyMs: 0, startTs: 0 });
const trade = (market: string, ts: number, price: number, amount = 1): MarketEvent => ({ kind: 'trade', market, ts, price, amount });

describe('SimulatedVenue rules inferred from the data', () => {
  it("takes a market's tick from its first priced event, a malformed one included, and keeps it", () => {
    const v = venue();
    // Malformed (a negative amount) but priced: the tick is five significant digits of 5.
    v.onMarketEvent(trade('A/USDT', 1, 5, -1));
    v.onMarketEvent(trade('A/USDT', 2, 123));
    v.onMarketEvent(trade('A/USDT', 3, 0.5));
    expect(v.rules('A/USDT')?.tickSize(5)).toBeCloseTo(1e-4, 15);
    expect(v.exchange.malformedEvents).toBe(1);
  });

  it('learns nothing from an event without a price and learns from the next one', () => {
    const v = venue();
    v.onMarketEvent(trade('B/USDT', 1, Number.NaN));
    expect(v.rules('B/USDT')).toBeUndefined();
    v.onMarketEvent(trade('B/USDT', 2, 250));
    expect(v.rules('B/USDT')?.tickSize(250)).toBeCloseTo(0.01, 15);
  });
});
