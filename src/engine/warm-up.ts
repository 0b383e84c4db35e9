import type { Config } from '../config.js';
import type { MarketRules, MarketSymbol } from '../core/index.js';
import { generateMarket } from '../market-data/generator.js';
import { createBacktest } from './backtest.js';

const MARKETS = 100;
const BATCHES = 30;

/**
 * Runs a throwaway engine (its own simulated venue, no store, the rule-based strategy) over generated
 * events before a live session connects, so the code of the first live batch (features, ranking,
 * strategy, position actors, venue) is compiled and its caches warm. Without it the first decisions of a
 * session took 50–85 ms from their frame (16 ms of CPU), where later ones take about 2 ms (docs/latency.md).
 * Entries are let through (no volume filter, no bear-market pause) so orders are placed and cancelled:
 * 100 markets, 30 feature batches, about 4 events per market and batch.
 */
export function warmUp(config: Config, quote: string, rules?: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number }): { readonly events: number; readonly orders: number; readonly ms: number } {
  const started = performance.now();
  const every = config.features.every;
  const warm: Config = Object.assign({}, config, {
    filter: Object.assign({}, config.filter, { minValue1d: 0, minTrades1d: 0 }),
    strategy: Object.assign({}, config.strategy, { skipBearMarket: false }),
  });
  const start = Date.UTC(2024, 0, 1);
  const run = createBacktest(warm, quote, start, undefined, undefined, rules ? { rules } : {});
  let orders = 0;
  run.engine.listen({ onOrderCommand: (c) => void (c.type === 'create' && orders++) });
  const markets = Array.from({ length: MARKETS }, (_, i) => `W${i}/${quote}` as MarketSymbol);
  let events = 0;
  for (const event of generateMarket({ seed: 1, markets, start, durationMs: BATCHES * every, stepMs: every / 4, tradesPerSecond: 4000 / every })) {
    run.feed(event);
    events++;
  }
  run.kernel.finish();
  return { events, orders, ms: performance.now() - started };
}
