import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { OrderEvent } from '../../src/core/index.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { generateMarket } from '../../src/market-data/generator.js';

describe('while the store cannot write snapshots', () => {
  it('the engine opens no new position, and the open ones still exit', () => {
    const config = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false, takeProfit: 0.004, stopLoss: 0.004, maxHold: '30m' }, simulator: { fillModel: 'touch' } });
    let writable = true;
    const start = Date.UTC(2024, 0, 1);
    const run = createBacktest(config, 'KRW', start, undefined, undefined, { canOpenPositions: () => writable });
    const events: OrderEvent[] = [];
    run.engine.listen({ onOrderEvent: (e) => events.push(e) });
    let degradedAt: number | undefined;
    for (const e of generateMarket({ seed: 4, markets: 6, start, durationMs: 12 * 3_600_000 })) {
      run.feed(e);
      // Redis goes away once a position holds coins.
      if (degradedAt === undefined && run.engine.openPositions().some((p) => p.state === 'holding')) {
        writable = false;
        degradedAt = e.ts;
      }
    }
    expect(degradedAt, 'a position was holding at some point').toBeDefined();
    const after = events.filter((e) => e.ts > (degradedAt as number));
    const side = (e: OrderEvent): string => (e.type === 'order.rejected' ? e.side : e.order.side);
    // No buy order placed after the store went away (a buy already resting may still fill).
    const newBuys = after.filter((e) => e.type === 'order.accepted' && side(e) === 'buy');
    expect(newBuys).toEqual([]);
    expect(after.some((e) => e.type === 'order.fill' && side(e) === 'sell')).toBe(true);
  });
});
