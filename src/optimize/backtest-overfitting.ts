/**
 * The probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV; Bailey,
 * Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", J. Computational Finance
 * 20(4), 2017). The T × N matrix of every trial's returns is cut into S blocks of consecutive periods;
 * for each of the C(S, S/2) ways to pick half of the blocks as in-sample (the rest out-of-sample), the
 * trial best in sample is ranked among all trials out of sample. PBO is the share of splits where that
 * trial lands at or below the out-of-sample median (logit λ = ln(ω / (1 − ω)) ≤ 0, ω its relative rank).
 */

export type PboMetric = 'sharpe' | 'mean';

export interface PboOptions {
  /** S, even: the number of blocks (16 in the paper). */
  readonly blocks: number;
  /** How a trial is scored on a set of blocks: Sharpe ratio (default) or mean return. */
  readonly metric?: PboMetric;
}

export interface PboResult {
  readonly pbo: number;
  readonly blocks: number;
  readonly combinations: number;
  /** Periods per block; the T mod S oldest periods are left out so every block has as many. */
  readonly blockLength: number;
  readonly periodsDropped: number;
  /** λ of every split, in the order the splits are enumerated (in-sample block sets as increasing bit masks). */
  readonly logits: readonly number[];
}

interface BlockSums {
  readonly sum: Float64Array;
  readonly squares: Float64Array;
}

function score(metric: PboMetric, sum: number, squares: number, n: number): number {
  const mean = sum / n;
  if (metric === 'mean') return mean;
  const variance = (squares - n * mean * mean) / (n - 1);
  return variance > 0 ? mean / Math.sqrt(variance) : 0;
}

/** Relative rank ω ∈ (0, 1) of trial `k` among `values` (ties count half), over N + 1. */
function relativeRank(values: Float64Array, k: number): number {
  const v = values[k] as number;
  let below = 0;
  let ties = 0;
  for (let n = 0; n < values.length; n++) {
    if (n === k) continue;
    const w = values[n] as number;
    if (w < v) below++;
    else if (w === v) ties++;
  }
  return (1 + below + ties / 2) / (values.length + 1);
}

/**
 * PBO of N trials whose per-period returns are `series[n]` (all of length T). Needs N ≥ 2 and at least
 * two periods a block.
 */
export function probabilityOfBacktestOverfitting(series: readonly (readonly number[])[], options: PboOptions): PboResult {
  const metric = options.metric ?? 'sharpe';
  const s = options.blocks;
  const trials = series.length;
  if (!(Number.isInteger(s) && s >= 2 && s % 2 === 0 && s <= 24)) throw new RangeError(`CSCV: the number of blocks must be an even whole number from 2 to 24, got ${s}`);
  if (trials < 2) throw new RangeError(`CSCV: needs at least 2 trials, got ${trials}`);
  const periods = (series[0] as readonly number[]).length;
  for (const x of series) if (x.length !== periods) throw new RangeError('CSCV: every trial needs the same number of periods');
  const blockLength = Math.floor(periods / s);
  if (blockLength < 2) throw new RangeError(`CSCV: ${periods} periods are too few for ${s} blocks of at least 2`);
  const dropped = periods - blockLength * s;
  const sums: BlockSums[] = series.map((x) => {
    const sum = new Float64Array(s);
    const squares = new Float64Array(s);
    for (let b = 0; b < s; b++) {
      for (let i = dropped + b * blockLength, end = i + blockLength; i < end; i++) {
        const r = x[i] as number;
        sum[b] = (sum[b] as number) + r;
        squares[b] = (squares[b] as number) + r * r;
      }
    }
    return { sum, squares };
  });
  const half = s / 2;
  const inSample = new Float64Array(trials);
  const outOfSample = new Float64Array(trials);
  const logits: number[] = [];
  let overfit = 0;
  for (let mask = 0; mask < 1 << s; mask++) {
    if (popcount(mask) !== half) continue;
    for (let n = 0; n < trials; n++) {
      const t = sums[n] as BlockSums;
      let inSum = 0;
      let inSq = 0;
      let outSum = 0;
      let outSq = 0;
      for (let b = 0; b < s; b++) {
        if (mask & (1 << b)) {
          inSum += t.sum[b] as number;
          inSq += t.squares[b] as number;
        } else {
          outSum += t.sum[b] as number;
          outSq += t.squares[b] as number;
        }
      }
      inSample[n] = score(metric, inSum, inSq, half * blockLength);
      outOfSample[n] = score(metric, outSum, outSq, half * blockLength);
    }
    // The in-sample winner; ties go to the first trial, as a search keeps its first best.
    let best = 0;
    for (let n = 1; n < trials; n++) if ((inSample[n] as number) > (inSample[best] as number)) best = n;
    const omega = relativeRank(outOfSample, best);
    const logit = Math.log(omega / (1 - omega));
    logits.push(logit);
    if (logit <= 0) overfit++;
  }
  return { pbo: overfit / logits.length, blocks: s, combinations: logits.length, blockLength, periodsDropped: dropped, logits };
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

/** The paper's S = 16, fewer when the series is short: the largest even S ≤ 16 leaving at least `minBlockLength` periods a block. */
export function defaultBlocks(periods: number, minBlockLength = 24): number | undefined {
  for (let s = 16; s >= 2; s -= 2) if (Math.floor(periods / s) >= minBlockLength) return s;
  return periods >= 4 ? 2 : undefined;
}
