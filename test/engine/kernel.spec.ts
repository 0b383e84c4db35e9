import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { MarketRules, TradeEvent } from '../../src/core/index.js';
import { createBacktest } from '../../src/engine/backtest.js';
import { configuredStrategy } from '../../src/engine/configured-strategy.js';
import { upbitKrwRules } from '../../src/exchange/index.js';

const t0 = Date.UTC(2024, 0, 1);
const trade = (market: string, ts: number, price: number): TradeEvent => ({ kind: 'trade', market, ts, price, amount: 10 });

describe('the kernel', () => {
  it('feeds an event older than the last one at the last time, in a replay as live: its time never goes back', () => {
    const run = createBacktest(parseConfig({}), 'KRW', t0);
    run.feed(trade('BTC/KRW', t0 + 60_000, 50_000_000));
    run.feed(trade('ETH/KRW', t0 + 30_000, 3_000_000));
    run.feed(trade('BTC/KRW', t0 + 90_000, 50_100_000));
    // The features saw no event out of order, the venue's time and the clock never went back.
    expect(run.engine.pipeline.counters.features.outOfOrder).toBe(0);
    expect(run.exchange.now).toBe(t0 + 90_000);
    expect(run.kernel.clock.now()).toBe(t0 + 90_000);
  });

  it("prices the strategy with the venue's fee: Upbit's for KRW, simulator.feeRate elsewhere, the exchange's own rules where given", () => {
    const config = parseConfig({ simulator: { feeRate: 0.00075 } });
    const seen: number[] = [];
    const strategy = (feeRate: number) => {
      seen.push(feeRate);
      return configuredStrategy(config, feeRate);
    };
    createBacktest(config, 'KRW', t0, undefined, undefined, { strategy });
    createBacktest(config, 'USDT', t0, undefined, undefined, { strategy });
    const own: MarketRules = { market: 'BTC/USDT', base: 'BTC', quote: 'USDT', tickSize: () => 0.01, amountStep: 1e-5, minTotal: 5, feeRate: 0.001 };
    const paper = createBacktest(config, 'USDT', t0, undefined, undefined, { strategy, rules: { rules: (m) => (m === own.market ? own : undefined), feeRate: own.feeRate } });
    expect(seen).toEqual([upbitKrwRules('BTC/KRW').feeRate, 0.00075, 0.001]);
    expect(paper.venue.rules('BTC/USDT')).toBe(own);
  });

  it('starts up the same way fresh or restored: nothing to look up on a simulated venue, nothing unaccounted', async () => {
    const config = parseConfig({ filter: { minValue1d: 0, minTrades1d: 0 }, strategy: { skipBearMarket: false }, ranking: { top: 1 } });
    const run = createBacktest(config, 'KRW', t0);
    for (let m = 0; m < 30; m++) run.feed(trade('XRP/KRW', t0 + m * 60_000, 3000 + (m % 5)));
    const checkpoint = run.checkpoint(30);
    expect(run.engine.openPositions().length).toBeGreaterThan(0);
    const restored = createBacktest(config, 'KRW', t0, undefined, checkpoint);
    expect(restored.kernel.warming).toBe(true);
    // The warm-up replays the events before the checkpoint (features, and the rules the venue infers from prices), then the start-up.
    for (let m = 0; m < 30; m++) restored.warm(trade('XRP/KRW', t0 + m * 60_000, 3000 + (m % 5)));
    const log: string[] = [];
    expect(await restored.kernel.start((l) => log.push(l))).toEqual({ reconciled: [], unaccounted: [] });
    expect(log).toEqual([]);
    restored.kernel.resume();
    expect(restored.engine.openPositions()).toEqual(run.engine.openPositions());
    expect(await createBacktest(config, 'KRW', t0).kernel.start()).toEqual({ reconciled: [], unaccounted: [] });
  });
});
