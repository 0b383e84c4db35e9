import { type FeatureSnapshot, WINDOWS } from '../src/core/index.js';
import { SnapshotWindows, windowValue } from './market-state.js';

/** Scores a batch of markets at once (so a learned model can score them in one call). Higher is better. */
export type BatchScorer = (snapshots: readonly FeatureSnapshot[]) => readonly number[];

/**
 * The heuristic score, until a learned model replaces it: short-term momentum (price over its 10m and
 * 1h VWAP, in units of hourly volatility) that agrees with the 1h and 6h regimes, on a coin that trades
 * (log of 1h value), minus a penalty for volatility beyond 5 % an hour (wide swings hit the stop first).
 * Coins in a 24h bear regime are pushed down.
 */
export const heuristicScore: BatchScorer = (snapshots) => {
  // A loop, not Array.prototype.map: a batch is often one or two snapshots, where map's call overhead shows.
  const scores = new Array<number>(snapshots.length);
  for (let i = 0; i < snapshots.length; i++) scores[i] = scoreOf(snapshots[i] as FeatureSnapshot);
  return scores;
};

const W10M = WINDOWS.indexOf('10m');
const W1H = WINDOWS.indexOf('1h');

function scoreOf(s: FeatureSnapshot): number {
  const windows = s.windows;
  // The class tested once a snapshot, not once a figure as windowValue would. Each branch passes its own figures:
  // a figure that was one branch's double or the other's call result was kept boxed, a heap number allocated a
  // figure a snapshot.
  if (windows instanceof SnapshotWindows) return scoreFrom(s, windows.vwapAt(W10M), windows.vwapAt(W1H), windows.valueAt(W1H));
  return scoreFrom(s, windowValue(windows, W10M, 'vwap'), windowValue(windows, W1H, 'vwap'), windowValue(windows, W1H, 'value'));
}

function scoreFrom(s: FeatureSnapshot, vwap10m: number, vwap1h: number, value1h: number): number {
  const vol = Math.max(s.volatility, 0.002);
  const m10 = Math.log(s.price / vwap10m) / vol;
  const m60 = Math.log(s.price / vwap1h) / vol;
  const momentum = 0.6 * m10 + 0.4 * m60;
  const agree = (s.regime['1h'] === 'bull' ? 0.5 : s.regime['1h'] === 'bear' ? -0.5 : 0) + (s.regime['6h'] === 'bull' ? 0.5 : s.regime['6h'] === 'bear' ? -0.5 : 0);
  const liquidity = Math.log10(1 + value1h) / 10;
  const penalty = Math.max(0, s.volatility - 0.05) * 10 + (s.regime['24h'] === 'bear' ? 0.5 : 0);
  const score = momentum + agree + liquidity - penalty;
  return Number.isFinite(score) ? score : -Infinity;
}
