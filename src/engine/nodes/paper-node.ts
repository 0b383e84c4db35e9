import type { Config } from '../../config.js';
import type { MarketRules, MarketSymbol } from '../../core/index.js';
import { storeFromConfig, type Store } from '../../store/index.js';
import type { BatchScorer } from '../../../streams/index.js';
import { createBacktest } from '../backtest.js';
import type { Kernel, StrategyFactory } from '../kernel.js';
import { warmUp } from '../warm-up.js';
import { yieldBackgroundThreads } from '../background-threads.js';

export interface PaperNodeOptions {
  readonly config: Config;
  readonly quote: string;
  /** The exchange's own market rules and their fee (every exchange but Upbit, whose KRW rules are built in). */
  readonly rules?: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number };
  /** Default: the configured store (Redis with `redis.url`: snapshots, the event log, the monitor channels), opened here and closed by `close()`; one given stays its owner's. */
  readonly store?: Store;
  readonly scorer?: BatchScorer;
  readonly strategy?: StrategyFactory;
}

/** A paper session's node: its store, and `start()` to make the kernel at the first market event. */
export interface PaperNode {
  /** Where the kernel records (the session watches its health and flushes it on stop). */
  readonly store: Store;
  /** The kernel, its venue's clock starting at `firstTs`, trading at once. */
  start(firstTs: number): Kernel;
  /** Closes the store the node opened. */
  close(): Promise<void>;
}

/**
 * The paper node: live market data on the kernel with a simulated venue (the exchange's rules) and event
 * time; made when the first market event arrives (its time starts the venue's clock). Making the node
 * warms the engine's code up first (warm-up.ts), before the session connects.
 */
export function paperNode(o: PaperNodeOptions): PaperNode {
  warmUp(o.config, o.quote, o.rules);
  const store = o.store ?? storeFromConfig(o.config);
  return {
    store,
    start(firstTs) {
      // Connected, and about to trade: every thread there is now yields the core to the order path (background-threads.ts).
      yieldBackgroundThreads(o.config.bot.backgroundNice);
      const kernel = createBacktest(o.config, o.quote, firstTs, undefined, undefined, { store, ...(o.rules ? { rules: o.rules } : {}), ...(o.scorer ? { score: o.scorer } : {}), ...(o.strategy ? { strategy: o.strategy } : {}) }).kernel;
      // The same start-up as every mode; a fresh simulated venue has nothing to reconcile, so trading starts at once.
      void kernel.start();
      return kernel;
    },
    close: () => (o.store ? Promise.resolve() : store.close(2_000)),
  };
}
