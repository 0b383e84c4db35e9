import { Random } from '../../core/random.js';

export interface PairedTest {
  readonly n: number;
  /** Mean of (candidate − incumbent − margin). */
  readonly meanDiff: number;
  /** One-sided p-value of H0: the candidate is not better by more than the margin. */
  readonly pValue: number;
  readonly test: string;
}

/**
 * One-sided paired sign-flip (randomization) test. Each validation episode is played by both players
 * with the same data, markets and costs, so the per-episode differences d_i = candidate_i − incumbent_i −
 * margin are the unit. Under H0 (no edge beyond the margin) each d_i is as likely positive as negative, so
 * flipping signs at random gives the null distribution of the mean; p = (1 + #{flipped mean ≥ observed}) /
 * (1 + permutations). Unlike a t-test it assumes no normality (episode returns are fat-tailed), and unlike
 * a raw win-rate threshold it weighs how much each episode was won or lost by.
 */
export function pairedSignFlipTest(candidate: readonly number[], incumbent: readonly number[], margin: number, permutations: number, seed: number): PairedTest {
  if (candidate.length !== incumbent.length) throw new Error('pairedSignFlipTest: the samples must be paired (same length)');
  const n = candidate.length;
  const d = candidate.map((c, i) => c - (incumbent[i] as number) - margin);
  const observed = n > 0 ? d.reduce((a, b) => a + b, 0) / n : 0;
  if (n === 0 || d.every((x) => x === 0)) return { n, meanDiff: observed, pValue: 1, test: 'paired sign-flip, one-sided' };
  const random = new Random(seed);
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += random.next() < 0.5 ? -(d[i] as number) : (d[i] as number);
    if (s / n >= observed - 1e-15) atLeast++;
  }
  return { n, meanDiff: observed, pValue: (1 + atLeast) / (1 + permutations), test: 'paired sign-flip, one-sided' };
}
