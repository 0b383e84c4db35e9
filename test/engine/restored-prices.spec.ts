import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { MarketEvent } from '../../src/core/index.js';
import { createBacktest, type BacktestCheckpoint, type BacktestExtras } from '../../src/engine/backtest.js';
import { generateMarket } from '../../src/market-data/generator.js';

const start = Date.UTC(2024, 0, 1, 1);
const events: MarketEvent[] = [...generateMarket({ seed: 7, markets: 5, start, durationMs: 10 * 3_600_000 })];
// Kill-switch limits a restored holding's worth exceeds, so valuing it at 0 would trip them.
const config = parseConfig({
  filter: { minValue1d: 0, minTrades1d: 0 },
  strategy: { skipBearMarket: false, takeProfit: 0.05, stopLoss: 0.05, maxHold: '1d' },
  simulator: { fillModel: 'touch' },
  bot: { dailyLossLimit: 0.03, maxDrawdown: 0.03, onStop: 'keep' },
});

/** The first run up to its first holding position, and its checkpoint with no last prices (what a live restore has). */
function restartedWithoutPrices(): { checkpoint: BacktestCheckpoint; rules: BacktestExtras['rules']; market: string; rest: MarketEvent[]; worth: number; equity: number } {
  const run = createBacktest(config, 'KRW', start);
  let i = 0;
  for (; i < events.length; i++) {
    run.feed(events[i] as MarketEvent);
    if (run.engine.openPositions().some((p) => p.state === 'holding')) break;
  }
  const holding = run.engine.openPositions().find((p) => p.state === 'holding');
  if (holding === undefined) throw new Error('the first run never held a position');
  const price = run.engine.portfolio.price(holding.market) as number;
  const checkpoint = run.checkpoint(i + 1);
  return {
    checkpoint: { ...checkpoint, engine: { ...checkpoint.engine, lastPrice: [] } },
    // The markets' rules as the first run inferred them (an exchange's own, live): the restored venue knows its orders' markets.
    rules: { rules: (m) => run.rules.rules(m), feeRate: config.simulator.feeRate },
    market: holding.market,
    rest: events.slice(i + 1),
    worth: holding.amount * price,
    equity: run.engine.equity().equity,
  };
}

describe('a restore without last prices (a live restart)', () => {
  it('does not trip the kill switch on coins valued at 0 before their market’s first price, and judges the equity once they have one', async () => {
    const { checkpoint, rules, market, rest, worth, equity } = restartedWithoutPrices();
    // The holding is worth more than the limits: counted as 0, the equity looks like a loss beyond them.
    expect(worth / equity).toBeGreaterThan(0.03);
    const run = createBacktest(config, 'KRW', start, undefined, checkpoint, { rules });
    const heard: number[] = [];
    const send = run.engine.bot.send.bind(run.engine.bot);
    run.engine.bot.send = (event) => {
      if (event.type === 'equity.update') heard.push(event.equity);
      send(event);
    };
    await run.kernel.start();
    run.kernel.resume();
    const others = rest.filter((e) => e.market !== market);
    const heldMarket = rest.filter((e) => e.market === market);
    // An hour of the other markets: batches come, the held coin has no price, the equity reads low.
    const hour = others.filter((e) => e.ts < checkpoint.engine.ts + 3_600_000);
    for (const e of hour) run.feed(e);
    expect(run.engine.portfolio.price(market)).toBeUndefined();
    expect(run.engine.equity().equity).toBeLessThan(equity * 0.97);
    expect(run.engine.bot.getSnapshot().value).toBe('running');
    expect(heard).toEqual([]);
    // Its market trades: the coin has a price, the bot hears the equity again (its peak and day as before).
    const next = heldMarket.find((e) => e.kind === 'trade' && e.ts >= (hour.at(-1) as MarketEvent).ts) as MarketEvent;
    run.feed(next);
    for (const e of rest.filter((o) => o.ts > next.ts && o.ts < next.ts + 600_000)) run.feed(e);
    expect(run.engine.portfolio.price(market)).toBeDefined();
    expect(run.engine.equity().equity).toBeGreaterThan(equity * 0.97);
    expect(run.engine.bot.getSnapshot().value).toBe('running');
    expect(heard.length).toBeGreaterThan(0);
    expect(Math.min(...heard)).toBeGreaterThan(equity * 0.97);
  });
});
