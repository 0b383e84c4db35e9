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
  const top = options.top;
  if (!(top > 0)) throw new Error(`rankMarkets: top must be > 0, got ${top}`);
  return (source) =>
    new Observable<Ranking>((subscriber) => {
      let previous: readonly RankEntry[] | undefined;
      return source.subscribe({
        next(batch) {
          const scores = score(batch.snapshots);
          // The best `top` in order, kept while scanning (what a stable sort and a slice would give, without
          // sorting every market of every batch): an entry goes after those it ties with.
          const ranking: RankEntry[] = [];
          for (let i = 0; i < batch.snapshots.length; i++) {
            const s = scores[i] as number;
            if (!(s > minScore && Number.isFinite(s))) continue;
            const market = (batch.snapshots[i] as { market: string }).market;
            let at = ranking.length;
            while (at > 0 && before(s, market, ranking[at - 1] as RankEntry)) at--;
            if (at >= top) continue;
            // Insert at `at`, the last one falling off a full list (by hand: splice allocates its result).
            const entry = { market, score: s };
            if (ranking.length < top) ranking.push(entry);
            for (let j = ranking.length - 1; j > at; j--) ranking[j] = ranking[j - 1] as RankEntry;
            ranking[at] = entry;
          }
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

/** Higher score first, then market name: the ranking's order. */
function before(score: number, market: string, entry: RankEntry): boolean {
  return score > entry.score || (score === entry.score && market < entry.market);
}
