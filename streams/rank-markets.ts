import { Observable, type OperatorFunction } from 'rxjs';
import type { RankEntry, Ranking } from '../src/core/index.js';
import type { FeatureBatch } from './feature-snapshots.js';
import { heuristicScore, type BatchScorer } from './heuristic-score.js';

export interface RankOptions {
  /** Length of the list. */
  readonly top: number;
  /** Batch scorer; defaults to the heuristic score. */
  readonly score?: BatchScorer;
  /** Entries scoring at or below this are never listed. */
  readonly minScore?: number;
}

/**
 * The live coin ranking: the top N markets of each batch by score (ties by market name, so the order is
 * deterministic), emitted only when the list of markets or their order changes.
 */
export function rankMarkets(options: RankOptions): OperatorFunction<FeatureBatch, Ranking> {
  const score = options.score ?? heuristicScore;
  const minScore = options.minScore ?? -Infinity;
  return (source) =>
    new Observable<Ranking>((subscriber) => {
      let previous: readonly RankEntry[] | undefined;
      return source.subscribe({
        next(batch) {
          const scores = score(batch.snapshots);
          const entries: RankEntry[] = [];
          for (let i = 0; i < batch.snapshots.length; i++) {
            const s = scores[i] as number;
            if (s > minScore && Number.isFinite(s)) entries.push({ market: (batch.snapshots[i] as { market: string }).market, score: s });
          }
          entries.sort((a, b) => b.score - a.score || (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
          const ranking = entries.slice(0, options.top);
          if (previous !== undefined && sameMarkets(previous, ranking)) return;
          previous = ranking;
          subscriber.next({ ts: batch.ts, ranking });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

/** The same markets in the same order. */
function sameMarkets(a: readonly RankEntry[], b: readonly RankEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] as RankEntry).market !== (b[i] as RankEntry).market) return false;
  return true;
}
