import { mergeMap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/core/index.js';
import type { Strategy } from '../../strategies/index.js';
import { parseConfig } from '../../src/config.js';
import { createBacktest } from '../../src/engine/backtest.js';
import type { OrderCommand } from '../../src/engine/order-router.js';
import { generateMarket } from '../../src/market-data/generator.js';

/**
 * The bot stops its own positions: on `bot.stop` (here the end of the run) every open buy is cancelled,
 * and with `bot.onStop` = liquidate every holding is offered for sale at its exit price (whole lots).
 */
describe('stopping the bot', () => {
  for (const onStop of ['keep', 'liquidate'] as const) {
    it(`cancels the open buys and ${onStop === 'keep' ? 'keeps' : 'sells'} the holdings (onStop ${onStop})`, () => {
      const start = Date.UTC(2024, 0, 1);
      const config = parseConfig({ seed: 3, bot: { onStop, dailyLossLimit: 0.9, maxDrawdown: 0.95 }, filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, allocation: { maxPositions: 6 } });
      const run = createBacktest(config, 'KRW', start);
      let stoppedAt: number | undefined;
      for (const event of generateMarket({ seed: 3, markets: 8, start, durationMs: 12 * 3_600_000 })) {
        run.feed(event);
        const states = run.engine.openPositions().map((p) => p.state);
        if (event.ts > start + 3_600_000 && states.includes('holding') && states.includes('buying')) {
          stoppedAt = event.ts;
          break;
        }
      }
      expect(stoppedAt, 'a moment with a position holding and one buying').toBeDefined();
      const before = run.engine.openPositions();
      const commands: OrderCommand[] = [];
      run.engine.listen({ onOrderCommand: (c) => commands.push(c) });
      const { open } = run.kernel.finish();
      const after = new Map(open.map((p) => [p.positionId, p]));
      for (const p of before.filter((b) => b.state === 'buying')) {
        expect(commands.some((c) => c.type === 'cancel' && c.positionId === p.positionId && c.side === 'buy'), `${p.positionId}'s buy cancelled`).toBe(true);
      }
      const holding = before.filter((b) => b.state === 'holding');
      for (const p of holding) {
        const sold = commands.filter((c) => c.type === 'create' && c.positionId === p.positionId && c.side === 'sell');
        if (onStop === 'keep') {
          expect(sold).toEqual([]);
          expect(after.get(p.positionId)?.state).toBe('holding');
        } else {
          // Either its whole lots are offered at the exit price, or what it holds is dust and it closes.
          const dust = !after.has(p.positionId);
          expect(dust || sold.length === 1, `${p.positionId} offered for sale`).toBe(true);
          if (!dust) expect(sold[0]?.amount).toBeGreaterThan(0);
        }
      }
      expect(String(run.engine.bot.getSnapshot().value)).toMatch(/^(stopping|stopped)$/);
    });
  }
});

describe('finishing a run', () => {
  it('stops the bot before the last, partial batch: its BUYs are halted and no buy leaves for the exchange', () => {
    const start = Date.UTC(2024, 0, 1);
    const config = parseConfig({ seed: 5, filter: { minValue1d: 0, minTrades1d: 0 }, allocation: { maxPositions: 30 } });
    // Buys every ranked market at every ranking: whatever the last batch ranks, it asks to buy.
    const buyEverything: Strategy = (inputs) =>
      inputs.pipe(mergeMap((input) => (input.kind === 'ranking' ? input.ranking.ranking.map((r): Decision => ({ kind: 'BUY', market: r.market, ts: input.ranking.ts, reason: 'test' })) : [])));
    const run = createBacktest(config, 'KRW', start, buyEverything);
    const events = [...generateMarket({ seed: 5, markets: 40, start, durationMs: 2 * 3_600_000 })];
    // Stop half-way through a batch (events after the last batch boundary are still unbatched).
    for (const event of events.slice(0, Math.floor(events.length * 0.7))) run.feed(event);
    const commands: OrderCommand[] = [];
    const outcomes: string[] = [];
    run.engine.listen({ onOrderCommand: (c) => commands.push(c), onDecisionOutcome: (d, o) => outcomes.push(`${d.kind} ${o}`) });
    run.kernel.finish();
    expect(outcomes.filter((o) => o.startsWith('BUY')).length, 'the last batch ranked and asked to buy').toBeGreaterThan(0);
    const buys = new Set(outcomes.filter((o) => o.startsWith('BUY')));
    expect(buys.has('BUY halted'), [...buys].join(', ')).toBe(true);
    for (const o of buys) expect(['BUY halted', 'BUY already-holding']).toContain(o);
    expect(commands.filter((c) => c.type === 'create' && c.side === 'buy')).toEqual([]);
  });
});
