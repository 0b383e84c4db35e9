import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { ReplayStats } from '../market-data/index.js';
import { equityCsv, hourlyCsv, tradesCsv } from '../report/report-files.js';
import type { BacktestResult } from './backtest.js';
import type { DataGaps } from './data-gaps.js';
import { runResults, type RunResults } from '../report/results.js';

export const BACKTEST_FILES = ['summary.json', 'trades.csv', 'equity.csv', 'hourly.csv'] as const;

/** What a run read: per file its name, format, market and counts (no wall-clock figures, so reruns match). */
function dataSummary(stats: ReplayStats | undefined): unknown {
  if (!stats) return undefined;
  return {
    // `error`: a file read only up to a fault (--skip-broken-files), present only then.
    files: stats.files.map((f) => ({ file: f.file, format: f.format, market: f.market, events: f.events, malformed: f.malformed, ignored: f.ignored, ...(f.error !== undefined ? { error: f.error } : {}) })),
    events: stats.events,
    malformed: stats.malformed,
    ignored: stats.ignored,
    outOfOrder: stats.outOfOrder,
    skipped: stats.skipped,
  };
}

function iso(ts: number | null): string | null {
  return ts === null ? null : new Date(ts).toISOString();
}

/** Open positions at a stale price and gaps while holding, with readable times beside the ms. */
function gapsSummary(g: DataGaps): unknown {
  return {
    stalePositions: g.stalePositions.map((p) => ({ ...p, lastEvent: iso(p.lastEventTs) })),
    holdingGaps: g.holdingGaps,
  };
}

function rangeSummary(r: NonNullable<BacktestResult['range']>): unknown {
  return { from: iso(r.from), to: iso(r.to), fromMs: r.from, toMs: r.to, endExclusive: true, warmupEvents: r.warmupEvents };
}

/** A run's tables; a paper or live session has no replayed prices, so no market change. */
export function resultsOf(result: BacktestResult): RunResults {
  return result.results ?? runResults(result.tracker, new Map(), result.quote, (result.summary['totalReturn'] as number | undefined) ?? 0);
}

/**
 * Writes `summary.json` (statistics, open positions, final balances, the data's span and the config
 * used), `trades.csv`, `equity.csv` and `hourly.csv` into `dir`. Byte-identical for identical runs.
 */
export async function writeBacktestOutput(dir: string, result: BacktestResult, config: Config, stats?: ReplayStats, source?: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  const summary = {
    quote: result.quote,
    events: result.events,
    span: result.span && { from: new Date(result.span.from).toISOString(), to: new Date(result.span.to).toISOString(), fromMs: result.span.from, toMs: result.span.to },
    statistics: result.summary,
    ...(result.range ? { range: rangeSummary(result.range) } : {}),
    results: resultsOf(result),
    openPositions: result.open,
    // Only when there is something to say: a run without it writes what it always did.
    ...(result.dataGaps ? { dataGaps: gapsSummary(result.dataGaps) } : {}),
    balances: result.balances,
    data: dataSummary(stats),
    source,
    config: result.config ?? config,
  };
  await writeFile(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(dir, 'trades.csv'), tradesCsv(result.tracker.trades));
  await writeFile(join(dir, 'equity.csv'), equityCsv(result.tracker.equityRows()));
  await writeFile(join(dir, 'hourly.csv'), hourlyCsv(result.tracker.hourly()));
}
