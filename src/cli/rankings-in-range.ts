/** The rankings `coinrx rank` and `coinrx ranker rank` write for a time range. */
import type { Observable, Subscription } from 'rxjs';
import type { Ranking } from '../core/index.js';
import { inTimeRange, type TimeRange } from '../core/time-range.js';

/**
 * Writes the rankings of `range`: events before it only warm the windows up. A ranking is emitted when it
 * changes, so the one in force at the range's start (set before it, kept with its own time) is written first,
 * unless one is set at the start itself: without it a range where the ranking did not change wrote nothing.
 */
export function writeRankingsInRange(ranking$: Observable<Ranking>, range: TimeRange, write: (ranking: Ranking) => void): Subscription {
  let inForce: Ranking | undefined;
  const writeInForce = (): void => {
    if (inForce !== undefined) write(inForce);
    inForce = undefined;
  };
  return ranking$.subscribe({
    next: (ranking) => {
      if (range.from !== undefined && ranking.ts < range.from) inForce = ranking;
      else if (inTimeRange(range, ranking.ts)) {
        if (ranking.ts === range.from) inForce = undefined;
        writeInForce();
        write(ranking);
      }
    },
    complete: writeInForce,
  });
}
