import { type Observable, share } from 'rxjs';
import type { MarketEvent, Ranking } from '../core/index.js';
import type { Config } from '../config.js';
import { dedupeTrades, type DedupeCounters, featureSnapshots, type FeatureBatch, type FeatureCounters, packedFeatureSnapshots, rankMarkets, type SnapshotRows, volumeFilter } from '../../streams/index.js';
import { StageFeed } from './stage-feed.js';
import type { BatchScorer } from '../../streams/index.js';

export interface PipelineCounters {
  readonly dedupe: DedupeCounters;
  readonly features: FeatureCounters;
}

export interface MarketPipeline {
  /** Every live market's features at each cadence boundary (all markets, before the volume filter). */
  readonly batches$: Observable<FeatureBatch>;
  /** The ranking of the markets that pass the volume filter, when it changes. */
  readonly ranking$: Observable<Ranking>;
  readonly counters: PipelineCounters;
}

export interface PipelineOptions {
  readonly everyMs?: number;
  readonly top?: number;
  readonly score?: BatchScorer;
}

/**
 * Market events → de-duplicated trades → feature batches → volume filter → ranking: the one stream
 * graph shared by `features`, `rank`, backtest, paper and live. Hot and shared, so the features are
 * computed once however many consumers subscribe; shared through a StageFeed (an EventFeed of its own for the
 * compiler, see there), not RxJS's Subject, whose `next` allocates a closure and an iterator a call.
 */
export function marketPipeline(events$: Observable<MarketEvent>, config: Config, options: PipelineOptions = {}): MarketPipeline {
  const counters: PipelineCounters = { dedupe: { duplicates: 0, gaps: 0, missing: 0 }, features: { events: 0, outOfOrder: 0 } };
  const batches$ = events$.pipe(
    dedupeTrades({ counters: counters.dedupe }),
    featureSnapshots({ everyMs: options.everyMs ?? config.features.every, staleAfterMs: config.features.staleAfter, counters: counters.features }),
    share({ connector: () => new StageFeed<FeatureBatch>() }),
  );
  return rankedPipeline(batches$, counters, config, options);
}

/**
 * marketPipeline's feature batches written into `rows` (a feature thread's packer: see feature-worker.ts)
 * instead of emitted as snapshots: the same events, options and batches. Emits nothing; its counters are
 * marketPipeline's.
 */
export function packedPipeline(events$: Observable<MarketEvent>, config: Config, rows: SnapshotRows): { readonly done$: Observable<never>; readonly counters: PipelineCounters } {
  const counters: PipelineCounters = { dedupe: { duplicates: 0, gaps: 0, missing: 0 }, features: { events: 0, outOfOrder: 0 } };
  const done$ = events$.pipe(
    dedupeTrades({ counters: counters.dedupe }),
    packedFeatureSnapshots({ everyMs: config.features.every, staleAfterMs: config.features.staleAfter, counters: counters.features }, rows),
  );
  return { done$, counters };
}

/**
 * The pipeline from its feature batches on: `batches$` (hot and shared, as marketPipeline's) computed
 * elsewhere from the same events (see PrecomputedFeatures), and their counters.
 */
export function rankedPipeline(batches$: Observable<FeatureBatch>, counters: PipelineCounters, config: Config, options: PipelineOptions = {}): MarketPipeline {
  const ranking$ = batches$.pipe(
    volumeFilter({ window: '1d', minValue: config.filter.minValue1d, minTrades: config.filter.minTrades1d }),
    rankMarkets({ top: options.top ?? config.ranking.top, ...(options.score ? { score: options.score } : {}) }),
    share({ connector: () => new StageFeed<Ranking>() }),
  );
  return { batches$, ranking$, counters };
}
