import type { PositionView } from '../../strategies/index.js';
import type { HoldingGap } from './holding-gaps.js';
import type { LastSeen } from './portfolio.js';

/** A position still open at the end of a run whose market's data had stopped long before (a delisting, a file ending early). */
export interface StalePosition {
  readonly market: string;
  readonly positionId: string;
  readonly state: PositionView['state'];
  /** Base held. */
  readonly amount: number;
  /** The market's last event: the price the position is valued at is from then. */
  readonly lastEventTs: number;
  readonly price: number;
  /** amount × price, in the quote currency: what the run's final equity counts for it. */
  readonly value: number;
  /** From the last event to the run's end. */
  readonly silentMs: number;
}

/** What the data did not say while the bot held coins; absent from a run's result when there is nothing. */
export interface DataGaps {
  readonly stalePositions: readonly StalePosition[];
  readonly holdingGaps: readonly HoldingGap[];
}

/**
 * The open positions whose market's last event is older at `endTs` than its price may be (five of its candles,
 * or features.staleAfter for trades: see Portfolio), with the gaps that ended while the bot held a market; undefined
 * when there is neither, so a run without them writes what it always did.
 */
export function dataGaps(open: readonly PositionView[], lastSeen: (market: string) => LastSeen | undefined, holdingGaps: readonly HoldingGap[], endTs: number): DataGaps | undefined {
  const stalePositions: StalePosition[] = [];
  for (const p of open) {
    const seen = lastSeen(p.market);
    if (!(p.amount > 0) || seen === undefined || !(endTs - seen.ts > seen.allowMs)) continue;
    stalePositions.push({ market: p.market, positionId: p.positionId, state: p.state, amount: p.amount, lastEventTs: seen.ts, price: seen.price, value: p.amount * seen.price, silentMs: endTs - seen.ts });
  }
  if (stalePositions.length === 0 && holdingGaps.length === 0) return undefined;
  return { stalePositions, holdingGaps };
}
