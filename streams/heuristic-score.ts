import type { FeatureSnapshot } from '../src/core/index.js';

/** Scores a batch of markets at once (so a learned model can score them in one call). Higher is better. */
export type BatchScorer = (snapshots: readonly FeatureSnapshot[]) => readonly number[];

/**
 * The heuristic score, until a learned model replaces it: short-term momentum (price over its 10m and
 * 1h VWAP, in units of hourly volatility) that agrees with the 1h and 6h regimes, on a coin that trades
 * (log of 1h value), minus a penalty for volatility beyond 5 % an hour (wide swings hit the stop first).
 * Coins in a 24h bear regime are pushed down.
 */
export const heuristicScore: BatchScorer = (snapshots) =>
  snapshots.map((s) => {
    const vol = Math.max(s.volatility, 0.002);
    const m10 = Math.log(s.price / s.windows['10m'].vwap) / vol;
    const m60 = Math.log(s.price / s.windows['1h'].vwap) / vol;
    const momentum = 0.6 * m10 + 0.4 * m60;
    const agree = (s.regime['1h'] === 'bull' ? 0.5 : s.regime['1h'] === 'bear' ? -0.5 : 0) + (s.regime['6h'] === 'bull' ? 0.5 : s.regime['6h'] === 'bear' ? -0.5 : 0);
    const liquidity = Math.log10(1 + s.windows['1h'].value) / 10;
    const penalty = Math.max(0, s.volatility - 0.05) * 10 + (s.regime['24h'] === 'bear' ? 0.5 : 0);
    const score = momentum + agree + liquidity - penalty;
    return Number.isFinite(score) ? score : -Infinity;
  });
