import type { Observable, OperatorFunction } from 'rxjs';
import type { Decision, FeatureSnapshot, Ranking } from '../src/core/index.js';

/** What a strategy knows of one position of the bot. */
export interface PositionView {
  readonly positionId: string;
  readonly market: string;
  readonly state: 'idle' | 'buying' | 'cancellingBuy' | 'unknownBuy' | 'holding' | 'selling' | 'cancellingSell' | 'unknownSell' | 'settled';
  /** Base held. */
  readonly amount: number;
  /** Average buy fill price (before fees); 0 before the first fill. */
  readonly entryPrice: number;
  /** Time of the first buy fill (or of the buy order before one). */
  readonly entryTs: number;
  /** Price and submission time of the resting order, if any. */
  readonly orderPrice: number;
  readonly orderTs: number;
  /** Tick size at the order price. */
  readonly tickSize: number;
}

/**
 * Keeps a by-market record of the bot's positions up to date with a position input: a settled position
 * leaves (unless the market already holds a newer one), any other is its market's current position.
 */
export function notePosition(positions: Map<string, PositionView>, p: PositionView): void {
  if (p.state !== 'settled') positions.set(p.market, p);
  else if (positions.get(p.market)?.positionId === p.positionId) positions.delete(p.market);
}

/** Everything a strategy reacts to, on one stream in event-time order. */
export type StrategyInput =
  | { readonly kind: 'features'; readonly ts: number; readonly snapshots: readonly FeatureSnapshot[] }
  | { readonly kind: 'ranking'; readonly ranking: Ranking }
  | { readonly kind: 'position'; readonly position: PositionView };

/** A strategy is a pure operator: no I/O, no wall clock, state only inside its subscription. */
export type Strategy = OperatorFunction<StrategyInput, Decision>;

export type StrategyInputs = Observable<StrategyInput>;
