import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { OrderEvent, Venue } from '../../src/core/index.js';
import { createBacktest } from '../../src/engine/backtest.js';
import type { DecisionOutcome } from '../../src/engine/risk.js';
import { generateMarket } from '../../src/market-data/generator.js';

describe('while the venue cannot read its balances (live re-reads failing)', () => {
  it('the engine opens no new position (BUYs end "balances-stale"), the open ones still exit, and buying resumes once they are read', () => {
    const config = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false, takeProfit: 0.004, stopLoss: 0.004, maxHold: '30m' }, simulator: { fillModel: 'touch' } });
    const start = Date.UTC(2024, 0, 1);
    const run = createBacktest(config, 'KRW', start);
    // The live account's `balancesCurrent` on the simulated venue.
    let current = true;
    (run.kernel.venue as Venue).balancesCurrent = () => current;
    const events: OrderEvent[] = [];
    const outcomes: { ts: number; outcome: DecisionOutcome }[] = [];
    run.engine.listen({ onOrderEvent: (e) => events.push(e), onDecisionOutcome: (d, outcome) => d.kind === 'BUY' && outcomes.push({ ts: d.ts, outcome }) });
    let staleAt: number | undefined;
    let currentAt: number | undefined;
    for (const e of generateMarket({ seed: 4, markets: 6, start, durationMs: 18 * 3_600_000 })) {
      run.feed(e);
      if (staleAt === undefined && run.engine.openPositions().some((p) => p.state === 'holding')) {
        current = false;
        staleAt = e.ts;
      }
      if (staleAt !== undefined && currentAt === undefined && e.ts > staleAt + 6 * 3_600_000) {
        current = true;
        currentAt = e.ts;
      }
    }
    expect(staleAt, 'a position was holding at some point').toBeDefined();
    expect(currentAt).toBeDefined();
    const side = (e: OrderEvent): string => (e.type === 'order.rejected' ? e.side : e.order.side);
    const during = events.filter((e) => e.ts > (staleAt as number) && e.ts <= (currentAt as number));
    // No buy order placed while stale (a buy already resting may still fill); sells go on.
    expect(during.filter((e) => e.type === 'order.accepted' && side(e) === 'buy')).toEqual([]);
    expect(during.some((e) => e.type === 'order.fill' && side(e) === 'sell')).toBe(true);
    expect(outcomes.some((o) => o.ts > (staleAt as number) && o.ts <= (currentAt as number) && o.outcome === 'balances-stale')).toBe(true);
    // Read again: buying resumes.
    expect(events.some((e) => e.ts > (currentAt as number) && e.type === 'order.accepted' && side(e) === 'buy')).toBe(true);
  });
});
