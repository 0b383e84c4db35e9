import { Observable } from 'rxjs';
import type { MarketEvent, RankEntry, Ranking } from '../core/index.js';
import type { Config } from '../config.js';
import { configuredStrategy, createBacktest, quoteOf, type BacktestRun } from '../engine/index.js';
import { openReplay } from '../market-data/index.js';
import { passesVolumeFilter, type BatchScorer } from '../../streams/index.js';
import type { Strategy, StrategyInput } from '../../strategies/index.js';
import type { Span } from './splits.js';

/** How often the substituted ranking could act (see `rankedBy`). */
export interface SubstitutionCounters {
  batches: number;
  /** Rankings the engine delivered (each one is when buys are sized and placed). */
  rankings: number;
}

/**
 * A strategy wrapper that ranks with `score` instead of the engine's built-in heuristic ranking.
 * Needed because the engine has no scorer hook: TradingEngine builds `marketPipeline(events$, config)`
 * without `options.score`, and runBacktest/createBacktest take no scorer. The wrapper scores every
 * feature batch (the same volume filter, top-N and tie order as rankMarkets) and, when the engine
 * delivers its own ranking for that batch, hands the inner strategy this ranking instead. Limitation:
 * the engine places buys only when its heuristic ranking changes, so the model's picks can act only at
 * those batches (`counters` says how many); and before `span.from` the ranking is empty (no buys).
 */
export function rankedBy(score: BatchScorer, config: Config, inner: Strategy, span: Span, counters: SubstitutionCounters): Strategy {
  return (source) =>
    inner(
      new Observable<StrategyInput>((subscriber) => {
        let latest: Ranking | undefined;
        return source.subscribe({
          next(input) {
            if (input.kind === 'features') {
              counters.batches++;
              const snaps = input.snapshots.filter((s) => passesVolumeFilter(s, { window: '1d', minValue: config.filter.minValue1d, minTrades: config.filter.minTrades1d }));
              const scores = score(snaps);
              const entries: RankEntry[] = [];
              for (let i = 0; i < snaps.length; i++) {
                const s = scores[i] as number;
                if (Number.isFinite(s)) entries.push({ market: (snaps[i] as { market: string }).market, score: s });
              }
              entries.sort((a, b) => b.score - a.score || (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
              const live = input.ts >= span.from && input.ts < span.to;
              latest = { ts: input.ts, ranking: live ? entries.slice(0, config.ranking.top) : [] };
              subscriber.next(input);
            } else if (input.kind === 'ranking') {
              counters.rankings++;
              subscriber.next({ kind: 'ranking', ranking: latest && latest.ts === input.ranking.ts ? latest : { ts: input.ranking.ts, ranking: [] } });
            } else subscriber.next(input);
          },
          error: (e: unknown) => subscriber.error(e),
          complete: () => subscriber.complete(),
        });
      }),
    );
}

export interface RankingBacktestResult {
  readonly summary: Record<string, unknown>;
  readonly counters: SubstitutionCounters;
  readonly span: Span;
  /** The equity the engine reported inside the span (for daily returns and paired comparisons). */
  readonly equity: readonly { ts: number; equity: number }[];
  /** When each trade closed (for trades per fold). */
  readonly tradeTimes: readonly number[];
}

/**
 * The engine's backtest (simulated exchange, fees, fill model, position actors) with the ranking of
 * `score`, trading only inside `span`; the data before it warms the features up. The same loop as
 * runBacktest, built on createBacktest because that is the one entry that accepts a strategy.
 */
export async function runRankingBacktest(paths: readonly string[], config: Config, score: BatchScorer, span: Span, signal?: AbortSignal): Promise<RankingBacktestResult> {
  const counters: SubstitutionCounters = { batches: 0, rankings: 0 };
  let run: BacktestRun | undefined;
  const equity: { ts: number; equity: number }[] = [];
  const source = openReplay(paths);
  outer: for await (const batch of source.batches()) {
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i] as MarketEvent;
      if (event.ts >= span.to) break outer;
      if (!run) {
        // The strategy prices its exits with the venue's fee (its market rules: Upbit's for KRW).
        run = createBacktest(config, quoteOf(event.market), event.ts, undefined, undefined, { strategy: (feeRate) => rankedBy(score, config, configuredStrategy(config, feeRate), span, counters) });
        run.engine.listen({ onEquity: (ts, e) => void (ts >= span.from && equity.push({ ts, equity: e })) });
      }
      run.feed(event);
    }
    if (signal?.aborted) break;
  }
  if (!run) throw new Error('backtest: the data holds no market events');
  run.engine.finish();
  const { byRegime: _byRegime, ...summary } = run.tracker.summary();
  return { summary, counters, span, equity, tradeTimes: run.tracker.trades.map((t) => t.closedTs) };
}
