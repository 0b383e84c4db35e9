import type { Config } from '../config.js';
import type { MarketRules, MarketSymbol } from '../core/index.js';
import { generateMarket } from '../market-data/generator.js';
import { createBacktest } from './backtest.js';

const MARKETS = 30;
const BATCHES = 300;
/** Exits this close and this many slots keep positions cycling, whatever the session's own settings. */
const EXIT = 0.003;
const SLOTS = 20;

/**
 * Runs a throwaway engine (its own simulated venue, no store, the rule-based strategy) over generated
 * events before a live session connects, so the code of a live batch (features, ranking, strategy,
 * position actors, venue) is compiled and its caches warm. Without it the first decisions of a session
 * took 50–85 ms from their frame (16 ms of CPU), where later ones take about 2 ms (docs/latency.md).
 * Entries are let through (no volume filter, no bear-market pause, no loss limit) and exits are close
 * (at most ±0.3 %, at least 20 slots) so positions keep cycling: 30 markets, 300 feature batches, about
 * a thousand orders. The order path (the position actors' XState steps, the bot, the venue) runs a few
 * times a batch only; with 55 orders (100 markets, 30 batches, the session's exits) V8 was still
 * compiling it in the background during the first 5 s of trading, and on a busy 2-core machine each
 * compile (1–30 ms of CPU) took the core from the batch frame being handled.
 */
export function warmUp(config: Config, quote: string, rules?: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number }): { readonly events: number; readonly orders: number; readonly ms: number } {
  const started = performance.now();
  const every = config.features.every;
  const warm: Config = Object.assign({}, config, {
    filter: Object.assign({}, config.filter, { minValue1d: 0, minTrades1d: 0 }),
    strategy: Object.assign({}, config.strategy, { skipBearMarket: false, takeProfit: Math.min(config.strategy.takeProfit, EXIT), stopLoss: Math.min(config.strategy.stopLoss, EXIT) }),
    allocation: Object.assign({}, config.allocation, { maxPositions: Math.max(config.allocation.maxPositions, SLOTS) }),
    bot: Object.assign({}, config.bot, { dailyLossLimit: 1, maxDrawdown: 1 }),
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
