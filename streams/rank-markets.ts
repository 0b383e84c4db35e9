import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { FeatureSnapshot, RankEntry, Ranking } from '../src/core/index.js';
import { EventSink } from './event-sink.js';
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
  return (source) => new Observable<Ranking>((subscriber) => source.subscribe(new RankSink(subscriber, score, minScore, top)));
}

class RankSink extends EventSink<FeatureBatch, Ranking> {
  readonly #score: BatchScorer;
  readonly #minScore: number;
  readonly #top: number;
  #previous: readonly RankEntry[] | undefined;
  // The best `top` so far as indices into the batch and their scores, reused from batch to batch: the
  // entries are built only when the list changed (most batches leave it as it was).
  readonly #best: number[] = [];
  readonly #bestScores: number[] = [];

  constructor(downstream: Subscriber<Ranking>, score: BatchScorer, minScore: number, top: number) {
    super(downstream);
    this.#score = score;
    this.#minScore = minScore;
    this.#top = top;
  }

  next(batch: FeatureBatch): void {
    if (this.stopped) return;
    let ranking: Ranking | undefined;
    try {
      ranking = this.#rank(batch);
    } catch (error: unknown) {
      this.fail(error);
      return;
    }
    if (ranking !== undefined) this.downstream.next(ranking);
  }

  /** The batch's ranking, or undefined when its list is the previous one. */
  #rank(batch: FeatureBatch): Ranking | undefined {
    const snapshots = batch.snapshots;
    const scores = this.#score(snapshots);
    const best = this.#best;
    const bestScores = this.#bestScores;
    const minScore = this.#minScore;
    const top = this.#top;
    // The best `top` in order, kept while scanning (what a stable sort and a slice would give, without
    // sorting every market of every batch): an entry goes after those it ties with.
    let length = 0;
    for (let i = 0; i < snapshots.length; i++) {
      const s = scores[i] as number;
      if (!(s > minScore && Number.isFinite(s))) continue;
      const market = (snapshots[i] as FeatureSnapshot).market;
      let at = length;
      while (at > 0 && before(s, market, bestScores[at - 1] as number, (snapshots[best[at - 1] as number] as FeatureSnapshot).market)) at--;
      if (at >= top) continue;
      // Insert at `at`, the last one falling off a full list.
      if (length < top) length++;
      for (let j = length - 1; j > at; j--) {
        best[j] = best[j - 1] as number;
        bestScores[j] = bestScores[j - 1] as number;
      }
      best[at] = i;
      bestScores[at] = s;
    }
    if (this.#previous !== undefined && sameMarkets(this.#previous, snapshots, best, length)) return undefined;
    const ranking: RankEntry[] = [];
    for (let k = 0; k < length; k++) ranking.push({ market: (snapshots[best[k] as number] as FeatureSnapshot).market, score: bestScores[k] as number });
    this.#previous = ranking;
    return { ts: batch.ts, ranking };
  }
}

/** The same markets in the same order: the previous ranking's and the batch's snapshots at `best[0 … length)`. */
function sameMarkets(previous: readonly RankEntry[], snapshots: readonly FeatureSnapshot[], best: readonly number[], length: number): boolean {
  if (previous.length !== length) return false;
  for (let k = 0; k < length; k++) if ((previous[k] as RankEntry).market !== (snapshots[best[k] as number] as FeatureSnapshot).market) return false;
  return true;
}

/** Higher score first, then market name: the ranking's order. */
function before(score: number, market: string, otherScore: number, otherMarket: string): boolean {
  return score > otherScore || (score === otherScore && market < otherMarket);
}
