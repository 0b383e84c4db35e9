import { parseConfig, type Config } from '../config.js';
import type { MarketRules, MarketSymbol, TradeEvent } from '../core/index.js';
import { generateMarket } from '../market-data/generator.js';
import { ticker } from '../market-data/parsers/ticker-event.js';
import { trade } from '../market-data/parsers/trade-event.js';
import { storeFromConfig } from '../store/create-store.js';
import { createBacktest } from './backtest.js';

const MARKETS = 100;
/** Feature batches of each round: the first compiles the code, the later ones start from fresh objects. */
const ROUNDS = [30, 10, 10];
/**
 * Exchange trade ids are past 2^31 (Upbit's sequential ids ~1.6e15, Binance's ~3e9): held as doubles,
 * not small integers. Generated ids from 1 gave the trade events' `id` field the small-integer
 * representation, which the first live trade changed, deoptimizing every function that had read a trade.
 */
const TRADE_ID_BASE = 1_000_000_000_000_000;

/**
 * Runs throwaway engines (each on its own simulated venue and in-memory store, the rule-based strategy) over
 * generated events before a live session connects, so the code of the first live batch (features,
 * ranking, strategy, position actors, venue) is compiled and its caches warm. Without it the first
 * decisions of a session took 50–85 ms from their frame (16 ms of CPU), where later ones take about 2 ms
 * (docs/latency.md). Entries are let through (no volume filter, no bear-market pause) and exits are close
 * (at most ±0.3 %, on markets ten times as volatile as the generator's default) so orders are placed,
 * cancelled and sold: 100 markets, about 5 events per market and batch.
 *
 * The warm code survives into trading only if the live objects have the hidden classes (V8 maps) it was
 * compiled for; a different one deoptimizes it at the first live frame and it is compiled again in the
 * background while trading. So the generated events take the live ones' shapes: trades made by the live
 * parsers' `trade()` with exchange-sized ids, tickers by their `ticker()`, and one market in four without
 * order-book tops, as live markets whose last print is outside the touch (their snapshots have no
 * `touch`). And the engine is made
 * three times: the live session's is a new one (an empty order queue, markets seen for the first time),
 * and the rounds after the first deoptimize the warm code on those fresh objects here, not while trading.
 */
export function warmUp(config: Config, quote: string, rules?: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number }): { readonly events: number; readonly orders: number; readonly sells: number; readonly ms: number } {
  const started = performance.now();
  const every = config.features.every;
  // Parsed (and frozen, as loadConfig's) like the live configuration, not a copy of it: the engine reads
  // it on the order path, and a copy's objects have other maps than the parser's.
  const settings = Object.assign({}, config, {
    filter: Object.assign({}, config.filter, { minValue1d: 0, minTrades1d: 0 }),
    // Close exits, so positions are sold as well as bought and cancelled.
    // The entry gate's code runs (paper trades opened and closed) but lets every entry through: with the
    // expected-value test on, it would wait for closed paper trades and no order would be placed here.
    strategy: Object.assign({}, config.strategy, { skipBearMarket: false, takeProfit: Math.min(config.strategy.takeProfit, 0.003), stopLoss: Math.min(config.strategy.stopLoss, 0.003), gate: Object.assign({}, config.strategy.gate, { edge: false, regimeMin: -1 }) }),
    // An in-memory store, as paper's without Redis: the engine's options then have the live ones' fields.
    redis: Object.assign({}, config.redis, { url: '' }),
  });
  const warm = Object.isFrozen(config) ? Object.freeze(parseConfig(settings)) : parseConfig(settings);
  const markets = Array.from({ length: MARKETS }, (_, i) => `W${i}/${quote}` as MarketSymbol);
  const bookless = new Set(markets.filter((_, i) => i % 4 === 3));
  let orders = 0;
  let sells = 0;
  let events = 0;
  // From a minute before midnight: the rounds cross a day, an hour, 5-minute and minute boundaries, as a
  // live session soon does (daily equity, hourly reports, the coarser feature rings, minute volatility).
  let start = Date.UTC(2024, 0, 1) - 60_000;
  // A step (book tops, then trades) of at least 5 s: at a batch a second, 30 batches cross minutes too.
  const stepMs = Math.max(every / 4, 5_000);
  for (const batches of ROUNDS) {
    const store = storeFromConfig(warm);
    const run = createBacktest(warm, quote, start, undefined, undefined, rules ? { rules, store } : { store });
    run.engine.listen({ onOrderCommand: (c) => void (c.type === 'create' && (orders++, c.side === 'sell' && sells++)) });
    for (const event of generateMarket({ seed: 1, markets, start, durationMs: batches * stepMs, stepMs, tradesPerSecond: 3000 / stepMs, dailyVolatility: 0.5 })) {
      if (event.kind === 'book') {
        // Exchanges send tickers too (Upbit one a trade, and one a market on subscribing).
        run.feed(ticker(event.market, event.ts, event.bidPrice, 1_000_000 / event.bidPrice, 1_000_000));
        events++;
        if (bookless.has(event.market)) continue;
      }
      run.feed(event.kind === 'trade' ? liveTrade(event) : event);
      events++;
    }
    run.kernel.finish();
    void store.close();
    start += batches * stepMs;
  }
  return { events, orders, sells, ms: performance.now() - started };
}

function liveTrade(event: TradeEvent): TradeEvent {
  return trade(event.market, event.ts, event.price, event.amount, event.side, event.id === undefined ? undefined : TRADE_ID_BASE + event.id);
}
