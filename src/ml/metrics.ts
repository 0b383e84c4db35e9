/** Evaluation figures of a ranking score against first-passage outcomes. */

/** Area under the ROC curve (Mann–Whitney U, ties count one half); NaN when one class is absent. */
export function auc(scores: ArrayLike<number>, positive: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if ((positive[idx[k] as number] as number) > 0) {
        pos++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function brier(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += ((p[i] as number) - (y[i] as number)) ** 2;
  return p.length > 0 ? s / p.length : NaN;
}

/**
 * Brier skill against the base rate: 1 − Brier / Brier(constant `baseRate`). Positive means better than
 * always predicting the base rate. The base rate should come from the training span (known in advance),
 * not from the evaluated span.
 */
export function brierSkill(p: ArrayLike<number>, y: ArrayLike<number>, baseRate: number): number {
  const ref = brier(Array.from({ length: y.length }, () => baseRate), y);
  return 1 - brier(p, y) / ref;
}

export interface ReliabilityBin {
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly meanPredicted: number;
  readonly observedRate: number;
}

/** Predictions grouped into equal-width probability bins: mean prediction against the observed rate. */
export function reliability(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((p[i] as number) * bins)));
    count[b] = (count[b] as number) + 1;
    sumP[b] = (sumP[b] as number) + (p[i] as number);
    sumY[b] = (sumY[b] as number) + (y[i] as number);
  }
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b] as number;
    out.push({ from: b / bins, to: (b + 1) / bins, count: c, meanPredicted: c > 0 ? (sumP[b] as number) / c : NaN, observedRate: c > 0 ? (sumY[b] as number) / c : NaN });
  }
  return out;
}

export interface PicksSummary {
  readonly k: number;
  /** Mean over time steps of the share of the top-k picks whose label is +1. */
  readonly precision: number;
  /** Time steps with at least k markets. */
  readonly steps: number;
  /** Mean time (ms) from the pick to the target, over picks that reached it. */
  readonly meanTimeToTargetMs: number;
  /** Share of picks hitting the stop first. */
  readonly stopRate: number;
}

/**
 * The time steps of rows grouped by `groups` (consecutive equal values: the snapshot time) that have at
 * least `k` rows, each with its row indices ordered best first: by `scores` descending, ties by
 * `tieBreak` ascending (fixed, e.g. market index, so a constant score picks the same arbitrary markets
 * every time rather than the lucky ones). With `scores` 'all', the rows in their order.
 */
export function* rankedSteps(scores: ArrayLike<number> | 'all', groups: ArrayLike<number>, tieBreak: ArrayLike<number>, k: number): Generator<{ readonly group: number; readonly rows: readonly number[] }> {
  const n = groups.length;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && groups[j] === groups[i]) j++;
    if (j - i >= k) {
      const rows: number[] = [];
      for (let r = i; r < j; r++) rows.push(r);
      if (scores !== 'all') rows.sort((a, b) => (scores[b] as number) - (scores[a] as number) || (tieBreak[a] as number) - (tieBreak[b] as number));
      yield { group: groups[i] as number, rows };
    }
    i = j;
  }
}

/** Precision@k of the top picks per time step (`rankedSteps`): the k best scores of each step are the picks. */
export function topPicks(scores: ArrayLike<number>, labels: ArrayLike<number>, timeMs: ArrayLike<number>, groups: ArrayLike<number>, tieBreak: ArrayLike<number>, k: number): PicksSummary {
  let steps = 0;
  let precisionSum = 0;
  let hits = 0;
  let stops = 0;
  let picks = 0;
  let timeSum = 0;
  for (const { rows } of rankedSteps(scores, groups, tieBreak, k)) {
    let good = 0;
    for (let q = 0; q < k; q++) {
      const r = rows[q] as number;
      picks++;
      if (labels[r] === 1) {
        good++;
        hits++;
        timeSum += timeMs[r] as number;
      } else if (labels[r] === -1) stops++;
    }
    precisionSum += good / k;
    steps++;
  }
  return { k, precision: steps > 0 ? precisionSum / steps : NaN, steps, meanTimeToTargetMs: hits > 0 ? timeSum / hits : NaN, stopRate: picks > 0 ? stops / picks : NaN };
}
