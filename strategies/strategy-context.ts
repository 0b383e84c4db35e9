import type { Strategy } from './strategy.js';

/**
 * What a strategy module is built with: the configured barriers (`strategy.*` of the profile, times in
 * ms), the fee rate of the traded quote and the number of position slots. A user strategy may use them
 * or ignore them; the same numbers reach the built-in rule-based strategy.
 */
export interface StrategyContext {
  /** Fee rate per side of the traded quote (Upbit KRW 0.0005, else `simulator.feeRate`). */
  readonly feeRate: number;
  readonly takeProfit: number;
  readonly stopLoss: number;
  readonly maxHoldMs: number;
  readonly buyTimeoutMs: number;
  readonly chaseTicks: number;
  readonly skipBearMarket: boolean;
  /** 0: resting sells are never re-priced. */
  readonly sellTimeoutMs: number;
  /** `strategy.trailActivate`/`trailDistance`: a trailing stop armed once up this much, this far below the best bid; 0: none. */
  readonly trailActivate: number;
  readonly trailDistance: number;
  /** `allocation.maxPositions`: positions open at once. */
  readonly maxPositions: number;
}

/**
 * A strategy module (`coinrx backtest --strategy my-strategy.ts`) exports this as `createStrategy`: it
 * returns the strategy operator, a pure function of its input stream (see docs/strategies.md).
 */
export type StrategyFactory = (context: StrategyContext) => Strategy;
