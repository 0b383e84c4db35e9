import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { EventClock, wallTimerClock, type LimitOrderRequest, type LookupReply, type TradeEvent } from '../../src/core/index.js';
import { SilentVenue } from '../helpers/silent-venue.js';
import { createKernel } from '../../src/engine/kernel.js';

/** A live exchange whose acknowledgements never come and whose look-ups fail `failures` times first. */
class SilentExchange extends SilentVenue {
  lookups = 0;
  /** Event time of every look-up attempt (with an event clock). */
  readonly attempts: number[] = [];
  constructor(
    private failures: number,
    private readonly clock: { now(): number } = wallTimerClock,
  ) {
    super();
  }
  lookupOrder(ref: { readonly clientId: string }, reply: LookupReply): void {
    this.lookups++;
    this.attempts.push(this.clock.now());
    const failed = this.failures-- > 0;
    const r = this.requests.find((x) => x.clientId === ref.clientId) as LimitOrderRequest;
    // Over the network: the answer comes later.
    void Promise.resolve().then(() => reply(failed ? { error: new Error('network down') } : { order: { ...r, id: 'u1', status: 'open', filled: 0, cost: 0, fee: 0, ts: 0 } }));
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a live look-up that fails', () => {
  it('is retried with backoff until the exchange answers, and the position leaves its unknown state', async () => {
    vi.useFakeTimers();
    const config = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
    const exchange = new SilentExchange(3);
    const kernel = createKernel({ config, quote: 'KRW', clock: wallTimerClock, venue: exchange, observeTransitions: true });
    const engine = kernel.engine;
    const t0 = Date.UTC(2024, 0, 1);
    const trade = (minute: number, price: number): TradeEvent => ({ kind: 'trade', market: 'XRP/KRW', ts: t0 + minute * 60_000, price, amount: 100 });
    for (let m = 0; m < 5; m++) engine.onMarketEvent(trade(m, 3000 + m));
    expect(exchange.requests).toHaveLength(1);
    const states: string[] = [];
    engine.listen({ onPositionTransition: (t) => states.push(t.to) });
    // Two minutes of event time, or a minute of wall time, without an acknowledgement (whichever clock the
    // position's timeout runs on): the position asks the exchange, which fails three times.
    engine.onMarketEvent(trade(7, 3010));
    engine.onMarketEvent(trade(8, 3010));
    if (engine.openPositions()[0]?.state === 'buying') await vi.advanceTimersByTimeAsync(60_000);
    expect(states).toContain('unknownBuy');
    for (let i = 0; i < 10 && engine.openPositions()[0]?.state === 'unknownBuy'; i++) await vi.advanceTimersByTimeAsync(10_000);
    expect(exchange.lookups).toBe(4);
    expect(engine.openPositions()[0]?.state).toBe('buying');
  });
});

describe('a look-up that fails in a replay', () => {
  it('is retried on the event clock: the backoff runs in event time as the events arrive, no wall-clock timer involved', async () => {
    const config = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
    const t0 = Date.UTC(2024, 0, 1);
    const clock = new EventClock(t0);
    const exchange = new SilentExchange(3, clock);
    const kernel = createKernel({ config, quote: 'KRW', clock, venue: exchange });
    const trade = (second: number, price: number): TradeEvent => ({ kind: 'trade', market: 'XRP/KRW', ts: t0 + second * 1000, price, amount: 100 });
    for (let m = 0; m < 5; m++) kernel.feed(trade(m * 60, 3000 + m));
    kernel.feed(trade(7 * 60, 3010));
    kernel.feed(trade(8 * 60, 3010));
    await Promise.resolve();
    expect(kernel.engine.openPositions()[0]?.state).toBe('unknownBuy');
    // The failed answer arrived at 8 min; one event a second from then: each retry is due 1 s, 2 s, 4 s after the last failure, in event time.
    for (let s = 8 * 60 + 1; s < 8 * 60 + 20; s++) {
      kernel.feed(trade(s, 3010));
      await Promise.resolve();
      await Promise.resolve();
    }
    expect(exchange.lookups).toBe(4);
    expect(exchange.attempts.slice(1).map((t) => (t - trade(8 * 60, 0).ts) / 1000)).toEqual([1, 3, 7]);
    expect(kernel.engine.openPositions()[0]?.state).toBe('buying');
  });
});
