import type { Config } from '../../config.js';
import type { MarketRules, MarketSymbol } from '../../core/index.js';
import type { Store } from '../../store/index.js';
import type { BatchScorer } from '../../../streams/index.js';
import { createBacktest } from '../backtest.js';
import type { Kernel, StrategyFactory } from '../kernel.js';
import { warmUp } from '../warm-up.js';

export interface PaperNodeOptions {
  readonly config: Config;
  readonly quote: string;
  /** The exchange's own market rules and their fee (every exchange but Upbit, whose KRW rules are built in). */
  readonly rules?: { readonly rules: (market: MarketSymbol) => MarketRules | undefined; readonly feeRate: number };
  readonly store: Store;
  readonly scorer?: BatchScorer;
  readonly strategy?: StrategyFactory;
}

/**
 * The paper node: live market data on the kernel with a simulated venue (the exchange's rules) and event
 * time; made when the first market event arrives (its time starts the venue's clock). Making the node
 * warms the engine's code up first (warm-up.ts), before the session connects.
 */
export function paperNode(o: PaperNodeOptions): (firstTs: number) => Kernel {
  warmUp(o.config, o.quote, o.rules);
  return (firstTs) => {
    const kernel = createBacktest(o.config, o.quote, firstTs, undefined, undefined, { store: o.store, ...(o.rules ? { rules: o.rules } : {}), ...(o.scorer ? { score: o.scorer } : {}), ...(o.strategy ? { strategy: o.strategy } : {}) }).kernel;
    // The same start-up as every mode; a fresh simulated venue has nothing to reconcile, so trading starts at once.
    void kernel.start();
    return kernel;
  };
}
