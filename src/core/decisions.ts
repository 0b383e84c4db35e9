import type { MarketSymbol } from './market.js';

/** The seed's four actions. */
export type DecisionKind = 'BUY' | 'SELL' | 'CANCEL_BUY' | 'CANCEL_SELL';

export interface Decision {
  readonly kind: DecisionKind;
  readonly market: MarketSymbol;
  readonly ts: number;
  /** Why the strategy decided this (for logs and reports), e.g. `take-profit`, `rank`. */
  readonly reason: string;
  /** Ranking score behind a BUY, used by score-weighted allocation. */
  readonly score?: number;
  /** Limit price hint; the allocator rounds it to the exchange tick. */
  readonly price?: number;
  /** Most of the equity a BUY may commit (the edge gate's Kelly stake); the allocator's caps still apply. */
  readonly fraction?: number;
}
