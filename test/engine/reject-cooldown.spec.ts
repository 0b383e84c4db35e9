import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { EventClock, type LimitOrderRequest, type LookupReply, type Order, type TradeEvent } from '../../src/core/index.js';
import { createKernel } from '../../src/engine/kernel.js';
import { RejectCooldown } from '../../src/engine/reject-cooldown.js';
import { SilentVenue } from '../helpers/silent-venue.js';

/** An exchange that refuses every order (its minimum raised, the coins gone, the market delisted). */
class RefusingVenue extends SilentVenue {
  constructor(private readonly clock: { now(): number }) {
    super();
  }
  override async createLimitOrder(request: LimitOrderRequest): Promise<Order | undefined> {
    this.requests.push(request);
    this.orderEvents$.next({ type: 'order.rejected', ts: this.clock.now(), clientId: request.clientId, market: request.market, side: request.side, reason: 'under_minimum', message: 'Filter failure: NOTIONAL' });
    return undefined;
  }
  lookupOrder(_ref: { readonly clientId: string }, reply: LookupReply): void {
    reply({ order: undefined });
  }
}

describe('RejectCooldown', () => {
  it('waits a minute after a refusal, twice as long after each next one in a row, at most an hour, until an order is accepted', () => {
    const c = new RejectCooldown();
    expect(c.cooling('XRP/KRW', 0)).toBe(false);
    c.refused('XRP/KRW', 0);
    expect(c.cooling('XRP/KRW', 59_999)).toBe(true);
    expect(c.cooling('XRP/KRW', 60_000)).toBe(false);
    expect(c.cooling('BTC/KRW', 1)).toBe(false);
    c.refused('XRP/KRW', 60_000);
    expect(c.cooling('XRP/KRW', 60_000 + 119_999)).toBe(true);
    expect(c.cooling('XRP/KRW', 180_000)).toBe(false);
    for (let i = 0; i < 10; i++) c.refused('XRP/KRW', 1_000_000);
    expect(c.cooling('XRP/KRW', 1_000_000 + 3_599_999)).toBe(true);
    expect(c.cooling('XRP/KRW', 1_000_000 + 3_600_000)).toBe(false);
    c.accepted('XRP/KRW');
    expect(c.cooling('XRP/KRW', 1_000_001)).toBe(false);
  });
});

describe('an exchange that refuses every order of a market', () => {
  it('is asked again after a growing wait, not at every batch: the BUYs between are cooling-down', () => {
    const t0 = Date.UTC(2024, 0, 1);
    const clock = new EventClock(t0);
    const venue = new RefusingVenue(clock);
    const config = parseConfig({ features: { every: '1m' }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false, gate: { edge: false, regimeMin: -1 } }, ranking: { top: 1 } });
    const kernel = createKernel({ config, quote: 'KRW', clock, venue });
    const outcomes: string[] = [];
    kernel.engine.listen({ onDecisionOutcome: (d, o) => void (d.kind === 'BUY' && outcomes.push(o)) });
    // Two hours of trades, one every 10 s, the price wandering so the ranking keeps changing.
    const trade = (s: number): TradeEvent => ({ kind: 'trade', market: 'XRP/KRW', ts: t0 + s * 1000, price: 3000 + 10 * Math.round(5 * Math.sin(s / 170)), amount: 100 });
    for (let s = 0; s < 7200; s += 10) kernel.feed(trade(s));
    expect(venue.requests.length).toBeGreaterThan(2);
    // 1, 2, 4, 8, 16, 32 minutes apart at least: a handful in two hours instead of one a batch.
    expect(venue.requests.length).toBeLessThanOrEqual(8);
    expect(outcomes.filter((o) => o === 'cooling-down').length).toBeGreaterThan(venue.requests.length);
  });
});
