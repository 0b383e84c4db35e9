import { describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { parseConfig } from '../../src/config.js';
import type { MarketSymbol } from '../../src/core/index.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { generateMarket } from '../../src/market-data/generator.js';

const START = Date.UTC(2024, 0, 1);

describe('a CANCEL_BUY settled ahead (its cancel sent and the answer counted at once, the actor stepped after the orders)', () => {
  it('frees its slot for the same batch’s buys, and leaves no settled actor behind the event', () => {
    const maxPositions = 6;
    const config = parseConfig({ features: { every: '1s' }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, allocation: { maxPositions } });
    const bt = createBacktest(config, 'KRW', START);
    const markets = Array.from({ length: 40 }, (_, i) => `S${i}/KRW` as MarketSymbol);
    const events = generateMarket({ seed: 3, markets, start: START, durationMs: 60_000, stepMs: 250, tradesPerSecond: 4 });
    const engine = bt.engine;
    let cancels = 0;
    let buys = 0;
    /**
     * Positions a CANCEL_BUY of the event went to; a buy placed while one's actor has not taken its steps yet
     * (still `buying`: its cancel was sent ahead, and the answer counted) had its slot counted ahead.
     */
    const cancelled: string[] = [];
    let buysAhead = 0;
    const stateOf = (id: string): string | undefined => {
      const ref = (engine.bot.getSnapshot().children as Record<string, AnyActorRef>)[id];
      return ref === undefined ? undefined : String((ref.getSnapshot() as { value: unknown }).value);
    };
    engine.listen({
      onDecision: (d) => {
        if (d.kind !== 'CANCEL_BUY') return;
        cancels++;
        const p = engine.openPositions().find((o) => o.market === d.market);
        if (p) cancelled.push(p.positionId);
      },
      onOrderCommand: (c) => {
        if (c.type !== 'create' || c.side !== 'buy') return;
        buys++;
        if (cancelled.some((id) => stateOf(id) === 'buying' && !engine.openPositions().some((o) => o.positionId === id))) buysAhead++;
      },
    });
    let slotsReused = 0;
    let cancelsTotal = 0;
    for (const event of events) {
      const openBefore = engine.openPositions().length;
      cancels = 0;
      buys = 0;
      cancelled.length = 0;
      bt.feed(event);
      cancelsTotal += cancels;
      const open = engine.openPositions();
      expect(open.length).toBeLessThanOrEqual(maxPositions);
      // Buys past the slots free before the event: the event's cancels freed them (settled ahead).
      if (cancels > 0 && openBefore + buys > maxPositions) slotsReused++;
      // Every position the engine settled has taken its step and left the bot by the end of the event.
      const children = Object.values(engine.bot.getSnapshot().children as Record<string, AnyActorRef>);
      expect(children.every((r) => (r.getSnapshot() as { status: string }).status === 'active')).toBe(true);
      const ids = new Set(open.map((p) => p.positionId));
      for (const r of children) {
        const c = (r.getSnapshot() as { context: { market: string; positionId: string } }).context;
        if (c.market !== '') expect(ids.has(c.positionId)).toBe(true);
      }
    }
    expect(cancelsTotal).toBeGreaterThan(10);
    expect(slotsReused).toBeGreaterThan(0);
    expect(buysAhead).toBeGreaterThan(0);
  });
});
