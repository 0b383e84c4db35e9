import { filter, map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { EventClock, type LookupReply, type TradeEvent } from '../../src/core/index.js';
import { SilentVenue } from '../helpers/silent-venue.js';
import { createKernel } from '../../src/engine/kernel.js';
import type { EngineCheckpoint } from '../../src/engine/trading-engine.js';
import type { Strategy, StrategyInput } from '../../strategies/index.js';

/** A live exchange that never acknowledges an order; a look-up finds it resting (answered at once). */
class LookupVenue extends SilentVenue {
  readonly lookups: { readonly clientId: string; readonly ts: number }[] = [];
  constructor(private readonly clock: EventClock) {
    super();
  }
  lookupOrder(ref: { readonly clientId: string }, reply: LookupReply): void {
    this.lookups.push({ clientId: ref.clientId, ts: this.clock.now() });
    const r = this.requests.find((x) => x.clientId === ref.clientId);
    reply({ order: r ? { ...r, id: 'u1', status: 'open', filled: 0, cost: 0, fee: 0, ts: 0 } : undefined });
  }
}

const config = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false, buyTimeout: '30m' }, ranking: { top: 1 } });
const t0 = Date.UTC(2024, 0, 1);
const trade = (second: number, price: number): TradeEvent => ({ kind: 'trade', market: 'XRP/KRW', ts: t0 + second * 1000, price, amount: 100 });

/** Buys the first ranked coin once, then decides nothing: what happens after is the position's own doing. */
const buyOnce: Strategy = (inputs) =>
  inputs.pipe(
    filter((i): i is Extract<StrategyInput, { kind: 'ranking' }> => i.kind === 'ranking' && i.ranking.ranking.length > 0),
    take(1),
    map((i) => ({ kind: 'BUY' as const, market: (i.ranking.ranking[0] as { market: string }).market, ts: i.ranking.ts, reason: 'test', price: 3000 })),
  );

/** A kernel on an event clock with its silent venue, fresh or from a checkpoint (which buys nothing more). */
function kernelAt(start: number, restore?: EngineCheckpoint) {
  const clock = new EventClock(start);
  const venue = new LookupVenue(clock);
  const strategy: Strategy = restore ? (inputs) => inputs.pipe(filter(() => false), map(() => ({ kind: 'BUY' as const, market: '', ts: 0, reason: '' }))) : buyOnce;
  const kernel = createKernel({ config, quote: 'KRW', clock, venue, strategy: () => strategy, ...(restore ? { restore: { engine: restore } } : {}) });
  return { clock, venue, kernel };
}

describe('a position restored from a checkpoint keeps its timeouts (XState persists no delayed event; the engine re-arms them)', () => {
  it('waiting for its acknowledgement, it looks the order up at the deadline of the original run, then cancels the buy at its timeout', async () => {
    // The uninterrupted run: a trade every 10 s until the buy is placed; nothing acknowledges it.
    const straight = kernelAt(t0);
    let s = 0;
    for (; straight.venue.requests.length === 0 && s < 600; s += 10) straight.kernel.feed(trade(s, 3000));
    expect(straight.venue.requests).toHaveLength(1);
    // Placed when the event after its batch had moved the clock on: its timers run from then.
    const placedAt = straight.clock.now();
    const checkpoint = JSON.parse(JSON.stringify(straight.kernel.engine.checkpoint())) as EngineCheckpoint;
    expect(straight.kernel.engine.openPositions()[0]?.state).toBe('buying');

    // The restart: a new kernel from the checkpoint (its venue knows the order as the exchange would).
    const restarted = kernelAt(checkpoint.ts, checkpoint);
    restarted.venue.requests.push(...straight.venue.requests);
    await restarted.kernel.start();
    restarted.kernel.resume();
    expect(restarted.kernel.engine.openPositions()[0]?.state).toBe('buying');

    // Both runs see the same events from here: a trade every 10 s for 29 minutes.
    const states = (k: typeof straight.kernel): string | undefined => k.engine.openPositions()[0]?.state;
    const seen: [string | undefined, string | undefined][] = [];
    for (let end = s + 29 * 60; s < end; s += 10) {
      straight.kernel.feed(trade(s, 3010));
      restarted.kernel.feed(trade(s, 3010));
      seen.push([states(straight.kernel), states(restarted.kernel)]);
    }
    // The acknowledgement deadline (a minute after the placing, on the clock) came in both at the same
    // moment: the order was looked up and found resting…
    const lookupTimes = (v: LookupVenue): number[] => v.lookups.map((l) => l.ts - placedAt);
    expect(lookupTimes(straight.venue)).toEqual([60_000]);
    expect(lookupTimes(restarted.venue)).toEqual([60_000]);
    expect(seen.every(([a, b]) => a === b)).toBe(true);
    expect(states(restarted.kernel)).toBe('buying');
    // …and the buy timeout (30 minutes after the placing) cancels it in both.
    expect(straight.clock.now() - placedAt).toBeLessThan(30 * 60_000);
    straight.kernel.feed(trade(s + 60, 3010));
    restarted.kernel.feed(trade(s + 60, 3010));
    expect(states(straight.kernel)).toBe('cancellingBuy');
    expect(states(restarted.kernel)).toBe('cancellingBuy');
  });
});
