/**
 * Walk-forward folds. The searched span is cut into K + 1 consecutive segments (whole days when each
 * is at least a day, else whole hours). Fold k (1…K) picks the best trial on segments 0…k−1 (its whole
 * past: anchored, the window grows) and is scored on segment k (its future), which no choice of that
 * fold saw. Every trial is one backtest of the whole span, cut at the segment boundaries, so the
 * selections of all folds, the CSCV matrix and the final pick (on every segment: the parameters to
 * trade next) come from the same runs.
 */
import { DAY_MS, HOUR_MS } from '../core/windows.js';
import { curveMetrics, type CurveMetrics } from './return-statistics.js';

export interface Segment {
  readonly index: number;
  /** First instant traded (inclusive), epoch ms. */
  readonly from: number;
  /** End (exclusive), epoch ms. */
  readonly to: number;
}

export const OBJECTIVES = ['sharpe', 'calmar', 'return'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export class WalkForwardError extends Error {
  override name = 'WalkForwardError';
}

/** K + 1 segments covering [from, to); boundaries whole days after `from` (or hours when the segments are shorter than a day). */
export function walkForwardSegments(from: number, to: number, folds: number): Segment[] {
  if (!(Number.isInteger(folds) && folds >= 1)) throw new WalkForwardError(`--folds must be a whole number of at least 1, got ${folds}`);
  const parts = folds + 1;
  const unit = (to - from) / parts >= DAY_MS ? DAY_MS : HOUR_MS;
  const bounds = [from];
  // Whole units from the start, so every segment is a whole number of the trials' hourly returns.
  for (let i = 1; i < parts; i++) bounds.push(from + Math.round((to - from) * i / parts / unit) * unit);
  bounds.push(to);
  const segments: Segment[] = [];
  for (let i = 0; i < parts; i++) {
    const a = bounds[i] as number;
    const b = bounds[i + 1] as number;
    if (!(b - a >= HOUR_MS)) {
      throw new WalkForwardError(`the span ${new Date(from).toISOString()} to ${new Date(to).toISOString()} is too short for ${folds} fold(s): each of its ${parts} segments needs at least an hour`);
    }
    segments.push({ index: i, from: a, to: b });
  }
  return segments;
}

/** The figure an objective ranks trials by (higher is better). */
export function objectiveValue(metrics: CurveMetrics, objective: Objective): number {
  return objective === 'sharpe' ? metrics.sharpe : objective === 'calmar' ? metrics.calmar : metrics.totalReturn;
}

/** Hourly returns of segments `indices`, one after the other. */
export function joinedReturns(bySegment: readonly (readonly number[])[], indices: readonly number[]): number[] {
  const out: number[] = [];
  for (const i of indices) for (const r of bySegment[i] as readonly number[]) out.push(r);
  return out;
}

/**
 * The trial with the best objective on `segments` (its returns joined); ties go to the lower trial
 * number, so the choice does not depend on the order results arrived in.
 */
export function selectBest(returns: readonly (readonly (readonly number[])[])[], segments: readonly number[], objective: Objective): { trial: number; metrics: CurveMetrics } {
  let best = -1;
  let bestMetrics: CurveMetrics | undefined;
  let bestValue = -Infinity;
  returns.forEach((bySegment, trial) => {
    const metrics = curveMetrics(joinedReturns(bySegment, segments));
    const value = objectiveValue(metrics, objective);
    if (best < 0 || value > bestValue) {
      best = trial;
      bestValue = value;
      bestMetrics = metrics;
    }
  });
  if (!bestMetrics) throw new WalkForwardError('no trials to select from');
  return { trial: best, metrics: bestMetrics };
}
